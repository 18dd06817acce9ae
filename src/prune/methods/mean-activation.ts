/**
 * Mean activation: a unit's average (post-activation) output over the data's examples and map
 * positions, the baseline criterion of Molchanov et al. 2017 ("Pruning Convolutional Neural
 * Networks for Resource Efficient Inference"). Units with the lowest mean go; after ReLU a low
 * mean means a unit that is rarely and weakly on. Measured where the next kernel layer reads
 * the unit (after pooling). Without folding (default) a removed unit counts as 0 downstream,
 * which is what its mean is close to when it is small; `fold: true` adds the mean to the bias.
 * The iterative trim–retrain protocol: `trimAndRetrain`.
 *
 * `pl.prune(net, { method: 'mean-activation', sparsity: 0.3, data, keepLastDense: true })`,
 * `%prune net mean-activation --sparsity 0.3 --data ds --keep-last-dense`.
 */
import { registerMethod } from '../method';
import { cachedStatistics, contextLinks, foldOrDropRemoved, scoreMap } from '../neurons/unit-scores';

registerMethod<{ fold: boolean }>({
  name: 'mean-activation',
  description: 'neurons/filters with the lowest mean output on the data (after the activation; needs --data)',
  reference: 'Molchanov et al. 2017 (baseline criterion)',
  granularity: 'neuron',
  options: [{ name: 'fold', type: 'boolean', default: false, help: "fold each removed unit's mean output (× its outgoing weights) into the next layer's bias; false: just remove it" }],
  scores(ctx) {
    return scoreMap(contextLinks(ctx, 'mean-activation'), (link) => cachedStatistics(ctx, link).mean);
  },
  update(edit, ctx, targets, o) {
    foldOrDropRemoved(edit, ctx, targets, o.fold, 'mean-activation');
  },
});
