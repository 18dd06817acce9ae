/**
 * Where the stochastic regularizers (hard-concrete gates, variational dropout) get their noise.
 * By default a seeded tfjs generator keyed by (run seed, weight, step), so a run is reproducible
 * and the same step of the same weight draws the same noise however often it is evaluated (a
 * conv layer's kernel and bias share their gate sample that way). {@link withNoiseSource} swaps
 * it, e.g. to replay noise recorded elsewhere (the PyTorch reference tests do).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../rng';

/** Noise draws by purpose, weight and step. */
export interface NoiseSource {
  /** Uniform samples in [0, 1) of `shape` for `key` (e.g. `l0:fc1/kernel`) at `step`. */
  uniform(key: string, shape: number[], step: number, seed: number): tf.Tensor;
  /** Standard normal samples of `shape` for `key` at `step`. */
  normal(key: string, shape: number[], step: number, seed: number): tf.Tensor;
}

/** The default: tfjs's seeded generators, one seed per (run seed, key, step). */
export const seededNoise: NoiseSource = {
  uniform: (key, shape, step, seed) => tf.randomUniform(shape, 0, 1, 'float32', deriveSeed(seed, `${key}@${step}`)),
  normal: (key, shape, step, seed) => tf.randomNormal(shape, 0, 1, 'float32', deriveSeed(seed, `${key}@${step}`)),
};

let current: NoiseSource = seededNoise;

/** The noise source in use. */
export function noiseSource(): NoiseSource {
  return current;
}

/**
 * Runs `fn` with another noise source (restored afterwards, also when `fn` throws or its promise
 * rejects).
 */
export async function withNoiseSource<T>(source: NoiseSource, fn: () => T | Promise<T>): Promise<T> {
  const previous = current;
  current = source ?? seededNoise;
  try {
    return await fn();
  } finally {
    current = previous;
  }
}
