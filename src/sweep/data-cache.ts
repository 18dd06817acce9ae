/**
 * The experiment data of a sweep's trials, saved once in the results directory as raw arrays
 * (`<dir>/data/<hash>/`), so that each fresh worker process reads a few flat files instead of
 * decompressing, checksumming and normalising the whole dataset again (about 0.6 s of CPU per
 * trial for an MNIST subset, 2 s for all of MNIST). The arrays are exactly those
 * `experimentData` returns; the first worker that needs them writes them (to a temporary
 * directory renamed into place, so a reader never sees half of them).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Dataset, Examples } from '../data/types';
import { dataSpecKey, experimentData, type DataSpec } from '../experiments/data';
import { readJsonFile, writeFileAtomic } from '../io/files';
import { packageVersion, shortHash } from './ids';

const SPLITS = ['train', 'test', 'validation'] as const;
type Split = (typeof SPLITS)[number];

/** What `meta.json` holds: the dataset without its arrays. */
interface SavedDataset {
  dataset: Omit<Dataset, Split>;
  splits: Partial<Record<Split, Omit<Examples, 'x' | 'y'>>>;
}

const loaded = new Map<string, Promise<Dataset>>();

/** The cache directory of a data spec in a results directory. */
export function dataCacheDir(sweepDir: string, spec: DataSpec): string {
  const key = { ...dataSpecKey(spec), version: packageVersion() };
  return path.join(sweepDir, 'data', shortHash(key));
}

/** Reads a saved dataset; undefined when it is missing or does not fit its metadata (it is then made again). */
export function readSavedData(dir: string): Dataset | undefined {
  if (!fs.existsSync(path.join(dir, 'meta.json'))) return undefined;
  try {
    const saved = readJsonFile(path.join(dir, 'meta.json'), 'sweep data cache') as SavedDataset;
    const out: Record<string, unknown> = { ...saved.dataset };
    for (const split of SPLITS) {
      const m = saved.splits[split];
      if (!m) continue;
      const size = m.featureShape.reduce((a, b) => a * b, 1);
      const x = fs.readFileSync(path.join(dir, `${split}-x.bin`));
      const y = fs.readFileSync(path.join(dir, `${split}-y.bin`));
      if (x.byteLength !== m.count * size * 4 || y.byteLength !== m.count * 4) return undefined;
      // copies: a Buffer may sit at an offset of a shared pool that a typed array cannot use
      out[split] = { ...m, x: new Float32Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength)), y: new Int32Array(y.buffer.slice(y.byteOffset, y.byteOffset + y.byteLength)) };
    }
    return out as unknown as Dataset;
  } catch {
    return undefined;
  }
}

function write(dir: string, d: Dataset): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const { train, test, validation, ...rest } = d;
  const saved: SavedDataset = { dataset: rest, splits: {} };
  for (const [split, e] of [['train', train], ['test', test], ['validation', validation]] as const) {
    if (!e) continue;
    const { x, y, ...m } = e;
    saved.splits[split] = m;
    writeFileAtomic(path.join(tmp, `${split}-x.bin`), new Uint8Array(x.buffer, x.byteOffset, x.byteLength), 'sweep data cache');
    writeFileAtomic(path.join(tmp, `${split}-y.bin`), new Uint8Array(y.buffer, y.byteOffset, y.byteLength), 'sweep data cache');
  }
  writeFileAtomic(path.join(tmp, 'meta.json'), JSON.stringify(saved), 'sweep data cache');
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another worker saved the same data first
  }
}

/**
 * The data of a trial: from memory, from the results directory's cache, or loaded with
 * `experimentData` (and saved to the cache).
 *
 * @param sweepDir the results directory.
 * @param spec dataset name and subset sizes.
 */
export function sweepData(sweepDir: string, spec: DataSpec): Promise<Dataset> {
  const dir = dataCacheDir(sweepDir, spec);
  let p = loaded.get(dir);
  if (!p) {
    p = (async () => {
      const cached = readSavedData(dir);
      if (cached) return cached;
      const d = await experimentData(spec);
      fs.rmSync(dir, { recursive: true, force: true }); // a damaged copy, if any
      write(dir, d);
      return d;
    })();
    p.catch(() => loaded.delete(dir));
    loaded.set(dir, p);
  }
  return p;
}
