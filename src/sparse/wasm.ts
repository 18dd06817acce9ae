/**
 * The WebAssembly (SIMD) sparse kernels: loading build/wasm/sparse.wasm, a small allocator
 * over its linear memory, and `WasmSparseOperator`, which keeps one sparse matrix resident
 * in wasm memory and multiplies batches of inputs by it.
 *
 * Memory: the wasm module allocates nothing itself. Sparse matrices are copied in once
 * (when an operator is made) and stay until `dispose()`; inputs and outputs use one scratch
 * block per operator, kept between calls up to {@link SCRATCH_KEEP_BYTES} (at batch 1 the
 * allocator's bookkeeping was a measurable part of a ~10 µs call) and freed by `dispose()`. Typed-array views are always created
 * afresh after an allocation, because growing the memory detaches old views.
 */
import { SparseMatrix, convertSparse } from './formats';
import { InternalError, ShapeError, UserError } from '../errors';
import { sparseWasmBinary } from './wasm-binary';

/** The functions exported by assembly/sparse.ts. */
export interface SparseWasmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  transposePad(x: number, B: number, K: number, xt: number, Kp: number, Bp: number): void;
  im2colT(
    x: number, B: number, H: number, W: number, C: number, kh: number, kw: number, sh: number, sw: number,
    dh: number, dw: number, padTop: number, padLeft: number, Ho: number, Wo: number, xt: number, Kp: number, Np: number,
  ): void;
  csrSpmmT16(rowPtr: number, colIdx: number, vals: number, nRows: number, xt: number, Bp: number, y: number, B: number, ldy: number, bias: number): void;
  csrSpmmT32(rowPtr: number, colIdx: number, vals: number, nRows: number, xt: number, Bp: number, y: number, B: number, ldy: number, bias: number): void;
  csrSpmv16(rowPtr: number, colIdx: number, vals: number, nRows: number, x: number, y: number, bias: number): void;
  csrSpmv32(rowPtr: number, colIdx: number, vals: number, nRows: number, x: number, y: number, bias: number): void;
  packPanels16(x: number, B: number, K: number, xp: number): void;
  nmSpmmP16_16(colIdx: number, vals: number, nRows: number, per: number, xp: number, K: number, y: number, B: number, ldy: number, bias: number): void;
  nmSpmmP16_32(colIdx: number, vals: number, nRows: number, per: number, xp: number, K: number, y: number, B: number, ldy: number, bias: number): void;
  bsrSpmmT(
    blockPtr: number, blockCol: number, vals: number, nBlockRows: number, R: number, C: number, nRows: number,
    xt: number, Bp: number, y: number, B: number, ldy: number, bias: number,
  ): void;
  bsrSpmv(blockPtr: number, blockCol: number, vals: number, nBlockRows: number, R: number, C: number, nRows: number, x: number, y: number, bias: number): void;
  csrSddmmT16(rowPtr: number, colIdx: number, nRows: number, dyt: number, xt: number, Bp: number, out: number): void;
  csrSddmmT32(rowPtr: number, colIdx: number, nRows: number, dyt: number, xt: number, Bp: number, out: number): void;
  denseMmT(a: number, nRows: number, K: number, xt: number, Bp: number, y: number, B: number, ldy: number, bias: number): void;
  denseGradT(nRows: number, K: number, dyt: number, xt: number, Bp: number, out: number): void;
}

const ALIGN = 16;
const PAGE = 65536;

/** First-fit allocator over the module's linear memory (16-byte aligned blocks). */
class WasmHeap {
  private readonly free: Array<{ ptr: number; size: number }> = [];
  private top: number;
  private readonly sizes = new Map<number, number>();

  constructor(private readonly memory: WebAssembly.Memory, base: number) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      if (f.size >= size) {
        const ptr = f.ptr;
        if (f.size === size) this.free.splice(i, 1);
        else {
          f.ptr += size;
          f.size -= size;
        }
        this.sizes.set(ptr, size);
        return ptr;
      }
    }
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch (e) {
        throw new UserError(`Sparse wasm kernels: cannot grow memory to ${((end / 2 ** 20) | 0)} MiB (${(e as Error).message}); use smaller batches or the 'tfjs' implementation.`);
      }
    }
    this.top = end;
    this.sizes.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    // Insert sorted and merge neighbours, so long runs do not fragment the heap.
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    if (i + 1 < this.free.length && ptr + size === this.free[i + 1].ptr) {
      this.free[i].size += this.free[i + 1].size;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].ptr + this.free[i - 1].size === ptr) {
      this.free[i - 1].size += this.free[i].size;
      this.free.splice(i, 1);
      i--;
    }
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }

  /** Bytes currently allocated (for leak tests). */
  get allocatedBytes(): number {
    let s = 0;
    for (const v of this.sizes.values()) s += v;
    return s;
  }
}

/** A loaded instance of the kernels with its heap. */
export interface SparseWasm {
  /** The module's exports. */
  exports: SparseWasmExports;
  /** Allocator over its memory. */
  heap: WasmHeap;
}

let instance: SparseWasm | undefined;

/**
 * Instantiates the kernels from the given bytes (synchronously; the module is ~15 kB).
 * The browser test uses this with the bytes of build/wasm/sparse.wasm.
 */
export function instantiateSparseWasm(bytes: Uint8Array): SparseWasm {
  if (!WebAssembly.validate(bytes)) {
    throw new UserError('Sparse wasm kernels: the module is invalid or needs WebAssembly SIMD, which this runtime lacks.');
  }
  const mod = new WebAssembly.Module(bytes);
  const inst = new WebAssembly.Instance(mod, { env: { abort: () => { throw new InternalError('sparse wasm abort'); } } });
  const exports = inst.exports as unknown as SparseWasmExports;
  return { exports, heap: new WasmHeap(exports.memory, exports.heapBase()) };
}

/**
 * The shared kernel instance, loaded on first use.
 *
 * @throws when the kernels' binary is missing (see ./wasm-binary.ts).
 */
export function sparseWasm(): SparseWasm {
  if (instance) return instance;
  instance = instantiateSparseWasm(sparseWasmBinary());
  return instance;
}

/** True when the wasm kernels can be loaded here. */
export function sparseWasmAvailable(): boolean {
  try {
    sparseWasm();
    return true;
  } catch {
    return false;
  }
}

/** Convolution geometry for {@link WasmSparseOperator.conv2d}. */
export interface Conv2DGeometry {
  /** Kernel height. */
  kh: number;
  /** Kernel width. */
  kw: number;
  /** Stride [vertical, horizontal]. */
  strides: [number, number];
  /** Dilation [vertical, horizontal]. */
  dilations: [number, number];
  /** 'same' or 'valid' (tfjs semantics). */
  padding: 'same' | 'valid';
}

/** Output size and padding of a convolution, with the tfjs conventions. */
export function convOutputGeometry(H: number, W: number, g: Conv2DGeometry): { Ho: number; Wo: number; padTop: number; padLeft: number } {
  const ekh = (g.kh - 1) * g.dilations[0] + 1;
  const ekw = (g.kw - 1) * g.dilations[1] + 1;
  if (g.padding === 'same') {
    const Ho = Math.ceil(H / g.strides[0]);
    const Wo = Math.ceil(W / g.strides[1]);
    const padH = Math.max(0, (Ho - 1) * g.strides[0] + ekh - H);
    const padW = Math.max(0, (Wo - 1) * g.strides[1] + ekw - W);
    return { Ho, Wo, padTop: Math.floor(padH / 2), padLeft: Math.floor(padW / 2) };
  }
  return { Ho: Math.max(0, Math.ceil((H - ekh + 1) / g.strides[0])), Wo: Math.max(0, Math.ceil((W - ekw + 1) / g.strides[1])), padTop: 0, padLeft: 0 };
}

/**
 * Row stride (in floats) of the transposed input XT for a batch: the batch rounded up to 4
 * (SIMD width). From 64 columns on, 4 more: a row stride of a multiple of 256 bytes maps every
 * row the kernel reads to the same few L1 cache sets (4K aliasing), which measured 2-3× slower
 * at batch 128; the 4 extra zero columns cost ≤ 6%.
 */
export function paddedBatch(batch: number): number {
  if (batch === 1) return 1;
  const p = Math.ceil(batch / 4) * 4;
  return p >= 64 && p % 64 === 0 ? p + 4 : p;
}

type Kind = 'csr16' | 'csr32' | 'bsr';

/** Scratch blocks up to this size stay allocated between calls (larger ones are freed at once). */
export const SCRATCH_KEEP_BYTES = 4 << 20;

/** From this batch on, N:M products run on the 16-column panel kernel (below: the CSR kernels). */
const NM_PANEL_MIN_BATCH = 16;

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * A sparse matrix A [rows, cols] resident in wasm memory, computing Y = X · Aᵀ + bias for
 * X of shape [batch, cols] (a Dense layer with kernel W = Aᵀ), or a convolution whose
 * kernel, flattened to [kh·kw·cin, cout], is Aᵀ.
 *
 * COO and CSC are converted to CSR once here: they are storage / interchange formats,
 * CSR is the row-parallel compute form.
 */
export class WasmSparseOperator {
  /** [rows, cols] of A (rows = output units). */
  readonly shape: [number, number];
  private readonly w: SparseWasm;
  private readonly kind: Kind;
  private readonly ptrs: number[] = [];
  private readonly a: number; // first array (rowPtr / blockPtr / values)
  private readonly b: number; // second array (colIdx / blockCol / indices)
  private readonly c: number; // values (csr, bsr)
  private readonly bias: number;
  private readonly R: number = 1;
  private readonly C: number = 1;
  /** Rows of XT the kernel reads: cols padded to whole BSR blocks. */
  private readonly kPad: number;
  /** N:M only: entries per row (G·N), for the panel kernel; 0 for other formats. */
  private readonly nmPer: number = 0;
  /** Scratch block kept between calls (0: none) and its size in bytes. */
  private scratchPtr = 0;
  private scratchBytes = 0;
  private disposed = false;

  /**
   * @param s the sparse matrix (A = Wᵀ).
   * @param bias optional bias, one value per row of A.
   * @param w kernel instance (default: the shared one).
   */
  constructor(s: SparseMatrix, bias?: Float32Array, w: SparseWasm = sparseWasm()) {
    this.w = w;
    this.shape = [s.shape[0], s.shape[1]];
    if (bias && bias.length !== s.shape[0]) {
      throw new ShapeError(`Sparse operator: bias has ${bias.length} values but the matrix has ${s.shape[0]} output rows.`);
    }
    if (s.format === 'coo' || s.format === 'csc') s = convertSparse(s, 'csr');
    this.kPad = s.shape[1];
    try {
      switch (s.format) {
        case 'csr':
          this.kind = s.colIdx instanceof Uint16Array ? 'csr16' : 'csr32';
          this.a = this.upload(s.rowPtr);
          this.b = this.upload(s.colIdx);
          this.c = this.upload(s.values);
          break;
        case 'bsr':
          this.kind = 'bsr';
          [this.R, this.C] = s.blockShape;
          this.kPad = Math.ceil(s.shape[1] / this.C) * this.C;
          this.a = this.upload(s.blockPtr);
          this.b = this.upload(s.blockCol);
          this.c = this.upload(s.values);
          break;
        case 'nm': {
          // Every row holds exactly G·N entries; in-group positions are expanded to column
          // indices at upload (measured faster than walking groups in the kernel: fewer loop
          // levels per entry). From batch 16 on the N:M panel kernel runs on them without
          // row pointers; smaller batches, batch 1 and convolutions use the CSR kernels with
          // the implied row pointers uploaded here.
          const G = s.shape[1] / s.m;
          const per = G * s.n;
          const rowPtr = new Uint32Array(s.shape[0] + 1);
          for (let r = 0; r <= s.shape[0]; r++) rowPtr[r] = r * per;
          const colIdx = s.shape[1] <= 0x10000 ? new Uint16Array(s.values.length) : new Uint32Array(s.values.length);
          for (let q = 0; q < colIdx.length; q++) colIdx[q] = Math.floor((q % per) / s.n) * s.m + s.indices[q];
          this.kind = colIdx instanceof Uint16Array ? 'csr16' : 'csr32';
          this.nmPer = per;
          this.a = this.upload(rowPtr);
          this.b = this.upload(colIdx);
          this.c = this.upload(s.values);
          break;
        }
        default:
          throw new UserError(`Sparse operator: unsupported format '${(s as SparseMatrix).format}'.`);
      }
      this.bias = bias ? this.upload(bias) : 0;
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private upload(arr: Uint8Array | Uint16Array | Uint32Array | Float32Array): number {
    const ptr = this.w.heap.alloc(Math.max(arr.byteLength, 16));
    this.ptrs.push(ptr);
    new Uint8Array(this.w.exports.memory.buffer, ptr, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    return ptr;
  }

  private check(): void {
    if (this.disposed) throw new UserError('Sparse operator used after dispose().');
  }

  // Runs the kernel on XT (already in wasm memory, [kPad, Bp]) into y ([B, rows]).
  private run(xt: number, Bp: number, y: number, B: number): void {
    const e = this.w.exports;
    const rows = this.shape[0];
    if (Bp === 1) {
      switch (this.kind) {
        case 'csr16': return e.csrSpmv16(this.a, this.b, this.c, rows, xt, y, this.bias);
        case 'csr32': return e.csrSpmv32(this.a, this.b, this.c, rows, xt, y, this.bias);
        case 'bsr': return e.bsrSpmv(this.a, this.b, this.c, Math.ceil(rows / this.R), this.R, this.C, rows, xt, y, this.bias);
      }
    }
    switch (this.kind) {
      case 'csr16': return e.csrSpmmT16(this.a, this.b, this.c, rows, xt, Bp, y, B, rows, this.bias);
      case 'csr32': return e.csrSpmmT32(this.a, this.b, this.c, rows, xt, Bp, y, B, rows, this.bias);
      case 'bsr': return e.bsrSpmmT(this.a, this.b, this.c, Math.ceil(rows / this.R), this.R, this.C, rows, xt, Bp, y, B, rows, this.bias);
    }
  }

  /**
   * Y = X · Aᵀ + bias.
   *
   * @param x row-major [batch, cols].
   * @param batch number of rows of x.
   * @returns row-major [batch, rows] (a fresh array).
   */
  matmul(x: Float32Array, batch: number): Float32Array {
    this.check();
    const [rows, cols] = this.shape;
    if (x.length !== batch * cols) {
      throw new ShapeError(`Sparse matmul: input has ${x.length} values, expected batch ${batch} × ${cols} inputs.`);
    }
    const out = new Float32Array(batch * rows);
    if (batch === 0 || rows === 0) return out;
    const e = this.w.exports;
    if (this.nmPer > 0 && batch >= NM_PANEL_MIN_BATCH) {
      // N:M panel kernel: X copied in, packed to 16-column panels, product straight into Y.
      const panels = Math.ceil(batch / 16);
      const xpBytes = panels * 16 * cols * 4;
      const yBytes = align16(batch * rows * 4);
      const base = this.scratch(xpBytes + yBytes + x.byteLength);
      try {
        const xp = base, y = base + xpBytes, xin = y + yBytes;
        new Float32Array(e.memory.buffer, xin, x.length).set(x);
        e.packPanels16(xin, batch, cols, xp);
        const f = this.kind === 'csr16' ? e.nmSpmmP16_16 : e.nmSpmmP16_32;
        f(this.b, this.c, rows, this.nmPer, xp, cols, y, batch, rows, this.bias);
        out.set(new Float32Array(e.memory.buffer, y, batch * rows));
      } finally {
        this.scratchDone(base);
      }
      return out;
    }
    const Bp = paddedBatch(batch);
    const xtBytes = align16(this.kPad * Bp * 4);
    const yBytes = align16(batch * rows * 4);
    // Batch 1 needs no transpose: x itself (zero padded to kPad) is XT.
    const base = this.scratch(xtBytes + yBytes + (Bp === 1 ? 0 : x.byteLength));
    try {
      const xt = base, y = base + xtBytes;
      if (Bp === 1) {
        const view = new Float32Array(e.memory.buffer, xt, this.kPad);
        view.set(x);
        if (this.kPad > cols) view.fill(0, cols);
      } else {
        const xin = y + yBytes;
        new Float32Array(e.memory.buffer, xin, x.length).set(x);
        e.transposePad(xin, batch, cols, xt, this.kPad, Bp);
      }
      this.run(xt, Bp, y, batch);
      out.set(new Float32Array(e.memory.buffer, y, batch * rows));
    } finally {
      this.scratchDone(base);
    }
    return out;
  }

  /**
   * A scratch block of at least `bytes` (16-byte aligned): the operator's kept block when it
   * is big enough, else a fresh one. Pair every call with {@link scratchDone}. Views into
   * wasm memory must be made after this call (growing the memory detaches old ones).
   */
  private scratch(bytes: number): number {
    bytes = align16(Math.max(16, bytes));
    if (bytes <= this.scratchBytes) return this.scratchPtr;
    const ptr = this.w.heap.alloc(bytes);
    if (bytes <= SCRATCH_KEEP_BYTES) {
      if (this.scratchPtr) this.w.heap.release(this.scratchPtr);
      this.scratchPtr = ptr;
      this.scratchBytes = bytes;
    }
    return ptr;
  }

  /** Ends a call's use of a {@link scratch} block: frees it unless it is the kept one. */
  private scratchDone(ptr: number): void {
    if (ptr !== this.scratchPtr) this.w.heap.release(ptr);
  }

  /**
   * 2-D convolution (NHWC) by im2col + sparse product; A is the kernel [kh, kw, cin, cout]
   * flattened to [kh·kw·cin, cout] and transposed.
   *
   * @param x row-major [B, H, W, cin].
   * @param dims [B, H, W, cin].
   * @param g kernel size, strides, dilations, padding.
   * @returns the output [B, Ho, Wo, cout] and its shape.
   */
  conv2d(x: Float32Array, dims: [number, number, number, number], g: Conv2DGeometry): { data: Float32Array; shape: [number, number, number, number] } {
    this.check();
    const [B, H, W, C] = dims;
    const [rows, cols] = this.shape;
    if (g.kh * g.kw * C !== cols) {
      throw new ShapeError(`Sparse conv2d: kernel ${g.kh}×${g.kw} over ${C} input channels needs ${g.kh * g.kw * C} columns, the sparse kernel has ${cols}.`);
    }
    if (x.length !== B * H * W * C) throw new ShapeError(`Sparse conv2d: input has ${x.length} values, expected ${B}×${H}×${W}×${C}.`);
    const { Ho, Wo, padTop, padLeft } = convOutputGeometry(H, W, g);
    const N = B * Ho * Wo;
    const data = new Float32Array(N * rows);
    const shape: [number, number, number, number] = [B, Ho, Wo, rows];
    if (N === 0 || rows === 0) return { data, shape };
    const e = this.w.exports;
    const Np = paddedBatch(N);
    const xtBytes = align16(this.kPad * Np * 4);
    const yBytes = align16(N * rows * 4);
    const base = this.scratch(xtBytes + yBytes + x.byteLength);
    try {
      const xt = base, y = base + xtBytes, xin = y + yBytes;
      new Float32Array(e.memory.buffer, xin, x.length).set(x);
      e.im2colT(xin, B, H, W, C, g.kh, g.kw, g.strides[0], g.strides[1], g.dilations[0], g.dilations[1], padTop, padLeft, Ho, Wo, xt, this.kPad, Np);
      this.run(xt, Np, y, N);
      data.set(new Float32Array(e.memory.buffer, y, N * rows));
    } finally {
      this.scratchDone(base);
    }
    return { data, shape };
  }

  /** Frees the matrix's wasm memory; the operator cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.ptrs) this.w.heap.release(p);
    this.ptrs.length = 0;
    if (this.scratchPtr) this.w.heap.release(this.scratchPtr);
    this.scratchPtr = 0;
    this.scratchBytes = 0;
  }
}
