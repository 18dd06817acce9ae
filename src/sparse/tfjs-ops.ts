/**
 * The tfjs-op implementation of the sparse kernels. Entries are held as padded rows (ELLPACK:
 * every output row stores K = its longest row's count of column indices and values, padding
 * with zeros) and multiplied by a gather + multiply + sum over K, when that padding at most
 * doubles the entries; otherwise as triplets, multiplied by gather + multiply + unsorted segment
 * sum; BSR by a batched matMul per block. It runs on any tfjs backend, the GPU ones included
 * (webgl, webgpu, tfjs-node-gpu), where the wasm kernels cannot. Padded rows exist for the GPU
 * backends: their segment sum is a loop over all entries per output (software WebGL: a
 * 90%-sparse 300×784 product at batch 64 took 6.9 s by segment sum, 320× the dense product).
 *
 * This module imports nothing at run time: every function takes the `tf` namespace as its
 * first argument, so the compiled file also runs in a browser page given the global `tf`
 * (the headless-Chromium test loads it that way, without a bundler).
 *
 * Orientation as everywhere in the sparse core: A = Wᵀ [out, in]; y = x · Aᵀ + bias.
 */
import type * as tfns from '@tensorflow/tfjs';
import type { SparseMatrix } from './formats';
// No value imports: this file also runs as a standalone script in the browser (WebGL test, the
// teaching edition), so its errors are plain Errors rather than prunelab's typed ones.

type TF = typeof tfns;

/** Most elements a gathered intermediate may hold; larger products are computed in chunks. */
export const TFJS_SPARSE_CHUNK_ELEMENTS = 1 << 24;

/** Padded rows are used when rows × K stays within this many times the stored entries. */
export const ELL_MAX_PADDING = 2;

/**
 * Padded-row (ELLPACK) layout of triplets over the rows that store something: K slots per such
 * row (unused slots column 0, value 0), and where each row of the matrix is among them (`slot`,
 * −1 for an empty row; pruned output units leave whole rows empty).
 */
export function paddedRows(t: { rows: Int32Array; cols: Int32Array; values: Float32Array }, nRows: number): { k: number; used: number; slot: Int32Array; cols: Int32Array; values: Float32Array } {
  const count = new Int32Array(nRows);
  for (let q = 0; q < t.rows.length; q++) count[t.rows[q]]++;
  const slot = new Int32Array(nRows).fill(-1);
  let k = 0;
  let used = 0;
  for (let r = 0; r < nRows; r++) {
    k = Math.max(k, count[r]);
    if (count[r] > 0) slot[r] = used++;
  }
  const cols = new Int32Array(used * k);
  const values = new Float32Array(used * k);
  count.fill(0);
  for (let q = 0; q < t.rows.length; q++) {
    const r = t.rows[q];
    const at = slot[r] * k + count[r]++;
    cols[at] = t.cols[q];
    values[at] = t.values[q];
  }
  return { k, used, slot, cols, values };
}

/** Row, column and value of each stored entry (BSR and N:M padding zeros dropped). */
export function sparseTriplets(s: SparseMatrix): { rows: Int32Array; cols: Int32Array; values: Float32Array } {
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  const [nr, nc] = s.shape;
  switch (s.format) {
    case 'coo':
      return { rows: Int32Array.from(s.rowIdx), cols: Int32Array.from(s.colIdx), values: s.values.slice() };
    case 'csr': {
      const r = new Int32Array(s.values.length);
      for (let i = 0; i < nr; i++) r.fill(i, s.rowPtr[i], s.rowPtr[i + 1]);
      return { rows: r, cols: Int32Array.from(s.colIdx), values: s.values.slice() };
    }
    case 'csc':
      for (let c = 0; c < nc; c++) {
        for (let p = s.colPtr[c]; p < s.colPtr[c + 1]; p++) {
          rows.push(s.rowIdx[p]);
          cols.push(c);
          vals.push(s.values[p]);
        }
      }
      break;
    case 'nm': {
      const G = nc / s.m;
      for (let r = 0; r < nr; r++) {
        for (let g = 0; g < G; g++) {
          for (let k = 0; k < s.n; k++) {
            const q = (r * G + g) * s.n + k;
            if (s.values[q] === 0) continue;
            rows.push(r);
            cols.push(g * s.m + s.indices[q]);
            vals.push(s.values[q]);
          }
        }
      }
      break;
    }
    case 'bsr': {
      const [R, C] = s.blockShape;
      for (let br = 0; br + 1 < s.blockPtr.length; br++) {
        for (let p = s.blockPtr[br]; p < s.blockPtr[br + 1]; p++) {
          for (let rr = 0; rr < R; rr++) {
            for (let cc = 0; cc < C; cc++) {
              const v = s.values[(p * R + rr) * C + cc];
              const r = br * R + rr;
              const c = s.blockCol[p] * C + cc;
              if (v === 0 || r >= nr || c >= nc) continue;
              rows.push(r);
              cols.push(c);
              vals.push(v);
            }
          }
        }
      }
      break;
    }
  }
  return { rows: Int32Array.from(rows), cols: Int32Array.from(cols), values: Float32Array.from(vals) };
}

/**
 * A sparse matrix held as tfjs tensors, multiplying with tfjs ops only.
 * Owns its tensors: call `dispose()`.
 */
export class TfjsSparseOperator {
  /** [rows, cols] of A (rows = output units). */
  readonly shape: [number, number];
  private readonly tf: TF;
  private readonly tensors: tfns.Tensor[] = [];
  // Padded-row form (CSR, COO, CSC, N:M with rows of similar length).
  private ellCols?: tfns.Tensor1D;
  private ellVals?: tfns.Tensor2D;
  private ellK = 0;
  // where each output row is among the stored rows (the empty ones point at a zero column)
  private ellRowMap?: tfns.Tensor1D;
  // Gather / segment-sum form (the same formats, rows of very different length).
  private rowIds?: tfns.Tensor1D;
  private colIds?: tfns.Tensor1D;
  private vals?: tfns.Tensor2D;
  // Block form (BSR).
  private blockVals?: tfns.Tensor3D;
  private blockCols?: tfns.Tensor1D;
  private blockRows?: tfns.Tensor1D;
  private readonly R: number = 1;
  private readonly C: number = 1;
  private readonly bias?: tfns.Tensor1D;
  private readonly nnz: number;

  /**
   * @param tf the tfjs namespace.
   * @param s the sparse matrix A = Wᵀ.
   * @param bias optional bias (one per row of A).
   */
  constructor(tf: TF, s: SparseMatrix, bias?: Float32Array) {
    this.tf = tf;
    this.shape = [s.shape[0], s.shape[1]];
    if (bias && bias.length !== s.shape[0]) {
      throw new Error(`Sparse operator: bias has ${bias.length} values but the matrix has ${s.shape[0]} output rows.`);
    }
    if (bias) this.bias = this.keep(tf.tensor1d(bias, 'float32'));
    if (s.format === 'bsr') {
      [this.R, this.C] = s.blockShape;
      const nb = s.blockCol.length;
      const brow = new Int32Array(nb);
      for (let br = 0; br + 1 < s.blockPtr.length; br++) brow.fill(br, s.blockPtr[br], s.blockPtr[br + 1]);
      this.nnz = nb;
      if (nb > 0) {
        this.blockVals = this.keep(tf.tensor3d(s.values, [nb, this.R, this.C], 'float32'));
        this.blockCols = this.keep(tf.tensor1d(Int32Array.from(s.blockCol), 'int32'));
        this.blockRows = this.keep(tf.tensor1d(brow, 'int32'));
      }
    } else {
      const t = sparseTriplets(s);
      this.nnz = t.values.length;
      const ell = this.nnz > 0 ? paddedRows(t, s.shape[0]) : undefined;
      if (ell && ell.used * ell.k <= ELL_MAX_PADDING * this.nnz) {
        this.ellK = ell.k;
        this.ellCols = this.keep(tf.tensor1d(ell.cols, 'int32'));
        this.ellVals = this.keep(tf.tensor2d(ell.values, [ell.used, ell.k], 'float32'));
        if (ell.used < s.shape[0]) this.ellRowMap = this.keep(tf.tensor1d(Int32Array.from(ell.slot, (v) => (v < 0 ? ell.used : v)), 'int32'));
      } else if (this.nnz > 0) {
        this.rowIds = this.keep(tf.tensor1d(t.rows, 'int32'));
        this.colIds = this.keep(tf.tensor1d(t.cols, 'int32'));
        this.vals = this.keep(tf.tensor2d(t.values, [this.nnz, 1], 'float32'));
      }
    }
  }

  /** How the entries are held: padded rows, triplets (segment sum) or blocks (BSR). */
  get layout(): 'padded-rows' | 'triplets' | 'blocks' | 'empty' {
    if (this.ellVals) return 'padded-rows';
    if (this.vals) return 'triplets';
    return this.blockVals ? 'blocks' : 'empty';
  }

  private keep<T extends tfns.Tensor>(t: T): T {
    this.tensors.push(t);
    return t;
  }

  /**
   * y = x · Aᵀ + bias with tfjs ops.
   *
   * @param x [batch, cols].
   * @returns [batch, rows].
   */
  matMul(x: tfns.Tensor2D): tfns.Tensor2D {
    const tf = this.tf;
    const [rows, cols] = this.shape;
    if (x.rank !== 2 || x.shape[1] !== cols) {
      throw new Error(`Sparse matmul: input shape [${x.shape.join(', ')}] does not match the layer's ${cols} inputs; expected [batch, ${cols}].`);
    }
    if (x.dtype !== 'float32') throw new Error(`Sparse matmul: input dtype is ${x.dtype}; cast it to float32.`);
    return tf.tidy(() => {
      const B = x.shape[0];
      let yt: tfns.Tensor2D; // [rows, B]
      if (this.ellVals && B > 0) {
        const y = this.paddedRowProduct(x);
        return this.bias ? tf.add(y, this.bias) : y;
      }
      if (this.nnz === 0 || B === 0) {
        yt = tf.zeros([rows, B]);
      } else if (this.blockVals) {
        yt = this.blockProduct(x);
      } else {
        const xt = tf.transpose(x); // [cols, B]
        const chunk = Math.max(1, Math.floor(TFJS_SPARSE_CHUNK_ELEMENTS / Math.max(1, B)));
        let acc: tfns.Tensor2D | undefined;
        for (let start = 0; start < this.nnz; start += chunk) {
          const len = Math.min(chunk, this.nnz - start);
          const whole = len === this.nnz;
          const cIds = whole ? this.colIds! : tf.slice(this.colIds!, start, len);
          const rIds = whole ? this.rowIds! : tf.slice(this.rowIds!, start, len);
          const v = whole ? this.vals! : tf.slice(this.vals!, [start, 0], [len, 1]);
          const part = tf.unsortedSegmentSum(tf.mul(tf.gather(xt, cIds), v), rIds, rows) as tfns.Tensor2D;
          acc = acc ? (tf.add(acc, part) as tfns.Tensor2D) : part;
        }
        yt = acc!;
      }
      let y = tf.transpose(yt) as tfns.Tensor2D;
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }

  // Padded rows: y[b, r] = Σ_k x[b, cols[r, k]] · values[r, k] over the stored rows, in chunks
  // of rows; empty rows are then filled with zeros by one gather.
  private paddedRowProduct(x: tfns.Tensor2D): tfns.Tensor2D {
    const tf = this.tf;
    const used = this.ellVals!.shape[0];
    const B = x.shape[0];
    const K = this.ellK;
    const step = Math.max(1, Math.floor(TFJS_SPARSE_CHUNK_ELEMENTS / (B * K)));
    const parts: tfns.Tensor2D[] = [];
    for (let r0 = 0; r0 < used; r0 += step) {
      const n = Math.min(step, used - r0);
      const whole = n === used;
      const cols = whole ? this.ellCols! : tf.slice(this.ellCols!, r0 * K, n * K);
      const vals = whole ? this.ellVals! : tf.slice(this.ellVals!, [r0, 0], [n, K]);
      const gathered = tf.reshape(tf.gather(x, cols, 1), [B, n, K]);
      parts.push(tf.sum(tf.mul(gathered, vals), 2) as tfns.Tensor2D);
    }
    const y = parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tfns.Tensor2D);
    if (!this.ellRowMap) return y;
    return tf.gather(tf.concat([y, tf.zeros([B, 1])], 1), this.ellRowMap, 1) as tfns.Tensor2D;
  }

  // BSR: gather the C input rows of each block column, one [R, C] × [C, B] product per block,
  // then sum the products of each block row.
  private blockProduct(x: tfns.Tensor2D): tfns.Tensor2D {
    const tf = this.tf;
    const [rows, cols] = this.shape;
    const B = x.shape[0];
    const { R, C } = this;
    const nbc = Math.ceil(cols / C);
    const nbr = Math.ceil(rows / R);
    let xt = tf.transpose(x) as tfns.Tensor2D; // [cols, B]
    if (nbc * C !== cols) xt = tf.pad(xt, [[0, nbc * C - cols], [0, 0]]);
    const x3 = tf.reshape(xt, [nbc, C, B]);
    const g = tf.gather(x3, this.blockCols!); // [nb, C, B]
    const prod = tf.matMul(this.blockVals!, g as tfns.Tensor3D); // [nb, R, B]
    const sum = tf.unsortedSegmentSum(prod, this.blockRows!, nbr); // [nbr, R, B]
    const full = tf.reshape(sum, [nbr * R, B]) as tfns.Tensor2D;
    return nbr * R === rows ? full : tf.slice(full, [0, 0], [rows, B]);
  }

  /**
   * 2-D convolution (NHWC) by im2col (a gather of the padded input) + sparse product.
   *
   * @param x [B, H, W, cin].
   * @param g kernel size, strides, dilations, padding ('same' | 'valid').
   * @returns [B, Ho, Wo, cout].
   */
  conv2d(
    x: tfns.Tensor4D,
    g: { kh: number; kw: number; strides: [number, number]; dilations: [number, number]; padding: 'same' | 'valid' },
  ): tfns.Tensor4D {
    const tf = this.tf;
    const [B, H, W, C] = x.shape;
    if (g.kh * g.kw * C !== this.shape[1]) {
      throw new Error(`Sparse conv2d: kernel ${g.kh}×${g.kw} over ${C} input channels needs ${g.kh * g.kw * C} columns, the sparse kernel has ${this.shape[1]}.`);
    }
    const ekh = (g.kh - 1) * g.dilations[0] + 1;
    const ekw = (g.kw - 1) * g.dilations[1] + 1;
    let Ho: number, Wo: number, pt = 0, pl = 0, ph = 0, pw = 0;
    if (g.padding === 'same') {
      Ho = Math.ceil(H / g.strides[0]);
      Wo = Math.ceil(W / g.strides[1]);
      ph = Math.max(0, (Ho - 1) * g.strides[0] + ekh - H);
      pw = Math.max(0, (Wo - 1) * g.strides[1] + ekw - W);
      pt = Math.floor(ph / 2);
      pl = Math.floor(pw / 2);
    } else {
      Ho = Math.max(0, Math.ceil((H - ekh + 1) / g.strides[0]));
      Wo = Math.max(0, Math.ceil((W - ekw + 1) / g.strides[1]));
    }
    const Hp = H + ph;
    const Wp = W + pw;
    // Index into the padded image [Hp·Wp] for every (output pixel, ky, kx), in the row
    // order of the flattened kernel: k = (ky·kw + kx)·C + c.
    const idx = new Int32Array(Ho * Wo * g.kh * g.kw);
    let q = 0;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            idx[q++] = (oy * g.strides[0] + ky * g.dilations[0]) * Wp + ox * g.strides[1] + kx * g.dilations[1];
          }
        }
      }
    }
    return tf.tidy(() => {
      const xp = ph || pw ? tf.pad(x, [[0, 0], [pt, ph - pt], [pl, pw - pl], [0, 0]]) : x;
      const flat = tf.reshape(xp, [B, Hp * Wp, C]);
      const patches = tf.gather(flat, tf.tensor1d(idx, 'int32'), 1); // [B, Ho·Wo·kh·kw, C]
      const cols = tf.reshape(patches, [B * Ho * Wo, g.kh * g.kw * C]) as tfns.Tensor2D;
      return tf.reshape(this.matMul(cols), [B, Ho, Wo, this.shape[0]]) as tfns.Tensor4D;
    });
  }

  /** Disposes the operator's tensors. */
  dispose(): void {
    for (const t of this.tensors) t.dispose();
    this.tensors.length = 0;
  }
}
