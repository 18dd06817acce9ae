/**
 * Dataset manifests: `datasets/manifests/<name>.json` describes each file of an IDX dataset
 * with its SHA-256 digests, sizes and download URLs. Loaders accept a file only when its digest
 * is listed, so every number a notebook reports comes from exactly the published data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InternalError, UserError } from '../errors';

export {
  IDX_FILE_ROLES,
  checkManifest,
  validateManifest,
  type IdxFileRole,
  type ManifestFile,
  type ManifestFileVariant,
  type IdxDatasetManifest,
} from './manifest-check';
import { validateManifest, type IdxDatasetManifest } from './manifest-check';

let packageDatasetsDirCache: string | undefined;

/**
 * The `datasets/` directory shipped with prunelab (holding `manifests/` and bundled data),
 * found by walking up from this module (works from `src/` and from `build/src/`).
 */
export function packageDatasetsDir(): string {
  if (packageDatasetsDirCache) return packageDatasetsDirCache;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'datasets', 'manifests');
    if (fs.existsSync(candidate)) return (packageDatasetsDirCache = path.join(dir, 'datasets'));
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new InternalError(
        `Cannot find prunelab's datasets/manifests directory above ${__dirname}; the package is incomplete ` +
          `(reinstall it, or keep datasets/ next to build/).`,
      );
    }
    dir = parent;
  }
}

/**
 * Reads and validates `datasets/manifests/<name>.json`.
 * @param name dataset name.
 * @param manifestsDir directory of the manifests (default: the one shipped with prunelab).
 */
export function readManifest(name: string, manifestsDir = path.join(packageDatasetsDir(), 'manifests')): IdxDatasetManifest {
  const file = path.join(manifestsDir, `${name}.json`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`Cannot read the manifest of dataset '${name}' at ${file}: ${(err as Error).message}.`);
  }
  let parsed: IdxDatasetManifest;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`Invalid dataset manifest ${file}: ${(err as Error).message}.`);
  }
  return validateManifest(parsed, file);
}
