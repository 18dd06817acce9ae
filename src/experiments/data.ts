/** The data of an experiment: a dataset and its seeded subsets, loaded once per spec and shared by all seeds. */
import { loadDataset } from '../data/core';
import type { Dataset } from '../data/types';

/** Which data an experiment uses. */
export interface DataSpec {
  /** Registry name, e.g. `mnist`, `fashion-mnist`. */
  dataset: string;
  /** Training examples to keep (seeded, stratified; all when omitted). */
  trainSubset?: number;
  /** Test examples to keep (seeded, stratified; all when omitted). */
  testSubset?: number;
  /**
   * Input scaling (default `unit`, [0, 1]): `symmetric` is [−1, 1], torchvision's
   * `Normalize((0.5,), (0.5,))` with which papers' checkpoints were often trained.
   */
  normalize?: DataNormalize;
}

/** The input scalings an experiment can ask for (see {@link DataSpec.normalize}). */
export const DATA_NORMALIZE = ['unit', 'symmetric', 'standardize'] as const;
export type DataNormalize = (typeof DATA_NORMALIZE)[number];

/**
 * The spec without its defaults (`normalize: 'unit'` left out), for cache keys: specs written
 * before a field existed keep their keys, and two spellings of the same data share one.
 */
export function dataSpecKey(spec: DataSpec): { dataset: string; trainSubset: number | null; testSubset: number | null; normalize?: DataNormalize } {
  return {
    dataset: spec.dataset,
    trainSubset: spec.trainSubset ?? null,
    testSubset: spec.testSubset ?? null,
    ...(spec.normalize !== undefined && spec.normalize !== 'unit' ? { normalize: spec.normalize } : {}),
  };
}

const dataCache = new Map<string, Promise<Dataset>>();

/**
 * Loads (once per spec, then from memory) a dataset as `[28, 28, 1]`-style examples in [0, 1]
 * (or as `normalize` says).
 * The subsets are drawn with seed 0 so that every seed and every notebook cell sees the same data.
 *
 * @param spec dataset name and subset sizes.
 */
export function experimentData(spec: DataSpec): Promise<Dataset> {
  const key = JSON.stringify(dataSpecKey(spec));
  let p = dataCache.get(key);
  if (!p) {
    p = loadDataset(spec.dataset, { subset: spec.trainSubset, testSubset: spec.testSubset, seed: 0, ...(spec.normalize ? { normalize: spec.normalize } : {}) });
    // a failed load is not cached, so fixing PRUNELAB_DATA and re-running the cell works
    p.catch(() => dataCache.delete(key));
    dataCache.set(key, p);
  }
  return p;
}
