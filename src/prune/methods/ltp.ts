/**
 * LTP, Learned Threshold Pruning (Azarian, Bhalgat, Lee & Blankevoort, arXiv 2003.00075): each
 * layer l has a threshold τ_l learned with the weights. The forward pass sees the soft-pruned
 * weight v = w·m with the soft mask m = σ((w² − τ_l)/T_l), and the loss adds a soft L0 norm (the
 * expected number of kept weights) weighted by the pruning preference λ:
 *   L = CE + λ·Σ_l Σ_k m_k / N_w          (N_w: the number of weights LTP acts on)
 * so the task loss and the count of kept weights are traded off by gradient descent (unlike the
 * density-matching `learned-threshold` this replaces). Both gradients of the soft mask are kept:
 * ∂v/∂w = m + (2w²/T)·m(1 − m) and ∂v/∂τ = −(w/T)·m(1 − m).
 *
 * Scales (our design, the paper gives none for MNIST): w² differs by orders of magnitude across
 * layers, so each layer's τ and T are in units of s_l = mean(w_l²) when LTP is attached:
 * T_l = temperature·s_l, τ_l = s_l·κ·ρ_l with ρ_l the trained variable and κ = thresholdLrScale
 * (with Adam, τ_l then moves by about κ·lr·s_l per step whatever the layer). A layer whose hard
 * density falls below `minDensity` gets its τ pulled back (fc3 has only 1 000 weights).
 *
 * The trail: at the end of every epoch the hard network w·1[w² > τ_l] is a candidate; the
 * weights and thresholds are kept (`ltpTrail`), `evaluateLtpTrail` measures the hard and the soft
 * accuracy of each (the gap says how far the optimised net is from the deployed one) and
 * `useLtpCheckpoint` goes back to one. `finalize` turns the current one into hard masks.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../../errors';
import type { Examples } from '../../data/types';
import { evaluate } from '../../train/evaluate';
import { parametrize } from '../../train/parametrize';
import { scalarSchedule, type ScalarScheduleSpec } from '../../train/scalar-schedule';
import { MaskedModel } from '../masked-model';
import { registerMethod } from '../method';
import { baseWeightName } from '../targets';

/** Options of the `ltp` method, as declared below. */
export type LtpOptions = { lambda: number; temperature: ScalarScheduleSpec; thresholdLrScale: number; initThreshold: number; minDensity: number };

/** One point of the trail: the hard network at the end of an epoch. */
export interface LtpTrailPoint {
  /** Epoch (0-based) and global step at its end. */
  epoch: number;
  step: number;
  /** τ_l by weight name. */
  thresholds: Record<string, number>;
  /** Hard density 1[w² > τ] by weight name, and over all LTP weights. */
  densities: Record<string, number>;
  density: number;
  /** The model's weights (all of them, `model.getWeights()` order) at that point. */
  weights: Float32Array[];
}

/** Per model: the state LTP keeps besides its variables. */
interface LtpState {
  options: LtpOptions;
  /** ρ_l (trained) and s_l (fixed) by weight variable name. */
  layers: Map<string, { rho: tf.Variable; scale: tf.Variable; size: number }>;
  /** While true, the forward pass sees the hard network (for the trail's hard accuracy). */
  hard: boolean;
  trail: LtpTrailPoint[];
}
const states = new WeakMap<tf.LayersModel, LtpState>();

let variableCount = 0;

/** τ_l = s_l·κ·ρ_l (a scalar tensor). */
function thresholdOf(l: { rho: tf.Variable; scale: tf.Variable }, kappa: number): tf.Tensor {
  return tf.mul(tf.mul(l.scale, kappa), l.rho);
}

/** The soft mask σ((w² − τ)/T). */
export function ltpSoftMask(w: tf.Tensor, tau: tf.Tensor | number, temperature: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => tf.sigmoid(tf.div(tf.sub(tf.square(w), tau), temperature)));
}

function stateOf(model: tf.LayersModel, where: string): LtpState {
  const s = states.get(model);
  if (!s) throw new UserError(`${where}: LTP is not attached to model '${model.name}'; train it with the ltp method first (pl.trainingPlan(net, 'ltp', …) or %finetune --method ltp).`);
  return s;
}

/** Current τ_l and hard density of each LTP weight. */
function hardStats(model: tf.LayersModel, s: LtpState): { thresholds: Record<string, number>; densities: Record<string, number>; density: number } {
  const masked = MaskedModel.of(model);
  const thresholds: Record<string, number> = {}, densities: Record<string, number> = {};
  let kept = 0, total = 0;
  const layers = [...s.layers];
  // one read-back for all layers: [τ_1, kept_1, τ_2, kept_2, ...]
  const values = tf.tidy(() => tf.stack(layers.flatMap(([name, l]) => {
    const t = thresholdOf(l, s.options.thresholdLrScale);
    return [t, tf.sum(tf.cast(tf.greater(tf.square(masked.prunable(name).variable.read()), t), 'float32'))];
  })).dataSync());
  layers.forEach(([name, l], i) => {
    const tau = values[2 * i], k = values[2 * i + 1];
    thresholds[name] = tau;
    densities[name] = k / l.size;
    kept += k;
    total += l.size;
  });
  return { thresholds, densities, density: total ? kept / total : 1 };
}

registerMethod<LtpOptions>({
  name: 'ltp',
  description: 'learned per-layer thresholds: soft mask σ((w²−τ)/T) in the forward pass, soft-L0 penalty, trail of hard nets',
  reference: 'Azarian et al. 2020 (LTP, arXiv 2003.00075)',
  options: [
    { name: 'lambda', type: 'number', default: 1e-2, min: 0, help: 'pruning preference λ: weight of the soft L0 (mean soft mask over all weights)' },
    { name: 'temperature', type: 'schedule', default: 0.1, help: 'temperature T_l in units of mean(w_l²) at attach (a number or a schedule, e.g. linear:0.2:0.02:0:5000)' },
    { name: 'thresholdLrScale', type: 'number', default: 10, min: 0, exclusiveMin: true, help: 'κ: τ_l = mean(w_l²)·κ·ρ_l, so τ moves κ× faster than a weight (per layer scale)' },
    { name: 'initThreshold', type: 'number', default: 0, min: 0, help: 'initial τ_l in units of mean(w_l²)' },
    { name: 'minDensity', type: 'number', default: 0.01, min: 0, max: 1, help: 'hard density floor per layer: τ is pulled back when a layer would keep less' },
  ],
  attach(masked, o) {
    const temperature = scalarSchedule(o.temperature, 'ltp: temperature');
    const state: LtpState = { options: o, layers: new Map(), hard: false, trail: [] };
    const weights = masked.prunableWeights();
    if (!weights.length) throw new UserError(`ltp: model '${masked.model.name}' has no prunable weights (Dense or Conv kernels).`);
    const total = weights.reduce((n, w) => n + w.size, 0);
    for (const w of weights) {
      const key = baseWeightName(w.name);
      const saved = masked.variables('ltp');
      const id = `${key.replace(/\W/g, '_')}_${variableCount++}`;
      const scale = saved.get(`${key}#scale`) ?? tf.tidy(() => tf.variable(tf.maximum(tf.mean(tf.square(w.variable.read())), 1e-12), false, `ltp_scale_${id}`));
      const rho = saved.get(key) ?? tf.tidy(() => tf.variable(tf.scalar(o.initThreshold / o.thresholdLrScale), true, `ltp_rho_${id}`));
      masked.addVariables('ltp', { [key]: rho, [`${key}#scale`]: scale });
      const layer = { rho, scale, size: w.size };
      state.layers.set(w.name, layer);
      const T = (step: number) => tf.mul(layer.scale, temperature(step));
      // the soft mask of this training step's forward pass, reused by its penalty (same tape)
      let stepMask: { step: number; mask: tf.Tensor } | undefined;
      parametrize(masked.model, w.name, {
        name: 'ltp',
        variables: [rho],
        forward: (weight, mode) => {
          const tau = thresholdOf(layer, o.thresholdLrScale);
          if (state.hard) return tf.mul(weight, tf.cast(tf.greater(tf.square(weight), tau), 'float32'));
          const m = ltpSoftMask(weight, tau, T(mode.step));
          stepMask = mode.training ? { step: mode.step, mask: m } : undefined;
          return tf.mul(weight, m);
        },
        penalty: (mode) => {
          const m = stepMask && stepMask.step === mode.step && !stepMask.mask.isDisposed
            ? stepMask.mask
            : ltpSoftMask(w.variable.read(), thresholdOf(layer, o.thresholdLrScale), T(mode.step));
          return tf.mul(tf.sum(m), o.lambda / total) as tf.Scalar;
        },
        finalize: (weight) => tf.tidy(() => ({ value: weight.clone(), mask: tf.cast(tf.greater(tf.square(weight), thresholdOf(layer, o.thresholdLrScale)), 'float32') })),
      });
    }
    states.set(masked.model, state);
  },
  training(masked, o) {
    const state = stateOf(masked.model, 'ltp');
    state.trail = [];
    return {
      hooks: [{
        // the density floor: a layer that would keep less than minDensity gets τ at its quantile
        onStepEnd() {
          if (!(o.minDensity > 0)) return;
          const { densities } = hardStats(masked.model, state);
          for (const [name, d] of Object.entries(densities)) {
            if (d >= o.minDensity) continue;
            const l = state.layers.get(name)!;
            const w2 = tf.tidy(() => tf.square(masked.prunable(name).variable.read()).dataSync());
            const sorted = Float32Array.from(w2).sort();
            const keep = Math.max(1, Math.ceil(o.minDensity * sorted.length));
            // τ just below the keep-th largest w², so that exactly `keep` weights stay above it
            const tau = sorted[sorted.length - keep] * (1 - 1e-6);
            const s = l.scale.dataSync()[0];
            tf.tidy(() => l.rho.assign(tf.scalar(tau / (s * o.thresholdLrScale))));
          }
        },
        onEpochEnd(info) {
          const stats = hardStats(masked.model, state);
          state.trail.push({ epoch: info.epoch, step: info.step, ...stats, weights: masked.model.getWeights().map((t) => Float32Array.from(t.dataSync())) });
        },
      }],
    };
  },
});

/** The trail of the last LTP training run: one hard network per epoch. */
export function ltpTrail(model: tf.LayersModel | MaskedModel): readonly LtpTrailPoint[] {
  const net = model instanceof MaskedModel ? model.model : model;
  return stateOf(net, 'ltpTrail').trail;
}

/** Runs `fn` with the model's weights and thresholds set to a trail point, then restores them. */
function atPoint<T>(net: tf.LayersModel, s: LtpState, p: LtpTrailPoint, fn: () => T): T {
  const saved = net.getWeights().map((t) => t.clone());
  const rhos = [...s.layers.values()].map((l) => l.rho.dataSync()[0]);
  try {
    setPoint(net, s, p);
    return fn();
  } finally {
    net.setWeights(saved);
    tf.dispose(saved);
    tf.tidy(() => [...s.layers.values()].forEach((l, i) => l.rho.assign(tf.scalar(rhos[i]))));
  }
}

function setPoint(net: tf.LayersModel, s: LtpState, p: LtpTrailPoint): void {
  // getWeights() returns the variables' own tensors: read their shapes, never dispose them
  const shapes = net.getWeights().map((t) => t.shape);
  const ts = p.weights.map((v, i) => tf.tensor(v, shapes[i]));
  net.setWeights(ts);
  tf.dispose(ts);
  for (const [name, l] of s.layers) {
    const tau = p.thresholds[name];
    tf.tidy(() => l.rho.assign(tf.scalar(tau / (l.scale.dataSync()[0] * s.options.thresholdLrScale))));
  }
}

/** The trail with the hard and soft accuracy of each point on `examples`. */
export function evaluateLtpTrail(model: tf.LayersModel | MaskedModel, examples: Examples): { epoch: number; step: number; density: number; densities: Record<string, number>; hardAccuracy: number; softAccuracy: number; gap: number }[] {
  const net = model instanceof MaskedModel ? model.model : model;
  const s = stateOf(net, 'evaluateLtpTrail');
  return s.trail.map((p) => atPoint(net, s, p, () => {
    const softAccuracy = evaluate(net, examples).accuracy;
    s.hard = true;
    let hardAccuracy: number;
    try {
      hardAccuracy = evaluate(net, examples).accuracy;
    } finally {
      s.hard = false;
    }
    return { epoch: p.epoch, step: p.step, density: p.density, densities: p.densities, hardAccuracy, softAccuracy, gap: softAccuracy - hardAccuracy };
  }));
}

/** The hard and the soft accuracy of the model as it is now. */
export function ltpAccuracies(model: tf.LayersModel | MaskedModel, examples: Examples): { hard: number; soft: number } {
  const net = model instanceof MaskedModel ? model.model : model;
  const s = stateOf(net, 'ltpAccuracies');
  const soft = evaluate(net, examples).accuracy;
  s.hard = true;
  try {
    return { hard: evaluate(net, examples).accuracy, soft };
  } finally {
    s.hard = false;
  }
}

/**
 * Goes back to a trail point (weights and thresholds), e.g. the one at the target sparsity;
 * `finalize` then makes its hard network the model.
 * @param index position in `ltpTrail(model)`; negative counts from the end.
 */
export function useLtpCheckpoint(model: tf.LayersModel | MaskedModel, index: number): LtpTrailPoint {
  const net = model instanceof MaskedModel ? model.model : model;
  const s = stateOf(net, 'useLtpCheckpoint');
  const i = index < 0 ? s.trail.length + index : index;
  if (!Number.isInteger(i) || i < 0 || i >= s.trail.length) throw new OptionError(`useLtpCheckpoint: index ${index} is outside the trail (${s.trail.length} points).`, 'index');
  setPoint(net, s, s.trail[i]);
  return s.trail[i];
}
