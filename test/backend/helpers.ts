// Shared helpers for the backend tests: seeded data, running a kernel on a named backend, comparison.
import * as tf from '@tensorflow/tfjs';

/** Deterministic uniform values in [-scale, scale) (mulberry32). */
export function seededValues(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Input of a kernel run: values and shape (float32 unless dtype says otherwise). */
export interface HostTensor {
  /** Row-major values. */
  values: Float32Array | Int32Array;
  /** Tensor shape. */
  shape: number[];
}

/** Random float32 host tensor. */
export function randomHost(shape: number[], seed: number, scale = 1): HostTensor {
  return { values: seededValues(sizeOf(shape), seed, scale), shape };
}

/**
 * Runs one kernel on `backend` and returns its outputs as host arrays, disposing everything.
 * Also checks that neither tensors nor backend data ids leak.
 */
export async function runKernelOn(
  backend: string,
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: object,
): Promise<HostTensor[]> {
  await tf.setBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.engine().backend.numDataIds();
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape, v.values instanceof Int32Array ? 'int32' : 'float32');
  const out = tf.engine().runKernel(kernelName, ts, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(out) ? out : [out];
  const host = outs.map((t) => ({ values: t.dataSync().slice() as Float32Array | Int32Array, shape: t.shape }));
  tf.dispose(outs);
  tf.dispose(Object.values(ts));
  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  const leakedData = tf.engine().backend.numDataIds() - dataIdsBefore;
  if (leakedTensors !== 0 || leakedData !== 0) {
    throw new Error(`${kernelName} on ${backend} leaked ${leakedTensors} tensors / ${leakedData} data ids`);
  }
  return host;
}

/** max |a − b| / max |b| (0 when both are all zero). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Concatenates host arrays (for comparing a whole list of gradients at once). */
export function concat(arrays: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a as ArrayLike<number>, o);
    o += a.length;
  }
  return out;
}

/** Softmax cross-entropy written with plain ops, so that tfjs can differentiate it twice. */
export function twiceDifferentiableCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sub(tf.logSumExp(logits, -1), tf.sum(tf.mul(labels, logits), -1)));
}

/** Tries to activate the wasm backend; returns why it cannot, or null when it is active. */
export async function wasmUnavailableReason(): Promise<string | null> {
  try {
    require('@tensorflow/tfjs-backend-wasm');
    require('../../src/backend/wasm-kernels/index').registerMissingWasmKernels();
    if (!(await tf.setBackend('wasm'))) return 'tf.setBackend("wasm") returned false (wasm binary failed to initialise)';
    return null;
  } catch (e) {
    return `wasm backend cannot load: ${e instanceof Error ? e.message : String(e)}`;
  }
}
