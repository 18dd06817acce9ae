/**
 * Hard-concrete L0 regularization (Louizos, Welling & Kingma, ICLR 2018), grouped as in the
 * paper's code (`AMLab-Amsterdam/L0_regularization`): one gate per **input unit** of a Dense
 * layer (a row of its [in, out] kernel) and per **output feature map** of a Conv2D layer (its
 * filter and bias). Training multiplies the weights by a gate sample z from the hard-concrete
 * distribution (β = 2/3, γ = −0.1, ζ = 1.1; one sample per mini-batch, or per example with
 * `perExample`), and adds the expected L0 penalty
 *   (1/N)·Σ_j P(z_j ≠ 0)·Σ_{k ∈ group j} (λ_l + ½·prior·w_k²),   P(z ≠ 0) = σ(log α − β log(−γ/ζ)),
 * so λ is per weight (a gate costs λ × its group's size), as in the code. log α is clamped to
 * [log 0.01, log 100] after every step. Evaluation and `finalize` use the deterministic gate
 * ẑ = min(1, max(0, σ(log α)(ζ − γ) + γ)): groups with ẑ = 0 are removed, the others are scaled
 * by ẑ. `l0Architecture` reports the surviving inputs / feature maps per layer (the paper's
 * 219-214-100), and after `finalize`, `shrinkModel` builds the smaller dense model.
 *
 * Differences from the code, on purpose: a conv bias is gated with its map and its prior term is
 * P·½·prior·b² (the code adds −λ for the bias, of the opposite sign); a Dense bias has no penalty
 * (use the training loop's weight decay); no parameter EMA.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../../errors';
import { parametrize } from '../../train/parametrize';
import { MaskedModel } from '../masked-model';
import { registerMethod } from '../method';
import { deriveSeed } from '../rng';
import { baseWeightName, type PrunableWeight } from '../targets';
import { HARD_CONCRETE, hardConcreteSample, probNonZero, testTimeGate } from '../regularization/hard-concrete';
import { noiseSource } from '../regularization/noise';

/** Options of the `l0` method, as declared below. */
export type L0Options = {
  lambda: number; lambdas?: string[]; trainSize: number; priorPrecision: number;
  initDropRate: number; initDropRateInput: number; perExample: boolean;
};

/** One gated layer. */
interface GatedLayer {
  weight: PrunableWeight;
  /** `inputs` (Dense: a gate per kernel row) or `maps` (Conv2D: a gate per filter). */
  kind: 'inputs' | 'maps';
  logAlpha: tf.Variable;
  /** The gate broadcast to the kernel's shape: [in, 1] for Dense, [cout] for Conv2D. */
  gateShape: number[];
}

interface L0State {
  layers: GatedLayer[];
  seed: number;
}
const states = new WeakMap<tf.LayersModel, L0State>();
let variableCount = 0;

/** The gate sample of a layer at a step (the same for its kernel and its bias). */
function sampleGate(l: GatedLayer, state: L0State, step: number): tf.Tensor {
  const u = noiseSource().uniform(`l0:${baseWeightName(l.weight.name)}`, l.logAlpha.shape, step, state.seed);
  return hardConcreteSample(l.logAlpha, u);
}

registerMethod<L0Options>({
  name: 'l0',
  description: 'hard-concrete L0 gates on Dense inputs and conv feature maps, expected-L0 penalty, deterministic test gate',
  reference: 'Louizos, Welling & Kingma 2018 (AMLab-Amsterdam/L0_regularization)',
  options: [
    { name: 'lambda', type: 'number', default: 0.1, min: 0, help: 'λ per weight, divided by trainSize: the paper\'s λ = 0.1/N is --lambda 0.1' },
    { name: 'lambdas', type: 'list', help: 'λ per gated layer in model order (e.g. 10,0.5,0.1,0.1 for LeNet-5 λ-sep), instead of lambda' },
    { name: 'trainSize', type: 'int', default: 60000, min: 1, help: 'N, the number of training examples the penalty is divided by' },
    { name: 'priorPrecision', type: 'number', default: 0, min: 0, help: 'L2 prior precision of the gated weights (the ½·prior·w² term of the expected penalty)' },
    { name: 'initDropRate', type: 'number', default: 0.5, min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, help: 'initial drop rate p: log α ~ N(log(1−p) − log p, 0.01²)' },
    { name: 'initDropRateInput', type: 'number', default: 0.2, min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, help: 'initial drop rate of the gates on the input layer when it is Dense (the paper\'s MLP: 0.2)' },
    { name: 'perExample', type: 'boolean', default: false, help: 'one gate sample per example (gates the activations) instead of one per mini-batch' },
  ],
  attach(masked, o) {
    const all = masked.prunableWeights().filter((w) => w.layerType === 'Dense' || w.layerType === 'Conv2D');
    if (!all.length) throw new UserError(`l0: model '${masked.model.name}' has no Dense or Conv2D kernel to gate.`);
    const lambdas = o.lambdas?.map(Number);
    if (lambdas && (lambdas.length !== all.length || lambdas.some((x) => !(x >= 0)))) {
      throw new OptionError(`l0: lambdas needs ${all.length} numbers ≥ 0, one per gated layer (${all.map((w) => w.layerName).join(', ')}); got ${o.lambdas!.join(',')}.`, 'lambdas');
    }
    const state: L0State = { layers: [], seed: 0 };
    const saved = masked.variables('l0');
    all.forEach((w, i) => {
      const key = baseWeightName(w.name);
      const kind = w.layerType === 'Dense' ? 'inputs' : 'maps';
      const groups = kind === 'inputs' ? w.shape[0] : w.shape[w.shape.length - 1];
      const p = i === 0 && kind === 'inputs' ? o.initDropRateInput : o.initDropRate;
      const logAlpha = saved.get(key) ?? tf.tidy(() => tf.variable(
        tf.randomNormal([groups], Math.log(1 - p) - Math.log(p), 0.01, 'float32', deriveSeed(0, `l0-init:${key}`)), true, `l0_log_alpha_${key.replace(/\W/g, '_')}_${variableCount++}`));
      masked.addVariables('l0', { [key]: logAlpha });
      const layer: GatedLayer = { weight: w, kind, logAlpha, gateShape: kind === 'inputs' ? [groups, 1] : [groups] };
      state.layers.push(layer);
      const lambda = (lambdas ? lambdas[i] : o.lambda) / o.trainSize;
      const groupSize = w.size / groups;
      const perExample = o.perExample;
      if (perExample && kind === 'maps') {
        const act = (w.layer as unknown as { activation?: { getClassName?: () => string } }).activation?.getClassName?.();
        if (act && act !== 'ReLU' && act !== 'Linear' && act !== 'relu' && act !== 'linear') {
          throw new OptionError(`l0: perExample gates a conv layer's output maps after its activation, which equals gating before it only for relu/linear; '${w.layerName}' has ${act}.`, 'perExample');
        }
      }
      const gate = (mode: { training: boolean; step: number }) =>
        tf.reshape(mode.training ? sampleGate(layer, state, mode.step) : testTimeGate(logAlpha), layer.gateShape);
      parametrize(masked.model, w.name, {
        name: 'l0',
        variables: [logAlpha],
        // per example, the training gates act on the layer's inputs / outputs (layerCall)
        forward: (weight, mode) => (perExample && mode.training ? weight : tf.mul(weight, gate(mode))),
        layerCall: perExample
          ? (inputs, original, { mode }) => {
              if (!mode.training) return original(inputs);
              const x = Array.isArray(inputs) ? inputs[0] : inputs;
              const batch = x.shape[0]!;
              const u = noiseSource().uniform(`l0:${key}`, [batch, groups], mode.step, state.seed);
              const z = hardConcreteSample(tf.reshape(logAlpha, [1, groups]), u);
              if (kind === 'inputs') return original(tf.mul(x, z));
              return tf.mul(original(inputs), tf.reshape(z, [batch, 1, 1, groups]));
            }
          : undefined,
        penalty: () => {
          const perGroup = tf.add(
            lambda * groupSize,
            o.priorPrecision > 0 ? tf.mul(tf.sum(tf.reshape(tf.square(w.variable.read()), kind === 'inputs' ? [groups, -1] : [-1, groups]), kind === 'inputs' ? 1 : 0), o.priorPrecision / 2 / o.trainSize) : tf.scalar(0),
          );
          return tf.sum(tf.mul(probNonZero(logAlpha), perGroup)) as tf.Scalar;
        },
        finalize: (weight) => tf.tidy(() => {
          const g = tf.reshape(testTimeGate(logAlpha), layer.gateShape);
          return { value: tf.mul(weight, g), mask: tf.mul(tf.onesLike(weight), tf.cast(tf.greater(g, 0), 'float32')) };
        }),
      });
      // a conv map's bias goes with its gate
      const bias = kind === 'maps' ? w.layer.weights.find((v) => v !== w.variable && /bias/.test(v.name)) : undefined;
      if (bias) {
        parametrize(masked.model, bias.name, {
          name: 'l0',
          forward: (b, mode) => (perExample && mode.training ? b : tf.mul(b, gate(mode))),
          penalty: o.priorPrecision > 0 ? () => tf.sum(tf.mul(probNonZero(logAlpha), tf.mul(tf.square(bias.read()), o.priorPrecision / 2 / o.trainSize))) as tf.Scalar : undefined,
          finalize: (b) => tf.tidy(() => {
            const g = testTimeGate(logAlpha);
            return { value: tf.mul(b, g), mask: tf.cast(tf.greater(g, 0), 'float32') };
          }),
        });
      }
    });
    states.set(masked.model, state);
  },
  training(masked, o, run) {
    const state = states.get(masked.model);
    if (!state) throw new UserError('l0: the method is not attached (internal order problem).');
    state.seed = run.seed;
    return {
      hooks: [{
        // the code's constrain_parameters: log α ∈ [log 0.01, log 100] after every step
        onStepEnd() {
          // tidy: assign keeps its argument's data, the argument itself must still be freed
          tf.tidy(() => state.layers.forEach((l) => l.logAlpha.assign(tf.clipByValue(l.logAlpha, HARD_CONCRETE.logAlphaMin, HARD_CONCRETE.logAlphaMax))));
        },
      }],
    };
  },
});

/** One gated layer's surviving structure. */
export interface L0LayerArchitecture {
  /** Layer name. */
  layer: string;
  /** What the gates count: Dense inputs or Conv2D output maps. */
  kind: 'inputs' | 'maps';
  /** Gates in the layer. */
  total: number;
  /** Gates whose deterministic value ẑ is > 0 (the surviving units). */
  kept: number;
  /** Σ P(z ≠ 0): the expected number of open gates during training. */
  expected: number;
  /** ẑ per gate, and P(z ≠ 0) per gate (for plots). */
  gates: number[];
  probabilities: number[];
}

/**
 * The surviving architecture of an L0-gated model: per gated layer, the units whose test-time
 * gate is open, e.g. `219-214-100` for LeNet-300-100 (inputs of fc1, fc2, fc3).
 */
export function l0Architecture(model: tf.LayersModel | MaskedModel): { layers: L0LayerArchitecture[]; summary: string } {
  const net = model instanceof MaskedModel ? model.model : model;
  const state = states.get(net);
  if (!state) throw new UserError(`l0Architecture: the l0 method is not attached to '${net.name}' (train with --method l0 first; after finalize, count the units with shrinkModel).`);
  const layers = state.layers.map((l) => {
    const [gates, probabilities] = tf.tidy(() => [Array.from(testTimeGate(l.logAlpha).dataSync()), Array.from(probNonZero(l.logAlpha).dataSync())]);
    return {
      layer: l.weight.layerName, kind: l.kind, total: gates.length, kept: gates.filter((g) => g > 0).length,
      expected: probabilities.reduce((a, b) => a + b, 0), gates, probabilities,
    };
  });
  return { layers, summary: layers.map((l) => l.kept).join('-') };
}
