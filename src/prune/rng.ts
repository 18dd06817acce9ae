/**
 * Seeded pseudo-random numbers for pruning methods, computed in JavaScript so that the same seed
 * gives the same numbers on every backend (tfjs random ops differ between backends). The
 * generator itself is the project's one PRNG (`src/data/random.ts`).
 */
import { mixSeed, mulberry32 } from '../data/random';

/**
 * A seeded uniform stream.
 *
 * @param seed any integer.
 * @returns a function giving uniform numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  return mulberry32(mixSeed(seed));
}

/** Mixes a base seed with a string (e.g. a weight name) into a new seed, so that layers get independent streams. */
export function deriveSeed(seed: number, key: string): number {
  // FNV-1a over the key, then mixed with the seed.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return mixSeed(seed, h);
}
