/** Generic multi-layer perceptron builder (LeNet-300-100 is one instance). */
import * as tf from '@tensorflow/tfjs';
import { SeedSequence } from './seeds';
import { checkClasses, checkShape } from './shapes';
import type { HiddenActivation } from './types';
import { OptionError } from '../errors';

/** Options of {@link mlp}. */
export interface MlpOptions {
  /** Shape of one example; multi-dimensional input gets a Flatten layer named `flatten` first. Default `[784]`. */
  inputShape?: number[];
  /** Widths of the hidden Dense layers, e.g. `[300, 100]`. May be empty (softmax regression). */
  hidden: number[];
  /** Number of classes = units of the last Dense layer (linear, outputs logits). Default 10. */
  classes?: number;
  /** Activation of the hidden layers. Default `relu`. */
  activation?: HiddenActivation;
  /** Seed from which every initialiser's seed is derived. Default 0. */
  seed?: number;
  /** Model name. Default `mlp`. */
  name?: string;
}

/**
 * Builds a Dense network `input → [flatten] → fc1 … fcN → fc(N+1)` with Glorot-uniform kernels
 * (seeded) and zero biases; the last layer is linear, so the model outputs logits.
 *
 * @param options see {@link MlpOptions}.
 * @returns an uncompiled `tf.Sequential` with layers named `fc1`, `fc2`, … (and `flatten` if added).
 */
export function mlp(options: MlpOptions): tf.Sequential {
  const inputShape = checkShape(options.inputShape ?? [784], 'inputShape');
  const classes = checkClasses(options.classes ?? 10);
  const hidden = options.hidden ?? [];
  if (!Array.isArray(hidden) || hidden.some((h) => !Number.isInteger(h) || h <= 0)) {
    throw new OptionError(`hidden must be a list of positive integer widths, got ${JSON.stringify(options.hidden)}.`, 'hidden');
  }
  const activation = options.activation ?? 'relu';
  const seeds = new SeedSequence(options.seed ?? 0);
  const model = tf.sequential({ name: options.name ?? 'mlp' });
  let firstShape: number[] | undefined = inputShape;
  if (inputShape.length > 1) {
    model.add(tf.layers.flatten({ name: 'flatten', inputShape }));
    firstShape = undefined;
  }
  const widths = [...hidden, classes];
  widths.forEach((units, i) => {
    const last = i === widths.length - 1;
    model.add(
      tf.layers.dense({
        name: `fc${i + 1}`,
        units,
        activation: last ? 'linear' : activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.take() }),
        biasInitializer: 'zeros',
        ...(i === 0 && firstShape ? { inputShape: firstShape } : {}),
      }),
    );
  });
  return model;
}
