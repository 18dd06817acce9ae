/**
 * APoZ, the Average Percentage of Zeros of a unit's output after ReLU (Hu, Peng, Tai & Tang
 * 2016, "Network Trimming"): over the data's examples and the positions of a map,
 *
 *   APoZ_j = (1 / (N·M)) Σ_n Σ_m 1[|O_j(n, m)| ≤ zeroTolerance]
 *
 * A unit that is almost always zero is unimportant; the units with the highest APoZ go (the
 * score kept is 1 − APoZ). Measured where the next kernel layer reads the unit (after pooling).
 * The paper removes units without compensation (`fold: false`, the default) and alternates
 * trimming with retraining: `trimAndRetrain` (src/prune/neurons/trim-retrain.ts) runs that
 * protocol with any neuron method. Meaningless for units without ReLU (their output is rarely
 * exactly 0), e.g. the convolutions of LeNet-5-Caffe.
 *
 * `pl.prune(net, { method: 'apoz', sparsity: 0.3, data, keepLastDense: true })`,
 * `%prune net apoz --sparsity 0.3 --data ds --keep-last-dense`. The trim–retrain rounds from the
 * magics: `%prune net apoz --sparsity 0.5 --schedule iterative --rounds 3 --data ds --keep-last-dense`,
 * then `%finetune net --data ds --epochs 3` (it prunes in rounds while it retrains).
 */
import { registerMethod } from '../method';
import { cachedStatistics, contextLinks, foldOrDropRemoved, scoreMap } from '../neurons/unit-scores';

registerMethod<{ zeroTolerance: number; fold: boolean }>({
  name: 'apoz',
  description: 'neurons/filters whose output is most often zero on the data (average percentage of zeros, after ReLU; needs --data)',
  reference: 'Hu et al. 2016, Network Trimming',
  granularity: 'neuron',
  options: [
    { name: 'zeroTolerance', type: 'number', default: 0, min: 0, help: 'largest |output| counted as zero (0: exact zeros, as ReLU gives)' },
    { name: 'fold', type: 'boolean', default: false, help: "fold each removed unit's mean output (× its outgoing weights) into the next layer's bias; false: just remove it" },
  ],
  scores(ctx, o) {
    return scoreMap(contextLinks(ctx, 'apoz'), (link) => cachedStatistics(ctx, link, o.zeroTolerance).zeroFraction.map((z) => 1 - z));
  },
  update(edit, ctx, targets, o) {
    foldOrDropRemoved(edit, ctx, targets, o.fold, 'apoz');
  },
});
