/**
 * Data contracts shared by loaders, the training loop and the kernel.
 * Examples are kept as flat typed arrays (cheap to slice, shuffle and subset) and become
 * tensors only batch by batch.
 */

/** A set of labelled examples held in memory. */
export interface Examples {
  /** Features, row-major: `count × product(featureShape)` float32 values. */
  x: Float32Array;
  /** Integer class labels in `[0, numClasses)`, one per example. */
  y: Int32Array;
  /** Number of examples. */
  count: number;
  /** Shape of one example, e.g. `[28, 28, 1]` for MNIST images or `[2]` for 2-D points. */
  featureShape: number[];
  /** Number of classes. */
  numClasses: number;
}

/** A named dataset with its splits. */
export interface Dataset {
  /** Registry name, e.g. `fashion-mnist`. */
  name: string;
  /** Training examples. */
  train: Examples;
  /** Held-out test examples. */
  test: Examples;
  /** Optional validation split carved from `train` (see `trainValidationSplit`). */
  validation?: Examples;
  /** Human-readable class names, `numClasses` of them. */
  classNames: string[];
  /** Where the data came from (a directory, `generated`, ...), for reports. */
  source: string;
  /**
   * Natural range of the raw feature values, e.g. `[0, 255]` for byte images. Set by loaders;
   * `normalize: 'unit'` maps this range to `[0, 1]` (without it, per-feature min/max of `train`).
   */
  featureRange?: [number, number];
  /**
   * How `loadDataset` transformed the raw features (`x' = (x - offset) / scale`), so that new
   * inputs (e.g. a user's drawing) can be prepared the same way. Absent when nothing was done.
   */
  normalization?: Normalization;
}

/** A feature normalisation `x' = (x - offset) / scale`, with statistics taken from the training split. */
export interface Normalization {
  /** The mode asked for: `unit` maps to `[0, 1]`, `symmetric` to `[−1, 1]`, `standardize` to zero mean and unit variance. */
  mode: 'unit' | 'symmetric' | 'standardize';
  /** `global`: one offset/scale for all features (images); `perFeature`: one per feature. */
  scope: 'global' | 'perFeature';
  /** Subtracted first; one value (`global`) or one per feature. */
  offset: number[];
  /** Divided by afterwards; one value (`global`) or one per feature; never 0. */
  scale: number[];
}

/** One mini-batch as tensors; whoever receives it disposes it. */
export interface Batch {
  /** Inputs, shape `[size, ...featureShape]`, float32. */
  xs: import('@tensorflow/tfjs').Tensor;
  /** One-hot labels, shape `[size, numClasses]`, float32. */
  ys: import('@tensorflow/tfjs').Tensor2D;
  /** Number of examples in this batch (the last batch of an epoch may be smaller). */
  size: number;
}
