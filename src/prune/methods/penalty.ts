/**
 * L1 / L2 then prune (Han et al. 2015, "Learning both weights and connections"): train with a
 * penalty λ·Σ|w| (L1), λ·Σw² (L2) or λ·Σ_g‖w_g‖₂ (group L1 over output units: neurons,
 * filters), then prune the weights with |w| < q·std(w_l) per layer, then retrain with the masks
 * held (a plain `%finetune`), and iterate.
 *
 * Exact zeros: plain (sub)gradient steps on an L1 penalty overshoot 0 and never land on it, and
 * Adam rescales the penalty's step per weight so that it does not even shrink small weights
 * towards 0 faster than large ones. `rule` picks the update that gives exact zeros under SGD
 * (see `../regularization/proximal.ts`): `prox` (soft-threshold after the data-gradient step)
 * or `clip` (set a weight to 0 when the penalised step makes it change sign). At the end of the
 * run every weight that is exactly 0, and (with `quality` q > 0) every |w| < q·std of its layer,
 * becomes a mask; retraining holds them.
 *
 * `%finetune net --data ds --method penalty --norm l1 --lambda 1e-4 --rule prox --optimizer sgd --lr 0.1`
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../../errors';
import type { TrainHook, TrainOptimizer } from '../../train/types';
import type { MaskedModel } from '../masked-model';
import { registerMethod } from '../method';
import { clipAtZero, groupL1Norm, l1Norm, proxGroupL1, proxL1 } from '../regularization/proximal';

/** Options of the `penalty` method, as declared below. */
export type PenaltyOptions = { norm: string; groups: string; lambda: number; rule: string; quality: number };

/** Identity forward, zero gradient: the prox step, not the gradient, handles the L1 term. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);

/** The penalty of one weight tensor: λ·Σ|w|, λ·Σw² or λ·Σ_g‖w_g‖₂. */
export function penaltyValue(w: tf.Tensor, o: Pick<PenaltyOptions, 'norm' | 'groups' | 'lambda'>): tf.Scalar {
  return tf.tidy(() => {
    const raw = o.groups === 'unit' ? groupL1Norm(w) : o.norm === 'l1' ? l1Norm(w) : tf.sum(tf.square(w));
    return tf.mul(raw, o.lambda) as tf.Scalar;
  });
}

/**
 * The masks Han's threshold gives: 1 where w ≠ 0 and |w| ≥ q·std(w) (std over the weight's
 * alive entries), as a new tensor.
 */
export function thresholdMask(w: tf.Tensor, mask: tf.Tensor | undefined, quality: number): tf.Tensor {
  return tf.tidy(() => {
    const alive = mask ?? tf.onesLike(w);
    const n = tf.maximum(tf.sum(alive), 1);
    const mean = tf.div(tf.sum(tf.mul(w, alive)), n);
    const std = tf.sqrt(tf.div(tf.sum(tf.mul(tf.square(tf.sub(w, mean)), alive)), n));
    const keep = tf.logicalAnd(tf.notEqual(w, 0), tf.greaterEqual(tf.abs(w), tf.mul(std, quality)));
    return tf.mul(alive, tf.cast(keep, 'float32'));
  });
}

function checkOptions(o: PenaltyOptions): void {
  if (o.groups === 'unit' && o.norm === 'l2') {
    throw new OptionError("penalty: groups 'unit' is the group L1 (group lasso) penalty λ·Σ_g‖w_g‖₂; with norm l2 it would be plain L2 (Σ_g‖w_g‖² = Σw²). Use --norm l1 --groups unit, or --norm l2 alone.", 'groups');
  }
  if (o.groups === 'unit' && o.rule === 'clip') {
    throw new OptionError("penalty: the clip rule zeroes single weights that change sign; for the group L1 penalty use --rule prox (it zeroes whole units) or none.", 'rule');
  }
}

registerMethod<PenaltyOptions>({
  name: 'penalty',
  description: 'train with an L1 / L2 / group-L1 penalty (exact zeros by a proximal or clip-at-zero step), then prune |w| < q·std',
  reference: 'Han et al. 2015; proximal L1 and clip-at-zero (Tsuruoka et al. 2009)',
  options: [
    { name: 'norm', type: 'string', choices: ['l1', 'l2'], default: 'l1', help: 'the penalty: l1 (λ·Σ|w|) or l2 (λ·Σw²)' },
    { name: 'groups', type: 'string', choices: ['weight', 'unit'], default: 'weight', help: 'weight: per weight; unit: group L1 over output units (neurons, filters), λ·Σ‖w_g‖₂' },
    { name: 'lambda', type: 'number', default: 1e-4, min: 0, help: 'penalty weight λ (added to the mean cross-entropy)' },
    { name: 'rule', type: 'string', choices: ['prox', 'clip', 'none'], default: 'prox', help: 'how L1 reaches exact zeros: prox (soft-threshold after the step), clip (zero on sign change), none (plain subgradient); L2 ignores it' },
    { name: 'quality', type: 'number', default: 0, min: 0, help: "at the end, prune |w| < q·std of the layer (Han's quality parameter; 0: only exact zeros)" },
  ],
  training(masked, o) {
    checkOptions(o);
    const weights = masked.prunableWeights();
    if (!weights.length) throw new UserError(`penalty: model '${masked.model.name}' has no prunable weights (Dense or Conv kernels).`);
    const names = new Set(weights.map((w) => w.name));
    const proximal = o.norm === 'l1' && o.rule === 'prox';
    const term = {
      name: 'penalty',
      // with the prox rule the L1 term is shown but not differentiated: the prox step is its update
      loss: () => tf.tidy(() => tf.addN(weights.map((w) => penaltyValue(proximal ? stopGradient(w.variable.read()) : w.variable.read(), o))) as tf.Scalar),
    };
    const hooks: TrainHook[] = [];
    if (o.norm === 'l1' && o.rule !== 'none') {
      hooks.push({
        onGradients(info) {
          const optimizer = info.optimizer as unknown as Partial<TrainOptimizer>;
          if (typeof optimizer.applyGradients !== 'function') throw new UserError('penalty: the training loop\'s optimizer cannot apply updates for the prox/clip rule.');
          info.replaceUpdate((updates, lr) => {
            const own = updates.filter((u) => names.has(u.name));
            const before = o.rule === 'clip' ? own.map((u) => u.variable.clone()) : [];
            optimizer.applyGradients!(updates, lr);
            own.forEach((u, i) => {
              const next = o.rule === 'clip'
                ? clipAtZero(before[i], u.variable)
                : o.groups === 'unit' ? proxGroupL1(u.variable, lr * o.lambda) : proxL1(u.variable, lr * o.lambda);
              u.variable.assign(next);
            });
          });
        },
      });
    }
    hooks.push({ onTrainEnd: () => void commitPenaltyMasks(masked, o.quality, o) });
    return { extraLosses: [term], hooks };
  },
});

/**
 * Turns the exact zeros (and, for q > 0, every |w| < q·std of its layer) into masks, in one edit.
 * @returns the number of weights newly masked.
 */
export function commitPenaltyMasks(masked: MaskedModel, quality: number, details: Record<string, unknown> = {}): number {
  let pruned = 0;
  masked.edit((edit) => {
    for (const w of masked.prunableWeights()) {
      const old = edit.mask(w.name);
      const m = thresholdMask(edit.value(w.name), old, quality);
      pruned += tf.tidy(() => tf.sub(tf.sum(old), tf.sum(m)).dataSync()[0]);
      edit.setMask(w.name, m);
    }
    edit.record({ method: 'penalty', details: { ...details, quality, pruned } });
  });
  return pruned;
}
