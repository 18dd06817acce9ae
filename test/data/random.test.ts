import { strict as assert } from 'assert';
import { SeededRandom, mixSeed, mulberry32, seededPermutation } from '../../src/data';

describe('data/random: seeded PRNG', () => {
  it('mulberry32 matches an independent Python implementation', () => {
    // Values from a separate implementation in Python (integer arithmetic mod 2^32).
    const g = mulberry32(42);
    assert.deepEqual([g(), g(), g()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const h = mulberry32(0);
    assert.deepEqual([h(), h(), h()], [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
  });

  it('is uniform enough: chi-square over 10 bins, and the same seed repeats', () => {
    const rng = new SeededRandom(7);
    const bins = new Array(10).fill(0);
    const n = 100000;
    for (let i = 0; i < n; i++) bins[Math.floor(rng.next() * 10)]++;
    const chi2 = bins.reduce((s, b) => s + (b - n / 10) ** 2 / (n / 10), 0);
    assert.ok(chi2 < 27.9, `chi2 ${chi2} (p=0.001 critical value for 9 dof is 27.9)`);
    const a = new SeededRandom(123);
    const b = new SeededRandom(123);
    for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
  });

  it('normal() has mean 0 and std 1; int(n) stays in range', () => {
    const rng = new SeededRandom(1);
    let s = 0;
    let s2 = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    assert.ok(Math.abs(s / n) < 0.02, `mean ${s / n}`);
    assert.ok(Math.abs(Math.sqrt(s2 / n) - 1) < 0.02, `std ${Math.sqrt(s2 / n)}`);
    for (let i = 0; i < 1000; i++) {
      const k = rng.int(3);
      assert.ok(k === 0 || k === 1 || k === 2);
    }
    assert.throws(() => rng.int(0), /integer n in \[1, 2\^32\]/);
  });

  it('seededPermutation is a permutation, reproducible, and seed-sensitive', () => {
    const p = seededPermutation(1000, 5);
    assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual(p, seededPermutation(1000, 5));
    assert.notDeepEqual(p, seededPermutation(1000, 6));
  });

  it('mixSeed separates neighbouring seeds and epochs', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 50; s++) for (let e = 0; e < 50; e++) seen.add(mixSeed(s, e));
    assert.equal(seen.size, 2500);
    assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
    assert.equal(mixSeed(3, 4), mixSeed(3, 4));
  });
});
