/** LeNet-5 in its Caffe variant (the `lenet_train_test.prototxt` used by pruning papers). */
import * as tf from '@tensorflow/tfjs';
import { SeedSequence } from './seeds';
import { addImageInput, checkClasses, checkShape } from './shapes';
import type { ModelOptions } from './types';

/**
 * Builds LeNet-5-Caffe: conv1 5×5×20 → pool1 2×2 → conv2 5×5×50 → pool2 2×2 → flatten →
 * fc1 500 relu → fc2 classes (logits). As in Caffe, the convolutions have no activation and
 * use valid padding (28 → 24 → 12 → 8 → 4, so fc1 sees 4·4·50 = 800 values; 431k weights).
 * Accepts `[28, 28, 1]` (default) or flat `[784]` input (reshaped by a first layer `reshape`).
 *
 * @param options seed, inputShape, classes (default 10).
 * @returns an uncompiled model with layers `conv1`, `pool1`, `conv2`, `pool2`, `flatten`, `fc1`, `fc2`.
 */
export function lenet5Caffe(options: ModelOptions = {}): tf.Sequential {
  const inputShape = checkShape(options.inputShape ?? [28, 28, 1], 'inputShape');
  const classes = checkClasses(options.classes ?? 10);
  const seeds = new SeedSequence(options.seed ?? 0);
  const model = tf.sequential({ name: 'lenet_5_caffe' });
  const first = addImageInput(inputShape, [28, 28, 1], model);
  const init = () => tf.initializers.glorotUniform({ seed: seeds.take() });
  model.add(
    tf.layers.conv2d({
      name: 'conv1', filters: 20, kernelSize: 5, padding: 'valid', activation: 'linear',
      kernelInitializer: init(), biasInitializer: 'zeros', ...(first ? { inputShape: first } : {}),
    }),
  );
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }));
  model.add(
    tf.layers.conv2d({
      name: 'conv2', filters: 50, kernelSize: 5, padding: 'valid', activation: 'linear',
      kernelInitializer: init(), biasInitializer: 'zeros',
    }),
  );
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 500, activation: 'relu', kernelInitializer: init(), biasInitializer: 'zeros' }));
  model.add(tf.layers.dense({ name: 'fc2', units: classes, activation: 'linear', kernelInitializer: init(), biasInitializer: 'zeros' }));
  return model;
}
