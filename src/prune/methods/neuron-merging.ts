/**
 * Neuron Merging (Kim, Kim, Park & Jeon, NeurIPS 2020; code friendshipkim/neuron-merging): keep
 * the units with the largest norm of their fan-in vector [W; b] (l1 or l2); merge every removed
 * unit p into the kept unit q whose [W; b] has the largest cosine similarity with p's, with the
 * scale s = ‖[W_p; b_p]‖ / ‖[W_q; b_q]‖:
 *
 *   a_q ← a_q + s · a_p        (the next layer's weights times the merge matrix Z)
 *
 * For s > 0, relu(s·z) = s·relu(z), so if p's pre-activation is nearly s times q's, p's
 * contribution is reproduced through q. Below the cosine `threshold` p is just removed. No data,
 * no fine-tuning. As in the paper's code, similarities and the kept set of every layer are
 * computed on the weights before the call, while the next layer's weights are updated in order.
 * `threshold: 1` (no unit merges) is the paper's prune-only baseline.
 *
 * `pl.prune(net, { method: 'neuron-merging', sparsity: 0.5, keepLastDense: true })`,
 * `%prune net neuron-merging --sparsity 0.5 --keep-last-dense --threshold 0.45`.
 */
import { registerMethod } from '../method';
import { liveUnitsBefore } from '../neurons/consumer-edit';
import { contextLinks, forEachRemoved, producerFanIns, scoreMap } from '../neurons/unit-scores';

type NeuronMergingOptions = { norm: string; threshold: number };

function norm(v: Float64Array, kind: string): number {
  let s = 0;
  for (const x of v) s += kind === 'l1' ? Math.abs(x) : x * x;
  return kind === 'l1' ? s : Math.sqrt(s);
}

/** For each removed unit: the kept unit of largest cosine similarity, the similarity and the scale. */
export function mergePartners(fanIns: readonly Float64Array[], removed: readonly number[], kept: readonly number[]): { p: number; q: number; cosine: number; scale: number }[] {
  const l2 = fanIns.map((v) => norm(v, 'l2'));
  return removed.map((p) => {
    let q = -1, best = -Infinity;
    for (const k of kept) {
      let dot = 0;
      for (let r = 0; r < fanIns[p].length; r++) dot += fanIns[p][r] * fanIns[k][r];
      const c = l2[p] > 0 && l2[k] > 0 ? dot / (l2[p] * l2[k]) : 0;
      if (c > best) {
        best = c;
        q = k;
      }
    }
    return { p, q, cosine: best, scale: q >= 0 && l2[q] > 0 ? l2[p] / l2[q] : 0 };
  });
}

registerMethod<NeuronMergingOptions>({
  name: 'neuron-merging',
  description: 'keeps the neurons/filters of largest fan-in norm, merges each removed one into its most cosine-similar kept one, scaled (no data)',
  reference: 'Kim et al. 2020, Neuron Merging',
  granularity: 'neuron',
  options: [
    { name: 'norm', type: 'string', default: 'l1', choices: ['l1', 'l2'], help: 'norm of the fan-in vector [W; b] that selects the kept units' },
    { name: 'threshold', type: 'number', default: 0.45, min: -1, max: 1, help: 'least cosine similarity for a merge; below it the unit is just removed (1: prune only)' },
  ],
  scores(ctx, o) {
    return scoreMap(contextLinks(ctx, 'neuron-merging'), (link) => producerFanIns(ctx, link, true).map((v) => norm(v, o.norm)));
  },
  update(edit, ctx, targets, o) {
    forEachRemoved(edit, ctx, targets, 'neuron-merging', (link, removed, consumer) => {
      const gone = new Set(removed);
      const kept = liveUnitsBefore(ctx, link).flatMap((live, j) => (live && !gone.has(j) ? [j] : []));
      for (const { p, q, cosine, scale } of mergePartners(producerFanIns(ctx, link, true), removed, kept)) {
        if (q >= 0 && cosine >= o.threshold && o.threshold < 1) consumer.merge(p, q, scale, undefined, 'neuron-merging');
        else consumer.drop(p);
      }
    });
  },
});
