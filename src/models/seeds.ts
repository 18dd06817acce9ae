/**
 * Seed derivation for model initialisers: every initialiser gets its own seed derived from the
 * model seed and a stable per-weight index, so the same model seed gives identical weights and
 * different layers do not share random streams.
 */
import { OptionError } from '../errors';

/**
 * Mixes a model seed and a weight index into a 31-bit seed (splitmix32-style finaliser).
 *
 * @param modelSeed the seed passed to the model factory (any finite number; fractional parts ignored).
 * @param index a stable index of the weight within the model (0, 1, 2, ...).
 * @returns a non-negative integer below 2^31, usable as a tfjs initialiser seed.
 */
export function deriveSeed(modelSeed: number, index: number): number {
  if (!Number.isFinite(modelSeed)) {
    throw new OptionError(`Model seed must be a finite number, got ${modelSeed}.`, 'seed');
  }
  // Math.imul keeps everything in 32-bit integer arithmetic, so the result is platform-independent.
  let h = (Math.trunc(modelSeed) ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h ^ Math.trunc(modelSeed / 4294967296), 0x27d4eb2f) >>> 0;
  h ^= h >>> 15;
  return h & 0x7fffffff;
}

/** Hands out derived seeds in order, one per initialiser. */
export class SeedSequence {
  private next = 0;

  /** @param modelSeed the model's seed. */
  constructor(private readonly modelSeed: number) {
    deriveSeed(modelSeed, 0); // validates the seed early
  }

  /** @returns the seed for the next initialiser. */
  take(): number {
    return deriveSeed(this.modelSeed, this.next++);
  }
}
