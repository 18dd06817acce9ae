/**
 * Plotly figure of measured vs theoretical speedup over sparsity (plain JSON {data, layout},
 * for the notebook display and the `%speedup` magic).
 */
import { SpeedupReport, SweepPoint } from './speedup';

/** A plotly figure as plain JSON. */
export interface SpeedupFigure {
  /** Traces. */
  data: Array<Record<string, unknown>>;
  /** Layout. */
  layout: Record<string, unknown>;
}

/**
 * Builds the figure: one line per (shape, format, batch) of measured speedup, the theoretical
 * FLOP-based speedup 1 / (1 - s), and the break-even line (speedup 1). Log y axis.
 *
 * @param source a speedup report (its sweep is plotted) or sweep points.
 * @param title figure title.
 */
export function speedupFigure(source: SpeedupReport | SweepPoint[], title = 'Measured vs theoretical speedup'): SpeedupFigure {
  const points = Array.isArray(source) ? source : source.sweep;
  const groups = new Map<string, SweepPoint[]>();
  for (const p of points) {
    const k = `${p.shape[0]}×${p.shape[1]} ${p.format} batch ${p.batch}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  const data: Array<Record<string, unknown>> = [];
  for (const [name, g] of groups) {
    g.sort((a, b) => a.sparsity - b.sparsity);
    data.push({ type: 'scatter', mode: 'lines+markers', name, x: g.map((p) => p.sparsity), y: g.map((p) => p.measured) });
  }
  const xs = [...new Set(points.map((p) => p.sparsity))].sort((a, b) => a - b);
  if (xs.length) {
    data.push({ type: 'scatter', mode: 'lines', name: 'theoretical 1/(1−s)', x: xs, y: xs.map((s) => 1 / (1 - s)), line: { dash: 'dot', color: 'black' } });
    data.push({ type: 'scatter', mode: 'lines', name: 'break-even (= dense)', x: [xs[0], xs[xs.length - 1]], y: [1, 1], line: { dash: 'dash', color: 'gray' } });
  }
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'sparsity (fraction of pruned weights)' } },
      yaxis: { title: { text: 'speedup over dense (×)' }, type: 'log' },
      legend: { orientation: 'v' },
    },
  };
}
