/** Training curves: loss and accuracy per epoch. */
import { baseLayout, type Figure } from './figure';
import { UserError } from '../errors';

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
 * The names each field goes by: prunelab's own (`pl.train`'s history rows) first, then those of
 * TensorFlow.js / Keras (`model.fit`'s `History`, the `logs` of an `onEpochEnd` callback).
 */
export const CURVE_KEYS: Readonly<Record<Exclude<keyof CurvePoint, 'epoch'>, readonly string[]>> = {
  loss: ['loss'],
  accuracy: ['accuracy', 'acc'],
  valLoss: ['valLoss', 'val_loss'],
  valAccuracy: ['valAccuracy', 'val_accuracy', 'val_acc'],
};

/** A tf.js `History` (what `model.fit` returns): one array per metric, indexed like `epoch`. */
interface TfHistory {
  epoch: number[];
  history: Record<string, unknown[]>;
}

function isTfHistory(v: unknown): v is TfHistory {
  const h = v as TfHistory | null;
  return !!h && typeof h === 'object' && Array.isArray(h.epoch) && !!h.history && typeof h.history === 'object' && !Array.isArray(h.history);
}

function pick(row: Record<string, unknown>, names: readonly string[]): number | undefined {
  for (const n of names) {
    const v = row[n];
    if (v !== undefined && v !== null) return Number(v);
  }
  return undefined;
}

/** The rows of what `trainingCurves` accepts, in prunelab's field names. */
export function curveRows(history: unknown): CurvePoint[] {
  let raw: unknown;
  if (Array.isArray(history)) raw = history;
  else if (isTfHistory(history)) {
    const cols = history.history;
    raw = history.epoch.map((epoch, i) => Object.fromEntries([['epoch', epoch], ...Object.entries(cols).map(([k, v]) => [k, Array.isArray(v) ? v[i] : undefined])]));
  } else if (history && typeof history === 'object' && Array.isArray((history as { epochs?: unknown }).epochs)) raw = (history as { epochs: unknown[] }).epochs;
  else if (history && typeof history === 'object' && Array.isArray((history as { history?: unknown }).history)) raw = (history as { history: unknown[] }).history;
  if (!Array.isArray(raw)) {
    throw new UserError('trainingCurves: expected what pl.train returns (an object with `epochs`), what tf model.fit returns (a History), or an array of epoch rows.');
  }
  return raw.map((r, i) => {
    if (!r || typeof r !== 'object') throw new UserError(`trainingCurves: epoch row ${i} is not an object.`);
    const row = r as Record<string, unknown>;
    const loss = pick(row, CURVE_KEYS.loss);
    if (loss === undefined) {
      throw new UserError(`trainingCurves: epoch row ${i} has no training loss (looked for ${CURVE_KEYS.loss.join(', ')}); its keys: ${Object.keys(row).join(', ')}.`);
    }
    return {
      epoch: typeof row.epoch === 'number' ? row.epoch : i,
      loss,
      accuracy: pick(row, CURVE_KEYS.accuracy) as number,
      valLoss: pick(row, CURVE_KEYS.valLoss),
      valAccuracy: pick(row, CURVE_KEYS.valAccuracy),
    };
  });
}

/**
 * Loss (left axis) and accuracy (right axis) per epoch, with validation curves when present.
 *
 * @param history what `pl.train` returns (its `epochs` rows are plotted), what tf's `model.fit`
 *   returns (a `History` with `loss`, `acc`, `val_loss`, `val_acc`), or an array of epoch rows
 *   in either naming (see {@link CURVE_KEYS}).
 * @returns a plotly figure.
 */
export function trainingCurves(history: CurvePoint[] | { epochs: CurvePoint[] } | { history: CurvePoint[] }, options: { title?: string } = {}): Figure {
  const rows = curveRows(history);
  const x = rows.map((r) => r.epoch + 1);
  const line = (name: string, y: (number | undefined)[], axis: string, dash: string) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    x,
    y: y.map((v) => (v === undefined || Number.isNaN(v) ? null : v)),
    yaxis: axis,
    line: { dash },
  });
  const data = [line('train loss', rows.map((r) => r.loss), 'y', 'solid')];
  if (rows.some((r) => r.accuracy !== undefined)) data.push(line('train accuracy', rows.map((r) => r.accuracy), 'y2', 'solid'));
  if (rows.some((r) => r.valLoss !== undefined)) data.push(line('val loss', rows.map((r) => r.valLoss), 'y', 'dot'));
  if (rows.some((r) => r.valAccuracy !== undefined)) data.push(line('val accuracy', rows.map((r) => r.valAccuracy), 'y2', 'dot'));
  return {
    data,
    layout: baseLayout(options.title ?? 'Training curves', {
      // The right axis carries tick labels and a title: the margins grow to fit them (automargin)
      // instead of the title being drawn over the labels in a fixed 20 px margin.
      margin: { l: 60, r: 20, t: 50, b: 20 },
      xaxis: { title: { text: 'epoch' }, dtick: 1, automargin: true },
      yaxis: { title: { text: 'loss' }, automargin: true },
      yaxis2: { title: { text: 'accuracy', standoff: 8 }, overlaying: 'y', side: 'right', range: [0, 1], automargin: true },
      // Below the x-axis title, at the bottom of the figure, whatever its height.
      legend: { orientation: 'h', x: 0, xanchor: 'left', yref: 'container', y: 0, yanchor: 'bottom' },
    }),
  };
}
