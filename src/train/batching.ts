/**
 * Minimal seeded mini-batching over in-memory `Examples` (kept small and allocation-light; the
 * data module offers the general-purpose `batches`). Rows are gathered in JS into one typed array
 * per batch and uploaded once; labels become one-hot rows.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, Examples } from '../data/types';

/** Options of {@link exampleBatches}. */
export interface BatchingOptions {
  /** Examples per batch (the last batch may be smaller). */
  batchSize: number;
  /** Shuffle the order (seeded by `seed` and `epoch`). Default true. */
  shuffle?: boolean;
  /** Shuffle seed. Default 0. */
  seed?: number;
  /** Epoch number: each epoch gets its own permutation of the same seed. Default 0. */
  epoch?: number;
  /** Shape of one example in the produced `xs` (same number of values as `featureShape`). Default `featureShape`. */
  shape?: number[];
}

/** mulberry32: tiny, fast, good-enough PRNG for shuffling; returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The example order of one epoch: a seeded Fisher–Yates permutation (or identity without shuffle).
 *
 * @param count number of examples.
 * @param seed shuffle seed.
 * @param epoch epoch number (mixed into the seed so epochs differ).
 * @param shuffle whether to shuffle.
 * @returns the indices in training order.
 */
export function epochOrder(count: number, seed: number, epoch: number, shuffle = true): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (!shuffle) return order;
  const rand = mulberry32((Math.imul(Math.trunc(seed) ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Number of batches per epoch (the last one may be partial). */
export function batchCount(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/**
 * Copies the rows `order[start..end)` into one batch of tensors.
 *
 * @param examples the examples.
 * @param order example indices.
 * @param start first position in `order`.
 * @param end one past the last position.
 * @param shape shape of one example in `xs`.
 * @returns the batch; the caller disposes `xs` and `ys`.
 */
export function gatherBatch(examples: Examples, order: Int32Array, start: number, end: number, shape: number[]): Batch {
  const size = end - start;
  const d = examples.x.length / examples.count;
  const k = examples.numClasses;
  const xs = new Float32Array(size * d);
  const ys = new Float32Array(size * k);
  for (let r = 0; r < size; r++) {
    const i = order[start + r];
    xs.set(examples.x.subarray(i * d, i * d + d), r * d);
    ys[r * k + examples.y[i]] = 1;
  }
  return { xs: tf.tensor(xs, [size, ...shape], 'float32'), ys: tf.tensor2d(ys, [size, k], 'float32'), size };
}

/**
 * Yields the mini-batches of one epoch.
 *
 * @param examples the examples.
 * @param options batch size, shuffling, seed, epoch, example shape.
 * @returns a generator of batches; the consumer disposes each batch.
 */
export function* exampleBatches(examples: Examples, options: BatchingOptions): Generator<Batch> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batchSize must be a positive integer, got ${batchSize}.`);
  const shape = options.shape ?? examples.featureShape;
  const order = epochOrder(examples.count, options.seed ?? 0, options.epoch ?? 0, options.shuffle ?? true);
  for (let start = 0; start < examples.count; start += batchSize) {
    yield gatherBatch(examples, order, start, Math.min(start + batchSize, examples.count), shape);
  }
}
