/**
 * A small, fast, seeded pseudo-random number generator for everything in prunelab that must be
 * reproducible (shuffling, subsets, splits, synthetic data), independent of the tfjs backend.
 *
 * The generator is mulberry32 (Tommy Ettinger): 32-bit state, full period 2^32, passes
 * gjrand/PractRand tests well enough for shuffling and sampling. `Math.random` is never used,
 * so the same seed gives the same numbers on every machine and backend.
 */
import { OptionError } from '../errors';

/**
 * Mixes any number of integers into one well-scrambled 32-bit seed (murmur3-style finaliser).
 * Used to derive independent streams, e.g. `mixSeed(seed, epoch)` for per-epoch shuffles, so
 * that neighbouring seeds or epochs give unrelated permutations.
 *
 * @param parts integers (only their low 32 bits matter; non-integers are truncated).
 * @returns an unsigned 32-bit integer.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    let k = Math.trunc(part) | 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= parts.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Returns a mulberry32 generator: each call yields a float in `[0, 1)` with 32 bits of randomness.
 *
 * @param seed any integer; equal seeds give equal sequences.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random stream with the helpers data code needs. */
export class SeededRandom {
  private readonly nextFloat: () => number;
  /** Second normal deviate from the last Box–Muller draw, reused to halve the cost. */
  private spareNormal: number | undefined;

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(readonly seed: number) {
    this.nextFloat = mulberry32(seed);
  }

  /** A float uniformly distributed in `[0, 1)`. */
  next(): number {
    return this.nextFloat();
  }

  /** A float uniformly distributed in `[low, high)`. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /**
   * An integer uniformly distributed in `[0, n)`.
   * @param n a positive integer below 2^32.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new OptionError(`SeededRandom.int(n) needs an integer n in [1, 2^32]; got ${n}.`, 'n');
    }
    // Multiply-shift keeps the bias below n / 2^32, negligible for dataset sizes.
    return Math.floor(this.nextFloat() * n);
  }

  /** A standard normal deviate (Box–Muller), scaled by `std` and shifted by `mean`. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat(); // log(0) would give -Infinity
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Shuffles `array` in place (Fisher–Yates) and returns it.
   * @param array any indexable array or typed array.
   */
  shuffle<A extends ArrayLike<unknown>>(array: A): A {
    const a = array as unknown as { length: number; [i: number]: unknown };
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.nextFloat() * (i + 1));
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return array;
  }
}

/**
 * A seeded permutation of `0 … n-1`.
 *
 * @param n length of the permutation.
 * @param seed the seed; combine several numbers with {@link mixSeed} (e.g. seed and epoch).
 * @returns a new Int32Array holding each index exactly once.
 */
export function seededPermutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`seededPermutation: n must be a non-negative integer; got ${n}.`, 'n');
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  return new SeededRandom(seed).shuffle(perm);
}
