/**
 * Where dataset files are looked for, in order:
 *
 * 1. `options.dataDir`, else the directory named by env `PRUNELAB_DATA`: first its `<name>/`
 *    subfolder, then the directory itself;
 * 2. the user cache, `$XDG_CACHE_HOME/prunelab/datasets/<name>` (default `~/.cache/...`), or
 *    `options.cacheDir/<name>`; downloads go there too;
 * 3. system directories, `/usr/share/datasets/<name>` (Debian's `dataset-*` packages), or
 *    `options.systemDataDirs` / env `PRUNELAB_SYSTEM_DATA_DIRS` (colon-separated);
 * 4. for datasets shipped with prunelab, its own `datasets/<name>`.
 *
 * No path of any particular machine is hard-coded beyond the Debian convention.
 */
import * as os from 'os';
import * as path from 'path';

/** Debian's `dataset-*` packages install under `/usr/share/datasets/<name>`. */
export const DEFAULT_SYSTEM_DATA_DIRS: readonly string[] = ['/usr/share/datasets'];

/** Options that change where files are looked for (a subset of `LoadDatasetOptions`). */
export interface DataLocationOptions {
  /** Directory holding `<name>/` or the files themselves; overrides env `PRUNELAB_DATA`. */
  dataDir?: string;
  /** Root of the download cache (files go to `<cacheDir>/<name>/`); default `$XDG_CACHE_HOME/prunelab/datasets`. */
  cacheDir?: string;
  /** System-wide roots searched for `<name>/`; default env `PRUNELAB_SYSTEM_DATA_DIRS` or `/usr/share/datasets`. */
  systemDataDirs?: string[];
}

/** One place searched for a dataset's files. */
export interface SearchPlace {
  /** The directory. */
  dir: string;
  /** Why it is searched, e.g. `PRUNELAB_DATA/<name>` (shown in errors). */
  label: string;
  /**
   * Whether the directory is meant for this dataset only (`<root>/<name>`). A checksum failure
   * in a generic directory is expected when it holds another dataset with the same file names
   * (MNIST and Fashion-MNIST share them), so it is not warned about.
   */
  specific: boolean;
}

/** The root of prunelab's dataset cache: `options.cacheDir`, or `$XDG_CACHE_HOME/prunelab/datasets`, or `~/.cache/prunelab/datasets`. */
export function datasetCacheRoot(options: DataLocationOptions = {}): string {
  if (options.cacheDir) return path.resolve(options.cacheDir);
  const xdg = process.env.XDG_CACHE_HOME;
  // XDG says relative values are invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'prunelab', 'datasets');
}

/** The system data roots: `options.systemDataDirs`, or env `PRUNELAB_SYSTEM_DATA_DIRS` (colon-separated, may be empty), or `/usr/share/datasets`. */
export function systemDataRoots(options: DataLocationOptions = {}): string[] {
  if (options.systemDataDirs) return options.systemDataDirs.map((d) => path.resolve(d));
  const env = process.env.PRUNELAB_SYSTEM_DATA_DIRS;
  if (env !== undefined) return env.split(path.delimiter).filter(Boolean).map((d) => path.resolve(d));
  return [...DEFAULT_SYSTEM_DATA_DIRS];
}

/**
 * Every directory searched for dataset `name`, in search order.
 *
 * @param name the dataset's registry name.
 * @param options overrides of the data, cache and system directories.
 * @param bundledDir the directory shipped with prunelab for this dataset, if any (searched last).
 */
export function datasetSearchPlaces(name: string, options: DataLocationOptions = {}, bundledDir?: string): SearchPlace[] {
  const places: SearchPlace[] = [];
  const userRoot = options.dataDir ?? process.env.PRUNELAB_DATA;
  const userLabel = options.dataDir !== undefined ? 'options.dataDir' : 'PRUNELAB_DATA';
  if (userRoot) {
    const root = path.resolve(userRoot);
    places.push({ dir: path.join(root, name), label: `${userLabel}/${name}`, specific: true });
    places.push({ dir: root, label: userLabel, specific: false });
  }
  places.push({ dir: path.join(datasetCacheRoot(options), name), label: 'user cache', specific: true });
  for (const root of systemDataRoots(options)) {
    places.push({ dir: path.join(root, name), label: 'system data directory', specific: true });
  }
  if (bundledDir) places.push({ dir: path.resolve(bundledDir), label: 'shipped with prunelab', specific: true });
  // The same directory can come up twice (e.g. PRUNELAB_DATA pointing at the cache).
  return places.filter((p, i) => places.findIndex((q) => q.dir === p.dir) === i);
}

/** True unless downloads are disabled by env `PRUNELAB_OFFLINE` (any value but `''`/`0`/`false`). */
export function downloadsAllowedByEnv(): boolean {
  const v = process.env.PRUNELAB_OFFLINE;
  return v === undefined || v === '' || v === '0' || v.toLowerCase() === 'false';
}
