/**
 * Updates that make an L1 (or group-L1) penalty produce exact zeros under SGD. A plain
 * (sub)gradient step on λ|w| moves a weight by ±lr·λ and oversteps 0, so weights oscillate around
 * zero instead of landing on it; with Adam the step is also divided by √v̂, so a weight whose only
 * gradient is the penalty moves by about lr per step whatever λ is, and never stops at 0.
 * - proximal (soft-threshold) step after the data-gradient step: w ← sign(w)·max(|w| − lr·λ, 0);
 *   group version: w_g ← w_g·max(0, 1 − lr·λ/‖w_g‖₂);
 * - clip at zero (Tsuruoka et al. 2009; tensorflow/playground PR #55): after the step including
 *   the penalty's subgradient, a weight that changed sign is set to 0.
 */
import * as tf from '@tensorflow/tfjs';

/** The soft-threshold prox of t·|w|: sign(w)·max(|w| − t, 0). */
export function proxL1(w: tf.Tensor, t: number): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sign(w), tf.relu(tf.sub(tf.abs(w), t))));
}

/**
 * The prox of t·Σ_g ‖w_g‖₂ for groups along the last axis (output units: a Dense kernel's
 * columns, a conv kernel's filters): w_g·max(0, 1 − t/‖w_g‖₂).
 */
export function proxGroupL1(w: tf.Tensor, t: number): tf.Tensor {
  return tf.tidy(() => {
    const norms = groupNorms(w);
    const scale = tf.relu(tf.sub(1, tf.div(t, tf.maximum(norms, 1e-12))));
    return tf.mul(w, scale);
  });
}

/** ‖w_g‖₂ of the groups along the last axis (one per output unit), shape [units]. */
export function groupNorms(w: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.reshape(w, [-1, w.shape[w.rank - 1]])), 0)));
}

/** Clip at zero: where `after` has the opposite sign of `before`, 0; else `after`. */
export function clipAtZero(before: tf.Tensor, after: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.where(tf.less(tf.mul(before, after), 0), tf.zerosLike(after), after));
}

/**
 * Σ|w| with the subgradient sign(w), which is 0 at w = 0 (tfjs's abs has −1 there, which would
 * push weights that landed on 0 off it again).
 */
export const l1Norm: (w: tf.Tensor) => tf.Scalar = tf.customGrad(((w: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
  save([w]);
  return {
    value: tf.sum(tf.abs(w)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sign(saved[0])),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (w: tf.Tensor) => tf.Scalar;

/** Σ_g ‖w_g‖₂ over output units, with the subgradient w_g/‖w_g‖ (0 for a group that is all 0). */
export const groupL1Norm: (w: tf.Tensor) => tf.Scalar = tf.customGrad(((w: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
  save([w]);
  return {
    value: tf.sum(groupNorms(w)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const x = saved[0];
      const norms = groupNorms(x);
      const inv = tf.where(tf.greater(norms, 0), tf.div(1, tf.maximum(norms, 1e-30)), tf.zerosLike(norms));
      return tf.mul(dy, tf.mul(x, inv));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (w: tf.Tensor) => tf.Scalar;
