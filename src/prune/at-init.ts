/**
 * What methods that prune a network at initialization share (SNIP, GraSP, static random masks;
 * `methods/snip.ts`, `methods/grasp.ts`, `methods/static.ts`): fresh draws of a layer's own
 * initializer (to score one initialization and train another, as the reference codes do),
 * Xavier-normal and variance-scaling draws, a class-balanced batch, a loss on
 * temperature-scaled logits, and the ER allocation (Mocanu et al.'s Erdős–Rényi densities).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../errors';
import { outputKind } from '../train/loss';
import { erkDensities, dropCount, dropLowest, registerAllocation, type Allocation } from './allocation';
import { defaultPruneLoss, type PruneBatch, type PruneLoss } from './context';
import { deriveSeed } from './rng';
import type { PrunableWeight } from './targets';

/** A tfjs initializer (the class is not exported by name). */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** The kernel initializer of the layer that owns a prunable weight. */
function kernelInitializer(w: PrunableWeight): Initializer {
  const layer = w.layer as unknown as Record<string, Initializer | undefined>;
  const key = w.role === 'kernel' ? 'kernelInitializer' : w.role === 'depthwise_kernel' ? 'depthwiseInitializer' : 'pointwiseInitializer';
  const init = layer[key];
  if (!init) throw new UserError(`Layer '${w.layerName}' has no ${key}; cannot draw a fresh initialization of '${w.name}'.`);
  return init;
}

/**
 * A fresh draw of a weight's own initializer (same distribution, another seed): SNIP's code
 * scores one draw and trains another. Supports the variance-scaling family (Glorot, He, LeCun)
 * and the normal/uniform initializers.
 *
 * @param w the weight.
 * @param seed seed of the draw.
 */
export function freshDraw(w: PrunableWeight, seed: number): tf.Tensor {
  const init = kernelInitializer(w);
  const config = { ...(init.getConfig() as Record<string, unknown>), seed: deriveSeed(seed, w.name) % 2147483647 };
  const make: Record<string, (c: never) => Initializer> = {
    VarianceScaling: tf.initializers.varianceScaling,
    RandomNormal: tf.initializers.randomNormal,
    RandomUniform: tf.initializers.randomUniform,
    TruncatedNormal: tf.initializers.truncatedNormal,
  };
  const factory = make[init.getClassName()];
  if (!factory) {
    throw new UserError(`Cannot draw a fresh initialization of '${w.name}': its initializer ${init.getClassName()} is not one of ${Object.keys(make).join(', ')}. Use reinit: false.`);
  }
  return factory(config as never).apply(w.shape, 'float32');
}

/**
 * Xavier-normal (Glorot-normal) draw for a weight shape: N(0, 2/(fan_in + fan_out)), fans with
 * the kernel dims included (torch `xavier_normal_`, which GraSP's code applies to Linear layers).
 */
export function xavierNormal(shape: number[], seed: number): tf.Tensor {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = shape[shape.length - 2] * receptive, fanOut = shape[shape.length - 1] * receptive;
  return tf.randomNormal(shape, 0, Math.sqrt(2 / (fanIn + fanOut)), 'float32', seed % 2147483647);
}

/**
 * Re-initializes every Dense/Conv kernel of a model with variance scaling (scale 1, fan-in,
 * truncated normal: `tf.variance_scaling_initializer()`'s defaults, SNIP's init) and its biases
 * with zeros. For training from scratch before SNIP; a model with masks is refused.
 *
 * @param model the model (changed in place).
 * @param seed seed of the draws.
 */
export function initVarianceScaling(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (!ws.length || !['Dense', 'Conv2D', 'Conv1D'].includes(layer.getClassName())) continue;
    const fresh = tf.tidy(() => ws.map((w, i) => {
      if (i === 0) return tf.initializers.varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'truncatedNormal', seed: deriveSeed(seed, layer.name) % 2147483647 }).apply(w.shape, 'float32');
      return tf.zeros(w.shape);
    }));
    layer.setWeights(fresh);
    fresh.forEach((t) => t.dispose());
    // ws are the variables' own tensors (getWeights does not copy): disposing them would dispose the layer's variables
  }
}

/**
 * The first `perClass` examples of each class from the batches (GraSP's `samples_per_class`),
 * as one batch ordered class by class.
 *
 * @throws when some class has fewer examples than asked (naming how to give more data).
 */
export function classBalancedBatch(batches: readonly PruneBatch[], perClass: number): PruneBatch {
  const classes = batches[0].ys.shape[1]!;
  const picked: number[][] = Array.from({ length: classes }, () => []);
  const rows: { b: number; i: number }[][] = picked.map(() => []);
  batches.forEach((batch, b) => {
    const labels = tf.tidy(() => tf.argMax(batch.ys, -1).dataSync());
    labels.forEach((c, i) => {
      if (rows[c].length < perClass) rows[c].push({ b, i });
    });
  });
  const short = rows.map((r, c) => [c, r.length]).filter(([, n]) => n < perClass);
  if (short.length) {
    const seen = batches.reduce((a, b) => a + b.xs.shape[0], 0);
    throw new OptionError(
      `samplesPerClass ${perClass}: the ${seen} examples given have only ${short.map(([c, n]) => `${n} of class ${c}`).join(', ')}; ` +
        `give more data (e.g. --batches 4) or a smaller samplesPerClass.`, 'samplesPerClass',
    );
  }
  return tf.tidy(() => {
    const order = rows.flat();
    const xs = tf.concat(order.map(({ b, i }) => batches[b].xs.slice(i, 1)), 0);
    const ys = tf.concat(order.map(({ b, i }) => batches[b].ys.slice(i, 1)), 0);
    return { xs: tf.keep(xs), ys: tf.keep(ys), size: order.length };
  });
}

/**
 * Cross-entropy of logits divided by a temperature T (GraSP's T = 200 keeps the softmax from
 * saturating at initialization).
 *
 * @throws for T ≠ 1 on a model whose output is already a softmax.
 */
export function temperatureLoss(model: tf.LayersModel, temperature: number): PruneLoss {
  const base = defaultPruneLoss(model);
  if (temperature === 1) return base;
  if (outputKind(model) === 'probabilities') {
    throw new OptionError(`temperature ${temperature} needs logits, but model '${model.name}' ends in a softmax; build it with a linear last layer or use temperature 1.`, 'logitTemperature');
  }
  return (y, logits) => base(y, tf.div(logits, temperature));
}

/**
 * ER densities (Mocanu et al. 2018, SET): density ∝ (n_in + n_out)/(n_in·n_out), the kernel's
 * spatial dims ignored (ERK counts them), solved for the overall sparsity like ERK.
 */
export const erAllocation: Allocation = {
  name: 'er',
  description: 'Erdős–Rényi densities ∝ (n_in + n_out)/(n_in·n_out), kernel dims ignored (Mocanu et al. 2018, SET)',
  allocate(items, req) {
    if (req.sparsity === undefined) throw new OptionError("Allocation 'er' needs a sparsity.", 'sparsity');
    const d = erkDensities(items.map((it) => it.weight.shape), req.sparsity, false);
    return items.map((it, i) => {
      let pruned = 0;
      for (let j = 0; j < it.groups.pruned.length; j++) pruned += it.groups.pruned[j];
      return dropLowest(it.groups, dropCount(it.groups.scores.length, pruned, 1 - d[i], 'total'));
    });
  },
};
registerAllocation('er', erAllocation);
