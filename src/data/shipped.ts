/**
 * Where IDX datasets come from in the Node edition: manifests and files on disk (the package's
 * `datasets/`, PRUNELAB_DATA, system directories, the download cache). The browser build
 * substitutes `shipped.browser.ts`, which fetches them from the site.
 */
import { downloadsAllowedByEnv } from './locate';
import { loadIdxDataset } from './idx-dataset';
import { readManifest } from './manifest';
import type { IdxDatasetManifest } from './manifest-check';

export { downloadsAllowedByEnv, loadIdxDataset };

/** The manifest of a dataset shipped with prunelab (`datasets/manifests/<name>.json`). */
export async function shippedManifest(name: string): Promise<IdxDatasetManifest> {
  return readManifest(name);
}
