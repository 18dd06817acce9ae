/** Per-layer sparsity bars. */
import type { SparsityRow } from '../prune';
import { summaryOf, type ModelLike } from '../report/sparsity';
import { baseLayout, type Figure } from './figure';

/**
 * One bar per prunable weight: the fraction pruned, with the parameter count on hover; the
 * whole model's sparsity in the title.
 *
 * @param model a model or its MaskedModel, or summary rows (`pl.sparsitySummary(m).rows`).
 */
export function sparsityBars(model: ModelLike | SparsityRow[], options: { title?: string } = {}): Figure {
  let rows: SparsityRow[];
  let title = options.title ?? 'Sparsity per layer';
  if (Array.isArray(model)) rows = model;
  else {
    const s = summaryOf(model);
    rows = s.rows;
    if (!options.title) title += ` — total ${(100 * s.total.sparsity).toFixed(1)}% of ${s.total.params.toLocaleString('en-US')} parameters`;
  }
  const names = rows.map((r) => r.layer + (rows.filter((x) => x.layer === r.layer).length > 1 ? ` ${r.weight.split('/').pop()}` : ''));
  return {
    data: [
      {
        type: 'bar',
        name: 'pruned',
        x: names,
        y: rows.map((r) => r.sparsity),
        text: rows.map((r) => `${(100 * r.sparsity).toFixed(1)}%`),
        textposition: 'auto',
        customdata: rows.map((r) => [r.params, r.nonzeros, r.shape]),
        hovertemplate: '%{x}<br>%{y:.1%} pruned<br>%{customdata[1]:,} of %{customdata[0]:,} weights left<br>shape %{customdata[2]}<extra></extra>',
      },
    ],
    layout: baseLayout(title, { yaxis: { title: { text: 'fraction pruned' }, range: [0, 1], tickformat: '.0%' }, xaxis: { title: { text: 'layer' } } }),
  };
}
