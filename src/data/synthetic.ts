/**
 * Seeded synthetic classification problems for unit tests and teaching: Gaussian blobs
 * (linearly separable), XOR (needs a hidden layer) and spirals (needs a deep-ish network).
 * Classes are exactly balanced (sizes differ by at most one) and examples come in a seeded
 * random order. Points live in the first two features; with `dims > 2` the remaining features
 * are pure Gaussian noise, handy for showing that pruning finds the informative inputs.
 */
import { SeededRandom } from './random';
import type { Examples } from './types';
import { OptionError } from '../errors';

/** Options shared by the generators. */
export interface SyntheticOptions {
  /** Number of examples (default 1000). */
  count?: number;
  /** Seed (default 0); the same seed gives the same examples. */
  seed?: number;
  /** Features per example, ≥ 2 (default 2); features beyond the second are noise. */
  dims?: number;
  /** Standard deviation of the Gaussian noise added to the informative features. */
  noise?: number;
  /** Standard deviation of the distractor features beyond the second (default 1). */
  distractorStd?: number;
}

/** Options of {@link makeBlobs}. */
export interface BlobOptions extends SyntheticOptions {
  /** Number of blobs/classes (default 3). */
  numClasses?: number;
  /** Radius of the circle the blob centres sit on, evenly spaced (default 2). */
  radius?: number;
  /** Explicit centres, `numClasses` rows of `dims` values; overrides `radius` (then all dims are informative). */
  centers?: number[][];
}

/** Options of {@link makeSpirals}. */
export interface SpiralOptions extends SyntheticOptions {
  /** Number of spiral arms/classes (default 2). */
  numClasses?: number;
  /** Number of turns of each arm (default 1.5). */
  turns?: number;
}

interface Resolved {
  count: number;
  seed: number;
  dims: number;
  noise: number;
  distractorStd: number;
}

function resolve(options: SyntheticOptions, defaultNoise: number, what: string): Resolved {
  const count = options.count ?? 1000;
  const dims = options.dims ?? 2;
  const noise = options.noise ?? defaultNoise;
  const distractorStd = options.distractorStd ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new OptionError(`${what}: count must be a positive integer; got ${count}.`, 'count');
  if (!Number.isInteger(dims) || dims < 2) throw new OptionError(`${what}: dims must be an integer ≥ 2; got ${dims}.`, 'dims');
  if (!(noise >= 0)) throw new OptionError(`${what}: noise must be ≥ 0; got ${noise}.`, 'noise');
  if (!(distractorStd >= 0)) throw new OptionError(`${what}: distractorStd must be ≥ 0; got ${distractorStd}.`, 'distractorStd');
  return { count, seed: options.seed ?? 0, dims, noise, distractorStd };
}

/** Balanced labels (class sizes differ by at most one) in a seeded random order. */
function balancedLabels(count: number, numClasses: number, rng: SeededRandom): Int32Array {
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = i % numClasses;
  return rng.shuffle(y);
}

function checkClasses(numClasses: number, what: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new OptionError(`${what}: numClasses must be an integer ≥ 2; got ${numClasses}.`, 'numClasses');
}

/**
 * Isotropic Gaussian blobs, one per class.
 *
 * @param options count, classes, dims, noise (the blobs' std, default 0.5), centres, seed.
 * @returns examples with `featureShape [dims]`.
 */
export function makeBlobs(options: BlobOptions = {}): Examples {
  const o = resolve(options, 0.5, 'makeBlobs');
  const numClasses = options.numClasses ?? options.centers?.length ?? 3;
  checkClasses(numClasses, 'makeBlobs');
  const radius = options.radius ?? 2;
  let centers = options.centers;
  if (centers) {
    if (centers.length !== numClasses || centers.some((c) => c.length !== o.dims)) {
      throw new OptionError(`makeBlobs: centers must be ${numClasses} rows of ${o.dims} numbers (numClasses × dims).`, 'centers');
    }
  } else {
    centers = Array.from({ length: numClasses }, (_, c) => {
      const angle = (2 * Math.PI * c) / numClasses;
      const row = new Array<number>(o.dims).fill(0);
      row[0] = radius * Math.cos(angle);
      row[1] = radius * Math.sin(angle);
      return row;
    });
  }
  const rng = new SeededRandom(o.seed);
  const y = balancedLabels(o.count, numClasses, rng);
  const x = new Float32Array(o.count * o.dims);
  const informative = options.centers ? o.dims : 2;
  for (let i = 0; i < o.count; i++) {
    const center = centers[y[i]];
    for (let f = 0; f < o.dims; f++) {
      x[i * o.dims + f] = f < informative ? rng.normal(center[f], o.noise) : rng.normal(0, o.distractorStd);
    }
  }
  return { x, y, count: o.count, featureShape: [o.dims], numClasses };
}

function fillDistractors(x: Float32Array, i: number, o: Resolved, rng: SeededRandom): void {
  for (let f = 2; f < o.dims; f++) x[i * o.dims + f] = rng.normal(0, o.distractorStd);
}

/**
 * XOR: points in `[-1, 1]²`; class 0 in the quadrants where both coordinates have the same
 * sign, class 1 where they differ. Not linearly separable.
 *
 * @param options count, dims, noise (Gaussian jitter, default 0.05, may cross quadrants), seed.
 * @returns examples with `featureShape [dims]` and 2 classes.
 */
export function makeXor(options: SyntheticOptions = {}): Examples {
  const o = resolve(options, 0.05, 'makeXor');
  const rng = new SeededRandom(o.seed);
  const y = balancedLabels(o.count, 2, rng);
  const x = new Float32Array(o.count * o.dims);
  for (let i = 0; i < o.count; i++) {
    const sa = rng.next() < 0.5 ? -1 : 1;
    const sb = y[i] === 0 ? sa : -sa;
    x[i * o.dims] = sa * rng.next() + rng.normal(0, o.noise);
    x[i * o.dims + 1] = sb * rng.next() + rng.normal(0, o.noise);
    fillDistractors(x, i, o, rng);
  }
  return { x, y, count: o.count, featureShape: [o.dims], numClasses: 2 };
}

/**
 * Interleaved spirals, one arm per class: `r = t`, `θ = 2π·turns·t + 2π·c/numClasses` for
 * `t` uniform in `[0, 1]`, plus Gaussian noise.
 *
 * @param options count, numClasses (default 2), turns (default 1.5), dims, noise (default 0.05), seed.
 * @returns examples with `featureShape [dims]`.
 */
export function makeSpirals(options: SpiralOptions = {}): Examples {
  const o = resolve(options, 0.05, 'makeSpirals');
  const numClasses = options.numClasses ?? 2;
  checkClasses(numClasses, 'makeSpirals');
  const turns = options.turns ?? 1.5;
  if (!(turns > 0)) throw new OptionError(`makeSpirals: turns must be > 0; got ${turns}.`, 'turns');
  const rng = new SeededRandom(o.seed);
  const y = balancedLabels(o.count, numClasses, rng);
  const x = new Float32Array(o.count * o.dims);
  for (let i = 0; i < o.count; i++) {
    const t = rng.next();
    const theta = 2 * Math.PI * turns * t + (2 * Math.PI * y[i]) / numClasses;
    x[i * o.dims] = t * Math.cos(theta) + rng.normal(0, o.noise);
    x[i * o.dims + 1] = t * Math.sin(theta) + rng.normal(0, o.noise);
    fillDistractors(x, i, o, rng);
  }
  return { x, y, count: o.count, featureShape: [o.dims], numClasses };
}
