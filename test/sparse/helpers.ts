// Shared helpers for the sparse-core tests: a seeded generator and float64 references.
import { mulberry32 } from '../../src/data/random';
import * as tf from '@tensorflow/tfjs';

/** The project's seeded PRNG (mulberry32), floats in [0, 1). */
export const rng = (seed: number): (() => number) => mulberry32(seed);

/** Uniform values in [-1, 1). */
export function randn(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

/** A 0/1 mask keeping each entry with probability 1 - sparsity. */
export function randomMask(n: number, sparsity: number, r: () => number): Float32Array {
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = r() >= sparsity ? 1 : 0;
  return m;
}

/** y = x · Aᵀ + b in float64, x [B, cols], A [rows, cols] dense row-major. */
export function refMatMulT(x: Float32Array, B: number, a: Float32Array, rows: number, cols: number, bias?: Float32Array): Float64Array {
  const y = new Float64Array(B * rows);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < rows; o++) {
      let s = bias ? bias[o] : 0;
      for (let k = 0; k < cols; k++) s += x[b * cols + k] * a[o * cols + k];
      y[b * rows + o] = s;
    }
  }
  return y;
}

/** max |y - ref| / max(|ref|, 1e-6): the error relative to the output's scale. */
export function relErr(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (y.length !== ref.length) throw new Error(`length ${y.length} vs ${ref.length}`);
  let d = 0;
  let m = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(y[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / Math.max(m, 1e-6);
}

/** Runs fn and asserts that it neither leaks nor frees tensors. */
export function noLeak<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  const out = fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak: ${before} -> ${after}`);
  return out;
}
