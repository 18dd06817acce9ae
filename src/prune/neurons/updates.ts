/**
 * The folding machinery as `prune()` updates, for any criterion at neuron granularity:
 * `prune(net, { criterion: 'magnitude', granularity: 'neuron', sparsity, update: 'fold-units', data })`.
 * - `fold-units`: every unit the call removed is folded: its mean output on the data goes into
 *   the next layer's bias, and the next layer stops reading it;
 * - `drop-units`: the next layer stops reading it (its output counts as 0). Without either, a
 *   neuron-pruned unit still outputs the constant act(b) into the next layer.
 */
import { registerUpdate } from '../prune';
import { foldOrDropRemoved } from './unit-scores';

registerUpdate({
  name: 'fold-units',
  description: "removed neurons/filters: their mean output on the data into the next layer's bias (needs data)",
  apply: (edit, ctx, targets) => foldOrDropRemoved(edit, ctx, targets, true, 'fold-units'),
});

registerUpdate({
  name: 'drop-units',
  description: 'removed neurons/filters: the next layer stops reading them (their output counts as 0)',
  apply: (edit, ctx, targets) => foldOrDropRemoved(edit, ctx, targets, false, 'drop-units'),
});
