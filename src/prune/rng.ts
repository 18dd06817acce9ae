/**
 * Seeded pseudo-random numbers computed in JavaScript, so that the same seed gives the same
 * numbers on every backend (tfjs random ops differ between backends).
 */

/**
 * A mulberry32 generator: fast, 32-bit state, good enough for tie-free random scores and
 * sampling positions.
 *
 * @param seed any integer.
 * @returns a function giving uniform numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let a = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform numbers in [0, 1) from a seed. */
export function seededUniform(seed: number, n: number): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

/** Mixes a base seed with a string (e.g. a weight name) into a new seed, so that layers get independent streams. */
export function deriveSeed(seed: number, key: string): number {
  let h = (Math.floor(seed) ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
