import { strict as assert } from 'assert';
import {
  formatSummary, incompleteBeta, logGamma, meanOf, stdOf, studentTCdf, studentTQuantile, summarizeGroups, summarizeSeeds,
} from '../../src/report/stats';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

describe('report/stats', () => {
  it('mean and sample std match hand-computed values', () => {
    assert.equal(meanOf([1, 2, 3, 4]), 2.5);
    // variance with n−1: ((1.5²+0.5²)·2)/3 = 5/3
    close(stdOf([1, 2, 3, 4]), Math.sqrt(5 / 3), 1e-15);
    assert.ok(Number.isNaN(stdOf([7])), 'one value has no sample std');
    assert.ok(Number.isNaN(meanOf([])));
    // far from zero: the two-pass formula keeps the digits
    close(stdOf([1e9 + 1, 1e9 + 2, 1e9 + 3]), 1, 1e-6);
  });

  it('rejects non-finite values with the position', () => {
    assert.throws(() => meanOf([1, NaN]), /value 1 is NaN/);
    assert.throws(() => summarizeSeeds([1, Infinity]), /value 1 is Infinity/);
  });

  it('logGamma and the incomplete beta match closed forms', () => {
    close(logGamma(1), 0, 1e-13);
    close(logGamma(5), Math.log(24), 1e-12);
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12);
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1−x)^b
    close(incompleteBeta(0.3, 1, 1), 0.3, 1e-13);
    close(incompleteBeta(0.3, 2.5, 1), Math.pow(0.3, 2.5), 1e-13);
    close(incompleteBeta(0.8, 1, 3), 1 - Math.pow(0.2, 3), 1e-13);
  });

  it('Student t CDF matches closed forms for 1 and 2 degrees of freedom', () => {
    // df 1 is Cauchy: 1/2 + atan(t)/π; df 2: 1/2 + t / (2 √(2 + t²))
    for (const t of [-3, -0.5, 0, 0.7, 2, 10]) {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `df1 t=${t}`);
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `df2 t=${t}`);
    }
  });

  it('Student t quantiles match published tables', () => {
    // two-sided 95% factors t_{0.975, df} and a few other levels (e.g. NIST/SEMATECH table)
    const table: [number, number, number][] = [
      [0.975, 1, 12.7062047], [0.975, 2, 4.30265273], [0.975, 3, 3.18244631], [0.975, 4, 2.77644511],
      [0.975, 9, 2.26215716], [0.975, 29, 2.04522964], [0.975, 1000, 1.96233908],
      [0.95, 10, 1.81246112], [0.995, 5, 4.03214298], [0.9, 3, 1.63774435],
    ];
    for (const [p, df, t] of table) close(studentTQuantile(p, df), t, 1e-6, `t(${p}, ${df})`);
    close(studentTQuantile(0.025, 4), -2.77644511, 1e-6, 'lower tail');
    assert.equal(studentTQuantile(0.5, 7), 0);
    assert.throws(() => studentTQuantile(1, 3), /p must be in \(0, 1\)/);
    assert.throws(() => studentTQuantile(0.9, 0), /degrees of freedom/);
  });

  it('summarizeSeeds gives mean ± t·s/√n', () => {
    const s = summarizeSeeds([0.981, 0.983, 0.982]);
    close(s.mean, 0.982, 1e-12);
    close(s.std, 0.001, 1e-12);
    close(s.ci, (4.30265273 * 0.001) / Math.sqrt(3), 1e-9);
    close(s.hi - s.lo, 2 * s.ci, 1e-15);
    assert.equal(s.n, 3);
    assert.equal(formatSummary(s, 100, 2), '98.20 ± 0.25');
    const one = summarizeSeeds([0.5]);
    assert.ok(Number.isNaN(one.ci) && one.mean === 0.5);
    assert.match(formatSummary(one, 100, 1), /one run, no interval/);
    assert.throws(() => summarizeSeeds([1, 2], 95), /level must be in \(0, 1\)/);
  });

  it('summarizeGroups groups by key columns in order of appearance', () => {
    const rows = [
      { method: 'a', s: 0.5, acc: 1 }, { method: 'b', s: 0.5, acc: 4 }, { method: 'a', s: 0.5, acc: 3 },
      { method: 'a', s: 0.9, acc: 2 }, { method: 'a', s: 0.9, acc: 2 },
    ];
    const g = summarizeGroups(rows, ['method', 's'], ['acc']);
    assert.deepEqual(g.map((r) => [r.method, r.s, r.n, r.acc_mean]), [['a', 0.5, 2, 2], ['b', 0.5, 1, 4], ['a', 0.9, 2, 2]]);
    close(Number(g[0].acc_std), Math.SQRT2, 1e-12);
    close(Number(g[0].acc_ci), (12.7062047 * Math.SQRT2) / Math.SQRT2, 1e-6);
    assert.equal(g[2].acc_ci, 0);
    assert.throws(() => summarizeGroups(rows, ['method'], ['accuracy']), /row 0 has no column 'accuracy'/);
    assert.throws(() => summarizeGroups([{ m: 'x', v: 'high' }], ['m'], ['v']), /non-numeric 'v'/);
  });
});
