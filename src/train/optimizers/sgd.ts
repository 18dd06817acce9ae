/** Plain stochastic gradient descent: w ← w − lr·g. */
import * as tf from '@tensorflow/tfjs';
import { SlotOptimizerBase } from './base';

/** SGD without momentum (no slots). */
export class SGD extends SlotOptimizerBase {
  readonly name = 'sgd';
  protected readonly slotNames = [] as const;

  protected computeStep(gradient: tf.Tensor, _slots: Map<string, tf.Variable>, learningRate: number): tf.Tensor {
    return tf.mul(gradient, learningRate);
  }
}
