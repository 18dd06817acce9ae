// Shared helpers of the data tests: temp dirs, env overrides, hand-made IDX datasets.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { createHash } from 'crypto';
import type { IdxDatasetManifest } from '../../src/data';

/** The repository root (found from build/test/data or test/data). */
export const repoRoot = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

/** A fresh empty temp directory, removed by `cleanupTempDirs`. */
const made: string[] = [];
export function tempDir(prefix = 'prunelab-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
export function cleanupTempDirs(): void {
  while (made.length) fs.rmSync(made.pop()!, { recursive: true, force: true });
}

/** Runs `fn` with environment variables set (undefined = unset), restoring them afterwards. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Env that isolates a test from whatever is installed or cached on the machine. */
export function isolatedEnv(cacheHome: string): Record<string, string | undefined> {
  return {
    PRUNELAB_DATA: undefined,
    XDG_CACHE_HOME: cacheHome,
    PRUNELAB_SYSTEM_DATA_DIRS: '',
    PRUNELAB_OFFLINE: '1',
  };
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** IDX bytes written by hand (independent of `encodeIdx`): uint8, big-endian dims. */
export function idxUint8ByHand(shape: number[], values: number[]): Buffer {
  const header = [0, 0, 0x08, shape.length];
  for (const d of shape) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Buffer.from([...header, ...values]);
}

/** Files and manifest of a small IDX dataset (4×4 images, 3 classes) written to `dir`. */
export interface MadeDataset {
  manifest: IdxDatasetManifest;
  /** Stored (gzip) bytes of each file by file name. */
  files: Record<string, Buffer>;
  trainLabels: number[];
  testLabels: number[];
  trainPixels: number[];
}

/**
 * Writes a tiny IDX dataset named `name` (train 12, test 6 examples of 4×4 pixels) into `dir`
 * (when given) and returns its manifest with correct digests. Pixel i of train example n is
 * (7n + i + variant) % 256; another `variant` gives another dataset with the same file names.
 */
export function makeIdxDataset(name: string, dir?: string, urlBase?: string, variant = 0): MadeDataset {
  const h = 4;
  const w = 4;
  const make = (count: number, offset: number) => {
    const labels = Array.from({ length: count }, (_, n) => (n + offset) % 3);
    const pixels = Array.from({ length: count * h * w }, (_, i) => (7 * Math.floor(i / (h * w)) + (i % (h * w)) + offset + variant) % 256);
    return { labels, pixels };
  };
  const train = make(12, 0);
  const test = make(6, 1);
  const raw: Record<string, Buffer> = {
    'train-images-idx3-ubyte.gz': idxUint8ByHand([12, h, w], train.pixels),
    'train-labels-idx1-ubyte.gz': idxUint8ByHand([12], train.labels),
    't10k-images-idx3-ubyte.gz': idxUint8ByHand([6, h, w], test.pixels),
    't10k-labels-idx1-ubyte.gz': idxUint8ByHand([6], test.labels),
  };
  const files: Record<string, Buffer> = {};
  const entry = (fileName: string) => {
    const gz = zlib.gzipSync(raw[fileName]);
    files[fileName] = gz;
    if (dir) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, fileName), gz);
    }
    return {
      name: fileName,
      variants: [{ sha256: sha256(gz), bytes: gz.length, source: 'test' }],
      contentSha256: sha256(raw[fileName]),
      contentBytes: raw[fileName].length,
      urls: urlBase ? [`${urlBase}/${fileName}`] : [],
    };
  };
  const manifest: IdxDatasetManifest = {
    name,
    description: 'hand-made test dataset',
    license: 'test',
    homepage: 'none',
    classNames: ['a', 'b', 'c'],
    imageShape: [h, w, 1],
    counts: { train: 12, test: 6 },
    files: {
      trainImages: entry('train-images-idx3-ubyte.gz'),
      trainLabels: entry('train-labels-idx1-ubyte.gz'),
      testImages: entry('t10k-images-idx3-ubyte.gz'),
      testLabels: entry('t10k-labels-idx1-ubyte.gz'),
    },
  };
  return { manifest, files, trainLabels: train.labels, testLabels: test.labels, trainPixels: train.pixels };
}

/** Asserts that `promise` rejects and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Asserts that `fn` throws and returns the error. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an exception, but none was thrown');
}
