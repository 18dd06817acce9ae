/** The distribution of per-example activation sparsity, one histogram per layer. */
import { UserError } from '../errors';
import { baseLayout, type Figure } from './figure';
import { histogram, overlaidHistogramTrace } from './histogram';

/** One layer's per-example activation sparsity (what `activationSparsity` returns). */
export interface ActivationSparsitySeries {
  /** Layer name. */
  layer: string;
  /** Per example: fraction of zero activations. */
  perExample: readonly number[];
  /** Mean over the examples. */
  mean: number;
}

/**
 * Overlaid histograms of the fraction of zero activations per example, one per layer, on [0, 1].
 *
 * @param layers the layers' measurements.
 * @param options bins (default 40), title, axis titles (the same figure shows APoZ per unit:
 *   pass the per-unit fractions as `perExample` and say so in the axis titles).
 */
export function activationSparsityFigure(
  layers: readonly ActivationSparsitySeries[], options: { bins?: number; title?: string; xTitle?: string; yTitle?: string } = {},
): Figure {
  if (!layers.length) throw new UserError('activationSparsityFigure: no layers to show (the model has no layer whose output another Dense/Conv2D layer reads).');
  const data = layers.map((l) =>
    overlaidHistogramTrace(`${l.layer} (mean ${(100 * l.mean).toFixed(1)}%)`, histogram(l.perExample, { bins: options.bins ?? 40, range: [0, 1] }), layers.length));
  return {
    data,
    layout: baseLayout(options.title ?? 'Activation sparsity per example', {
      barmode: 'overlay',
      bargap: 0,
      xaxis: { title: { text: options.xTitle ?? 'fraction of zero activations in one example' }, range: [0, 1] },
      yaxis: { title: { text: options.yTitle ?? 'examples' } },
    }),
  };
}
