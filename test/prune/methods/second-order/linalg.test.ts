// Float64 linear algebra of second-order pruning, against closed forms and direct inverses.
import * as assert from 'assert';
import {
  cholesky, choleskySolve, removeFromInverse, removeSetFromInverse, spdInverse, subMatrix, woodburyRankOne,
} from '../../../../src/prune/hessian/linalg';
import { fisherBlockInverse, lowRankFisherInverse } from '../../../../src/prune/methods/woodfisher';
import { UserError } from '../../../../src/errors';
import { values } from '../../helpers';
import { maxRelDiff } from '../../helpers';

/** A random symmetric positive definite n×n matrix BᵀB/n + shift·I. */
function spd(n: number, seed: number, shift = 0.1): Float64Array {
  const b = values(n * n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += b[k * n + i] * b[k * n + j];
    a[i * n + j] = s / n + (i === j ? shift : 0);
  }
  return a;
}

function matMul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
    c[i * n + j] = s;
  }
  return c;
}

describe('second-order linear algebra (float64)', () => {
  it('inverts a 2×2 matrix as the closed form (1/det)·[[d, −b], [−c, a]]', () => {
    const a = Float64Array.of(4, 1, 1, 3);
    const inv = spdInverse(a, 2);
    const det = 4 * 3 - 1;
    assert.ok(maxRelDiff(inv, [3 / det, -1 / det, -1 / det, 4 / det]) < 1e-15);
  });

  it('Cholesky factor L Lᵀ = A, solve and inverse agree with A (n = 40)', () => {
    const n = 40;
    const a = spd(n, 3);
    const l = cholesky(a, n);
    const llt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += l[i * n + k] * l[j * n + k];
      llt[i * n + j] = s;
    }
    assert.ok(maxRelDiff(llt, a) < 1e-13);
    const inv = spdInverse(a, n);
    const eye = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
    assert.ok(maxRelDiff(matMul(a, inv, n), eye) < 1e-11);
    const b = Float64Array.from(values(n, 9));
    const x = choleskySolve(a, b, n);
    const ax = Array.from({ length: n }, (_, i) => a.slice(i * n, i * n + n).reduce((s, v, k) => s + v * x[k], 0));
    assert.ok(maxRelDiff(ax, b) < 1e-12);
  });

  it('refuses a matrix that is not positive definite, naming damping', () => {
    assert.throws(() => cholesky(Float64Array.of(1, 2, 2, 1), 2), (e: unknown) => e instanceof UserError && /not positive definite.*damping/.test((e as Error).message));
  });

  it('Woodbury rank-one update equals the direct inverse of A + ggᵀ/N', () => {
    const n = 12;
    const a = spd(n, 5);
    const inv = spdInverse(a, n);
    const g = Float64Array.from(values(n, 11));
    woodburyRankOne(inv, g, n, 7);
    const b = a.slice();
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] += (g[i] * g[j]) / 7;
    assert.ok(maxRelDiff(inv, spdInverse(b, n)) < 1e-12);
  });

  it('recursive Woodbury Fisher inverse equals the direct inverse of λI + GᵀG/N to 1e-6 relative (block 32, N 100)', () => {
    const c = 32, n = 100;
    const g = Float64Array.from(values(n * c, 21), (v) => v * 0.01);
    const wood = fisherBlockInverse(g, n, c, 1e-5, 'woodbury');
    const direct = fisherBlockInverse(g, n, c, 1e-5, 'direct');
    assert.ok(maxRelDiff(wood, direct) < 1e-6, `relative difference ${maxRelDiff(wood, direct)}`);
  });

  it('the implicit (low-rank) Fisher inverse gives the diagonal and products of the direct inverse of λI + GᵀG/N (block 120, N 15)', () => {
    const c = 120, n = 15, damping = 1e-4;
    const g = Float64Array.from(values(n * c, 31), (v) => v * 0.01);
    const direct = fisherBlockInverse(g, n, c, damping, 'direct');
    const low = lowRankFisherInverse(g, n, c, damping);
    assert.ok(maxRelDiff(low.diagonal, Float64Array.from({ length: c }, (_, a) => direct[a * c + a])) < 1e-8, 'diagonal');
    const v = Float64Array.from(values(c, 41));
    const expected = new Float64Array(c);
    for (let r = 0; r < c; r++) for (let a = 0; a < c; a++) expected[r] += direct[r * c + a] * v[a];
    assert.ok(maxRelDiff(low.apply(v), expected) < 1e-8, `F⁻¹v: ${maxRelDiff(low.apply(v), expected)}`);
    assert.strictEqual(low.matrix, undefined, 'no c×c matrix is formed');
  });

  it('removing coordinates from an inverse gives the inverse of the remaining submatrix', () => {
    const n = 9;
    const a = spd(n, 13);
    const inv = spdInverse(a, n);
    const one = inv.slice();
    removeFromInverse(one, n, 4);
    const keep = [0, 1, 2, 3, 5, 6, 7, 8];
    assert.ok(maxRelDiff(subMatrix(one, n, keep), spdInverse(subMatrix(a, n, keep), 8)) < 1e-12);
    for (let i = 0; i < n; i++) assert.strictEqual(one[i * n + 4], 0);
    const set = inv.slice();
    removeSetFromInverse(set, n, [1, 6, 7]);
    const rest = [0, 2, 3, 4, 5, 8];
    assert.ok(maxRelDiff(subMatrix(set, n, rest), spdInverse(subMatrix(a, n, rest), 6)) < 1e-12);
  });
});
