/**
 * Optimal Brain Damage (LeCun, Denker & Solla 1990): the saliency of a weight is the loss increase
 * a second-order Taylor expansion predicts for setting it to zero at a minimum, with the Hessian
 * taken as diagonal: s_k = ½ h_kk w_k². Nothing is compensated; iterate with retraining (a
 * schedule) as in the paper.
 *
 * The diagonal h_kk, chosen with `diagonal`:
 * - `gauss-newton` (default, the paper's): the Levenberg–Marquardt backward pass of second
 *   derivatives, off-diagonal terms dropped (Dense chains);
 * - `fisher`: the empirical Fisher (1/N) Σ_n g_{n,k}², what modern code calls OBD;
 * - `exact`: the true diagonal by one Hessian-vector product per weight (small nets);
 * - `hutchinson`: E[v ⊙ Hv] over Rademacher v (`hutchinsonSamples` of them).
 * Needs data (`data` in `prune()`, `--data` in `%prune`).
 */
import * as tf from '@tensorflow/tfjs';
import type { CriterionContext } from '../context';
import { exactDiagonal, fisherDiagonal, gaussNewtonDiagonal, hutchinsonDiagonal } from '../hessian/curvature';
import { registerMethod } from '../method';

/** Ways to get the Hessian diagonal. */
export const OBD_DIAGONALS = ['gauss-newton', 'fisher', 'exact', 'hutchinson'] as const;

/** Options of OBD. */
export type ObdOptions = { diagonal: (typeof OBD_DIAGONALS)[number]; hutchinsonSamples: number };

/** The Hessian diagonal OBD uses, per target (tensors owned by the caller). */
export function hessianDiagonal(ctx: CriterionContext, o: ObdOptions): Map<string, tf.Tensor> {
  switch (o.diagonal) {
    case 'fisher': return fisherDiagonal(ctx);
    case 'exact': return exactDiagonal(ctx);
    case 'hutchinson': return hutchinsonDiagonal(ctx, o.hutchinsonSamples);
    default: return gaussNewtonDiagonal(ctx);
  }
}

/** OBD saliencies ½ h_kk w_k² per target. */
export function obdSaliencies(ctx: CriterionContext, o: ObdOptions): Map<string, tf.Tensor> {
  const diag = hessianDiagonal(ctx, o);
  const ws = ctx.weights();
  const out = new Map(ctx.targets.map((t) => [t.name, tf.tidy(() => tf.mul(0.5, tf.mul(diag.get(t.name)!, tf.square(ws.get(t.name)!))))]));
  for (const d of diag.values()) d.dispose();
  return out;
}

registerMethod<ObdOptions>({
  name: 'obd',
  description: 'Optimal Brain Damage: ½·h_kk·w², h = Gauss–Newton, Fisher, exact or Hutchinson diagonal (needs --data)',
  reference: 'LeCun, Denker, Solla. Optimal Brain Damage. NeurIPS 1989',
  options: [
    { name: 'diagonal', type: 'string', default: 'gauss-newton', choices: OBD_DIAGONALS, help: 'Hessian diagonal: gauss-newton (the paper\'s backward pass, Dense chains), fisher (mean squared per-example gradients), exact (one Hessian-vector product per weight, small nets), hutchinson' },
    { name: 'hutchinsonSamples', type: 'int', default: 16, min: 1, help: 'Rademacher samples of the hutchinson diagonal' },
  ],
  scores: (ctx, o) => obdSaliencies(ctx, o),
});
