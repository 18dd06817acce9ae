/**
 * Options of `loadDataset` and what a registered loader receives.
 */
import type { DataLocationOptions } from './locate';
import type { NormalizeMode } from './normalize';
import type { Dataset } from './types';

/** Sizes and shape of generated datasets (`blobs`, `xor`, `spirals`); ignored by file-based ones. */
export interface SyntheticDatasetOptions {
  /** Training examples to generate (default 1000). */
  trainCount?: number;
  /** Test examples to generate (default 500). */
  testCount?: number;
  /** Number of classes, for generators that support it (blobs, spirals). */
  numClasses?: number;
  /** Features per example, ≥ 2 (default 2); features beyond the second are noise. */
  dims?: number;
  /** Noise level of the generator (see `makeBlobs`, `makeXor`, `makeSpirals`). */
  noise?: number;
}

/** Options of `loadDataset`. */
export interface LoadDatasetOptions extends DataLocationOptions {
  /** Keep only this many training examples: a seeded, class-stratified subset (before the validation split). */
  subset?: number;
  /** Keep only this many test examples (seeded, class-stratified), e.g. for quick notebook runs. */
  testSubset?: number;
  /** Carve this fraction of the (subset) training examples out as `validation`, seeded and stratified. */
  validationFraction?: number;
  /** Seed for subset, split and generated data (default 0). */
  seed?: number;
  /**
   * Feature normalisation with training statistics (default: the dataset's own default,
   * `unit` for images, i.e. floats in [0, 1]; `none` for generated data). See `normalize.ts`.
   */
  normalize?: NormalizeMode;
  /** Flatten each example's features to one dimension (`[784]` instead of `[28, 28, 1]`). */
  flatten?: boolean;
  /**
   * Download missing files from the manifest's URLs into the cache (with SHA-256 check).
   * Default: true unless env `PRUNELAB_OFFLINE` is set.
   */
  download?: boolean;
  /** Sizes and shape of generated datasets. */
  synthetic?: SyntheticDatasetOptions;
}

/** The option names `loadDataset` accepts (an unknown key is reported, catching typos). */
export const LOAD_OPTION_KEYS: readonly (keyof LoadDatasetOptions)[] = [
  'subset',
  'testSubset',
  'validationFraction',
  'seed',
  'normalize',
  'flatten',
  'download',
  'synthetic',
  'dataDir',
  'cacheDir',
  'systemDataDirs',
];

/** What a dataset loader receives: the subset of the options that concerns finding or making the raw data. */
export interface DatasetLoadContext extends DataLocationOptions {
  /** The registry name being loaded. */
  name: string;
  /** The seed (for generated data). */
  seed: number;
  /** Whether downloading is allowed. */
  download: boolean;
  /** Generator settings (for generated data). */
  synthetic: SyntheticDatasetOptions;
}

/**
 * Produces a dataset's raw splits. `loadDataset` then applies subset, split, normalisation and
 * flattening, so a loader only finds or makes the data. The returned arrays become owned by
 * `loadDataset` (which may normalise them in place): return fresh arrays, not cached ones.
 * Declare `featureRange` when the natural value range is known (e.g. `[0, 255]`).
 */
export type DatasetLoader = (context: DatasetLoadContext) => Dataset | Promise<Dataset>;

/** Facts about a registered dataset. */
export interface DatasetInfo {
  /** One-line description, shown by `listDatasets`-style displays. */
  description?: string;
  /** Normalisation used when the caller gives none (default `unit`). */
  defaultNormalize?: NormalizeMode;
}
