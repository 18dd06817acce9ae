/**
 * One sparse-kernel API, two implementations:
 * - 'wasm': the WebAssembly SIMD kernels (./wasm.ts), for the `cpu`, `wasm` and `tensorflow`
 *   backends — data leaves tfjs, is multiplied in wasm memory, and comes back as a tensor;
 * - 'tfjs': tfjs ops (./tfjs-ops.ts: padded rows by gather + row sum, else gather + segment
 *   sum), for any backend including the GPU ones, where downloading to wasm would cost more
 *   than it saves.
 * 'auto' picks 'wasm' on cpu / wasm / tensorflow when the kernels are built, else 'tfjs'.
 *
 * Layer kernels are stored transposed (A = Wᵀ, rows = output units): see ./formats.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { denseToSparse, SparseFormat, SparseMatrix, sparseToDense, ToSparseOptions } from './formats';
import { TfjsSparseOperator } from './tfjs-ops';
import { Conv2DGeometry, sparseWasmAvailable, WasmSparseOperator } from './wasm';
import { OptionError, ShapeError, UserError } from '../errors';

/** Which implementation runs a sparse product. */
export type SparseImpl = 'auto' | 'wasm' | 'tfjs';
const IMPLS: readonly SparseImpl[] = ['auto', 'wasm', 'tfjs'];

/** Backends on which the wasm kernels are the fast path (data already lives in CPU memory). */
const CPU_BACKENDS = ['cpu', 'wasm', 'tensorflow'];

/**
 * Resolves 'auto' for the active backend.
 *
 * @param impl requested implementation.
 * @returns 'wasm' or 'tfjs'.
 */
export function resolveSparseImpl(impl: SparseImpl = 'auto'): 'wasm' | 'tfjs' {
  if (!IMPLS.includes(impl)) throw new OptionError(`Unknown sparse implementation '${impl}'. Known: ${IMPLS.join(', ')}.`, 'impl');
  if (impl !== 'auto') return impl;
  return CPU_BACKENDS.includes(tf.getBackend()) && sparseWasmAvailable() ? 'wasm' : 'tfjs';
}

/** Options of {@link kernelToSparse}. */
export interface KernelToSparseOptions extends Omit<ToSparseOptions, 'mask'> {
  /** 0/1 mask of the kernel's shape; default: the kernel's non-zero entries. */
  mask?: tf.Tensor;
}

/**
 * Stores a layer kernel sparsely, transposed: a kernel of shape [..., out] (Dense [in, out],
 * Conv2D [kh, kw, cin, out]) becomes A [out, prod(...)] with A = reshape(kernel, [-1, out])ᵀ.
 *
 * @param kernel the weight tensor (float32).
 * @param format target format.
 * @param opts mask (same shape as the kernel), BSR block, N:M.
 * @returns the sparse A; masked-out entries are not stored.
 * @throws on a dtype or shape mismatch between kernel and mask.
 */
export function kernelToSparse(kernel: tf.Tensor, format: SparseFormat, opts: KernelToSparseOptions = {}): SparseMatrix {
  if (kernel.dtype !== 'float32') throw new UserError(`kernelToSparse: kernel dtype is ${kernel.dtype}; sparse kernels hold float32 weights.`);
  if (kernel.rank < 2) throw new ShapeError(`kernelToSparse: kernel of rank ${kernel.rank}; need a Dense [in, out] or Conv2D [kh, kw, cin, out] kernel.`);
  const { mask, ...rest } = opts;
  if (mask && !tf.util.arraysEqual(mask.shape, kernel.shape)) {
    throw new ShapeError(`kernelToSparse: mask shape [${mask.shape.join(', ')}] differs from kernel shape [${kernel.shape.join(', ')}]; pass this weight's mask.`);
  }
  const out = kernel.shape[kernel.rank - 1];
  const inner = kernel.size / Math.max(1, out);
  const [a, m] = tf.tidy(() => [
    tf.transpose(tf.reshape(kernel, [inner, out])).dataSync() as Float32Array,
    mask ? (tf.transpose(tf.reshape(mask, [inner, out])).dataSync() as Float32Array) : undefined,
  ]);
  return denseToSparse(a, [out, inner], format, { ...rest, mask: m });
}

/**
 * Inverse of {@link kernelToSparse}: the dense kernel tensor.
 *
 * @param a sparse A [out, inner].
 * @param kernelShape the layer kernel's shape ([..., out]).
 */
export function sparseToKernel(a: SparseMatrix, kernelShape: number[]): tf.Tensor {
  const out = kernelShape[kernelShape.length - 1];
  const inner = kernelShape.reduce((x, y) => x * y, 1) / Math.max(1, out);
  if (a.shape[0] !== out || a.shape[1] !== inner) {
    throw new ShapeError(`sparseToKernel: sparse shape [${a.shape.join(', ')}] does not fit kernel shape [${kernelShape.join(', ')}].`);
  }
  return tf.tidy(() => tf.reshape(tf.transpose(tf.tensor2d(sparseToDense(a), [out, inner])), kernelShape));
}

/** Options of the sparse layer operators. */
export interface SparseOpOptions {
  /** Bias, one value per output unit. */
  bias?: Float32Array | tf.Tensor;
  /** Implementation (default 'auto'). */
  impl?: SparseImpl;
}

/** The tfjs wasm backend's accessors used by {@link tensorValues} (not in its public types). */
interface WasmBackendHeap {
  typedArrayFromHeap?: (t: tf.TensorInfo) => ArrayBufferView;
  dataIdMap?: { has(dataId: object): boolean };
}

/**
 * A float32 tensor's values for the wasm kernels, read without a copy where possible: on the
 * tfjs wasm backend, a view into its heap (`dataSync` would allocate and copy, a measurable
 * share of a ~10 µs batch-1 product); elsewhere `dataSync()` (no copy on cpu). The view is
 * valid only until the next tfjs op (a heap growth detaches it): use it at once.
 *
 * @param x a float32 tensor.
 * @returns its values, row-major.
 */
function tensorValues(x: tf.Tensor): Float32Array {
  if (tf.getBackend() === 'wasm') {
    const be = tf.backend() as unknown as WasmBackendHeap;
    if (typeof be.typedArrayFromHeap === 'function' && be.dataIdMap?.has(x.dataId)) {
      const v = be.typedArrayFromHeap(x);
      if (v instanceof Float32Array && v.length === x.size) return v;
    }
  }
  return x.dataSync() as Float32Array;
}

function biasArray(bias: Float32Array | tf.Tensor | undefined, rows: number): Float32Array | undefined {
  if (bias === undefined) return undefined;
  const b = bias instanceof Float32Array ? bias : (bias.dataSync() as Float32Array);
  if (b.length !== rows) throw new ShapeError(`Sparse operator: bias has ${b.length} values, the layer has ${rows} output units.`);
  return b;
}

/**
 * A Dense layer's product on a sparse kernel: y = x · W + b with A = Wᵀ stored sparsely.
 * Holds wasm memory or tensors: call `dispose()`.
 */
export class SparseLinear {
  /** The implementation in use. */
  readonly impl: 'wasm' | 'tfjs';
  /** [out, in]. */
  readonly shape: [number, number];
  private readonly wasmOp?: WasmSparseOperator;
  private readonly tfjsOp?: TfjsSparseOperator;

  /**
   * @param a the sparse kernel A = Wᵀ [out, in].
   * @param opts bias and implementation.
   */
  constructor(a: SparseMatrix, opts: SparseOpOptions = {}) {
    this.impl = resolveSparseImpl(opts.impl);
    this.shape = [a.shape[0], a.shape[1]];
    const b = biasArray(opts.bias, a.shape[0]);
    if (this.impl === 'wasm') this.wasmOp = new WasmSparseOperator(a, b);
    else this.tfjsOp = new TfjsSparseOperator(tf, a, b);
  }

  /**
   * @param x [batch, in], float32.
   * @returns [batch, out].
   */
  apply(x: tf.Tensor): tf.Tensor2D {
    const [out, inn] = this.shape;
    if (x.rank !== 2 || x.shape[1] !== inn) {
      throw new ShapeError(`Sparse Dense: input shape [${x.shape.join(', ')}] does not match the kernel's ${inn} inputs; expected [batch, ${inn}].`);
    }
    if (x.dtype !== 'float32') throw new UserError(`Sparse Dense: input dtype ${x.dtype}; expected float32.`);
    if (this.tfjsOp) return this.tfjsOp.matMul(x as tf.Tensor2D);
    const B = x.shape[0];
    // engine().makeTensor: the same tensor as tf.tensor2d without re-validating a typed
    // array we just made (about half of tensor2d's cost at batch 1).
    return tf.engine().makeTensor(this.wasmOp!.matmul(tensorValues(x), B), [B, out], 'float32') as tf.Tensor2D;
  }

  /** Frees the operator's memory. */
  dispose(): void {
    this.wasmOp?.dispose();
    this.tfjsOp?.dispose();
  }
}

/** Geometry of a sparse convolution (NHWC, tfjs conventions). */
export interface SparseConvGeometry {
  /** Kernel [height, width]. */
  kernelSize: [number, number];
  /** Strides [vertical, horizontal]; default [1, 1]. */
  strides?: [number, number];
  /** Dilations [vertical, horizontal]; default [1, 1]. */
  dilations?: [number, number];
  /** 'same' or 'valid'; default 'valid'. */
  padding?: 'same' | 'valid';
}

/**
 * A Conv2D layer on a sparse kernel: im2col + sparse product (A = kernel flattened to
 * [kh·kw·cin, cout], transposed). Call `dispose()`.
 */
export class SparseConv2D {
  /** The implementation in use. */
  readonly impl: 'wasm' | 'tfjs';
  private readonly geom: Conv2DGeometry;
  private readonly wasmOp?: WasmSparseOperator;
  private readonly tfjsOp?: TfjsSparseOperator;
  private readonly cols: number;

  /**
   * @param a sparse A [cout, kh·kw·cin].
   * @param g kernel size, strides, dilations, padding.
   * @param opts bias and implementation.
   */
  constructor(a: SparseMatrix, g: SparseConvGeometry, opts: SparseOpOptions = {}) {
    const padding = g.padding ?? 'valid';
    if (padding !== 'same' && padding !== 'valid') throw new OptionError(`Sparse Conv2D: padding '${padding as string}' unsupported; use 'same' or 'valid'.`, 'padding');
    this.geom = { kh: g.kernelSize[0], kw: g.kernelSize[1], strides: g.strides ?? [1, 1], dilations: g.dilations ?? [1, 1], padding };
    if (a.shape[1] % (this.geom.kh * this.geom.kw) !== 0) {
      throw new ShapeError(`Sparse Conv2D: ${a.shape[1]} kernel columns are not a multiple of kernel size ${this.geom.kh}×${this.geom.kw}.`);
    }
    this.cols = a.shape[1];
    this.impl = resolveSparseImpl(opts.impl);
    const b = biasArray(opts.bias, a.shape[0]);
    if (this.impl === 'wasm') this.wasmOp = new WasmSparseOperator(a, b);
    else this.tfjsOp = new TfjsSparseOperator(tf, a, b);
  }

  /**
   * @param x [batch, H, W, cin], float32.
   * @returns [batch, Ho, Wo, cout].
   */
  apply(x: tf.Tensor): tf.Tensor4D {
    const cin = this.cols / (this.geom.kh * this.geom.kw);
    if (x.rank !== 4 || x.shape[3] !== cin) {
      throw new ShapeError(`Sparse Conv2D: input shape [${x.shape.join(', ')}] does not match; expected [batch, H, W, ${cin}] (NHWC).`);
    }
    if (x.dtype !== 'float32') throw new UserError(`Sparse Conv2D: input dtype ${x.dtype}; expected float32.`);
    if (this.tfjsOp) return this.tfjsOp.conv2d(x as tf.Tensor4D, this.geom);
    const r = this.wasmOp!.conv2d(tensorValues(x), x.shape as [number, number, number, number], this.geom);
    return tf.engine().makeTensor(r.data, r.shape, 'float32') as tf.Tensor4D;
  }

  /** Frees the operator's memory. */
  dispose(): void {
    this.wasmOp?.dispose();
    this.tfjsOp?.dispose();
  }
}

/**
 * One-shot y = x · Aᵀ (+ bias): prepares an operator, runs it, frees it.
 * For repeated products keep a {@link SparseLinear}.
 *
 * @param x [batch, cols].
 * @param a sparse A [rows, cols] (for a Dense kernel W: A = Wᵀ).
 * @param opts bias and implementation.
 * @returns [batch, rows].
 */
export function sparseMatMul(x: tf.Tensor, a: SparseMatrix, opts: SparseOpOptions = {}): tf.Tensor2D {
  const op = new SparseLinear(a, opts);
  try {
    return op.apply(x);
  } finally {
    op.dispose();
  }
}
