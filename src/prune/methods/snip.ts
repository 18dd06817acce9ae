/**
 * SNIP (Lee, Ajanthan, Torr, ICLR 2019: "Single-shot network pruning based on connection
 * sensitivity"): prune once, at initialization, from one mini-batch. Each weight gets a
 * multiplicative gate c = 1; its connection sensitivity is the loss's derivative with respect
 * to that gate, ∂L/∂c_j = (∂L/∂w_j)·w_j, and the score is its share of the total,
 *
 *   s_j = |g_j ⊙ w_j| / Σ_k |g_k ⊙ w_k|,
 *
 * ranked over all prunable weights of the network at once (scope `global`, as the paper; a
 * `scope` given by the caller wins). The normalisation does not change the ranking; it makes
 * the scores comparable between batches and models.
 *
 * Differences of the reference code (`namhoonlee/snip-public`), as options so their effect can
 * be measured: `reinit` scores this initialization and then trains a fresh draw of the same
 * initializer (the code's `weights_bp` / `weights_ap`); `pruneBiases` ranks the biases with the
 * weights, as the code does: zero at initialization, they score 0 and are all removed, so the
 * network trains without biases (they are set to 0 and frozen: `trainable = false`), and the kept
 * count κ = round((1 − s)·(#weights + #biases)) all goes to weights. By default biases are not
 * pruned, as in the paper's text. SNIP's init is variance scaling (`pl.initVarianceScaling(net,
 * seed)` before pruning; our zoo models start with Glorot-uniform).
 *
 * `%prune net snip --data ds --sparsity 0.98` (one batch; `--batches 10` averages the gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import { roundHalfEven } from '../../sparse/mask-select';
import { globalAllocation, type Allocation } from '../allocation';
import { freshDraw } from '../at-init';
import type { PrunableWeight } from '../targets';
import { registerMethod } from '../method';
import { deriveSeed } from '../rng';

/** Options of `snip`, as declared below. */
export type SnipOptions = { reinit: boolean; pruneBiases: boolean };

/** The bias variables of the layers that hold the targets. */
function biasesOf(targets: readonly PrunableWeight[]): tf.LayerVariable[] {
  const layers = [...new Set(targets.map((t) => t.layer))];
  return layers.map((l) => (l as unknown as { bias?: tf.LayerVariable }).bias).filter((b): b is tf.LayerVariable => b !== undefined && b !== null);
}

/**
 * SNIP's code's global ranking with the biases in it, when every bias scores 0 (zero biases):
 * all biases go, and the κ = round((1 − s)·(W + B)) kept entries are all weights.
 */
const globalCountingBiases: Allocation = {
  name: 'global (biases counted, as SNIP\'s code)',
  allocate(items, req) {
    const weights = items.reduce((a, it) => a + it.groups.scores.length, 0);
    const biases = biasesOf(items.map((it) => it.weight)).reduce((a, b) => a + (b.shape as number[]).reduce((x, y) => x * y, 1), 0);
    const kept = roundHalfEven((1 - (req.sparsity ?? 0)) * (weights + biases));
    return globalAllocation.allocate(items, { ...req, sparsity: Math.max(0, 1 - kept / weights) });
  },
};

registerMethod<SnipOptions>({
  name: 'snip',
  description: 'SNIP: prune at initialization by connection sensitivity |∂L/∂w · w| on one batch, one global ranking',
  reference: 'Lee et al. 2019, ICLR (SNIP); code: namhoonlee/snip-public',
  options: [
    { name: 'reinit', type: 'boolean', default: false, help: 'score this initialization, then train a fresh draw of the same initializer (the reference code does)' },
    { name: 'pruneBiases', type: 'boolean', default: false, help: "rank the biases too, as the reference code: zero at init, they are all removed (set to 0, frozen) and κ counts them" },
  ],
  defaultScope: (o) => (o.pruneBiases ? globalCountingBiases : 'global'),
  scores(ctx) {
    const g = ctx.gradients();
    const w = ctx.weights();
    const scores = tf.tidy(() => {
      const raw = ctx.targets.map((t) => tf.abs(tf.mul(g.get(t.name)!, w.get(t.name)!)));
      const total = tf.addN(raw.map((r) => tf.sum(r)));
      // an all-zero sensitivity (no signal reaches the loss) keeps the raw zeros rather than NaN
      const denom = tf.maximum(total, 1e-30);
      return raw.map((r) => tf.div(r, denom));
    });
    return new Map(ctx.targets.map((t, i) => [t.name, scores[i]]));
  },
  update(edit, ctx, targets, o) {
    const biases = o.pruneBiases ? biasesOf(targets) : [];
    for (const b of biases) {
      // a bias scores |∂L/∂b · b|: only all-zero biases all score 0, the case the code relies on
      if (tf.tidy(() => tf.any(tf.notEqual(b.read(), 0)).dataSync()[0])) {
        throw new OptionError(`snip: pruneBiases needs zero biases (as at initialization): '${b.name}' has non-zero entries, which would keep some biases, and prunelab masks kernels only. The model was not changed.`, 'pruneBiases');
      }
    }
    if (o.reinit) for (const t of targets) edit.setValue(t.name, freshDraw(t, deriveSeed(ctx.seed, 'snip-reinit')));
    // the last step: nothing below can fail
    for (const b of biases) b.trainable = false;
  },
});
