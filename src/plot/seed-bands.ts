/**
 * Figures of experiment rows (one row per run): the mean over seeds with a confidence band, and
 * accuracy against cost with the Pareto front of the means.
 */
import { summarizeGroups } from '../report/stats';
import { baseLayout, type Figure, type Trace } from './figure';
import { paretoFront } from './tradeoff';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Options of {@link seedBandFigure}. */
export interface SeedBandOptions {
  /** Column of the x axis (e.g. `sparsity`). */
  x: string;
  /** Column of the y axis (e.g. `accuracyFinetuned`). */
  y: string;
  /** Column that splits rows into lines (e.g. `method`); one line when omitted. */
  group?: string;
  /** Band: `ci` (Student-t 95% interval, default) or `std` (± one standard deviation). */
  band?: 'ci' | 'std';
  /** Multiply y values (e.g. 100 for percent). */
  yScale?: number;
  /** Figure title. */
  title?: string;
  /** Axis titles (default the column names). */
  xTitle?: string;
  yTitle?: string;
  /** Log-scale x axis. */
  logX?: boolean;
  /** Line shape (`linear` default; `hv` for step curves). */
  lineShape?: string;
  /** Show markers (default true). */
  markers?: boolean;
}

/** Layout of an x–y figure of experiment rows: axis titles default to the column names, legend below. */
function xyLayout(o: { title?: string; x: string; y: string; xTitle?: string; yTitle?: string; logX?: boolean }, height: number): Record<string, unknown> {
  return baseLayout(o.title ?? `${o.y} vs ${o.x}`, {
    xaxis: { title: { text: o.xTitle ?? o.x }, automargin: true, ...(o.logX ? { type: 'log' } : {}) },
    yaxis: { title: { text: o.yTitle ?? o.y }, automargin: true },
    // At the bottom of the figure, not at a fixed fraction of the plot below it: at small heights
    // y: -0.25 put the legend on the x-axis title. The bottom margin grows to fit both.
    legend: { orientation: 'h', x: 0, xanchor: 'left', yref: 'container', y: 0, yanchor: 'bottom' },
    height,
  });
}

/**
 * Mean over seeds as a line with a shaded confidence band, one line per group: rows with the
 * same group and x are the seeds of one point.
 *
 * @param rows one row per run (e.g. from {@link evaluateVariants}).
 * @returns a plotly figure; the legend says how many seeds each line has.
 */
export function seedBandFigure(rows: readonly object[], o: SeedBandOptions): Figure {
  const groupCol = o.group;
  const by = groupCol ? [groupCol, o.x] : [o.x];
  const summary = summarizeGroups(rows, by, [o.y]);
  const scale = o.yScale ?? 1;
  const names = [...new Set(summary.map((r) => (groupCol ? String(r[groupCol]) : o.y)))];
  const data: Trace[] = [];
  names.forEach((name, gi) => {
    const pts = summary.filter((r) => (groupCol ? String(r[groupCol]) : o.y) === name).sort((a, b) => Number(a[o.x]) - Number(b[o.x]));
    const xs = pts.map((p) => Number(p[o.x]));
    const mean = pts.map((p) => Number(p[`${o.y}_mean`]) * scale);
    const half = pts.map((p) => {
      const h = Number(p[o.band === 'std' ? `${o.y}_std` : `${o.y}_ci`]) * scale;
      return Number.isFinite(h) ? h : 0;
    });
    const color = COLORS[gi % COLORS.length];
    const ns = [...new Set(pts.map((p) => p.n))];
    const band = o.band === 'std' ? '± std' : '95% CI';
    data.push({
      type: 'scatter', mode: 'lines', x: [...xs, ...xs.slice().reverse()],
      y: [...mean.map((m, i) => m + half[i]), ...mean.map((m, i) => m - half[i]).reverse()],
      fill: 'toself', fillcolor: rgba(color, 0.18), line: { width: 0, shape: o.lineShape ?? 'linear' }, hoverinfo: 'skip', showlegend: false, legendgroup: name,
    });
    data.push({
      type: 'scatter', mode: o.markers === false ? 'lines' : 'lines+markers', name: `${name} (n=${ns.join('/')}, ${band})`, x: xs, y: mean,
      line: { color, shape: o.lineShape ?? 'linear' }, legendgroup: name,
      error_y: { type: 'data', array: half, visible: false },
    });
  });
  return {
    data,
    layout: xyLayout(o, 460),
  };
}

/**
 * Accuracy against remaining parameters (or any cost, smaller is better): the mean of each
 * (group, target) over seeds with 95% CI error bars, and the Pareto front of those means.
 *
 * @param rows one row per run with the columns named in `o`.
 * @param o `x` (cost column, e.g. `remaining`), `y` (e.g. `accuracyFinetuned`), `group`
 *   (e.g. `method`), `by` (the column that tells a group's points apart, default `target`).
 */
export function paretoFigure(
  rows: readonly object[],
  o: { x: string; y: string; group: string; by?: string; yScale?: number; title?: string; xTitle?: string; yTitle?: string; logX?: boolean },
): Figure {
  const by = o.by ?? 'target';
  const s = summarizeGroups(rows, [o.group, by], [o.x, o.y]);
  const scale = o.yScale ?? 1;
  const names = [...new Set(s.map((r) => String(r[o.group])))];
  const data: Trace[] = names.map((name, gi) => {
    const pts = s.filter((r) => String(r[o.group]) === name);
    return {
      type: 'scatter', mode: 'markers', name: `${name} (n=${[...new Set(pts.map((p) => p.n))].join('/')})`,
      x: pts.map((p) => Number(p[`${o.x}_mean`])), y: pts.map((p) => Number(p[`${o.y}_mean`]) * scale),
      error_y: { type: 'data', array: pts.map((p) => (Number.isFinite(Number(p[`${o.y}_ci`])) ? Number(p[`${o.y}_ci`]) * scale : 0)), visible: true },
      marker: { size: 9, color: COLORS[gi % COLORS.length] },
      text: pts.map((p) => `${by} ${p[by]}`),
    };
  });
  const xs = s.map((r) => Number(r[`${o.x}_mean`]));
  const ys = s.map((r) => Number(r[`${o.y}_mean`]) * scale);
  const front = paretoFront(xs, ys, true);
  data.push({ type: 'scatter', mode: 'lines', name: 'Pareto front (means)', x: front.map((i) => xs[i]), y: front.map((i) => ys[i]), line: { shape: 'hv', color: 'black', dash: 'dash' } });
  return {
    data,
    layout: xyLayout(o, 480),
  };
}
