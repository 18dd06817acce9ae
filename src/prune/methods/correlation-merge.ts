/**
 * Data-driven merging by output correlation (after NoiseOut, Babaeizadeh et al. 2016): on the
 * calibration data, unit j's output is regressed on a surviving unit i's,
 *
 *   h_j ≈ α h_i + β,   α = cov(h_i, h_j) / var(h_i),   β = μ_j − α μ_i,
 *
 * and j is removed with its outgoing weights moved: a_i += α a_j, b_next += β a_j. What is left
 * is var(h_j)(1 − ρ_ij²) per unit of squared outgoing weight, so units go greedily by the cost
 * ‖a_j‖² · var(h_j)(1 − ρ_ij²) (the error the merge injects into the next pre-activation),
 * recomputed for i after each merge. With α = 0 this is mean folding (`variance`), so a merge is
 * never worse than a fold on the data; a unit with no partner left is folded.
 * Statistics are taken where the next layer reads the units (after pooling); after Flatten, β
 * has one value per position (β_p = μ_{j,p} − α μ_{i,p}).
 *
 * `pl.prune(net, { method: 'correlation-merge', sparsity: 0.5, data, keepLastDense: true })`,
 * `%prune net correlation-merge --sparsity 0.5 --data ds --keep-last-dense`.
 */
import type { CriterionContext } from '../context';
import { registerMethod } from '../method';
import { ConsumerEdit, liveUnitsBefore } from '../neurons/consumer-edit';
import { greedyMerge, scoresFromSequence, type GreedyMergeProblem } from '../neurons/greedy-merge';
import type { UnitLink } from '../neurons/links';
import { foldMeanPerRow, unitCovariance } from '../neurons/statistics';
import { cachedStatistics, contextLinks, detachedConsumer, forEachRemoved, scoreMap } from '../neurons/unit-scores';

/** Regression of every unit on every other: residual variance d[i·U + j] and slope α[i·U + j] of h_j on h_i. */
export function regressionTable(cov: Float64Array, units: number): { residual: Float64Array; slope: Float64Array } {
  const U = units;
  const residual = new Float64Array(U * U);
  const slope = new Float64Array(U * U);
  for (let i = 0; i < U; i++) {
    const vi = cov[i * U + i];
    for (let j = 0; j < U; j++) {
      const vj = cov[j * U + j];
      const a = vi > 1e-12 * Math.max(vj, 1e-30) ? cov[i * U + j] / vi : 0;
      slope[i * U + j] = a;
      residual[i * U + j] = Math.max(0, vj - a * cov[i * U + j]);
    }
  }
  return { residual, slope };
}

function problem(ctx: CriterionContext, link: UnitLink, consumer: ConsumerEdit, withBias: boolean): GreedyMergeProblem {
  const st = cachedStatistics(ctx, link);
  const { residual, slope } = regressionTable(unitCovariance(ctx, link, st), link.units);
  const means = foldMeanPerRow(link, st);
  const U = link.units;
  return {
    n: U,
    live: liveUnitsBefore(ctx, link),
    distance: residual,
    weight: (j) => consumer.fanOut(j).reduce((s, x) => s + x * x, 0),
    merge: (j, i) => {
      if (i < 0) {
        if (withBias) consumer.fold(j, means, 'correlation-merge');
        else consumer.drop(j);
        return;
      }
      const a = slope[i * U + j];
      const beta = withBias ? means.map((_, r) => (r % U === j ? means[r] - a * means[r - j + i] : 0)) : undefined;
      consumer.merge(j, i, a, beta, 'correlation-merge');
    },
  };
}

registerMethod({
  name: 'correlation-merge',
  description: 'greedily merges neurons/filters into the unit their output is best regressed on (a_i += α a_j, bias += β a_j; needs --data)',
  reference: 'after Babaeizadeh et al. 2016 (NoiseOut)',
  granularity: 'neuron',
  scores(ctx) {
    return scoreMap(contextLinks(ctx, 'correlation-merge'), (link) => {
      const p = problem(ctx, link, detachedConsumer(ctx, link), false);
      const live = p.live.filter(Boolean).length;
      return scoresFromSequence(link.units, p.live, greedyMerge(p, Math.max(0, live - 1)));
    });
  },
  update(edit, ctx, targets) {
    forEachRemoved(edit, ctx, targets, 'correlation-merge', (link, removed, consumer) => {
      greedyMerge(problem(ctx, link, consumer, true), removed.length, new Set(removed));
    });
  },
});
