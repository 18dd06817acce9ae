/**
 * The random baseline at neuron granularity: units removed uniformly at random (seeded by the
 * call's seed and the layer), taken out of the next layer too — dropped (default) or folded
 * (`fold`, needs `data`). Any criterion that does not beat it on the same budget is not telling
 * us much (Blalock et al. 2020).
 *
 * `pl.prune(net, { method: 'random-units', sparsity: 0.5, seed: 3, keepLastDense: true })`,
 * `%prune net random-units --sparsity 0.5 --keep-last-dense --seed 3`.
 */
import { registerMethod } from '../method';
import { baseWeightName } from '../targets';
import { contextLinks, foldOrDropRemoved, scoreMap } from '../neurons/unit-scores';

registerMethod<{ fold: boolean }>({
  name: 'random-units',
  description: 'neurons/filters removed at random (seeded), removed from the next layer too (dropped, or folded with --fold)',
  granularity: 'neuron',
  options: [{ name: 'fold', type: 'boolean', default: false, help: "fold each removed unit's mean output (× its outgoing weights) into the next layer's bias; false: just remove it" }],
  scores(ctx) {
    return scoreMap(contextLinks(ctx, 'random-units'), (link) => {
      const rnd = ctx.random(baseWeightName(link.producer.name));
      return Float64Array.from({ length: link.units }, () => rnd());
    });
  },
  update(edit, ctx, targets, o) {
    foldOrDropRemoved(edit, ctx, targets, o.fold, 'random-units');
  },
});
