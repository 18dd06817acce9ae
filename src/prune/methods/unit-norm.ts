/**
 * The magnitude baseline at neuron granularity, as the neuron-merging and trimming papers use
 * it: each unit (Dense neuron, Conv2D filter) scored by the norm of its fan-in vector [W; b]
 * (l1 as in Li et al. 2017 and Kim et al. 2020's prune-only rows, or l2), the smallest removed.
 * Unlike `magnitude` with `granularity: 'neuron'` — which masks the unit's kernel column, so
 * that the unit still outputs the constant act(b) into the next layer — the removed unit is
 * taken out of the next layer too: dropped (its output counts as 0, default) or, with `fold`,
 * replaced by its mean output on the data (then it needs `data`).
 *
 * `pl.prune(net, { method: 'unit-norm', sparsity: 0.5, keepLastDense: true })`,
 * `%prune net unit-norm --sparsity 0.5 --keep-last-dense [--fold --data ds]`.
 */
import { registerMethod } from '../method';
import { contextLinks, foldOrDropRemoved, producerFanIns, scoreMap } from '../neurons/unit-scores';

registerMethod<{ norm: string; fold: boolean }>({
  name: 'unit-norm',
  description: 'neurons/filters with the smallest norm of their fan-in [W; b], removed from the next layer too (dropped, or folded with --fold)',
  reference: 'Li et al. 2017; the prune-only baseline of Kim et al. 2020',
  granularity: 'neuron',
  options: [
    { name: 'norm', type: 'string', default: 'l1', choices: ['l1', 'l2'], help: 'norm of the fan-in vector [W; b] that selects the kept units' },
    { name: 'fold', type: 'boolean', default: false, help: "fold each removed unit's mean output (× its outgoing weights) into the next layer's bias; false: just remove it" },
  ],
  scores(ctx, o) {
    return scoreMap(contextLinks(ctx, 'unit-norm'), (link) =>
      producerFanIns(ctx, link, true).map((v) => (o.norm === 'l1' ? v.reduce((a, x) => a + Math.abs(x), 0) : Math.sqrt(v.reduce((a, x) => a + x * x, 0)))));
  },
  update(edit, ctx, targets, o) {
    foldOrDropRemoved(edit, ctx, targets, o.fold, 'unit-norm');
  },
});
