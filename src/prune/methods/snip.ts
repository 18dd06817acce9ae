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
 * initializer (the code's `weights_bp` / `weights_ap`). The code also ranks the biases; they are
 * zero at initialization, score 0 and are all removed — prunelab never prunes biases, which
 * matches the paper's text. SNIP's init is variance scaling (`pl.initVarianceScaling(net, seed)`
 * before pruning; our zoo models start with Glorot-uniform).
 *
 * `%prune net snip --data ds --sparsity 0.98` (one batch; `--batches 10` averages the gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { freshDraw } from '../at-init';
import { registerMethod } from '../method';
import { deriveSeed } from '../rng';

/** Options of `snip`, as declared below. */
export type SnipOptions = { reinit: boolean };

registerMethod<SnipOptions>({
  name: 'snip',
  description: 'SNIP: prune at initialization by connection sensitivity |∂L/∂w · w| on one batch, one global ranking',
  reference: 'Lee et al. 2019, ICLR (SNIP); code: namhoonlee/snip-public',
  options: [
    { name: 'reinit', type: 'boolean', default: false, help: 'score this initialization, then train a fresh draw of the same initializer (the reference code does)' },
  ],
  defaultScope: () => 'global',
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
    if (!o.reinit) return;
    for (const t of targets) edit.setValue(t.name, freshDraw(t, deriveSeed(ctx.seed, 'snip-reinit')));
  },
});
