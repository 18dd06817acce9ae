/**
 * Non-finite feature values (NaN, ±Infinity) named as what they are. Without this check they
 * surface many steps later as a NaN training loss, with advice to lower the learning rate that
 * cannot help. One pass per feature array, and an array found finite is remembered (by identity),
 * so epochs, validations and repeated trainings on the same data do not pay again.
 */
import { UserError } from '../errors';
import type { Examples } from './types';

/** Where the non-finite values of a feature array are. */
export interface NonFiniteCount {
  /** How many values are NaN or ±Infinity. */
  count: number;
  /** Flat index of the first one. */
  firstIndex: number;
  /** Its value (`NaN`, `Infinity` or `-Infinity`). */
  firstValue: number;
}

/** Non-finite feature values in some examples: which data, how many, where the first is, and the fix. */
export class NonFiniteFeaturesError extends UserError {
  /** Example holding the first non-finite value. */
  readonly example: number;
  /** Feature (flat, within the example) holding it. */
  readonly feature: number;

  /**
   * @param what the data, e.g. `training data` or `mnist train`.
   * @param count number of non-finite values.
   * @param total number of feature values.
   * @param firstIndex flat index of the first non-finite value.
   * @param firstValue its value.
   * @param featureShape shape of one example (to place the first value).
   */
  constructor(
    readonly what: string,
    readonly count: number,
    readonly total: number,
    readonly firstIndex: number,
    readonly firstValue: number,
    readonly featureShape: readonly number[],
  ) {
    const size = featureShape.reduce((a, b) => a * b, 1);
    const example = Math.floor(firstIndex / size);
    const feature = firstIndex % size;
    let position = '';
    if (featureShape.length > 1) {
      const coords: number[] = [];
      let rest = feature;
      for (let d = featureShape.length - 1; d >= 0; d--) {
        coords.unshift(rest % featureShape[d]);
        rest = Math.floor(rest / featureShape[d]);
      }
      position = ` (position [${coords.join(', ')}] of [${featureShape.join(', ')}])`;
    }
    super(
      `${what}: ${count} of ${total} feature values are not finite (NaN or ±Infinity); first: ${firstValue} at example ${example}, ` +
        `feature ${feature}${position}. Training or evaluating on them gives NaN losses whatever the learning rate. Fix the data: ` +
        `drop those examples or impute the missing values (e.g. with the feature's mean over the training set), and check what ` +
        `produced them (a missing value read as NaN, a division by a zero standard deviation, an overflow).`,
    );
    this.name = 'NonFiniteFeaturesError';
    this.example = example;
    this.feature = feature;
  }
}

/**
 * Counts the non-finite values of `x`: one branch-free pass (`v * 0` is 0 for finite `v`, NaN
 * otherwise), and a second, locating pass only when there is something to report. Every check
 * of loaded numbers (features, saved weights, mask-file variables, sparse files) uses it.
 *
 * @returns undefined when every value is finite.
 */
export function scanNonFinite(x: Float32Array): NonFiniteCount | undefined {
  let probe = 0;
  for (let i = 0; i < x.length; i++) probe += x[i] * 0;
  if (probe === 0) return undefined;
  let count = 0;
  let firstIndex = -1;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      if (firstIndex < 0) firstIndex = i;
      count++;
    }
  }
  return { count, firstIndex, firstValue: x[firstIndex] };
}

/**
 * The scan {@link checkFiniteFeatures} runs, as a replaceable property so that tests can count
 * scans (the point of the cache).
 */
export const finiteScan = { scan: scanNonFinite };

/** Arrays already found finite. Keyed by identity: an array modified in place after a check is not re-checked. */
const knownFinite = new WeakSet<Float32Array>();

/**
 * Throws when a feature array holds NaN or ±Infinity; remembers arrays found finite.
 *
 * @param x the feature values, `count × size(featureShape)` of them.
 * @param featureShape shape of one example.
 * @param what the data, for the message (e.g. `training data`).
 * @param remember cache a finite result (default true; false for transient arrays such as batches).
 * @throws NonFiniteFeaturesError naming the data, how many values, the first position and the fix.
 */
export function checkFiniteValues(x: Float32Array, featureShape: readonly number[], what: string, remember = true): void {
  if (knownFinite.has(x)) return;
  const found = finiteScan.scan(x);
  if (found) throw new NonFiniteFeaturesError(what, found.count, x.length, found.firstIndex, found.firstValue, featureShape);
  if (remember) knownFinite.add(x);
}

/**
 * Throws when the features of `examples` hold NaN or ±Infinity (one pass, cached per array).
 *
 * @param examples the examples.
 * @param what the data, for the message.
 * @throws NonFiniteFeaturesError naming the data, how many values, the first position and the fix.
 */
export function checkFiniteFeatures(examples: Examples, what: string): void {
  checkFiniteValues(examples.x, examples.featureShape, what);
}
