/**
 * Sparse variational dropout (Molchanov, Ashukha & Vetrov, ICML 2017), the pieces their code
 * (`bayesgroup/variational-dropout-sparsifies-dnn`, `nets/layers.py`) is made of: the additive
 * parameterisation (θ, log σ²) with log α = log σ² − log θ², the KL approximation, and the local
 * reparameterisation of a layer's pre-activations.
 */
import * as tf from '@tensorflow/tfjs';
import { sparseWasm, sparseWasmAvailable } from '../../sparse/wasm';

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
  /** KL per weight ({@link klApprox} of log α). */
  kl: tf.Tensor;
}

/**
 * Sparse VD's per-weight work of a training step, as tfjs ops: log α, the train-clip mask, the
 * variance α θ̃² and the KL, with their gradients by the tape. On the CPU backends
 * ({@link vdWeightTermsFused}) the same in one loop is several times faster.
 */
export function vdWeightTermsOps(theta: tf.Tensor, logSigma2: tf.Tensor, threshold: number): VdWeightTerms {
  const la = logAlpha(theta, logSigma2);
  // step(threshold − log α): 1 below the threshold, 0 at or above it; a zero gradient (Less has none)
  const kept = tf.mul(theta, tf.step(tf.sub(threshold, la)));
  return { kept, variance: tf.mul(tf.exp(la), tf.square(kept)), kl: klApprox(la) };
}

/**
 * {@link vdWeightTermsOps} as one custom op: one pass over the weights forward and one backward
 * in prunelab's wasm module (`vdForward`, `vdBackward` in assembly/sparse.ts, f32, the closed-form
 * derivatives below) instead of ≈40 tfjs element-wise kernels per layer, which made a sparse-VD
 * step 4–7× a dense one on wasm (its matrix products alone are 2.5×). It reads its inputs with
 * dataSync, so it is meant for the CPU backends ({@link vdFusedBackend}); on WebGL/WebGPU the
 * ops version keeps the work on the device.
 * Derivatives, with raw = log σ² − log(θ² + 1e-8), c = [−8 ≤ raw ≤ 8] (the clip's, bounds
 * included as tfjs's), la = clip(raw), m = [la < threshold], e = exp(la), s = σ(k2 + k3 la):
 *   ∂la/∂log σ² = c,  ∂la/∂θ = −2θ c / (θ² + 1e-8),  ∂θ̃/∂θ = m,
 *   ∂(e θ̃²)/∂θ = m e (2θ + θ² ∂la/∂θ),  ∂(e θ̃²)/∂log σ² = m e θ² ∂la/∂log σ²,
 *   ∂KL/∂la = −(k1 k3 s (1 − s) + ½ σ(−la)).
 */
export function vdWeightTermsFused(theta: tf.Tensor, logSigma2: tf.Tensor, threshold: number): VdWeightTerms {
  const shape = theta.shape;
  const w = sparseWasm();
  const fn = (t: tf.Tensor, l: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    const tv = t.dataSync() as Float32Array, lv = l.dataSync() as Float32Array;
    const n = tv.length, nb = 4 * n;
    // [θ | log σ² | out (3n) | ∂la/∂θ | α | ∂KL/∂la] floats, then n flag bytes
    const base = w.heap.alloc(8 * nb + n);
    try {
      const f32 = (at: number, len: number) => new Float32Array(w.exports.memory.buffer, base + at, len);
      f32(0, n).set(tv);
      f32(nb, n).set(lv);
      w.exports.vdForward(base, base + nb, n, threshold, base + 2 * nb, base + 5 * nb, base + 6 * nb, base + 7 * nb, base + 8 * nb);
      const out = f32(2 * nb, 3 * n).slice();
      // what the backward pass needs, kept in JS so nothing stays allocated if it never runs
      const saved = new Uint8Array(w.exports.memory.buffer, base + 5 * nb, 3 * nb + n).slice();
      return {
        value: tf.tensor(out, [3, ...shape]),
        gradFunc: (dy: tf.Tensor) => {
          const d = dy.dataSync() as Float32Array;
          // [θ | dy (3n) | saved (3n + flags) | gθ | g log σ²]
          const g = w.heap.alloc(9 * nb + n + 16);
          try {
            const view = (at: number, len: number) => new Float32Array(w.exports.memory.buffer, g + at, len);
            view(0, n).set(tv);
            view(nb, 3 * n).set(d);
            new Uint8Array(w.exports.memory.buffer, g + 4 * nb, 3 * nb + n).set(saved);
            const gt = g + 7 * nb + n + ((16 - (n % 16)) % 16); // 16-byte aligned after the flags
            w.exports.vdBackward(g, n, g + nb, g + 4 * nb, g + 5 * nb, g + 6 * nb, g + 7 * nb, gt, gt + nb);
            return [tf.tensor(new Float32Array(w.exports.memory.buffer, gt, n).slice(), shape), tf.tensor(new Float32Array(w.exports.memory.buffer, gt + nb, n).slice(), shape)];
          } finally {
            w.heap.release(g);
          }
        },
      };
    } finally {
      w.heap.release(base);
    }
  };
  // the packed [3, …] tensor is an intermediate of the caller's tape (freed by its tidy)
  const packed = tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0])(theta, logSigma2);
  const [kept, variance, kl] = tf.unstack(packed);
  return { kept, variance, kl };
}

/** Whether {@link vdWeightTermsFused} is used: a CPU backend (tensors in CPU memory) and the wasm kernels at hand. */
export function vdFusedBackend(): boolean {
  return ['cpu', 'wasm', 'tensorflow'].includes(tf.getBackend()) && sparseWasmAvailable();
}
