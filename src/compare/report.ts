/**
 * The comparison's tables, all computed from the results store's rows (one per `compare`
 * trial): accuracy with confidence intervals, a rank table with the test that says when two
 * methods cannot be told apart, the Pareto front against FLOPs or latency, the compute each
 * method spent, the training budget each trial actually used, and the papers' numbers beside ours.
 *
 * The statistics, stated once:
 * - a mean over seeds comes with a 95% Student-t interval (`summarizeSeeds`);
 * - two methods at the same (model, dataset, target) are told apart by Welch's t-test on their
 *   seeds' accuracies, the p-values of all pairs of that group corrected by Holm's method; a
 *   method's rank is 1 + the number of methods significantly better than it, so methods that
 *   cannot be told apart from the best share rank 1;
 * - a method is called better (worse) than the baseline only when its whole interval lies above
 *   (below) the baseline's: overlapping intervals are "cannot tell", whatever the test says.
 */
import { OptionError, UserError } from '../errors';
import { meanOf, studentTCdf, summarizeSeeds } from '../report/stats';
import { paretoFront } from '../plot/tradeoff';
import type { PaperNumber } from './benchmark';

/** One trial of the comparison, as the tables read it. */
export interface ComparisonRow {
  label: string;
  family: string;
  protocol: string;
  model: string;
  dataset: string;
  /** Target sparsity (the grid's). */
  target: number;
  seed: number;
  /** Test accuracy of the final model. */
  accuracy: number;
  /** Sparsity measured on the final model (shrunk, all kernel layers). */
  sparsity: number;
  /** Fraction of the dense FLOPs left. */
  flopsLeft: number;
  /** Latency at batch 1 and 64 (ms), best of dense / CSR / shrunk. */
  latency1Ms: number;
  latency64Ms: number;
  /** Epochs trained, dense included, and the budget. */
  epochsUsed: number;
  budgetEpochs: number;
  /** Seconds of the trial's own work (protocol), and of training its dense model (shared). */
  methodSeconds: number;
  denseTrainSeconds: number;
  /** Wall seconds of the whole trial process. */
  seconds: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/**
 * Rows of a comparison sweep (`pl.sweeps.load(dir).rows` or a summary's rows) as
 * {@link ComparisonRow}s; failed trials are left out.
 * @throws UserError when a row is not a `compare` trial's.
 */
export function comparisonRows(rows: readonly Record<string, unknown>[]): ComparisonRow[] {
  return rows.filter((r) => r.status === 'done').map((r, i) => {
    if (typeof r.label !== 'string' || r.flopsLeft === undefined) {
      throw new UserError(`comparisonRows: row ${i} (${String(r.id)}) is not a 'compare' trial's (no label or flopsLeft); load the comparison sweep's results.`);
    }
    return {
      label: r.label, family: String(r.family ?? ''), protocol: String(r.protocol), model: String(r.model), dataset: String(r.dataset),
      target: num(r.target), seed: num(r.seed), accuracy: num(r.accuracy), sparsity: num(r.sparsity),
      flopsLeft: num(r.flopsLeft) / num(r.flops), latency1Ms: num(r.latency1Ms), latency64Ms: num(r.latency64Ms),
      epochsUsed: num(r.epochsUsed), budgetEpochs: num(r.budgetEpochs),
      methodSeconds: num(r.methodSeconds), denseTrainSeconds: num(r.denseTrainSeconds), seconds: num(r.seconds),
    };
  });
}

/** Groups rows by a key. */
function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const g = out.get(k) ?? [];
    g.push(r);
    out.set(k, g);
  }
  return out;
}

const setting = (r: ComparisonRow) => `${r.model} / ${r.dataset}`;
const pct = (x: number, d = 2) => (Number.isFinite(x) ? (100 * x).toFixed(d) : '—');
const meanCi = (xs: number[], scale = 100, d = 2) => {
  const s = summarizeSeeds(xs);
  return Number.isFinite(s.ci) ? `${(s.mean * scale).toFixed(d)} ± ${(s.ci * scale).toFixed(d)}` : `${(s.mean * scale).toFixed(d)} (n=1)`;
};

/** The mean of the finite values (a latency a trial did not measure is NaN), or '—'. */
const finiteMean = (xs: number[], digits: number) => {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? meanOf(ok).toFixed(digits) : '—';
};

/** Accuracy (mean ± 95% CI over seeds) and what was measured, per setting, method and target. */
export function accuracyTable(rows: readonly ComparisonRow[]): Record<string, string | number>[] {
  const out: Record<string, string | number>[] = [];
  for (const [, g] of groupBy(rows, (r) => `${setting(r)}|${r.label}|${r.target}`)) {
    const r0 = g[0];
    out.push({
      setting: setting(r0), method: r0.label, target: r0.target, seeds: g.length,
      'accuracy %': meanCi(g.map((r) => r.accuracy)),
      'sparsity % (measured)': pct(meanOf(g.map((r) => r.sparsity))),
      'FLOPs left %': pct(meanOf(g.map((r) => r.flopsLeft))),
      'latency b=1 ms': finiteMean(g.map((r) => r.latency1Ms), 3),
      'latency b=64 ms': finiteMean(g.map((r) => r.latency64Ms), 2),
    });
  }
  return out.sort((a, b) => String(a.setting).localeCompare(String(b.setting)) || Number(a.target) - Number(b.target) || String(a.method).localeCompare(String(b.method)));
}

/** Welch's unequal-variance t-test, two-sided. @returns t, its degrees of freedom and p. */
export function welchTTest(a: readonly number[], b: readonly number[]): { t: number; df: number; p: number } {
  if (a.length < 2 || b.length < 2) throw new OptionError(`welchTTest: each sample needs at least 2 values (seeds); got ${a.length} and ${b.length}.`, 'seeds');
  const sa = summarizeSeeds(a), sb = summarizeSeeds(b);
  const va = sa.std ** 2 / a.length, vb = sb.std ** 2 / b.length;
  const diff = sa.mean - sb.mean;
  if (va + vb === 0) return diff === 0 ? { t: 0, df: NaN, p: 1 } : { t: Math.sign(diff) * Infinity, df: NaN, p: 0 };
  const t = diff / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), df)));
  return { t, df, p };
}

/** Holm's step-down correction: adjusted p-values in the input order. */
export function holmAdjust(p: readonly number[]): number[] {
  const order = p.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(p.length);
  let running = 0;
  order.forEach(([v, i], k) => {
    running = Math.max(running, Math.min(1, (p.length - k) * v));
    out[i] = running;
  });
  return out;
}

/** Options of {@link rankTable}. */
export interface RankOptions {
  /** Significance level of the Holm-corrected Welch tests (default 0.05). */
  alpha?: number;
  /** The method the verdict column compares with (default `magnitude`). */
  baseline?: string;
}

/**
 * Ranks the methods at each (setting, target): rank = 1 + the number of methods significantly
 * better (Holm-corrected Welch tests at `alpha`), and a verdict against the baseline by the
 * confidence intervals (see the module comment).
 */
export function rankTable(rows: readonly ComparisonRow[], o: RankOptions = {}): Record<string, string | number>[] {
  const alpha = o.alpha ?? 0.05;
  const baseline = o.baseline ?? 'magnitude';
  const out: Record<string, string | number>[] = [];
  for (const [, g] of groupBy(rows, (r) => `${setting(r)}|${r.target}`)) {
    const byMethod = [...groupBy(g, (r) => r.label)].map(([label, rs]) => ({ label, acc: rs.map((r) => r.accuracy), s: summarizeSeeds(rs.map((r) => r.accuracy)) }));
    const pairs: [number, number][] = [];
    for (let i = 0; i < byMethod.length; i++) for (let j = i + 1; j < byMethod.length; j++) pairs.push([i, j]);
    const raw = pairs.map(([i, j]) => (byMethod[i].acc.length >= 2 && byMethod[j].acc.length >= 2 ? welchTTest(byMethod[i].acc, byMethod[j].acc).p : 1));
    const adjusted = holmAdjust(raw);
    const better = byMethod.map(() => 0);
    pairs.forEach(([i, j], k) => {
      if (adjusted[k] >= alpha) return;
      if (byMethod[i].s.mean > byMethod[j].s.mean) better[j]++;
      else better[i]++;
    });
    const base = byMethod.find((m) => m.label === baseline);
    byMethod.forEach((m, i) => {
      let verdict = '—';
      if (base && m.label !== baseline) {
        verdict = !Number.isFinite(m.s.ci) || !Number.isFinite(base.s.ci) ? 'cannot tell (one seed)'
          : m.s.lo > base.s.hi ? 'better' : m.s.hi < base.s.lo ? 'worse' : 'cannot tell';
      }
      out.push({ setting: setting(g[0]), target: g[0].target, rank: 1 + better[i], method: m.label, 'accuracy %': meanCi(m.acc), [`vs ${baseline}`]: verdict });
    });
  }
  return out.sort((a, b) => String(a.setting).localeCompare(String(b.setting)) || Number(a.target) - Number(b.target) || Number(a.rank) - Number(b.rank) || String(a.method).localeCompare(String(b.method)));
}

/** The cost axes of the Pareto tables. */
export type CostAxis = 'flopsLeft' | 'latency1Ms' | 'latency64Ms' | 'sparsity';

/**
 * The Pareto front per setting: the (method, target) means that no other point beats on both
 * accuracy and the cost (less FLOPs or latency; for `sparsity`, more).
 */
export function paretoTable(rows: readonly ComparisonRow[], cost: CostAxis): Record<string, string | number>[] {
  const out: Record<string, string | number>[] = [];
  for (const [, g] of groupBy(rows, setting)) {
    const pts = [...groupBy(g, (r) => `${r.label}|${r.target}`)].map(([, rs]) => ({
      method: rs[0].label, target: rs[0].target, cost: meanOf(rs.map((r) => r[cost])), accuracy: meanOf(rs.map((r) => r.accuracy)),
    }));
    // paretoFront minimises x when asked: sparsity is a benefit, so it is negated
    const xs = pts.map((p) => (cost === 'sparsity' ? -p.cost : p.cost));
    const front = paretoFront(xs, pts.map((p) => p.accuracy), true);
    for (const i of front) {
      const p = pts[i];
      out.push({ setting: setting(g[0]), method: p.method, target: p.target, [cost]: cost.startsWith('latency') ? Number(p.cost.toFixed(3)) : pct(p.cost), 'accuracy %': pct(p.accuracy) });
    }
  }
  return out;
}

/** The compute each method spent: its trials' own seconds, and the dense training it started from. */
export function computeTable(rows: readonly ComparisonRow[]): Record<string, string | number>[] {
  return [...groupBy(rows, (r) => r.label)].map(([label, g]) => ({
    method: label, protocol: g[0].protocol, trials: g.length,
    'method s / trial': meanOf(g.map((r) => r.methodSeconds)).toFixed(1),
    'dense s / trial': meanOf(g.map((r) => r.denseTrainSeconds)).toFixed(1),
    'trial wall s (sum)': g.reduce((a, r) => a + r.seconds, 0).toFixed(0),
  }));
}

/** The budget each trial actually used, per method: epochs trained (dense included) against the budget. */
export function budgetTable(rows: readonly ComparisonRow[]): Record<string, string | number>[] {
  return [...groupBy(rows, (r) => r.label)].map(([label, g]) => {
    const used = g.map((r) => r.epochsUsed);
    return {
      method: label, protocol: g[0].protocol, trials: g.length, 'budget epochs': [...new Set(g.map((r) => r.budgetEpochs))].join('/'),
      'epochs used (min)': Math.min(...used).toFixed(3), 'epochs used (max)': Math.max(...used).toFixed(3),
    };
  });
}

/**
 * The papers' numbers beside ours: for each paper number, our row of the same method and setting
 * at the target nearest to the paper's sparsity.
 */
export function paperTable(rows: readonly ComparisonRow[], paper: readonly PaperNumber[]): Record<string, string | number>[] {
  return paper.map((p) => {
    const ours = rows.filter((r) => r.label === p.label && r.model === p.model && r.dataset === p.dataset);
    const targets = [...new Set(ours.map((r) => r.target))];
    const nearest = targets.sort((a, b) => Math.abs(a - p.sparsity) - Math.abs(b - p.sparsity))[0];
    const at = ours.filter((r) => r.target === nearest);
    return {
      method: p.label, setting: `${p.model} / ${p.dataset}`, 'paper sparsity %': pct(p.sparsity, 1), 'paper accuracy %': pct(p.accuracy),
      'our sparsity % (measured)': at.length ? pct(meanOf(at.map((r) => r.sparsity)), 1) : 'not run',
      'our accuracy %': at.length ? meanCi(at.map((r) => r.accuracy)) : 'not run', source: p.source,
    };
  });
}
