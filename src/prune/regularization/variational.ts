/**
 * Sparse variational dropout (Molchanov, Ashukha & Vetrov, ICML 2017), the pieces their code
 * (`bayesgroup/variational-dropout-sparsifies-dnn`, `nets/layers.py`) is made of: the additive
 * parameterisation (θ, log σ²) with log α = log σ² − log θ², the KL approximation, and the local
 * reparameterisation of a layer's pre-activations.
 */
import * as tf from '@tensorflow/tfjs';

/** The KL approximation's constants (paper Eq. 14). */
export const KL_CONSTANTS = { k1: 0.63576, k2: 1.8732, k3: 1.48695 } as const;

/** log α is clipped to this range (the code's `clip(…, −8, 8)`). */
export const LOG_ALPHA_CLIP = 8;

/** log α = clip(log σ² − log(θ² + 1e-8), −8, 8) (the 1e-8 keeps θ = 0 finite, as the conv layer of the code does). */
export function logAlpha(theta: tf.Tensor, logSigma2: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.sub(logSigma2, tf.log(tf.add(tf.square(theta), 1e-8))), -LOG_ALPHA_CLIP, LOG_ALPHA_CLIP));
}

/**
 * KL(q(w | θ, αθ²) ‖ log-uniform prior) per weight, approximated (paper Eq. 14, with the
 * constant C = −k1 so that it is 0 at α → ∞): −KL ≈ k1·σ(k2 + k3 log α) − ½·log(1 + α⁻¹) − k1.
 */
export function klApprox(logAlphaValue: tf.Tensor): tf.Tensor {
  const { k1, k2, k3 } = KL_CONSTANTS;
  return tf.tidy(() => tf.neg(tf.sub(tf.sub(tf.mul(tf.sigmoid(tf.add(tf.mul(logAlphaValue, k3), k2)), k1), tf.mul(tf.softplus(tf.neg(logAlphaValue)), 0.5)), k1)));
}

/**
 * The same KL by numeric integration, for checks: −KL = ½ log α − E_{ε∼N(1, α)} log|ε| + C,
 * C = −(γ_Euler + log 2)/2 (its limit at α → ∞ is 0, as the approximation's). Midpoint rule over
 * n ∈ [−12, 12] for ε = 1 + √α·n; the log singularity is integrable.
 */
export function klByIntegration(logAlphaValue: number, points = 2_000_000): number {
  const a = Math.exp(logAlphaValue);
  const sd = Math.sqrt(a);
  const lo = -12, hi = 12, h = (hi - lo) / points;
  let e = 0;
  for (let i = 0; i < points; i++) {
    const n = lo + (i + 0.5) * h;
    e += Math.exp(-0.5 * n * n) * Math.log(Math.abs(1 + sd * n));
  }
  e *= h / Math.sqrt(2 * Math.PI);
  const eulerGamma = 0.5772156649015329;
  const c = -(eulerGamma + Math.log(2)) / 2;
  return -(0.5 * logAlphaValue - e + c);
}

/**
 * Local reparameterisation of one layer: the pre-activation is sampled instead of the weights,
 * b = μ + √(s² + 1e-8)·ε with μ = layer(x; θ) and s² = layer(x²; σ²) (no bias). `linear(x, w,
 * withBias)` is the layer's linear map (a matmul or a convolution).
 */
export function localReparam(
  linear: (x: tf.Tensor, kernel: tf.Tensor, withBias: boolean) => tf.Tensor,
  x: tf.Tensor, theta: tf.Tensor, sigma2: tf.Tensor, noise: (shape: number[]) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const mu = linear(x, theta, true);
    const variance = linear(tf.square(x), sigma2, false);
    return tf.add(mu, tf.mul(tf.sqrt(tf.add(variance, 1e-8)), noise(mu.shape)));
  });
}

/** What {@link vdWeightTerms} returns, each of θ's shape. */
export interface VdWeightTerms {
  /** θ̃ = θ·1[log α < threshold]: the kernel of the forward pass (the code's train_clip). */
  kept: tf.Tensor;
  /** α·θ̃²: the weight variance of the local reparameterisation's variance path. */
  variance: tf.Tensor;
  /** KL per weight ({@link klApprox} of log α); absent when not asked for (evaluation). */
  kl?: tf.Tensor;
}

/**
 * Sparse VD's per-weight work of a training step, as tfjs ops: log α, the train-clip mask, the
 * variance α θ̃² and the KL, with their gradients by the tape: ≈40 element-wise kernels per layer,
 * about as much time as the step's matrix products on wasm (`npm run bench:method-profile`). A
 * fused version (one SIMD pass forward and one backward in prunelab's wasm module, polynomial
 * exp/log; not kept) was measured no faster on LeNet-300-100: copying θ, log σ² and the results
 * between tfjs's heap and the module's cost what the kernels saved.
 */
export function vdWeightTerms(theta: tf.Tensor, logSigma2: tf.Tensor, threshold: number, withKl = true): VdWeightTerms {
  const la = logAlpha(theta, logSigma2);
  // step(threshold − log α): 1 below the threshold, 0 at or above it; a zero gradient (Less has none)
  const kept = tf.mul(theta, tf.step(tf.sub(threshold, la)));
  return { kept, variance: tf.mul(tf.exp(la), tf.square(kept)), ...(withKl ? { kl: klApprox(la) } : {}) };
}
