/** Accuracy-vs-sparsity and Pareto plots from a results table (one row per run). */
import { toRecords } from '../report/table';
import { baseLayout, type Figure } from './figure';
import { UserError } from '../errors';

/** Options of the results-table plots. */
export interface TradeoffOptions {
  /** Column for the x axis (default `sparsity`). */
  x?: string;
  /** Column for the y axis (default `accuracy`). */
  y?: string;
  /** Column that splits rows into lines/groups (default `method` when present). */
  group?: string;
  /** Figure title. */
  title?: string;
  /** For {@link pareto}: true when smaller x is better (e.g. parameters, FLOPs; default false: more sparsity is better). */
  minimizeX?: boolean;
}

function numeric(rows: Record<string, unknown>[], col: string, what: string): number[] {
  if (rows.length && !(col in rows[0])) {
    throw new UserError(`${what}: the results table has no column '${col}'. Columns: ${Object.keys(rows[0]).join(', ')}.`);
  }
  return rows.map((r, i) => {
    const v = Number(r[col]);
    if (!Number.isFinite(v)) throw new UserError(`${what}: row ${i} has a non-numeric '${col}' (${String(r[col])}).`);
    return v;
  });
}

function groups(rows: Record<string, unknown>[], group: string | undefined): Map<string, number[]> {
  const out = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const key = group ? String(r[group]) : 'runs';
    out.set(key, [...(out.get(key) ?? []), i]);
  });
  return out;
}

function defaultGroup(rows: Record<string, unknown>[], group?: string): string | undefined {
  if (group) return group;
  return rows.length && 'method' in rows[0] ? 'method' : undefined;
}

/**
 * Accuracy against sparsity, one line per method (rows sorted by x).
 *
 * @param table array of row objects or a danfojs DataFrame with the x/y (and group) columns.
 */
export function accuracyVsSparsity(table: unknown, options: TradeoffOptions = {}): Figure {
  const rows = toRecords(table);
  const xc = options.x ?? 'sparsity';
  const yc = options.y ?? 'accuracy';
  const xs = numeric(rows, xc, 'accuracyVsSparsity');
  const ys = numeric(rows, yc, 'accuracyVsSparsity');
  const g = defaultGroup(rows, options.group);
  const data = [...groups(rows, g)].map(([name, idx]) => {
    const sorted = [...idx].sort((a, b) => xs[a] - xs[b]);
    return { type: 'scatter', mode: 'lines+markers', name, x: sorted.map((i) => xs[i]), y: sorted.map((i) => ys[i]) };
  });
  return {
    data,
    layout: baseLayout(options.title ?? `${yc} vs ${xc}`, { xaxis: { title: { text: xc } }, yaxis: { title: { text: yc } } }),
  };
}

/**
 * Indices of the Pareto-optimal points when y is maximised and x is maximised (or minimised, e.g.
 * a cost such as remaining parameters):
 * no other point is at least as good in both and better in one.
 *
 * @returns indices sorted by x.
 */
export function paretoFront(xs: readonly number[], ys: readonly number[], minimizeX = false): number[] {
  if (xs.length !== ys.length) throw new UserError(`paretoFront: ${xs.length} x values but ${ys.length} y values.`);
  const sx = minimizeX ? -1 : 1;
  const order = xs.map((_, i) => i).sort((a, b) => sx * (xs[b] - xs[a]) || ys[b] - ys[a]);
  const front: number[] = [];
  let bestY = -Infinity;
  for (const i of order) {
    // Walking from the best x downwards, a point is on the front iff its y beats every point
    // with better-or-equal x seen so far.
    if (ys[i] > bestY) {
      front.push(i);
      bestY = ys[i];
    }
  }
  return front.sort((a, b) => xs[a] - xs[b]);
}

/**
 * All runs as points (one colour per method) and the Pareto front as a line.
 *
 * @param table array of row objects or a danfojs DataFrame.
 */
export function pareto(table: unknown, options: TradeoffOptions = {}): Figure {
  const rows = toRecords(table);
  const xc = options.x ?? 'sparsity';
  const yc = options.y ?? 'accuracy';
  const xs = numeric(rows, xc, 'pareto');
  const ys = numeric(rows, yc, 'pareto');
  const g = defaultGroup(rows, options.group);
  const data: Record<string, unknown>[] = [...groups(rows, g)].map(([name, idx]) => ({
    type: 'scatter',
    mode: 'markers',
    name,
    x: idx.map((i) => xs[i]),
    y: idx.map((i) => ys[i]),
    marker: { size: 9 },
  }));
  const front = paretoFront(xs, ys, options.minimizeX);
  data.push({ type: 'scatter', mode: 'lines', name: 'Pareto front', x: front.map((i) => xs[i]), y: front.map((i) => ys[i]), line: { shape: 'hv', color: 'black', dash: 'dash' } });
  return {
    data,
    layout: baseLayout(options.title ?? `Pareto front: ${yc} vs ${xc}`, { xaxis: { title: { text: xc } }, yaxis: { title: { text: yc } } }),
  };
}
