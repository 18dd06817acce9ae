/**
 * Mini-batches as tensors, made lazily one at a time from flat typed arrays: only the batch
 * being used exists as tensors, and the generator itself never holds any (nothing leaks if a
 * loop breaks early). Shuffling is a permutation of (seed, epoch), so a training run is
 * reproducible epoch by epoch and resuming at epoch e gives the same order as an uninterrupted run.
 */
import * as tf from '@tensorflow/tfjs';
import { featureSize } from './examples';
import { mixSeed, seededPermutation } from './random';
import type { Batch, Examples } from './types';
import { OptionError, ShapeError, UserError } from '../errors';

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Examples per batch, a positive integer. */
  batchSize: number;
  /** Visit examples in a seeded random order (default `true`); `false` keeps dataset order (evaluation). */
  shuffle?: boolean;
  /** Shuffling seed (default 0). */
  seed?: number;
  /** Epoch number (default 0): each epoch gets its own permutation of the same seed. */
  epoch?: number;
  /** Drop the last batch when it is smaller than `batchSize` (default `false`). */
  dropRemainder?: boolean;
  /**
   * Shape of one example in the produced `xs` (default `featureShape`), e.g. `[784]` for a model
   * that takes flat vectors; it must hold the same number of values as `featureShape`.
   */
  shape?: number[];
}

/**
 * Number of batches {@link batches} yields.
 *
 * @param count number of examples.
 * @param batchSize examples per batch.
 * @param dropRemainder whether a last, smaller batch is dropped.
 */
export function batchCount(count: number, batchSize: number, dropRemainder = false): number {
  return dropRemainder ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * The order in which {@link batches} visits examples in an epoch.
 *
 * @returns a permutation of `0 … count-1` determined by (seed, epoch), or the identity when
 *   `shuffle` is false.
 */
export function batchOrder(count: number, options: Pick<BatchOptions, 'shuffle' | 'seed' | 'epoch'> = {}): Int32Array {
  if (options.shuffle === false) {
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    return order;
  }
  return seededPermutation(count, mixSeed(options.seed ?? 0, options.epoch ?? 0));
}

/**
 * Yields one epoch of mini-batches. Each batch's `xs` has shape `[size, ...featureShape]` and
 * `ys` holds one-hot labels `[size, numClasses]`; whoever receives a batch disposes it
 * (`tf.dispose([b.xs, b.ys])`). Every example appears exactly once per epoch (except those in a
 * dropped remainder).
 *
 * @param examples the examples (not modified; each batch copies its rows).
 * @param options batch size, shuffling, seed, epoch, remainder handling.
 */
export function* batches(examples: Examples, options: BatchOptions): Generator<Batch, void, undefined> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new OptionError(`batchSize must be a positive integer; got ${batchSize}.`, 'batchSize');
  }
  const { count, numClasses, featureShape } = examples;
  const size = featureSize(featureShape);
  const shape = options.shape ?? featureShape;
  if (featureSize(shape) !== size) {
    throw new ShapeError(`batches: shape [${shape.join(', ')}] does not hold the ${size} values of one example (featureShape [${featureShape.join(', ')}]).`);
  }
  if (examples.x.length !== count * size || examples.y.length !== count) {
    throw new UserError(
      `batches: examples are inconsistent (x has ${examples.x.length} values, y ${examples.y.length} labels, ` +
        `count ${count}, ${size} features per example).`,
    );
  }
  const order = batchOrder(count, options);
  const n = batchCount(count, batchSize, options.dropRemainder);
  for (let b = 0; b < n; b++) {
    const start = b * batchSize;
    const rows = Math.min(batchSize, count - start);
    const xs = new Float32Array(rows * size);
    const ys = new Float32Array(rows * numClasses);
    for (let r = 0; r < rows; r++) {
      const j = order[start + r];
      xs.set(examples.x.subarray(j * size, (j + 1) * size), r * size);
      const label = examples.y[j];
      if (!(label >= 0 && label < numClasses)) {
        throw new UserError(`batches: label ${label} of example ${j} is outside [0, ${numClasses}).`);
      }
      ys[r * numClasses + label] = 1;
    }
    // Tensors are created only after all checks passed, so an error leaks nothing.
    yield {
      xs: tf.tensor(xs, [rows, ...shape], 'float32'),
      ys: tf.tensor2d(ys, [rows, numClasses], 'float32'),
      size: rows,
    };
  }
}
