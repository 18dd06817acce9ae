/**
 * Output-variance neuron pruning with mean folding (Berisha et al. 2025, "Variance-Based
 * Pruning"; the idea goes back to Sietsma & Dow 1988): a unit whose output barely varies on the
 * data carries an offset, not information. Score each Dense neuron / Conv2D filter by the
 * variance of its post-activation output, measured where the next kernel layer reads it (after
 * pooling), remove the lowest ones, and add each removed unit's mean output times its outgoing
 * weights to the next layer's bias:
 *
 *   Dense → Dense:           b₂ += W₂[j, :] · μ_j
 *   Conv → (pool) → Conv:    b₂[k] += μ_c · Σ_{u,v} K₂[u, v, c, k]   (exact for 'valid' padding;
 *                            with 'same' padding border outputs see fewer copies of μ_c)
 *   Conv → Flatten → Dense:  b₂ += Σ_p W₂[p·C + c, :] · μ_{c,p}   (one mean per position)
 *
 * The variance ranked is the one folding leaves (around the per-position means after Flatten).
 * `weighted` ranks by σ_j²·‖W₂[j, :]‖² instead, the expected squared error folding injects into
 * the next pre-activation, which is comparable across layers (for `scope: 'global'`).
 *
 * `pl.prune(net, { method: 'variance', sparsity: 0.5, data, keepLastDense: true })`,
 * `%prune net variance --sparsity 0.5 --data ds --keep-last-dense [--no-fold] [--weighted]`.
 * Neuron granularity is implied. `shrinkModel` then gives the physically smaller dense model.
 */
import { registerMethod } from '../method';
import { cachedStatistics, contextLinks, fanOutNormsSquared, foldOrDropRemoved, scoreMap } from '../neurons/unit-scores';

/** Options of the `variance` method. */
export type VarianceOptions = {
  /** Fold removed units' means into the next bias (true) or drop them (false, plain removal). */
  fold: boolean;
  /** Rank by σ²·‖outgoing weights‖² instead of σ². */
  weighted: boolean;
};

registerMethod<VarianceOptions>({
  name: 'variance',
  description: 'neurons/filters with the lowest output variance on the data, their means folded into the next bias (needs --data)',
  reference: 'Berisha et al. 2025 (VBP); Sietsma & Dow 1988',
  granularity: 'neuron',
  options: [
    { name: 'fold', type: 'boolean', default: true, help: "fold each removed unit's mean output (× its outgoing weights) into the next layer's bias; false: just remove it" },
    { name: 'weighted', type: 'boolean', default: false, help: 'rank by variance × squared norm of the outgoing weights (the error folding injects; comparable across layers)' },
  ],
  scores(ctx, o) {
    const links = contextLinks(ctx, 'variance');
    return scoreMap(links, (link) => {
      const st = cachedStatistics(ctx, link);
      if (!o.weighted) return st.foldVariance;
      const norms = fanOutNormsSquared(ctx, link);
      return Float64Array.from(st.foldVariance, (v, j) => v * norms[j]);
    });
  },
  update(edit, ctx, targets, o) {
    foldOrDropRemoved(edit, ctx, targets, o.fold, 'variance');
  },
});
