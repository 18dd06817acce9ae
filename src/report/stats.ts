/**
 * Statistics over repeated runs (seeds): mean, sample standard deviation and Student-t
 * confidence intervals, per group of a results table. Pruning papers rarely report spread;
 * every curve in the notebooks comes with one of these.
 *
 * The Student-t quantile is computed (not tabulated) from the regularized incomplete beta
 * function, so any confidence level and any number of seeds work; the tests check it against
 * published table values.
 */
import { OptionError, UserError } from '../errors';

/** Mean, spread and confidence interval of a set of values (one per seed). */
export interface SeedSummary {
  /** Number of values. */
  n: number;
  /** Arithmetic mean (NaN when n = 0). */
  mean: number;
  /** Sample standard deviation, with n − 1 in the denominator (NaN when n < 2). */
  std: number;
  /** Half-width of the confidence interval, t_{(1+level)/2, n−1} · std / √n (NaN when n < 2). */
  ci: number;
  /** Lower end of the interval, mean − ci. */
  lo: number;
  /** Upper end of the interval, mean + ci. */
  hi: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Confidence level of `ci`, e.g. 0.95. */
  level: number;
}

function checkValues(values: ArrayLike<number>, what: string): number[] {
  const xs = Array.from(values);
  xs.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${what}: value ${i} is ${String(v)}; give finite numbers.`);
  });
  return xs;
}

/**
 * Arithmetic mean.
 * @param values finite numbers.
 * @returns the mean, NaN for no values.
 */
export function meanOf(values: ArrayLike<number>): number {
  const xs = checkValues(values, 'meanOf');
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/**
 * Sample standard deviation (denominator n − 1, as for an unbiased variance).
 * @param values finite numbers.
 * @returns the standard deviation, NaN for fewer than two values.
 */
export function stdOf(values: ArrayLike<number>): number {
  const xs = checkValues(values, 'stdOf');
  if (xs.length < 2) return NaN;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  // two-pass: subtract the mean first, which keeps precision for values far from 0
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new OptionError(`logGamma: x must be > 0; got ${x}.`, 'x');
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes `betacf`). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) return h;
  }
  return h;
}

/**
 * Regularized incomplete beta function I_x(a, b).
 * @param x in [0, 1].
 * @param a, b shape parameters > 0.
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new OptionError(`incompleteBeta: a and b must be > 0; got a=${a}, b=${b}.`);
  if (!(x >= 0 && x <= 1)) throw new OptionError(`incompleteBeta: x must be in [0, 1]; got ${x}.`, 'x');
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // the continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

function checkDf(df: number, what: string): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new OptionError(`${what}: degrees of freedom must be a finite number > 0; got ${df}.`, 'df');
}

/**
 * CDF of Student's t distribution with `df` degrees of freedom.
 * @returns P(T ≤ t).
 */
export function studentTCdf(t: number, df: number): number {
  checkDf(df, 'studentTCdf');
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Quantile of Student's t distribution: the t with P(T ≤ t) = p.
 * E.g. `studentTQuantile(0.975, 2)` = 4.3027 (the factor of a 95% interval from 3 seeds).
 *
 * @param p probability in (0, 1).
 * @param df degrees of freedom > 0.
 */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df, 'studentTQuantile');
  if (!(p > 0 && p < 1)) throw new OptionError(`studentTQuantile: p must be in (0, 1); got ${p}.`, 'p');
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // bracket, then bisect on the CDF (monotone): robust for every df, 200 halvings reach
  // machine precision long before the loop ends
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Mean, sample std and Student-t confidence interval of values from independent runs.
 *
 * @param values one value per seed (finite numbers).
 * @param level confidence level in (0, 1), default 0.95.
 * @returns the summary; `std`, `ci`, `lo`, `hi` are NaN for fewer than two values (one seed
 *   gives no interval: run more seeds).
 */
export function summarizeSeeds(values: ArrayLike<number>, level = 0.95): SeedSummary {
  if (!(level > 0 && level < 1)) throw new OptionError(`summarizeSeeds: level must be in (0, 1), e.g. 0.95; got ${level}.`, 'level');
  const xs = checkValues(values, 'summarizeSeeds');
  const n = xs.length;
  const mean = meanOf(xs);
  const std = stdOf(xs);
  const ci = n >= 2 ? (studentTQuantile((1 + level) / 2, n - 1) * std) / Math.sqrt(n) : NaN;
  return {
    n, mean, std, ci, lo: mean - ci, hi: mean + ci,
    min: n ? Math.min(...xs) : NaN, max: n ? Math.max(...xs) : NaN, level,
  };
}

/** One row of {@link summarizeGroups}: the group's key columns plus `<value>_mean`, `_std`, `_ci`, `_lo`, `_hi` and `n`. */
export type GroupSummaryRow = Record<string, string | number>;

/**
 * Groups result rows (one per run) by key columns and summarizes value columns over each group,
 * e.g. accuracy over seeds per (method, sparsity).
 *
 * @param rows one object per run.
 * @param by key columns, e.g. `['method', 'sparsity']`.
 * @param values numeric columns to summarize, e.g. `['accuracy']`.
 * @param level confidence level (default 0.95).
 * @returns one row per group, in order of first appearance, with the key columns, `n` and
 *   `<value>_mean`, `<value>_std`, `<value>_ci`, `<value>_lo`, `<value>_hi` per value column.
 * @throws when a column is missing or a value is not a finite number.
 */
export function summarizeGroups(
  rowsIn: readonly object[],
  by: readonly string[],
  values: readonly string[],
  level = 0.95,
): GroupSummaryRow[] {
  // plain objects and interfaces alike (an interface is not assignable to Record<string, unknown>)
  const rows = rowsIn as readonly Record<string, unknown>[];
  const groups = new Map<string, { key: Record<string, string | number>; idx: number[] }>();
  rows.forEach((r, i) => {
    for (const c of [...by, ...values]) {
      if (!(c in r)) throw new UserError(`summarizeGroups: row ${i} has no column '${c}'. Columns: ${Object.keys(r).join(', ')}.`);
    }
    const key: Record<string, string | number> = {};
    for (const c of by) key[c] = r[c] as string | number;
    const k = JSON.stringify(by.map((c) => r[c]));
    const g = groups.get(k) ?? { key, idx: [] };
    g.idx.push(i);
    groups.set(k, g);
  });
  return [...groups.values()].map(({ key, idx }) => {
    const out: GroupSummaryRow = { ...key, n: idx.length };
    for (const v of values) {
      const s = summarizeSeeds(idx.map((i) => {
        const x = rows[i][v];
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new UserError(`summarizeGroups: row ${i} has a non-numeric '${v}' (${String(x)}).`);
        return x;
      }), level);
      out[`${v}_mean`] = s.mean;
      out[`${v}_std`] = s.std;
      out[`${v}_ci`] = s.ci;
      out[`${v}_lo`] = s.lo;
      out[`${v}_hi`] = s.hi;
    }
    return out;
  });
}

/**
 * Formats a summary as `mean ± ci` with a fixed number of decimals (scaled, e.g. ×100 for %).
 * @example formatSummary(summarizeSeeds([0.981, 0.983, 0.982]), 100, 2) // '98.20 ± 0.25'
 */
export function formatSummary(s: Pick<SeedSummary, 'mean' | 'ci'>, scale = 1, digits = 2): string {
  const m = (s.mean * scale).toFixed(digits);
  return Number.isFinite(s.ci) ? `${m} ± ${(s.ci * scale).toFixed(digits)}` : `${m} (one run, no interval)`;
}
