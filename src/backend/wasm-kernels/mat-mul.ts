/**
 * BatchMatMul and _FusedMatMul for wasm, replacing the native kernels for speed and one bug.
 *
 * Why: tfjs-backend-wasm 4.22 runs a product on XNNPACK only when neither input is transposed
 * and both have batch size 1; anything else falls to a naive C++ triple loop, about 10× slower
 * (128×784·784×300: ~3 ms on XNNPACK, 28–40 ms with a transpose flag). Every Dense layer's
 * gradient has a flag set (dx = dy·Wᵀ, dW = xᵀ·dy), so this loop was most of a LeNet-300-100
 * training step. The naive loop also adds the fused bias at the wrong index (min(i·N + j,
 * size − 1) instead of j), so a _FusedMatMul with a bias and a transpose or a batch was wrong.
 *
 * What we do instead, always leaving XNNPACK an un-transposed, batch-1 product:
 *  - a flagged operand is transposed first with the backend's Transpose kernel ("direct"), or,
 *    when cheaper, the transposed product is computed, outᵀ = op(B)ᵀ·op(A)ᵀ, and transposed
 *    back ("swapped"). XNNPACK packs its right operand on every call (the operands of a training
 *    step are fresh tensors, so its operator cache never hits); the swapped form makes the
 *    smaller matrix the packed one. For dx = dy·Wᵀ (128×300·300×784) it copies ~176k floats
 *    instead of ~470k and is ~1.3× faster; for dW = xᵀ·dy the direct form wins. The cost model
 *    below counts floats copied (transposes and packing), which ranks both measured cases right.
 *  - a batched A times a single B folds A's batch into its rows ([b, M, K] → [b·M, K]); a single
 *    A times a batched B does the same with the transposed product.
 *  - a product with both operands batched keeps the native loop (nothing in prunelab's training
 *    path needs it fast), but its bias and activation are applied by separate kernels.
 * Nothing here goes through tf ops (see ./scope): the gradient tape never sees the temporaries.
 */
import * as tf from '@tensorflow/tfjs';
import { WASM, WasmBackendLike, WasmScope, withWasmScope } from './scope';
import { ShapeError, UserError } from '../../errors';

/** The wasm backend internals this kernel needs to call the native product directly. */
interface WasmMatMulBackend extends WasmBackendLike {
  /** Allocates an output tensor on the wasm heap. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** Per-tensor records; `id` is the tensor's handle on the C++ side. */
  dataIdMap: { get(dataId: object): { id: number } };
  /** The Emscripten module. */
  wasm: { cwrap(name: string, ret: null, argTypes: string[]): (...args: unknown[]) => void };
}

/** The activations the native fused product knows (tfjs-backend-wasm's FusableActivation enum). */
const FUSABLE_ACTIVATION: Readonly<Record<string, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  prelu: 3,
  leakyrelu: 4,
  sigmoid: 5,
  elu: 6,
};

type NativeFusedMatMul = (...args: unknown[]) => void;
/** The C++ `_FusedMatMul` entry point, wrapped once per wasm module. */
const nativeByModule = new WeakMap<object, NativeFusedMatMul>();

function nativeFusedMatMul(backend: WasmMatMulBackend): NativeFusedMatMul {
  let fn = nativeByModule.get(backend.wasm);
  if (fn === undefined) {
    // Signature of tfjs-backend-wasm 4.22's _FusedMatMul export: a id, a shape, a rank, b id,
    // b shape, b rank, transposeA, transposeB, activation, bias id, prelu id, leaky alpha, out id.
    fn = backend.wasm.cwrap(tf._FusedMatMul, null, [
      'number', 'array', 'number', 'number', 'array', 'number',
      'number', 'number', 'number', 'number', 'number', 'number', 'number',
    ]);
    nativeByModule.set(backend.wasm, fn);
  }
  return fn;
}

/** Optional fused epilogue of the product: bias, then activation. */
interface Epilogue {
  /** Rank-1 bias added to every row (or, when broadcastable, any bias shape: see applyEpilogue). */
  bias?: tf.TensorInfo;
  /** Activation name, one of FUSABLE_ACTIVATION's keys. */
  activation: string;
  /** PReLU slopes, for activation 'prelu'. */
  preluActivationWeights?: tf.TensorInfo;
  /** LeakyReLU slope, for activation 'leakyrelu'. */
  leakyreluAlpha?: number;
}

const NO_EPILOGUE: Epilogue = { activation: 'linear' };

function isIdentity(e: Epilogue): boolean {
  return e.bias === undefined && e.activation === 'linear';
}

/**
 * Calls the native product on rank-3 operands, owned by the scope. With flags off and batch 1
 * this is XNNPACK's fully-connected operator; otherwise the native naive loop (bias must then be
 * absent, see the file comment).
 */
function native(
  s: WasmScope,
  backend: WasmMatMulBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  e: Epilogue,
): tf.TensorInfo {
  const activation = FUSABLE_ACTIVATION[e.activation];
  if (activation === undefined) {
    throw new UserError(
      `_FusedMatMul on wasm: unknown activation '${e.activation}'. ` +
        `Known: ${Object.keys(FUSABLE_ACTIVATION).join(', ')}.`,
    );
  }
  const batch = Math.max(a.shape[0], b.shape[0]);
  const m = transposeA ? a.shape[2] : a.shape[1];
  const n = transposeB ? b.shape[1] : b.shape[2];
  const out = s.own(backend.makeOutput([batch, m, n], a.dtype));
  const id = (t: tf.TensorInfo | undefined) => (t === undefined ? 0 : backend.dataIdMap.get(t.dataId).id);
  const shapeBytes = (t: tf.TensorInfo) => new Uint8Array(new Int32Array(t.shape).buffer);
  nativeFusedMatMul(backend)(
    id(a), shapeBytes(a), 3, id(b), shapeBytes(b), 3,
    transposeA, transposeB, activation, id(e.bias), id(e.preluActivationWeights), e.leakyreluAlpha ?? 0, id(out),
  );
  return out;
}

/** Bias and activation as separate kernels (for the products the native loop gets wrong). */
function applyEpilogue(s: WasmScope, x: tf.TensorInfo, e: Epilogue): tf.TensorInfo {
  let y = e.bias === undefined ? x : s.run('Add', { a: x, b: e.bias });
  switch (e.activation) {
    case 'linear':
      break;
    case 'relu':
      y = s.run('Relu', { x: y });
      break;
    case 'relu6':
      y = s.run('Relu6', { x: y });
      break;
    case 'sigmoid':
      y = s.run('Sigmoid', { x: y });
      break;
    case 'elu':
      y = s.run('Elu', { x: y });
      break;
    case 'leakyrelu':
      y = s.run('LeakyRelu', { x: y }, { alpha: e.leakyreluAlpha ?? 0.2 });
      break;
    case 'prelu':
      if (e.preluActivationWeights === undefined) {
        throw new UserError("_FusedMatMul on wasm: activation 'prelu' needs preluActivationWeights.");
      }
      y = s.run('Prelu', { x: y, alpha: e.preluActivationWeights });
      break;
    default:
      throw new UserError(
        `_FusedMatMul on wasm: unknown activation '${e.activation}'. ` +
          `Known: ${Object.keys(FUSABLE_ACTIVATION).join(', ')}.`,
      );
  }
  return y;
}

/**
 * Floats copied by each way of computing op(A)·op(B) ([M, K]·[K, N]) on XNNPACK: transposes
 * plus packing of the right operand (K·N for direct, K·M for swapped) plus, for swapped, the
 * transpose of the [N, M] result.
 */
export function matMulCosts(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): { direct: number; swapped: number } {
  return {
    direct: (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n,
    swapped: (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + k * m + m * n,
  };
}

/** op(A)·op(B) for batch-1 rank-3 operands, always on XNNPACK. */
function product2d(
  s: WasmScope,
  backend: WasmMatMulBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  e: Epilogue,
): tf.TensorInfo {
  if (!transposeA && !transposeB) return native(s, backend, a, b, false, false, e);
  const m = transposeA ? a.shape[2] : a.shape[1];
  const k = transposeA ? a.shape[1] : a.shape[2];
  const n = transposeB ? b.shape[1] : b.shape[2];
  const cost = matMulCosts(m, k, n, transposeA, transposeB);
  const flip = (t: tf.TensorInfo) => s.transpose(t, [0, 2, 1]);
  // The swapped form would put the bias along rows, so a fused epilogue keeps the direct form.
  if (isIdentity(e) && cost.swapped < cost.direct) {
    const left = transposeB ? b : flip(b); // op(B)ᵀ, [1, N, K]
    const right = transposeA ? a : flip(a); // op(A)ᵀ, [1, K, M]
    return flip(native(s, backend, left, right, false, false, NO_EPILOGUE));
  }
  return native(s, backend, transposeA ? flip(a) : a, transposeB ? flip(b) : b, false, false, e);
}

/**
 * op(A)·op(B) for rank-3 operands with batch sizes that broadcast (equal, or one of them 1).
 * @returns a [batch, M, N] result owned by the scope.
 */
function product3d(
  s: WasmScope,
  backend: WasmMatMulBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  e: Epilogue,
): tf.TensorInfo {
  const [batchA] = a.shape;
  const [batchB] = b.shape;
  if (batchA === 1 && batchB === 1) return product2d(s, backend, a, b, transposeA, transposeB, e);
  if (batchB === 1) {
    // Fold A's batch into its rows: [bA, M, K] → [1, bA·M, K].
    const rows = transposeA ? s.transpose(a, [0, 2, 1]) : a;
    const [, m, k] = rows.shape;
    const out = product2d(s, backend, s.reshape(rows, [1, batchA * m, k]), b, false, transposeB, e);
    return s.reshape(out, [batchA, m, out.shape[2]]);
  }
  if (batchA === 1) {
    // Only B batched: outᵀ[i] = op(B[i])ᵀ·op(A)ᵀ has the batch on the left, so it folds too.
    const outT = product3d(s, backend, b, a, !transposeB, !transposeA, NO_EPILOGUE); // [bB, N, M]
    return applyEpilogue(s, s.transpose(outT, [0, 2, 1]), e);
  }
  // Both batched: the native loop, correct without a fused bias.
  return applyEpilogue(s, native(s, backend, a, b, transposeA, transposeB, NO_EPILOGUE), e);
}

/** Reshapes an operand of rank ≥ 2 to [batch, rows, cols]. */
function to3d(s: WasmScope, t: tf.TensorInfo): tf.TensorInfo {
  if (t.shape.length < 2) {
    throw new ShapeError(`matMul on wasm: operands need rank ≥ 2, got shape [${t.shape}]; reshape vectors to [1, n] or [n, 1].`);
  }
  if (t.shape.length === 3) return t;
  const r = t.shape.length;
  return s.reshape(t, [tf.util.sizeFromShape(t.shape.slice(0, -2)), t.shape[r - 2], t.shape[r - 1]]);
}

function checkOperands(name: string, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): number[] {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new UserError(`${name} on wasm supports float32 only, got ${a.dtype} and ${b.dtype}; cast the operands with tf.cast(x, 'float32').`);
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  const innerA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const innerB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  if (innerA !== innerB) {
    throw new ShapeError(
      `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const sizeA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const sizeB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (sizeA !== sizeB && sizeA !== 1 && sizeB !== 1) {
    // The native kernel flattens batch dims, so only whole-batch broadcasting is possible.
    throw new ShapeError(
      `${name} on wasm: batch dims [${a.shape.slice(0, -2)}] and [${b.shape.slice(0, -2)}] broadcast only when ` +
        `their sizes are equal or one of them is 1; tile the operands with tf.broadcastTo first.`,
    );
  }
  return [...outer, transposeA ? a.shape[ra - 1] : a.shape[ra - 2], transposeB ? b.shape[rb - 2] : b.shape[rb - 1]];
}

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const outShape = checkOperands('BatchMatMul', a, b, transposeA, transposeB);
  const backend = args.backend as WasmMatMulBackend;
  return withWasmScope(backend, (s) => {
    const out = product3d(s, backend, to3d(s, a), to3d(s, b), transposeA, transposeB, NO_EPILOGUE);
    return s.reshape(out, outShape);
  });
}

function fusedMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as {
    a: tf.TensorInfo;
    b: tf.TensorInfo;
    bias?: tf.TensorInfo;
    preluActivationWeights?: tf.TensorInfo;
  };
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
  const outShape = checkOperands('_FusedMatMul', a, b, transposeA, transposeB);
  if (bias != null && bias.shape.length !== 1) {
    throw new ShapeError(`_FusedMatMul on wasm supports a rank-1 bias only, got shape [${bias.shape}]; add the bias with tf.add instead.`);
  }
  const backend = args.backend as WasmMatMulBackend;
  const e: Epilogue = {
    bias: bias ?? undefined,
    activation: activation ?? 'linear',
    preluActivationWeights: preluActivationWeights ?? undefined,
    leakyreluAlpha,
  };
  return withWasmScope(backend, (s) => s.reshape(product3d(s, backend, to3d(s, a), to3d(s, b), transposeA, transposeB, e), outShape));
}

/** Registration record replacing the native wasm BatchMatMul. */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: WASM,
  kernelFunc: batchMatMul as tf.KernelFunc,
};

/** Registration record replacing the native wasm _FusedMatMul. */
export const fusedMatMulConfig: tf.KernelConfig = {
  kernelName: tf._FusedMatMul,
  backendName: WASM,
  kernelFunc: fusedMatMul as tf.KernelFunc,
};
