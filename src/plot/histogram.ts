/** Weight histograms (computed here, so the figure holds bin counts, not 266k raw values). */
import { baseLayout, type Figure } from './figure';
import { OptionError, UserError } from '../errors';

/** Bin edges and counts of a histogram. */
export interface Histogram {
  /** `bins + 1` increasing edges; bin i is `[edges[i], edges[i+1])`, the last bin also holds its right edge. */
  edges: number[];
  /** Count per bin. */
  counts: number[];
}

/**
 * Counts values into equal-width bins.
 *
 * @param values the values (NaN is skipped).
 * @param options `bins` (default 60) and `range` `[lo, hi]` (default: the values' min and max).
 * @returns edges and counts.
 */
export function histogram(values: ArrayLike<number>, options: { bins?: number; range?: [number, number] } = {}): Histogram {
  const bins = options.bins ?? 60;
  if (!Number.isInteger(bins) || bins < 1) throw new OptionError(`histogram: bins must be a positive integer, got ${bins}.`, 'bins');
  let [lo, hi] = options.range ?? [Infinity, -Infinity];
  if (!options.range) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === Infinity) [lo, hi] = [0, 1];
  }
  if (!(hi >= lo)) throw new OptionError(`histogram: range [${lo}, ${hi}] is empty.`, 'range');
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  edges[bins] = hi;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))] += 1;
  }
  return { edges, counts };
}

/** One named set of values for {@link weightHistogram}. */
export interface ValueSeries {
  /** Legend name, e.g. `before` or `dense_1/kernel`. */
  name: string;
  /** The values. */
  values: ArrayLike<number>;
}

/** Options of {@link weightHistogram}. */
export interface WeightHistogramOptions {
  /** Number of bins (default 60), shared by all series so that they line up. */
  bins?: number;
  /** Figure title. */
  title?: string;
  /** Leave exact zeros out (pruned weights would otherwise dwarf everything; default true). */
  dropZeros?: boolean;
  /** Log-scale y axis (default false). */
  logY?: boolean;
}

/**
 * A plotly bar trace of one histogram, for figures that overlay several (`barmode: 'overlay'`):
 * bars at the bin centres, as wide as a bin, translucent when there are others.
 */
export function overlaidHistogramTrace(name: string, h: { counts: readonly number[]; edges: readonly number[] }, traces: number): Record<string, unknown> {
  return {
    type: 'bar',
    name,
    x: h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2),
    y: h.counts,
    width: h.edges[1] - h.edges[0],
    opacity: traces > 1 ? 0.6 : 1,
  };
}

/**
 * Overlaid histograms of weight values, e.g. before and after pruning: magnitude pruning
 * leaves a gap around zero that this plot shows.
 *
 * @param series the value sets, all binned on one common range.
 * @returns a plotly figure.
 */
export function weightHistogram(series: ValueSeries[], options: WeightHistogramOptions = {}): Figure {
  if (!series.length) throw new UserError('weightHistogram: give at least one series of values.');
  const dropZeros = options.dropZeros ?? true;
  const kept = series.map((s) => ({
    name: s.name,
    values: dropZeros ? Float64Array.from(Array.prototype.filter.call(s.values, (v: number) => v !== 0) as number[]) : s.values,
  }));
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of kept) {
    for (let i = 0; i < s.values.length; i++) {
      lo = Math.min(lo, s.values[i]);
      hi = Math.max(hi, s.values[i]);
    }
  }
  const range: [number, number] = lo === Infinity ? [-1, 1] : [lo, hi];
  const data = kept.map((s) => overlaidHistogramTrace(`${s.name} (${s.values.length} nonzero)`, histogram(s.values, { bins: options.bins, range }), kept.length));
  return {
    data,
    layout: baseLayout(options.title ?? 'Weight histogram', {
      barmode: 'overlay',
      bargap: 0,
      xaxis: { title: { text: 'weight value' } },
      yaxis: { title: { text: 'count' }, type: options.logY ? 'log' : 'linear' },
    }),
  };
}
