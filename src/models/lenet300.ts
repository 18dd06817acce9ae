/** LeNet-300-100 (LeCun et al. 1998; the standard pruning benchmark of Han et al. 2015). */
import type * as tf from '@tensorflow/tfjs';
import { mlp } from './mlp';
import type { ModelOptions } from './types';

/**
 * Builds LeNet-300-100: 784 → fc1 300 relu → fc2 100 relu → fc3 classes (logits).
 * Accepts flat input `[784]` (default) or image input such as `[28, 28, 1]`, which is flattened
 * by a first layer named `flatten`.
 *
 * @param options seed, inputShape (default `[784]`), classes (default 10).
 * @returns an uncompiled model with layers `fc1`, `fc2`, `fc3`.
 */
export function lenet300100(options: ModelOptions = {}): tf.Sequential {
  return mlp({
    inputShape: options.inputShape ?? [784],
    hidden: [300, 100],
    classes: options.classes ?? 10,
    activation: 'relu',
    seed: options.seed ?? 0,
    name: 'lenet_300_100',
  });
}
