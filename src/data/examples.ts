/**
 * Operations on in-memory {@link Examples}: validation, gathering by index, seeded
 * class-stratified subsets and train/validation splits, flattening. All are pure: they return
 * new objects and never modify their input.
 */
import { checkFiniteFeatures } from './finite';
import { SeededRandom, mixSeed } from './random';
import type { Examples } from './types';
import { OptionError, UserError } from '../errors';

/** Number of features of one example: the product of `featureShape`. */
export function featureSize(featureShape: readonly number[]): number {
  return featureShape.reduce((a, b) => a * b, 1);
}

/**
 * Checks that an {@link Examples} object is self-consistent: sizes match, labels are integers
 * in `[0, numClasses)`, features are finite. Catches bugs in custom loaders and missing values
 * in user data before they become silent NaNs.
 *
 * @param examples the examples to check.
 * @param what name used in the error, e.g. `fashion-mnist train`.
 * @throws Error naming the problem; NonFiniteFeaturesError for NaN or ±Infinity features.
 */
export function validateExamples(examples: Examples, what = 'examples'): void {
  const { x, y, count, featureShape, numClasses } = examples;
  if (!Number.isInteger(count) || count < 0) throw new UserError(`${what}: count must be a non-negative integer; got ${count}.`);
  if (!Array.isArray(featureShape) || featureShape.length === 0 || !featureShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new UserError(`${what}: featureShape must be a non-empty list of positive integers; got [${featureShape}].`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new UserError(`${what}: numClasses must be a positive integer; got ${numClasses}.`);
  if (!(x instanceof Float32Array)) throw new UserError(`${what}: x must be a Float32Array.`);
  if (!(y instanceof Int32Array)) throw new UserError(`${what}: y must be an Int32Array.`);
  const size = featureSize(featureShape);
  if (x.length !== count * size) {
    throw new UserError(`${what}: x holds ${x.length} values, expected count × features = ${count} × ${size} = ${count * size}.`);
  }
  if (y.length !== count) throw new UserError(`${what}: y holds ${y.length} labels, expected count = ${count}.`);
  for (let i = 0; i < count; i++) {
    const label = y[i];
    if (label < 0 || label >= numClasses) {
      throw new UserError(`${what}: label ${label} of example ${i} is outside [0, ${numClasses}).`);
    }
  }
  checkFiniteFeatures(examples, what);
}

/**
 * Gathers examples by index into new arrays.
 *
 * @param examples source examples.
 * @param indices which examples to take, in the order given (repeats allowed).
 * @returns new examples with `indices.length` rows.
 */
export function selectExamples(examples: Examples, indices: ArrayLike<number>): Examples {
  const size = featureSize(examples.featureShape);
  const n = indices.length;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= examples.count) {
      throw new OptionError(`selectExamples: index ${j} at position ${i} is outside [0, ${examples.count}).`);
    }
    // Row copies via TypedArray.set run at memcpy speed, unlike element loops.
    x.set(examples.x.subarray(j * size, (j + 1) * size), i * size);
    y[i] = examples.y[j];
  }
  return { x, y, count: n, featureShape: [...examples.featureShape], numClasses: examples.numClasses };
}

/**
 * Seeded, class-stratified choice of `k` of the examples: each class contributes in proportion
 * to its frequency (largest-remainder rounding, so the total is exactly `k`), and within a class
 * the examples are picked by a seeded shuffle.
 *
 * @param labels class label of each example.
 * @param numClasses number of classes.
 * @param k how many to choose, `0 ≤ k ≤ labels.length`.
 * @param seed the seed.
 * @returns `chosen` and `rest`, each sorted ascending, together a partition of `0 … n-1`.
 */
export function stratifiedIndices(
  labels: Int32Array,
  numClasses: number,
  k: number,
  seed: number,
): { chosen: Int32Array; rest: Int32Array } {
  const n = labels.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new OptionError(`stratifiedIndices: k must be an integer in [0, ${n}]; got ${k}.`, 'k');
  // Group indices by class (counting sort keeps the original order within a class).
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < n; i++) counts[labels[i]]++;
  const starts = new Int32Array(numClasses + 1);
  for (let c = 0; c < numClasses; c++) starts[c + 1] = starts[c] + counts[c];
  const byClass = new Int32Array(n);
  const fill = starts.slice(0, numClasses);
  for (let i = 0; i < n; i++) byClass[fill[labels[i]]++] = i;

  // Quotas by largest remainder; ties go to the smaller class index (deterministic).
  const quota = new Int32Array(numClasses);
  const remainders: { c: number; r: number }[] = [];
  let assigned = 0;
  for (let c = 0; c < numClasses; c++) {
    const exact = n === 0 ? 0 : (k * counts[c]) / n;
    quota[c] = Math.floor(exact);
    assigned += quota[c];
    remainders.push({ c, r: exact - quota[c] });
  }
  remainders.sort((a, b) => b.r - a.r || a.c - b.c);
  for (let i = 0; assigned < k; i++) {
    const c = remainders[i % numClasses].c;
    if (quota[c] < counts[c]) {
      quota[c]++;
      assigned++;
    }
  }

  const isChosen = new Uint8Array(n);
  for (let c = 0; c < numClasses; c++) {
    // Each class gets its own stream so that changing one class's size leaves the others' picks alone.
    const rng = new SeededRandom(mixSeed(seed, c));
    const members = byClass.subarray(starts[c], starts[c + 1]);
    // Partial Fisher–Yates: the first quota[c] positions end up a uniform random sample.
    const pool = members.slice();
    for (let i = 0; i < quota[c]; i++) {
      const j = i + rng.int(pool.length - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
      isChosen[pool[i]] = 1;
    }
  }
  const chosen = new Int32Array(k);
  const rest = new Int32Array(n - k);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (isChosen[i]) chosen[a++] = i;
    else rest[b++] = i;
  }
  return { chosen, rest };
}

/**
 * A seeded, class-stratified subset of `count` examples (in their original order).
 *
 * @param examples source examples.
 * @param count how many to keep, `1 ≤ count ≤ examples.count`.
 * @param seed the seed (default 0).
 */
export function subsetExamples(examples: Examples, count: number, seed = 0): Examples {
  if (!Number.isInteger(count) || count < 1 || count > examples.count) {
    throw new OptionError(`subset must be an integer in [1, ${examples.count}] (the number of examples); got ${count}.`, 'subset');
  }
  if (count === examples.count) return selectExamples(examples, identity(examples.count));
  return selectExamples(examples, stratifiedIndices(examples.y, examples.numClasses, count, seed).chosen);
}

/**
 * Splits examples into training and validation parts, seeded and class-stratified.
 *
 * @param examples the examples to split.
 * @param validationFraction fraction for validation, in `(0, 1)`; rounded to whole examples,
 *   each part must keep at least one.
 * @param seed the seed (default 0).
 * @returns `train` and `validation`, disjoint, together all of `examples`, each in original order.
 */
export function trainValidationSplit(
  examples: Examples,
  validationFraction: number,
  seed = 0,
): { train: Examples; validation: Examples } {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new OptionError(`validationFraction must be in (0, 1); got ${validationFraction}.`, 'validationFraction');
  }
  const k = Math.round(validationFraction * examples.count);
  if (k < 1 || k > examples.count - 1) {
    throw new OptionError(
      `validationFraction ${validationFraction} of ${examples.count} examples gives ${k} validation examples; ` +
        `both parts need at least one. Use more examples or another fraction.`,
      'validationFraction',
    );
  }
  // A stream distinct from the subset's, so that subset and split picks are independent.
  const { chosen, rest } = stratifiedIndices(examples.y, examples.numClasses, k, mixSeed(seed, 0x5a11d));
  return { train: selectExamples(examples, rest), validation: selectExamples(examples, chosen) };
}

/**
 * The same examples with `featureShape` flattened to `[product]` (shares `x` and `y`: row-major
 * data does not change when flattened).
 */
export function flattenExamples(examples: Examples): Examples {
  return { ...examples, featureShape: [featureSize(examples.featureShape)] };
}

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** Number of examples of each class. */
export function classCounts(examples: Pick<Examples, 'y' | 'numClasses'>): number[] {
  const counts = new Array<number>(examples.numClasses).fill(0);
  for (const label of examples.y) counts[label]++;
  return counts;
}
