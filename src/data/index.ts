/**
 * prunelab data module: datasets by name (`loadDataset`), IDX files, checksums, seeded
 * shuffling/subsets/splits, synthetic problems and tensor mini-batches. `./core` is the part
 * that also runs in the browser edition; this module adds files, checksums and downloads.
 */
export * from './core';
export {
  parseIdx,
  readIdxFile,
  encodeIdx,
  clearIdxCache,
  type IdxFile,
} from './idx';
export { sha256Hex, sha256File, verifyFileSha256, checkSha256 } from './checksum';
export { downloadFile, type DownloadOptions, type DownloadResult } from './download';
export { readManifest, packageDatasetsDir } from './manifest';
export {
  datasetSearchPlaces,
  datasetCacheRoot,
  systemDataRoots,
  DEFAULT_SYSTEM_DATA_DIRS,
  type DataLocationOptions,
  type SearchPlace,
} from './locate';
export { loadIdxDataset, verifyIdxFile } from './idx-dataset';
