/**
 * GraSP (Wang, Zhang, Grosse, ICLR 2020: "Picking winning tickets before training by preserving
 * gradient flow"): prune at initialization so that the gradient norm after pruning stays large.
 * Removing δ changes the gradient flow ΔL·‖∇L‖² by about −2·δᵀHg, so each weight's score is
 *
 *   S(θ) = −θ ⊙ (H g),   g = ∇L,  H g by double backprop (the core's Hessian-vector product),
 *
 * and the paper removes the weights with the **largest** S (those whose removal reduces the
 * gradient flow least), over all weights at once (scope `global`). In prunelab's convention
 * (higher score = keep) the paper's score is therefore returned as θ ⊙ Hg = −S.
 * `score: 'magnitude'` keeps the largest |θ ⊙ Hg| instead (Lubana & Dick 2021 argue it is the
 * better criterion) — a different method, kept explicit.
 *
 * As the reference code (`alecwangcq/GraSP`, `pruner/GraSP.py`): the loss is the cross-entropy
 * of the logits divided by T = 200; the data are `samplesPerClass` examples of each class; with
 * `xavierCopy` the scores are computed on a copy whose Dense kernels are re-drawn Xavier-normal
 * (the code re-initialises every Linear layer of its copy; the model itself keeps its weights).
 * The code sums g and Hg over two halves of the data; that only multiplies S by a constant and
 * leaves the ranking, so here both are means over all examples.
 *
 * `%prune net grasp --data ds --batches 2 --sparsity 0.95`.
 */
import * as tf from '@tensorflow/tfjs';
import { classBalancedBatch, temperatureLoss, xavierNormal } from '../at-init';
import { createContext, type PruneBatch } from '../context';
import { registerMethod } from '../method';
import { deriveSeed } from '../rng';

/** Options of `grasp`, as declared below. */
export type GraspOptions = { samplesPerClass: number; logitTemperature: number; score: string; xavierCopy: boolean };

registerMethod<GraspOptions>({
  name: 'grasp',
  description: 'GraSP: prune at initialization to preserve gradient flow, removing the largest −θ⊙Hg (Hessian-gradient product), one global ranking',
  reference: 'Wang et al. 2020, ICLR (GraSP); code: alecwangcq/GraSP',
  options: [
    { name: 'samplesPerClass', type: 'int', min: 0, default: 10, help: 'examples of each class taken from the data (0: all the data as given)' },
    { name: 'logitTemperature', type: 'number', min: 0, exclusiveMin: true, default: 200, help: 'T: the loss uses logits/T (the code uses 200)' },
    { name: 'score', type: 'string', choices: ['paper', 'magnitude'], default: 'paper', help: 'paper: remove the largest −θ⊙Hg; magnitude: remove the smallest |θ⊙Hg|' },
    { name: 'xavierCopy', type: 'boolean', default: false, help: "score a copy whose Dense kernels are re-drawn Xavier-normal (the reference code's reinit)" },
  ],
  defaultScope: () => 'global',
  scores(ctx, o) {
    const picked: PruneBatch[] = o.samplesPerClass > 0 ? [classBalancedBatch(ctx.batches(), o.samplesPerClass)] : [...ctx.batches()];
    const inner = createContext(ctx.model, ctx.targets, { data: picked, loss: temperatureLoss(ctx.model, o.logitTemperature), seed: ctx.seed });
    // the Xavier copy: the scored kernels are written for the duration of this call and restored after
    const saved = o.xavierCopy ? ctx.targets.map((t) => t.variable.read().clone()) : [];
    try {
      if (o.xavierCopy) {
        ctx.targets.forEach((t) => {
          if (t.layerType !== 'Dense') return;
          const m = ctx.mask(t.name);
          const w = tf.tidy(() => (m ? tf.mul(xavierNormal(t.shape, deriveSeed(ctx.seed, `grasp-xavier/${t.layerName}`)), m) : xavierNormal(t.shape, deriveSeed(ctx.seed, `grasp-xavier/${t.layerName}`))));
          t.variable.write(w);
          w.dispose();
        });
      }
      const g = inner.gradients();
      const hg = inner.hvp(g);
      const theta = inner.weights();
      const scores = tf.tidy(() => ctx.targets.map((t) => {
        const thetaHg = tf.mul(theta.get(t.name)!, hg.get(t.name)!);
        return o.score === 'magnitude' ? tf.abs(thetaHg) : thetaHg;
      }));
      return new Map(ctx.targets.map((t, i) => [t.name, scores[i]]));
    } finally {
      ctx.targets.forEach((t, i) => {
        if (o.xavierCopy) t.variable.write(saved[i]);
      });
      saved.forEach((s) => s.dispose());
      inner.dispose();
      if (o.samplesPerClass > 0) picked.forEach((b) => tf.dispose([b.xs, b.ys]));
    }
  },
});
