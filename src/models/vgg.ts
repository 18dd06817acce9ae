/** A small VGG-style CNN for 28×28×1 inputs (MNIST-sized images). */
import * as tf from '@tensorflow/tfjs';
import { SeedSequence } from './seeds';
import { addImageInput, checkClasses, checkShape } from './shapes';
import type { ModelOptions } from './types';

/**
 * Builds a small VGG: two blocks of two 3×3 same-padded relu convolutions followed by 2×2 max
 * pooling (32 then 64 filters: 28 → 14 → 7), then fc1 256 relu → fc2 classes (logits).
 * About 0.87M weights, mostly in fc1 (3136·256). Accepts `[28, 28, 1]` (default) or `[784]`.
 *
 * @param options seed, inputShape, classes (default 10).
 * @returns an uncompiled model with layers `conv1_1`, `conv1_2`, `pool1`, `conv2_1`, `conv2_2`,
 *   `pool2`, `flatten`, `fc1`, `fc2`.
 */
export function vggSmall(options: ModelOptions = {}): tf.Sequential {
  const inputShape = checkShape(options.inputShape ?? [28, 28, 1], 'inputShape');
  const classes = checkClasses(options.classes ?? 10);
  const seeds = new SeedSequence(options.seed ?? 0);
  const model = tf.sequential({ name: 'vgg_small' });
  let first = addImageInput(inputShape, [28, 28, 1], model);
  const init = () => tf.initializers.glorotUniform({ seed: seeds.take() });
  [32, 64].forEach((filters, b) => {
    for (let c = 1; c <= 2; c++) {
      model.add(
        tf.layers.conv2d({
          name: `conv${b + 1}_${c}`, filters, kernelSize: 3, padding: 'same', activation: 'relu',
          kernelInitializer: init(), biasInitializer: 'zeros', ...(first ? { inputShape: first } : {}),
        }),
      );
      first = undefined;
    }
    model.add(tf.layers.maxPooling2d({ name: `pool${b + 1}`, poolSize: 2, strides: 2 }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 256, activation: 'relu', kernelInitializer: init(), biasInitializer: 'zeros' }));
  model.add(tf.layers.dense({ name: 'fc2', units: classes, activation: 'linear', kernelInitializer: init(), biasInitializer: 'zeros' }));
  return model;
}
