/** Training curves: loss and accuracy per epoch. */
import { baseLayout, type Figure } from './figure';

/** The per-epoch fields this plot reads (a subset of the training loop's `EpochMetrics`). */
export interface CurvePoint {
  /** Epoch, 0-based. */
  epoch: number;
  /** Training loss. */
  loss: number;
  /** Training accuracy in [0, 1]. */
  accuracy: number;
  /** Validation loss, when evaluated. */
  valLoss?: number;
  /** Validation accuracy, when evaluated. */
  valAccuracy?: number;
}

/**
 * Loss (left axis) and accuracy (right axis) per epoch, with validation curves when present.
 *
 * @param history what `train` returns (its `epochs` rows are plotted), or the rows themselves.
 * @returns a plotly figure.
 */
export function trainingCurves(history: CurvePoint[] | { epochs: CurvePoint[] } | { history: CurvePoint[] }, options: { title?: string } = {}): Figure {
  const rows = Array.isArray(history)
    ? history
    : history && typeof history === 'object' && 'epochs' in history
      ? history.epochs
      : (history as { history?: CurvePoint[] } | undefined)?.history;
  if (!Array.isArray(rows)) throw new Error('trainingCurves: expected what pl.train returns (an object with `epochs`), or an array of epoch rows.');
  const x = rows.map((r) => r.epoch + 1);
  const line = (name: string, y: (number | undefined)[], axis: string, dash: string) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    x,
    y: y.map((v) => (v === undefined ? null : v)),
    yaxis: axis,
    line: { dash },
  });
  const data = [line('train loss', rows.map((r) => r.loss), 'y', 'solid'), line('train accuracy', rows.map((r) => r.accuracy), 'y2', 'solid')];
  if (rows.some((r) => r.valLoss !== undefined)) data.push(line('val loss', rows.map((r) => r.valLoss), 'y', 'dot'));
  if (rows.some((r) => r.valAccuracy !== undefined)) data.push(line('val accuracy', rows.map((r) => r.valAccuracy), 'y2', 'dot'));
  return {
    data,
    layout: baseLayout(options.title ?? 'Training curves', {
      xaxis: { title: { text: 'epoch' }, dtick: 1 },
      yaxis: { title: { text: 'loss' } },
      yaxis2: { title: { text: 'accuracy' }, overlaying: 'y', side: 'right', range: [0, 1] },
      legend: { orientation: 'h', y: -0.2 },
    }),
  };
}
