/**
 * Runs other wasm kernels from inside a wasm kernel, owning the intermediate results.
 *
 * Why not `tf.*` ops: a kernel's body runs while the engine may be recording a gradient tape;
 * ops called there would be recorded too and could double-count gradients. Calling the wasm
 * backend's kernel functions directly keeps everything on the wasm heap, off the tape, and free
 * of engine bookkeeping — the same way tfjs backends compose their own kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { InternalError } from '../../errors';

/** The part of the wasm backend these kernels use (typed loosely to avoid a hard import). */
export interface WasmBackendLike {
  /** Drops one reference to a data id; frees it when no reference is left. */
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The backend name every kernel in this folder is registered for. */
export const WASM = 'wasm';

/**
 * Runs `body` with a scope whose `run` calls registered wasm kernels. Every intermediate the
 * scope produced is released when `body` returns, except the returned result; on error, all are.
 *
 * @param backend the wasm backend handed to the enclosing kernel.
 * @param body builds the result from kernel calls.
 * @returns the TensorInfo returned by `body`.
 */
export function withWasmScope(
  backend: WasmBackendLike,
  body: (s: WasmScope) => tf.TensorInfo,
): tf.TensorInfo {
  const scope = new WasmScope(backend);
  let result: tf.TensorInfo | undefined;
  try {
    result = body(scope);
    return result;
  } finally {
    scope.release(result);
  }
}

/** Calls wasm kernels and tracks their outputs for release. */
export class WasmScope {
  private readonly owned: tf.TensorInfo[] = [];

  constructor(private readonly backend: WasmBackendLike) {}

  /**
   * Runs one registered wasm kernel.
   *
   * @param kernelName a tfjs kernel name, e.g. 'Conv2D'.
   * @param inputs the kernel's named inputs.
   * @param attrs the kernel's attributes.
   * @returns the kernel's (single) output, owned by this scope.
   */
  run(kernelName: string, inputs: Record<string, tf.TensorInfo>, attrs: object = {}): tf.TensorInfo {
    const config = tf.getKernel(kernelName, WASM) as tf.KernelConfig | undefined;
    if (config === undefined) {
      throw new InternalError(
        `prunelab wasm kernels need the wasm kernel '${kernelName}', which tfjs-backend-wasm ` +
          `does not register; check the installed @tensorflow/tfjs-backend-wasm version (4.22 expected).`,
      );
    }
    const out = config.kernelFunc({
      inputs,
      backend: this.backend,
      attrs: attrs as tf.NamedAttrMap,
    }) as tf.TensorInfo;
    return this.own(out);
  }

  /** Takes ownership of a TensorInfo made outside `run` (e.g. by `backend.makeOutput`). */
  own(t: tf.TensorInfo): tf.TensorInfo {
    this.owned.push(t);
    return t;
  }

  /** Reshape without copying (wasm Reshape shares the data id). */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Permutes axes (a copy). */
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Sums over the given axes, dropping them. */
  sum(x: tf.TensorInfo, axis: number[]): tf.TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  /** A sub-box of `x`. */
  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /** Releases every owned intermediate except `keep`. */
  release(keep?: tf.TensorInfo): void {
    for (const t of this.owned) {
      if (t !== keep) this.backend.disposeData(t.dataId);
    }
    this.owned.length = 0;
  }
}

/** Crops `x` (rank 4, NHWC) to its first `h` rows and `w` columns, when it is larger. */
export function cropTopLeft(s: WasmScope, x: tf.TensorInfo, h: number, w: number): tf.TensorInfo {
  const [n, xh, xw, c] = x.shape;
  if (xh === h && xw === w) return x;
  return s.slice(x, [0, 0, 0, 0], [n, h, w, c]);
}
