import * as assert from 'assert';
import { base64ToBytes, bytesToBase64, countMaskBits, keepAllButLowest, keepAllButLowestBySort, kthSmallest, kthSmallestInPlace, packMaskBits, roundHalfEven, unpackMaskBits } from '../../src/sparse';
import { values } from './helpers';

describe('prune: mask utilities (src/sparse/mask-*)', () => {
  it('packs and unpacks bits for lengths that are and are not multiples of 8', () => {
    for (const n of [0, 1, 7, 8, 9, 63, 64, 100, 1001]) {
      const v = Float32Array.from(values(n, n + 3), (x) => (x > 0.1 ? 1 : 0));
      const bits = packMaskBits(v);
      assert.strictEqual(bits.length, Math.ceil(n / 8));
      assert.deepStrictEqual(unpackMaskBits(bits, n), v);
      assert.strictEqual(countMaskBits(bits), v.reduce((a, b) => a + b, 0));
      assert.deepStrictEqual(unpackMaskBits(base64ToBytes(bytesToBase64(bits)), n), v);
    }
    assert.deepStrictEqual([...packMaskBits([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])], [1, 2]);
  });

  it('rejects truncated or corrupt bit data', () => {
    assert.throws(() => unpackMaskBits(new Uint8Array(1), 9), /truncated/);
    assert.throws(() => unpackMaskBits(new Uint8Array([0x80]), 3), /corrupt/);
    assert.throws(() => base64ToBytes('ab$c'), /base64/);
  });

  it('rounds half to even like Python (torch counts)', () => {
    assert.deepStrictEqual([0.5, 1.5, 2.5, 3.5, 2.4, 2.6, 0].map(roundHalfEven), [0, 2, 2, 4, 2, 3, 0]);
  });

  it('quickselect finds the k-th smallest, with ties and sorted input', () => {
    const cases = [values(1000, 5), Float32Array.from(values(500, 9), (x) => Math.round(x * 4)), Float32Array.from({ length: 300 }, (_, i) => i)];
    for (const v of cases) {
      const sorted = Float32Array.from(v).sort();
      for (const k of [0, 1, 17, v.length >> 1, v.length - 1]) assert.ok(kthSmallestInPlace(Float32Array.from(v), k) === sorted[k], `k=${k}`);
    }
    assert.throws(() => kthSmallestInPlace(new Float32Array(3), 3), RangeError);
    // radix-bucket version on large arrays: negatives, heavy ties, ±0 and -Infinity; input untouched
    const big = [
      values(20000, 3),
      Float32Array.from(values(20000, 4), (x) => Math.round(x * 2)),
      Float32Array.from(values(20000, 5), (x, i) => (i % 7 === 0 ? -Infinity : i % 5 === 0 ? -0 : x * 1e-3)),
    ];
    for (const v of big) {
      const copy = Float32Array.from(v);
      const sorted = Float32Array.from(v).sort();
      for (const k of [0, 1, 999, 10000, 19999]) assert.ok(kthSmallest(v, k) === sorted[k], `k=${k}`);
      assert.deepStrictEqual(v, copy);
    }
  });

  it('drops exactly k of the lowest, ties broken by position, same as a full sort', () => {
    const tied = Float32Array.from(values(400, 2), (x) => Math.round(x * 3));
    const bigTied = Float32Array.from(values(9000, 6), (x) => Math.round(x * 50) / 50);
    for (const v of [values(400, 1), tied, bigTied]) {
      for (const k of [0, 1, 50, 199, 200, 399, 400, v.length - 1]) {
        const a = keepAllButLowest(v, k);
        assert.deepStrictEqual(a, keepAllButLowestBySort(v, k));
        assert.strictEqual(a.reduce((s, x) => s + x, 0), v.length - k);
      }
    }
  });
});
