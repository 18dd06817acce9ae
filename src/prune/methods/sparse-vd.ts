/**
 * Sparse variational dropout (Molchanov, Ashukha & Vetrov, ICML 2017; code
 * `bayesgroup/variational-dropout-sparsifies-dnn`). Every weight of a Dense or Conv2D kernel has
 * a Gaussian posterior N(θ, σ²) in the additive parameterisation: θ is the layer's own kernel,
 * log σ² a variable of the method, and log α = clip(log σ² − log θ², −8, 8) its dropout rate.
 * - Training: the local reparameterisation trick samples the pre-activations instead of the
 *   weights: b = x·θ̃ + √(x²·(α θ̃²) + 1e-8)·ε, ε ~ N(0, 1) per example and unit, where θ̃ = θ·1[log α < 3]
 *   (the code's train_clip). For a Dense or a conv alike, two linear maps of the layer: twice the
 *   matrix products of a dense step.
 * - Loss: the SGVLB per example, CE + rw(step)·Σ KL / N, with the KL approximation
 *   −KL ≈ k1·σ(k2 + k3 log α) − ½ log(1 + α⁻¹) − k1 (k1 = 0.63576, k2 = 1.87320, k3 = 1.48695) and
 *   the KL weight rw ramped from 0 to 1 (the paper: epochs 5–20 of 200).
 * - Evaluation and `finalize`: the deterministic net θ·1[log α < 3]; sparsity = share of weights
 *   with log α ≥ 3.
 * Works from scratch (the model's init; the paper uses θ ~ N(0, 0.01²) for Dense) and from a dense
 * checkpoint (the authors advise log σ² = −8 then).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { parametrize } from '../../train/parametrize';
import { scalarSchedule, type ScalarScheduleSpec } from '../../train/scalar-schedule';
import { MaskedModel } from '../masked-model';
import { registerMethod } from '../method';
import { baseWeightName, type PrunableWeight } from '../targets';
import { klApprox, logAlpha, vdWeightTerms } from '../regularization/variational';
import { noiseSource } from '../regularization/noise';

/** Options of the `sparse-vd` method, as declared below. */
export type SparseVdOptions = { klWeight: ScalarScheduleSpec; trainSize: number; threshold: number; initLogSigma2: number };

interface VdLayer {
  weight: PrunableWeight;
  logSigma2: tf.Variable;
}
interface VdState {
  layers: VdLayer[];
  seed: number;
  threshold: number;
}
const states = new WeakMap<tf.LayersModel, VdState>();
let variableCount = 0;

/** An activation that does nothing, swapped in while the pre-activations are sampled. */
const IDENTITY = { apply: (x: tf.Tensor) => x, getClassName: () => 'linear' };

registerMethod<SparseVdOptions>({
  name: 'sparse-vd',
  description: 'sparse variational dropout: per-weight log σ², local reparameterisation, KL to the log-uniform prior, prune log α > 3',
  reference: 'Molchanov, Ashukha & Vetrov 2017 (bayesgroup/variational-dropout-sparsifies-dnn)',
  options: [
    { name: 'klWeight', type: 'schedule', default: 1, help: 'KL weight rw: a number or a warm-up, e.g. linear:0:1:3000:12000 (the paper ramps 0→1 over epochs 5–20)' },
    { name: 'trainSize', type: 'int', default: 60000, min: 1, help: 'N: the KL is divided by the number of training examples (SGVLB per example)' },
    { name: 'threshold', type: 'number', default: 3, help: 'weights with log α ≥ threshold are pruned (and zeroed in training, train_clip)' },
    { name: 'initLogSigma2', type: 'number', default: -10, help: 'initial log σ² (the paper: −10 from scratch; −8 advised from a dense checkpoint)' },
  ],
  attach(masked, o) {
    const weights = masked.prunableWeights().filter((w) => w.layerType === 'Dense' || w.layerType === 'Conv2D');
    if (!weights.length) throw new UserError(`sparse-vd: model '${masked.model.name}' has no Dense or Conv2D kernel.`);
    const rw = scalarSchedule(o.klWeight, 'sparse-vd: klWeight');
    const state: VdState = { layers: [], seed: 0, threshold: o.threshold };
    const saved = masked.variables('sparse-vd');
    for (const w of weights) {
      const key = baseWeightName(w.name);
      const logSigma2 = saved.get(key) ?? tf.tidy(() => tf.variable(tf.fill(w.shape, o.initLogSigma2), true, `vd_log_sigma2_${key.replace(/\W/g, '_')}_${variableCount++}`));
      masked.addVariables('sparse-vd', { [key]: logSigma2 });
      state.layers.push({ weight: w, logSigma2 });
      // α θ̃² of the forward pass just evaluated, for the variance path of the same pass
      let variance: tf.Tensor | undefined;
      // the KL per weight of this training step's forward pass, reused by its penalty (same tape)
      let stepKl: { step: number; value: tf.Tensor } | undefined;
      const bias = w.layer.weights.find((v) => v !== w.variable && /bias/.test(v.name));
      parametrize(masked.model, w.name, {
        name: 'sparse-vd',
        variables: [logSigma2],
        forward: (theta, mode) => {
          const terms = vdWeightTerms(theta, logSigma2, o.threshold, mode.training);
          stepKl = terms.kl ? { step: mode.step, value: terms.kl } : undefined;
          variance = terms.variance;
          return terms.kept;
        },
        layerCall: (inputs, original, { layer, mode }) => {
          if (!mode.training) return original(inputs);
          const x = Array.isArray(inputs) ? inputs[0] : inputs;
          const own = layer as unknown as { activation?: { apply(x: tf.Tensor): tf.Tensor } };
          const activation = own.activation;
          const kernel = w.variable as unknown as { read: () => tf.Tensor };
          const effective = kernel.read;
          const biasVar = bias as unknown as { read: () => tf.Tensor } | undefined;
          const biasRead = biasVar?.read;
          const hadOwnBiasRead = biasVar ? Object.prototype.hasOwnProperty.call(biasVar, 'read') : false;
          let mu: tf.Tensor, s2: tf.Tensor;
          own.activation = IDENTITY;
          try {
            mu = original(x);
            const v = variance!;
            kernel.read = () => v;
            if (biasVar) biasVar.read = () => tf.zeros(bias!.shape as number[]);
            s2 = original(tf.square(x));
          } finally {
            own.activation = activation;
            kernel.read = effective;
            if (biasVar) {
              if (hadOwnBiasRead) biasVar.read = biasRead!;
              else delete (biasVar as { read?: unknown }).read;
            }
          }
          const eps = noiseSource().normal(`vd:${key}`, mu.shape, mode.step, state.seed);
          const b = tf.add(mu, tf.mul(tf.sqrt(tf.add(s2, 1e-8)), eps));
          return activation ? activation.apply(b) : b;
        },
        penalty: (mode) => {
          const kl = stepKl && stepKl.step === mode.step && !stepKl.value.isDisposed ? stepKl.value : klApprox(logAlpha(w.variable.read(), logSigma2));
          return tf.mul(tf.sum(kl), rw(mode.step) / o.trainSize) as tf.Scalar;
        },
        finalize: (theta) => tf.tidy(() => {
          const mask = tf.cast(tf.less(logAlpha(theta, logSigma2), o.threshold), 'float32');
          return { value: theta.clone(), mask };
        }),
      });
    }
    states.set(masked.model, state);
  },
  training(masked, _o, run) {
    const state = states.get(masked.model);
    if (!state) throw new UserError('sparse-vd: the method is not attached (internal order problem).');
    state.seed = run.seed;
    return {};
  },
});

/**
 * log α of every weight of a sparse-VD model, by layer, with the share at or above the
 * threshold (pruned) — for histograms and the compression trajectory.
 */
export function vdLogAlphas(model: tf.LayersModel | MaskedModel): { layer: string; logAlpha: Float32Array; sparsity: number }[] {
  const net = model instanceof MaskedModel ? model.model : model;
  const state = states.get(net);
  if (!state) throw new UserError(`vdLogAlphas: sparse-vd is not attached to '${net.name}'; train with --method sparse-vd first.`);
  return state.layers.map((l) => {
    const la = tf.tidy(() => logAlpha(l.weight.variable.read(), l.logSigma2).dataSync() as Float32Array);
    let pruned = 0;
    for (const v of la) if (v >= state.threshold) pruned++;
    return { layer: l.weight.layerName, logAlpha: Float32Array.from(la), sparsity: pruned / la.length };
  });
}
