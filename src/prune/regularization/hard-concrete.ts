/**
 * The hard-concrete distribution of Louizos, Welling & Kingma (ICLR 2018), as in their code
 * (`AMLab-Amsterdam/L0_regularization`, `l0_layers.py`): a binary-concrete sample stretched to
 * (γ, ζ) and clipped to [0, 1], so that a gate is exactly 0 or 1 with non-zero probability and
 * the expected number of non-zero gates is differentiable in log α.
 */
import * as tf from '@tensorflow/tfjs';

/** The paper's constants: temperature β, stretch interval (γ, ζ), uniform margin ε, log α clamp. */
export const HARD_CONCRETE = {
  beta: 2 / 3,
  gamma: -0.1,
  zeta: 1.1,
  epsilon: 1e-6,
  /** log α is clamped to [log 0.01, log 100] after every step (the code's `constrain_parameters`). */
  logAlphaMin: Math.log(0.01),
  logAlphaMax: Math.log(100),
} as const;

/**
 * A gate sample z from uniform noise u ∈ [0, 1): u is first squeezed into (ε, 1 − ε), then
 * s = σ((log u − log(1 − u) + log α)/β), z = min(1, max(0, s(ζ − γ) + γ)). Differentiable in log α.
 */
export function hardConcreteSample(logAlpha: tf.Tensor, uniform: tf.Tensor, beta: number = HARD_CONCRETE.beta): tf.Tensor {
  const { gamma, zeta, epsilon } = HARD_CONCRETE;
  return tf.tidy(() => {
    const u = tf.add(tf.mul(uniform, 1 - 2 * epsilon), epsilon);
    const s = tf.sigmoid(tf.div(tf.add(tf.sub(tf.log(u), tf.log(tf.sub(1, u))), logAlpha), beta));
    return tf.clipByValue(tf.add(tf.mul(s, zeta - gamma), gamma), 0, 1);
  });
}

/** P(z ≠ 0) = σ(log α − β·log(−γ/ζ)): the expected L0 norm of a gate. */
export function probNonZero(logAlpha: tf.Tensor, beta: number = HARD_CONCRETE.beta): tf.Tensor {
  const { gamma, zeta } = HARD_CONCRETE;
  return tf.tidy(() => tf.sigmoid(tf.sub(logAlpha, beta * Math.log(-gamma / zeta))));
}

/** The deterministic test-time gate (paper Eq. 13): ẑ = min(1, max(0, σ(log α)(ζ − γ) + γ)). */
export function testTimeGate(logAlpha: tf.Tensor): tf.Tensor {
  const { gamma, zeta } = HARD_CONCRETE;
  return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(tf.sigmoid(logAlpha), zeta - gamma), gamma), 0, 1));
}

/**
 * Closed forms of one gate's distribution, for checks: P(z = 0), P(z = 1) and E[z] (by the
 * integral E[z] = ∫₀¹ P(z > t) dt, midpoint rule with `steps` points).
 */
export function hardConcreteMoments(logAlpha: number, beta: number = HARD_CONCRETE.beta, steps = 20000): { p0: number; p1: number; mean: number } {
  const { gamma, zeta } = HARD_CONCRETE;
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  // P(s < x) for the binary concrete s: σ(β·logit(x) − log α)
  const cdf = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : sig(beta * Math.log(x / (1 - x)) - logAlpha));
  const sOf = (t: number) => (t - gamma) / (zeta - gamma);
  let mean = 0;
  for (let i = 0; i < steps; i++) mean += 1 - cdf(sOf((i + 0.5) / steps));
  return { p0: cdf(sOf(0)), p1: 1 - cdf(sOf(1)), mean: mean / steps };
}
