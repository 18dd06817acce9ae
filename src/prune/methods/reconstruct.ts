/**
 * Least-squares reconstruction (the layer-wise view of OBS compensation): after the masks are
 * chosen, the remaining weights of each Dense layer become `argmin ‖X w_S − X w‖²` over the
 * layer inputs X captured on the call's data, where w is the unpruned column, so the layer's
 * output on that data changes as little as the mask allows.
 *
 * As a method (`prune(net, { method: 'reconstruct', sparsity, data })`, `%prune net reconstruct`)
 * it chooses masks by magnitude; as an update (`prune(net, { criterion: 'snip', update: 'reconstruct' })`)
 * it follows any criterion.
 */
import * as tf from '@tensorflow/tfjs';
import { scoreEachWeight } from '../criteria';
import { choleskySolve } from '../hessian/linalg';
import type { CriterionContext } from '../context';
import type { MaskEdit } from '../masked-model';
import { registerMethod } from '../method';
import { registerUpdate, type PruneUpdate } from '../prune';
import type { PrunableWeight } from '../targets';

/** Re-exported from the shared linear algebra (it used to live here). */
export { choleskySolve };

/** Default relative ridge damping: λ = damping · mean diagonal of XᵀX. */
const DEFAULT_DAMPING = 1e-8;

/**
 * Stages the reconstructed values of the pruned Dense targets. Cost O(out · kept³) per layer:
 * meant for small and medium layers. Needs data. Layers other than Dense keep what the masks made.
 */
export function reconstructDense(edit: MaskEdit, ctx: CriterionContext, targets: readonly PrunableWeight[], damping = DEFAULT_DAMPING): void {
  const dense = targets.filter((t) => t.layerType === 'Dense' && t.shape.length === 2);
  const cap = ctx.capture(dense.map((t) => t.layerName));
  for (const t of dense) {
    const x = cap.get(t.layerName)!.inputs[0];
    if (x.rank !== 2) continue;
    const [nIn, nOut] = t.shape;
    const gram = Float64Array.from(tf.tidy(() => tf.matMul(x, x, true, false)).dataSync());
    const w = Float64Array.from(edit.value(t.name).dataSync());
    const m = edit.mask(t.name).dataSync();
    let trace = 0;
    for (let i = 0; i < nIn; i++) trace += gram[i * nIn + i];
    const damp = damping * Math.max(trace / nIn, 1e-12);
    const out = new Float32Array(nIn * nOut);
    for (let j = 0; j < nOut; j++) {
      const s: number[] = [];
      for (let i = 0; i < nIn; i++) if (m[i * nOut + j]) s.push(i);
      if (s.length === 0) continue;
      const k = s.length;
      const a = new Float64Array(k * k);
      const b = new Float64Array(k);
      for (let p = 0; p < k; p++) {
        for (let q = 0; q < k; q++) a[p * k + q] = gram[s[p] * nIn + s[q]];
        a[p * k + p] += damp;
        let r = 0;
        for (let i = 0; i < nIn; i++) r += gram[s[p] * nIn + i] * w[i * nOut + j];
        b[p] = r;
      }
      const sol = choleskySolve(a, b, k);
      for (let p = 0; p < k; p++) out[s[p] * nOut + j] = sol[p];
    }
    edit.setValue(t.name, tf.tensor(out, t.shape));
  }
}

/** The update form, for `prune(..., { update: 'reconstruct' })` after any criterion. */
export const reconstructUpdate: PruneUpdate = {
  name: 'reconstruct',
  description: 'refits the remaining Dense weights by least squares on the layer inputs (needs data)',
  apply: (edit, ctx, targets) => reconstructDense(edit, ctx, targets),
};
registerUpdate(reconstructUpdate);

registerMethod<{ damping: number }>({
  name: 'reconstruct',
  description: 'magnitude masks, then the remaining Dense weights refit by least squares on data (needs --data)',
  reference: 'the layer-wise view of OBS compensation (Hassibi & Stork 1993; Dong et al. 2017)',
  options: [{ name: 'damping', type: 'number', default: DEFAULT_DAMPING, min: 0, help: 'ridge damping relative to the mean diagonal of XᵀX' }],
  scores: (ctx) => scoreEachWeight(ctx, (w) => tf.abs(w)),
  update: (edit, ctx, targets, o) => reconstructDense(edit, ctx, targets, o.damping),
});
