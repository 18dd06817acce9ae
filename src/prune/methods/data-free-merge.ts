/**
 * Data-free merging of similar neurons (Srinivas & Babu 2015, "Data-free parameter pruning for
 * deep neural networks"). Two units with equal fan-in vectors W_i = W_j output the same, so
 * deleting j and adding its outgoing weights to i's (a_i ← a_i + a_j) changes nothing. In
 * general the change is estimated by the saliency
 *
 *   s(i, j) = ⟨a_j²⟩ · ‖W_i − W_j‖²       (⟨a_j²⟩: mean squared outgoing weight of j)
 *
 * and units are removed greedily: the pair with the smallest saliency goes first, j merged into
 * i; i's outgoing weights then hold j's, so its saliencies are recomputed. No data is needed.
 * The fan-in vectors include the bias (`includeBias`, as Neuron Merging's code does: units that
 * differ by an offset are not alike). Works for Dense neurons and Conv2D filters alike.
 *
 * Selection goes through `prune()`: a unit's score is the largest saliency of the greedy
 * sequence up to its removal, so with layerwise allocation the removed units are exactly the
 * first ones of the sequence; the update then replays the greedy merges among them.
 *
 * `pl.prune(net, { method: 'data-free-merge', sparsity: 0.5, keepLastDense: true })`,
 * `%prune net data-free-merge --sparsity 0.5 --keep-last-dense`.
 */
import { registerMethod } from '../method';
import type { CriterionContext } from '../context';
import { ConsumerEdit, liveUnitsBefore } from '../neurons/consumer-edit';
import { greedyMerge, scoresFromSequence, type GreedyMergeProblem } from '../neurons/greedy-merge';
import type { UnitLink } from '../neurons/links';
import { contextLinks, detachedConsumer, forEachRemoved, producerFanIns, scoreMap } from '../neurons/unit-scores';

type DataFreeMergeOptions = { includeBias: boolean };

/** ‖W_i − W_j‖² for all pairs (symmetric, row-major U × U). */
export function fanInDistances(fanIns: readonly Float64Array[]): Float64Array {
  const n = fanIns.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = fanIns[i], b = fanIns[j];
      let s = 0;
      for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
      d[i * n + j] = d[j * n + i] = s;
    }
  }
  return d;
}

/** The greedy problem of one link on a consumer copy: merging j into i adds a_j to a_i. */
function problem(ctx: CriterionContext, link: UnitLink, consumer: ConsumerEdit, o: DataFreeMergeOptions): GreedyMergeProblem {
  return {
    n: link.units,
    live: liveUnitsBefore(ctx, link),
    distance: fanInDistances(producerFanIns(ctx, link, o.includeBias)),
    weight: (j) => {
      const a = consumer.fanOut(j);
      return a.reduce((s, x) => s + x * x, 0) / a.length;
    },
    merge: (j, i) => (i >= 0 ? consumer.merge(j, i, 1, undefined, 'data-free-merge') : consumer.drop(j)),
  };
}

registerMethod<DataFreeMergeOptions>({
  name: 'data-free-merge',
  description: 'greedily merges each removed neuron/filter into its most similar one (a_i += a_j, saliency ⟨a_j²⟩‖W_i−W_j‖²; no data)',
  reference: 'Srinivas & Babu 2015',
  granularity: 'neuron',
  options: [{ name: 'includeBias', type: 'boolean', default: true, help: 'compare fan-in vectors with the bias appended' }],
  scores(ctx, o) {
    return scoreMap(contextLinks(ctx, 'data-free-merge'), (link) => {
      const p = problem(ctx, link, detachedConsumer(ctx, link), o);
      const live = p.live.filter(Boolean).length;
      return scoresFromSequence(link.units, p.live, greedyMerge(p, Math.max(0, live - 1)));
    });
  },
  update(edit, ctx, targets, o) {
    forEachRemoved(edit, ctx, targets, 'data-free-merge', (link, removed, consumer) => {
      greedyMerge(problem(ctx, link, consumer, o), removed.length, new Set(removed));
    });
  },
});
