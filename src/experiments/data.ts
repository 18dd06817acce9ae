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
}

const dataCache = new Map<string, Promise<Dataset>>();

/**
 * Loads (once per spec, then from memory) a dataset as `[28, 28, 1]`-style examples in [0, 1].
 * The subsets are drawn with seed 0 so that every seed and every notebook cell sees the same data.
 *
 * @param spec dataset name and subset sizes.
 */
export function experimentData(spec: DataSpec): Promise<Dataset> {
  const key = JSON.stringify([spec.dataset, spec.trainSubset ?? null, spec.testSubset ?? null]);
  let p = dataCache.get(key);
  if (!p) {
    p = loadDataset(spec.dataset, { subset: spec.trainSubset, testSubset: spec.testSubset, seed: 0 });
    // a failed load is not cached, so fixing PRUNELAB_DATA and re-running the cell works
    p.catch(() => dataCache.delete(key));
    dataCache.set(key, p);
  }
  return p;
}
