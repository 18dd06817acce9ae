/**
 * prunelab data module: datasets by name (`loadDataset`), IDX files, checksums, seeded
 * shuffling/subsets/splits, synthetic problems and tensor mini-batches.
 */
export * from './types';
export * from './errors';
export { NonFiniteFeaturesError, checkFiniteFeatures, checkFiniteValues, finiteScan, type NonFiniteCount } from './finite';
export { mulberry32, mixSeed, SeededRandom, seededPermutation } from './random';
export {
  parseIdx,
  parseIdxContent,
  readIdxFile,
  encodeIdx,
  isGzip,
  clearIdxCache,
  type IdxArray,
  type IdxDataType,
  type IdxExpectation,
  type IdxFile,
  type IdxTypedArray,
} from './idx';
export { sha256Hex, sha256File, verifyFileSha256, checkSha256 } from './checksum';
export { downloadFile, type DownloadOptions, type DownloadResult } from './download';
export {
  readManifest,
  packageDatasetsDir,
  type IdxDatasetManifest,
  type ManifestFile,
  type ManifestFileVariant,
} from './manifest';
export {
  datasetSearchPlaces,
  datasetCacheRoot,
  systemDataRoots,
  DEFAULT_SYSTEM_DATA_DIRS,
  type DataLocationOptions,
  type SearchPlace,
} from './locate';
export { loadIdxDataset, verifyIdxFile } from './idx-dataset';
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
