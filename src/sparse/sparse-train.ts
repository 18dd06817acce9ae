/**
 * Sparse training of Dense chains (MLPs such as LeNet-300-100) on the wasm kernels: a
 * 95%-sparse layer does 5% of the multiply-adds, in all three products of a training step.
 * Per layer with kernel W [in, out] and A = Wᵀ [out, in] in CSR (the layout of `wasm.ts`):
 * - forward  Y = X·W + b          — CSR A times the transposed input XT (the inference kernel);
 * - input gradient dX = dY·Wᵀ     — the same kernel on the CSR of Aᵀ (= W), whose values are
 *   gathered from A's through a fixed permutation each step (nnz loads, no rebuild);
 * - weight gradient dW at kept positions only: entry (o, k) = Σ_b dYT[o, b]·XT[k, b], a sampled
 *   dense–dense product (SDDMM, `csrSddmmT` in `assembly/sparse.ts`) on the two transposed
 *   operands the other products already built.
 * Activations and gradients stay in wasm memory between layers; the optimizer (SGD with
 * momentum as `src/train/optimizers/momentum.ts`, coupled L2 weight decay as the training
 * loop) updates the non-zeros in place. Pruned weights have no storage, so nothing can revive
 * them. A mask change (SET, RigL) rebuilds the CSR of the changed layers only, keeping values
 * and momentum where connections stay (`setMasks`).
 *
 * Dynamic methods run through their own training hooks (`trainSparse(…, { hooks, masked })`):
 * at their update steps only, the weights are written back, the hooks see the dense gradient
 * (one dense product per layer) and change the masks, and the changed layers are rebuilt.
 *
 * Dense layers. Above a break-even density the CSR products lose to dense ones (index loads,
 * no reuse of a loaded input run across rows). Each layer therefore runs on the CSR kernels or
 * on dense kernels (`denseMmT`, `denseGradT`: the full matrix with pruned entries held at zero,
 * their gradients zeroed), chosen per layer by timing both on the layer's own shape, density
 * and batch when the trainer is built (`products: 'auto'`, the default; `layerProducts()` says
 * what was chosen and the times). The dense kernels sum in the CSR kernels' order, so the
 * choice changes the time of a step, never its numbers (bit for bit; tested).
 *
 * What it does not do (yet): convolutions, activations other than relu/linear, optimizers
 * other than (momentum) SGD. `sparseTrainingSupport` says why a model is refused.
 */
import * as tf from '@tensorflow/tfjs';
import type { Examples } from '../data/types';
import { ShapeError, UserError } from '../errors';
import { batchOrder } from '../data/batches';
import type { StepFilter } from '../prune/dynamic-sparse';
import type { MaskedModel } from '../prune/masked-model';
import type { GradientStepInfo, SlotOptimizer, TrainHook } from '../train/types';
import { paddedBatch, sparseWasm, type SparseWasm } from './wasm';

/** What {@link SparseMlpTrainer} can train: a chain of Dense layers (an optional Flatten first). */
export function sparseTrainingSupport(model: tf.LayersModel): string | undefined {
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
  if (!dense.length) return 'it has no Dense layer';
  for (const l of model.layers) {
    const c = l.getClassName();
    if (c === 'Flatten' || c === 'InputLayer') continue;
    if (c !== 'Dense') return `layer '${l.name}' is a ${c} (sparse training runs chains of Dense layers)`;
    const act = (l.getConfig() as { activation?: string }).activation ?? 'linear';
    if (act !== 'relu' && act !== 'linear') return `layer '${l.name}' has activation ${act} (relu or linear only)`;
  }
  const last = dense[dense.length - 1];
  if ((last.getConfig() as { activation?: string }).activation !== 'linear') return 'the last layer must output logits (linear)';
  return undefined;
}

/** Options of {@link SparseMlpTrainer}. */
export interface SparseTrainerOptions {
  /** Largest batch the trainer is sized for. */
  batchSize: number;
  /** Momentum μ (0: plain SGD). Default 0.9. */
  momentum?: number;
  /** Coupled L2 weight decay (added to the gradient, as the training loop). Default 0. */
  weightDecay?: number;
  /** Kernel instance (default: the shared one). */
  wasm?: SparseWasm;
  /**
   * Which products each layer runs: 'sparse' (CSR), 'dense' (dense kernels, masked), or
   * 'auto' (default): per layer, whichever was faster when both were timed on it at build.
   */
  products?: LayerProducts | 'auto';
}

/** The two ways a layer's products run in {@link SparseMlpTrainer}. */
export type LayerProducts = 'sparse' | 'dense';

/** A layer's product choice, with the timings behind it (`auto` only). */
export interface LayerProductsChoice {
  /** The kernel variable's name. */
  name: string;
  /** Kept fraction of the kernel. */
  density: number;
  /** What the layer runs. */
  products: LayerProducts;
  /** ms of one step's products of this layer (forward, weight gradient, input gradient) on the CSR kernels, at the trainer's batch size; absent unless timed. */
  sparseMs?: number;
  /** The same on the dense kernels. */
  denseMs?: number;
}

interface Layer {
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable;
  nIn: number;
  nOut: number;
  relu: boolean;
  wide: boolean; // 32-bit column indices
  dense: boolean; // dense products: nnz = nIn·nOut in A's order, pruned entries held at 0
  keep?: Uint8Array; // dense layers: the mask in A's order (absent: nothing pruned)
  nnz: number;
  // wasm pointers
  rowPtr: number; colIdx: number; vals: number; grad: number;
  tRowPtr: number; tColIdx: number; tVals: number;
  biasPtr: number;
  xt: number; y: number; dy: number; dyt: number;
  // JS side
  perm: Uint32Array; // tVals[q] = vals[perm[q]]
  rows: Uint32Array; cols: Uint32Array; // (o, k) of each non-zero, for scattering
  mom: Float32Array;
  biasMom: Float32Array;
  biasGrad: Float32Array;
  steps: number;
}

/** Timed break-evens of this process, by layer shape, position, batch and density (see `choose`). */
const breakEvenCache = new Map<string, { sparseMs: number; denseMs: number }>();

/** Loss and correct predictions of one step. */
export interface SparseStepResult {
  loss: number;
  correct: number;
}

/** See the module comment. */
export class SparseMlpTrainer {
  private readonly w: SparseWasm;
  private readonly layers: Layer[] = [];
  private readonly ptrs = new Set<number>();
  private readonly Bmax: number;
  private readonly Bp: number;
  private x0 = 0; // the batch input [B, in]
  private readonly momentum: number;
  private readonly weightDecay: number;
  private readonly choices: LayerProductsChoice[] = [];
  private disposed = false;

  /**
   * @param model a chain of Dense layers (see {@link sparseTrainingSupport}).
   * @param masks 0/1 masks by kernel variable name (weights without one are dense).
   * @param opts batch size, momentum, weight decay.
   */
  constructor(readonly model: tf.LayersModel, masks: ReadonlyMap<string, tf.Tensor>, opts: SparseTrainerOptions) {
    const products = opts.products ?? 'auto';
    if (products !== 'auto' && products !== 'sparse' && products !== 'dense') {
      throw new UserError(`Sparse training: products '${String(products)}' is not one of 'auto', 'sparse', 'dense'.`);
    }
    const why = sparseTrainingSupport(model);
    if (why) throw new UserError(`Sparse training: model '${model.name}' is not supported: ${why}. Train it with train() (dense products with masks).`);
    this.w = opts.wasm ?? sparseWasm();
    this.Bmax = opts.batchSize;
    this.Bp = paddedBatch(Math.max(4, opts.batchSize));
    this.momentum = opts.momentum ?? 0.9;
    this.weightDecay = opts.weightDecay ?? 0;
    try {
      const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
      // each layer's kernel values and mask, read once: the build and the product choice use them
      const read: { kernel: Float32Array; mask?: ArrayLike<number> }[] = [];
      this.x0 = this.alloc(this.Bmax * (dense[0].getWeights()[0].shape[0] as number) * 4);
      for (const l of dense) {
        const kernel = l.weights[0];
        const bias = l.weights[1];
        const [nIn, nOut] = kernel.shape as number[];
        const layer: Layer = {
          kernel, bias, nIn, nOut, relu: (l.getConfig() as { activation?: string }).activation === 'relu', wide: nIn > 0xffff || nOut > 0xffff,
          dense: opts.products === 'dense', nnz: 0, rowPtr: 0, colIdx: 0, vals: 0, grad: 0, tRowPtr: 0, tColIdx: 0, tVals: 0,
          biasPtr: this.alloc(nOut * 4), xt: this.alloc(nIn * this.Bp * 4), y: this.alloc(this.Bmax * nOut * 4),
          dy: this.alloc(this.Bmax * nOut * 4), dyt: this.alloc(nOut * this.Bp * 4),
          perm: new Uint32Array(0), rows: new Uint32Array(0), cols: new Uint32Array(0), mom: new Float32Array(0),
          biasMom: new Float32Array(nOut), biasGrad: new Float32Array(nOut), steps: 0,
        };
        this.f32(layer.biasPtr, nOut).set(bias ? bias.read().dataSync() : new Float32Array(nOut));
        this.layers.push(layer);
        read.push({ kernel: kernel.read().dataSync() as Float32Array, mask: findMask(masks, kernel)?.dataSync() });
        this.build(layer, read.at(-1)!.kernel, read.at(-1)!.mask, undefined);
      }
      this.layers.forEach((L, l) => {
        const { kernel, mask } = read[l];
        let kept = L.nIn * L.nOut;
        if (mask) { kept = 0; for (let i = 0; i < mask.length; i++) if (mask[i]) kept++; }
        const choice: LayerProductsChoice = { name: (L.kernel.read() as tf.Variable).name, density: kept / (L.nIn * L.nOut), products: L.dense ? 'dense' : 'sparse' };
        if (products === 'auto') this.choose(L, l, kernel, mask, choice);
        this.choices.push(choice);
      });
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private alloc(bytes: number): number {
    const p = this.w.heap.alloc(Math.max(16, bytes));
    this.ptrs.add(p);
    return p;
  }

  private free(p: number): void {
    if (p && this.ptrs.delete(p)) this.w.heap.release(p);
  }

  // Views are made per use: growing the wasm memory detaches older ones.
  private f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.w.exports.memory.buffer, ptr, n);
  }

  /**
   * (Re)builds a layer's CSR structures from its kernel values and mask. Values and momentum of
   * connections present before are kept (`old`: the previous (o, k) → value/momentum).
   */
  private build(L: Layer, kernel: ArrayLike<number>, mask: ArrayLike<number> | undefined, old: Map<number, [number, number]> | undefined): void {
    const { nIn, nOut } = L;
    let nnz = 0;
    if (L.dense) nnz = nIn * nOut;
    else for (let i = 0; i < nIn * nOut; i++) if (!mask || mask[i]) nnz++;
    for (const p of [L.rowPtr, L.colIdx, L.vals, L.grad, L.tRowPtr, L.tColIdx, L.tVals]) this.free(p);
    L.nnz = nnz;
    const idxBytes = L.wide ? 4 : 2;
    L.rowPtr = this.alloc((nOut + 1) * 4);
    L.colIdx = this.alloc(nnz * idxBytes);
    L.vals = this.alloc(nnz * 4);
    L.grad = this.alloc(nnz * 4);
    L.tRowPtr = this.alloc((nIn + 1) * 4);
    L.tColIdx = this.alloc(nnz * idxBytes);
    L.tVals = this.alloc(nnz * 4);
    const mem = this.w.exports.memory.buffer;
    const rowPtr = new Uint32Array(mem, L.rowPtr, nOut + 1);
    const colIdx = L.wide ? new Uint32Array(mem, L.colIdx, nnz) : new Uint16Array(mem, L.colIdx, nnz);
    const vals = new Float32Array(mem, L.vals, nnz);
    L.rows = new Uint32Array(nnz);
    L.cols = new Uint32Array(nnz);
    const mom = new Float32Array(nnz);
    L.keep = L.dense && mask ? new Uint8Array(nnz) : undefined;
    // A = Wᵀ: row o holds the kept k of column o of W ([in, out] row-major: W[k, o] at k·nOut + o);
    // a dense layer holds every k, pruned ones at zero
    let p = 0;
    for (let o = 0; o < nOut; o++) {
      rowPtr[o] = p;
      for (let k = 0; k < nIn; k++) {
        const i = k * nOut + o;
        const kept = !mask || mask[i] !== 0;
        if (!kept && !L.dense) continue;
        if (L.keep) L.keep[p] = kept ? 1 : 0;
        colIdx[p] = k;
        const prev = kept ? old?.get(i) : undefined;
        vals[p] = !kept ? 0 : prev ? prev[0] : kernel[i];
        mom[p] = prev ? prev[1] : 0;
        L.rows[p] = o;
        L.cols[p] = k;
        p++;
      }
    }
    rowPtr[nOut] = p;
    L.mom = mom;
    // Aᵀ (= W [in, out]) in CSR: row k holds the kept o, in increasing o; perm maps to A's entries
    const tRowPtr = new Uint32Array(mem, L.tRowPtr, nIn + 1);
    const tColIdx = L.wide ? new Uint32Array(mem, L.tColIdx, nnz) : new Uint16Array(mem, L.tColIdx, nnz);
    const counts = new Uint32Array(nIn + 1);
    for (let q = 0; q < nnz; q++) counts[L.cols[q] + 1]++;
    for (let k = 0; k < nIn; k++) counts[k + 1] += counts[k];
    tRowPtr.set(counts);
    const next = counts.slice(0, nIn);
    L.perm = new Uint32Array(nnz);
    for (let q = 0; q < nnz; q++) {
      const k = L.cols[q];
      const at = next[k]++;
      tColIdx[at] = L.rows[q];
      L.perm[at] = q;
    }
  }

  /**
   * Times the layer's products on the CSR and on the dense kernels at the full batch, on the
   * trainer's own buffers, and keeps the faster. CSR: best of 3 after a warm-up; dense: one run
   * first, and two more only when it is within 2× of CSR (a sparse layer's dense run is
   * 1/density times as long, and the loser's time need not be exact). The result is kept per
   * layer shape, batch and density (2% steps) for the process: later trainers of the same
   * layer (the next trial, the next epoch's trainer) reuse it. Called before any training, so
   * the buffers' contents do not matter; they are set to ones so no denormal slows a side.
   */
  private choose(L: Layer, l: number, kernel: Float32Array, mask: ArrayLike<number> | undefined, choice: LayerProductsChoice): void {
    const key = `${L.nIn}x${L.nOut}:${l > 0}:${this.Bmax}:${Math.round(choice.density * 50)}`;
    let timed = breakEvenCache.get(key);
    if (!timed) {
      this.f32(L.xt, L.nIn * this.Bp).fill(1);
      this.f32(L.dyt, L.nOut * this.Bp).fill(1);
      const once = (): number => {
        const t = performance.now();
        this.products(L, l, this.Bmax);
        return performance.now() - t;
      };
      once(); // warm-up
      const sparseMs = Math.min(once(), once(), once());
      L.dense = true;
      this.build(L, kernel, mask, undefined);
      let denseMs = once();
      if (denseMs < 2 * sparseMs) denseMs = Math.min(denseMs, once(), once());
      if (denseMs >= sparseMs) {
        L.dense = false;
        this.build(L, kernel, mask, undefined);
      }
      timed = { sparseMs, denseMs };
      breakEvenCache.set(key, timed);
    } else if (timed.denseMs < timed.sparseMs) {
      L.dense = true;
      this.build(L, kernel, mask, undefined);
    }
    Object.assign(choice, timed, { products: L.dense ? 'dense' : 'sparse' });
  }

  /**
   * A layer's products of one step: forward Y = X·W + b (from XT), the weight gradient (from
   * DYT and XT) and, above the first layer, the input gradient into the layer below's dy.
   * For timing: the step runs them with its element-wise work in between.
   */
  private products(L: Layer, l: number, B: number): void {
    this.forwardProduct(L, B);
    this.weightGradient(L);
    if (l > 0) this.inputGradient(L, this.layers[l - 1], B);
  }

  private forwardProduct(L: Layer, B: number): void {
    const e = this.w.exports;
    if (L.dense) e.denseMmT(L.vals, L.nOut, L.nIn, L.xt, this.Bp, L.y, B, L.nOut, L.biasPtr);
    else if (L.wide) e.csrSpmmT32(L.rowPtr, L.colIdx, L.vals, L.nOut, L.xt, this.Bp, L.y, B, L.nOut, L.biasPtr);
    else e.csrSpmmT16(L.rowPtr, L.colIdx, L.vals, L.nOut, L.xt, this.Bp, L.y, B, L.nOut, L.biasPtr);
  }

  /** The weight gradient at the layer's stored entries (a dense layer's pruned ones zeroed). */
  private weightGradient(L: Layer): void {
    const e = this.w.exports;
    if (L.dense) {
      e.denseGradT(L.nOut, L.nIn, L.dyt, L.xt, this.Bp, L.grad);
      if (L.keep) {
        const g = this.f32(L.grad, L.nnz), keep = L.keep;
        for (let q = 0; q < g.length; q++) if (!keep[q]) g[q] = 0;
      }
    } else if (L.wide) e.csrSddmmT32(L.rowPtr, L.colIdx, L.nOut, L.dyt, L.xt, this.Bp, L.grad);
    else e.csrSddmmT16(L.rowPtr, L.colIdx, L.nOut, L.dyt, L.xt, this.Bp, L.grad);
  }

  /** dX = dY·Wᵀ into the layer below's dy, with Aᵀ's values gathered from A's. */
  private inputGradient(L: Layer, below: Layer, B: number): void {
    const e = this.w.exports;
    const vals = this.f32(L.vals, L.nnz), tVals = this.f32(L.tVals, L.nnz);
    for (let q = 0; q < L.nnz; q++) tVals[q] = vals[L.perm[q]];
    if (L.dense) e.denseMmT(L.tVals, L.nIn, L.nOut, L.dyt, this.Bp, below.dy, B, L.nIn, 0);
    else if (L.wide) e.csrSpmmT32(L.tRowPtr, L.tColIdx, L.tVals, L.nIn, L.dyt, this.Bp, below.dy, B, L.nIn, 0);
    else e.csrSpmmT16(L.tRowPtr, L.tColIdx, L.tVals, L.nIn, L.dyt, this.Bp, below.dy, B, L.nIn, 0);
  }

  /** Per layer: sparse or dense products, and (with `products: 'auto'`) the timings behind the choice. */
  layerProducts(): LayerProductsChoice[] {
    return this.choices.map((c) => ({ ...c }));
  }

  /**
   * Replaces the masks (after a SET/RigL update): changed layers are rebuilt; kept connections
   * keep their values and momentum, new ones start at 0 with zero momentum.
   */
  setMasks(masks: ReadonlyMap<string, tf.Tensor>): void {
    this.check();
    for (const L of this.layers) {
      const m = findMask(masks, L.kernel)?.dataSync();
      if (L.dense) {
        this.remaskDense(L, m);
        continue;
      }
      const vals = this.f32(L.vals, L.nnz);
      const old = new Map<number, [number, number]>();
      let same = m !== undefined;
      for (let q = 0; q < L.nnz; q++) {
        const i = L.cols[q] * L.nOut + L.rows[q];
        old.set(i, [vals[q], L.mom[q]]);
        if (m && !m[i]) same = false;
      }
      if (same && m) {
        let n = 0;
        for (let i = 0; i < m.length; i++) n += m[i];
        if (n === L.nnz) continue; // unchanged
      }
      // a connection absent before starts at 0 (RigL's and SET's init) with zero momentum
      this.build(L, new Float32Array(L.nIn * L.nOut), m, old);
    }
  }

  /** A dense layer takes a new mask in place: entries dropped or new start at 0, with zero momentum. */
  private remaskDense(L: Layer, m: ArrayLike<number> | undefined): void {
    const vals = this.f32(L.vals, L.nnz);
    const keep = m ? new Uint8Array(L.nnz) : undefined;
    for (let q = 0; q < L.nnz; q++) {
      const now = !m || m[L.cols[q] * L.nOut + L.rows[q]] ? 1 : 0;
      const before = L.keep ? L.keep[q] : 1;
      if (!now || !before) {
        vals[q] = 0;
        L.mom[q] = 0;
      }
      if (keep) keep[q] = now;
    }
    L.keep = keep;
  }

  /** Forward and backward on a batch; gradients land in the layers' buffers. */
  private forwardBackward(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): SparseStepResult {
    if (B < 1 || B > this.Bmax) throw new ShapeError(`Sparse training: batch of ${B}; the trainer was sized for at most ${this.Bmax}.`);
    const e = this.w.exports;
    const Bp = this.Bp;
    const nIn0 = this.layers[0].nIn;
    if (x.length !== B * nIn0) throw new ShapeError(`Sparse training: the batch has ${x.length} values, expected ${B} × ${nIn0}.`);
    this.f32(this.x0, B * nIn0).set(x);
    let input = this.x0;
    for (const L of this.layers) {
      e.transposePad(input, B, L.nIn, L.xt, L.nIn, Bp);
      this.forwardProduct(L, B);
      if (L.relu) {
        const y = this.f32(L.y, B * L.nOut);
        for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0;
      }
      input = L.y;
    }
    // softmax cross-entropy, mean over the batch: dZ = (softmax − onehot) / B
    const last = this.layers[this.layers.length - 1];
    const C = last.nOut;
    const z = this.f32(last.y, B * C);
    const dz = this.f32(last.dy, B * C);
    let loss = 0, correct = 0;
    for (let b = 0; b < B; b++) {
      let max = -Infinity, arg = 0;
      for (let c = 0; c < C; c++) if (z[b * C + c] > max) { max = z[b * C + c]; arg = c; }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[b * C + c] - max);
      const label = labels[b];
      if (arg === label) correct++;
      loss += Math.log(sum) - (z[b * C + label] - max);
      for (let c = 0; c < C; c++) dz[b * C + c] = (Math.exp(z[b * C + c] - max) / sum - (c === label ? 1 : 0)) / B;
    }
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const L = this.layers[l];
      const dy = this.f32(L.dy, B * L.nOut);
      if (L.relu) {
        const y = this.f32(L.y, B * L.nOut);
        for (let i = 0; i < dy.length; i++) if (y[i] <= 0) dy[i] = 0;
      }
      L.biasGrad.fill(0);
      for (let b = 0; b < B; b++) for (let o = 0; o < L.nOut; o++) L.biasGrad[o] += dy[b * L.nOut + o];
      e.transposePad(L.dy, B, L.nOut, L.dyt, L.nOut, Bp);
      this.weightGradient(L);
      if (l > 0) this.inputGradient(L, this.layers[l - 1], B);
    }
    return { loss: loss / B, correct };
  }

  /**
   * Gradients of the mean cross-entropy on a batch, as dense tensors' values (kernels [in, out]
   * with zeros at pruned positions, biases), without updating: for tests and inspection.
   */
  gradients(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): { loss: number; kernels: Float32Array[]; biases: Float32Array[] } {
    this.check();
    const { loss } = this.forwardBackward(x, labels, B);
    const kernels = this.layers.map((L) => {
      const out = new Float32Array(L.nIn * L.nOut);
      const g = this.f32(L.grad, L.nnz);
      for (let q = 0; q < L.nnz; q++) out[L.cols[q] * L.nOut + L.rows[q]] = g[q];
      return out;
    });
    return { loss, kernels, biases: this.layers.map((L) => Float32Array.from(L.biasGrad)) };
  }

  /**
   * The dense weight gradients of the last forward/backward pass, [in, out] per layer (every
   * position, pruned ones included: RigL's grow score). Costs a dense product per layer, so it
   * is meant for mask-update steps only.
   */
  denseGradients(B: number): Float32Array[] {
    this.check();
    return this.layers.map((L) => {
      const xt = this.f32(L.xt, L.nIn * this.Bp), dyt = this.f32(L.dyt, L.nOut * this.Bp);
      const out = new Float32Array(L.nIn * L.nOut);
      for (let k = 0; k < L.nIn; k++) {
        const xo = k * this.Bp;
        for (let o = 0; o < L.nOut; o++) {
          const d = o * this.Bp;
          let s = 0;
          for (let b = 0; b < B; b++) s += xt[xo + b] * dyt[d + b];
          out[k * L.nOut + o] = s;
        }
      }
      return out;
    });
  }

  /**
   * Recomputes the weight gradients at the current non-zeros from the last pass's activations
   * and output gradients: after `setMasks` on a step whose update still applies, new connections
   * get their gradient (the dense gradient there), as in the training loop.
   */
  refreshGradients(): void {
    this.check();
    for (const L of this.layers) this.weightGradient(L);
  }

  /** Forward and backward only (no update): loss and correct count; gradients stay in the buffers. */
  computeGradients(x: ArrayLike<number>, labels: ArrayLike<number>, B: number): SparseStepResult {
    this.check();
    return this.forwardBackward(x, labels, B);
  }

  /** One optimizer step on a batch (features row-major, integer labels). */
  step(x: ArrayLike<number>, labels: ArrayLike<number>, B: number, learningRate: number): SparseStepResult {
    this.check();
    const r = this.forwardBackward(x, labels, B);
    this.update(learningRate);
    return r;
  }

  /** Applies the optimizer to the gradients of the last {@link computeGradients}. */
  update(learningRate: number): void {
    this.check();
    const mu = this.momentum, wd = this.weightDecay;
    for (const L of this.layers) {
      L.steps++;
      const first = L.steps === 1;
      const vals = this.f32(L.vals, L.nnz), g = this.f32(L.grad, L.nnz), mom = L.mom;
      for (let q = 0; q < L.nnz; q++) {
        const gq = g[q] + wd * vals[q];
        // PyTorch/our Momentum: the buffer starts as the first gradient
        const v = mu === 0 ? gq : first ? gq : mu * mom[q] + gq;
        mom[q] = v;
        vals[q] -= learningRate * v;
      }
      if (L.bias && !L.bias.trainable) continue; // a frozen bias (SNIP's pruneBiases) stays as it is
      const bias = this.f32(L.biasPtr, L.nOut);
      for (let o = 0; o < L.nOut; o++) {
        const gq = L.biasGrad[o] + wd * bias[o];
        const v = mu === 0 ? gq : first ? gq : mu * L.biasMom[o] + gq;
        L.biasMom[o] = v;
        bias[o] -= learningRate * v;
      }
    }
  }

  /** The kernel variables, in layer order (names as the masks are keyed). */
  kernelNames(): string[] {
    return this.layers.map((L) => (L.kernel.read() as tf.Variable).name);
  }

  /** Writes the trained values (zeros at pruned positions) and biases back to the model. */
  syncToModel(): void {
    this.check();
    for (const L of this.layers) {
      const k = new Float32Array(L.nIn * L.nOut);
      const vals = this.f32(L.vals, L.nnz);
      for (let q = 0; q < L.nnz; q++) k[L.cols[q] * L.nOut + L.rows[q]] = vals[q];
      const t = tf.tensor(k, [L.nIn, L.nOut]);
      L.kernel.write(t);
      t.dispose();
      if (L.bias) {
        const b = tf.tensor(Float32Array.from(this.f32(L.biasPtr, L.nOut)), [L.nOut]);
        L.bias.write(b);
        b.dispose();
      }
    }
  }

  /** Non-zeros per layer (for reports). */
  nonzeros(): number[] {
    return this.layers.map((L) => (L.keep ? L.keep.reduce((a, b) => a + b, 0) : L.nnz));
  }

  private check(): void {
    if (this.disposed) throw new UserError('Sparse trainer used after dispose().');
  }

  /** Frees the wasm memory. */
  dispose(): void {
    this.disposed = true;
    for (const p of [...this.ptrs]) this.free(p);
  }
}

/**
 * Runs the hooks that act at this step with the loop's view of it (weights written back, dense
 * gradients, an optimizer stand-in whose slot resets are the trainer's own: new connections
 * start with zero momentum anyway), then takes over the masks they changed.
 * @returns whether a hook asked to skip this step's update.
 */
function runHooks(
  hooks: readonly TrainHook[], trainer: SparseMlpTrainer, masked: MaskedModel, model: tf.LayersModel,
  step: number, epoch: number, learningRate: number, x: Float32Array, labels: Int32Array, B: number,
): boolean {
  trainer.syncToModel();
  const names = trainer.kernelNames();
  const dense = trainer.denseGradients(B);
  const optimizer: SlotOptimizer = { name: 'momentum (sparse kernels)', resetSlots: () => undefined, slots: () => new Map() };
  let skip = false;
  tf.tidy(() => {
    const shapes = names.map((n) => masked.prunable(n).shape);
    const gradients = new Map(names.map((n, i) => [n, tf.tensor(dense[i], shapes[i])]));
    const xs = tf.tensor(x, [B, x.length / B]);
    const ys = tf.oneHot(tf.tensor1d(labels.subarray(0, B), 'int32'), model.outputs[0].shape[1] as number).toFloat();
    const info: GradientStepInfo = {
      step, epoch, model, optimizer, learningRate, batch: { xs, ys, size: B }, loss: NaN, gradients,
      gradient: (name) => gradients.get(name) ?? gradients.get(names.find((n) => baseName(n) === baseName(name)) ?? ''),
      replaceUpdate: (update) => {
        if (update) throw new UserError('trainSparse: a hook replaced the update with its own function; the sparse kernels only support skipping it.');
        skip = true;
      },
    };
    for (const h of hooks) h.onGradients!(info);
  });
  trainer.setMasks(masked.masks());
  if (!skip) trainer.refreshGradients();
  return skip;
}

/** `fc1/kernel_2` → `fc1/kernel`. */
function baseName(name: string): string {
  return name.replace(/_\d+$/, '');
}

function findMask(masks: ReadonlyMap<string, tf.Tensor>, v: tf.LayerVariable): tf.Tensor | undefined {
  const name = (v.read() as tf.Variable).name;
  return masks.get(name) ?? masks.get(v.name);
}

/** Options of {@link trainSparse}. */
export interface TrainSparseOptions {
  /** Passes over the data. */
  epochs: number;
  /** Examples per step. Default 128. */
  batchSize?: number;
  /** Learning rate, or a function of the step (0-based) giving it. Default 0.01. */
  learningRate?: number | ((step: number) => number);
  /** Momentum (0: SGD). Default 0.9. */
  momentum?: number;
  /** Coupled L2 weight decay. Default 0. */
  weightDecay?: number;
  /** Seed of the shuffling. Default 0. */
  seed?: number;
  /**
   * Hooks of a dynamic sparse method (e.g. `trainingPlan(net, 'rigl', …).trainOptions.hooks`):
   * only `onGradients` is called. At a step where a hook acts (every step, unless it has
   * `activeAt`), the weights are written back to the model, the hook sees the step's dense
   * gradients, and masks it changed are taken over (changed layers rebuilt, new connections at 0).
   */
  hooks?: readonly TrainHook[];
  /** The masks' owner, required with `hooks` (the hooks change its masks). */
  masked?: MaskedModel;
  /** Per-layer products: 'auto' (default: the faster of CSR and dense, timed per layer), 'sparse' or 'dense'. */
  products?: LayerProducts | 'auto';
}

/** What {@link trainSparse} returns. */
export interface SparseTrainHistory {
  /** Per epoch: mean loss, accuracy and seconds. */
  epochs: { loss: number; accuracy: number; seconds: number }[];
  /** Steps taken. */
  steps: number;
  /** Per layer: the products it ran on and, with 'auto', the timings that chose them. */
  layers: LayerProductsChoice[];
}

/**
 * Trains a Dense chain on the sparse kernels (see the module comment) and writes the weights
 * back to the model: the same batches as `train()` with the same seed (`batchOrder`), the same
 * momentum step and weight decay, so the two reach the same weights up to float rounding.
 *
 * @param model the model; `masks` by kernel variable name (e.g. `MaskedModel.of(net).masks()`).
 */
export function trainSparse(model: tf.LayersModel, data: Examples, masks: ReadonlyMap<string, tf.Tensor>, opts: TrainSparseOptions): SparseTrainHistory {
  const batchSize = opts.batchSize ?? 128;
  const hooks = (opts.hooks ?? []).filter((h) => typeof h.onGradients === 'function');
  if (hooks.length && !opts.masked) throw new UserError('trainSparse: hooks change masks; pass their owner as masked (MaskedModel.of(net)).');
  const trainer = new SparseMlpTrainer(model, masks, { batchSize, momentum: opts.momentum, weightDecay: opts.weightDecay, products: opts.products });
  const dim = data.featureShape.reduce((a, b) => a * b, 1);
  const xb = new Float32Array(batchSize * dim);
  const yb = new Int32Array(batchSize);
  const history: SparseTrainHistory = { epochs: [], steps: 0, layers: trainer.layerProducts() };
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const t0 = Date.now();
      const order = batchOrder(data.count, { seed: opts.seed ?? 0, epoch });
      let loss = 0, correct = 0;
      for (let s = 0; s < data.count; s += batchSize) {
        const B = Math.min(batchSize, data.count - s);
        for (let b = 0; b < B; b++) {
          const i = order[s + b];
          xb.set(data.x.subarray(i * dim, (i + 1) * dim), b * dim);
          yb[b] = data.y[i];
        }
        const lr = typeof opts.learningRate === 'function' ? opts.learningRate(history.steps) : (opts.learningRate ?? 0.01);
        const xs = B === batchSize ? xb : xb.subarray(0, B * dim);
        const r = trainer.computeGradients(xs, yb, B);
        const active = hooks.filter((h) => (h as Partial<StepFilter>).activeAt?.(history.steps) ?? true);
        const skip = active.length ? runHooks(active, trainer, opts.masked!, model, history.steps, epoch, lr, xs, yb, B) : false;
        if (!skip) trainer.update(lr);
        loss += r.loss * B;
        correct += r.correct;
        history.steps++;
      }
      history.epochs.push({ loss: loss / data.count, accuracy: correct / data.count, seconds: (Date.now() - t0) / 1000 });
    }
    trainer.syncToModel();
    return history;
  } finally {
    trainer.dispose();
  }
}
