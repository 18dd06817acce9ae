/**
 * The part of prunelab's data module that runs anywhere (Node and the browser edition): dataset
 * registry and loading by name, examples, seeded randomness, normalisation, batches, synthetic
 * problems, the IDX parser. `./index` adds the Node-only file readers, checksums and downloads.
 */
export * from './types';
export * from './errors';
export { NonFiniteFeaturesError, checkFiniteFeatures, checkFiniteValues, finiteScan, type NonFiniteCount } from './finite';
export { mulberry32, mixSeed, SeededRandom, seededPermutation } from './random';
export { parseIdxContent, isGzip, type IdxArray, type IdxDataType, type IdxExpectation, type IdxTypedArray } from './idx-parse';
export { type IdxDatasetManifest, type ManifestFile, type ManifestFileVariant } from './manifest-check';
export {
  featureSize,
  validateExamples,
  selectExamples,
  stratifiedIndices,
  subsetExamples,
  trainValidationSplit,
  flattenExamples,
  classCounts,
} from './examples';
export { fitNormalization, normalizeExamples, type NormalizeMode } from './normalize';
export { batches, batchCount, batchOrder, type BatchOptions } from './batches';
export {
  makeBlobs,
  makeXor,
  makeSpirals,
  type SyntheticOptions,
  type BlobOptions,
  type SpiralOptions,
} from './synthetic';
export type { LoadDatasetOptions, SyntheticDatasetOptions, DatasetLoadContext, DatasetLoader, DatasetInfo } from './load-options';
export { loadDataset, registerDataset, unregisterDataset, listDatasets, listDatasetEntries, datasetInfo, registerIdxDataset } from './registry';
