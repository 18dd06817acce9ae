/**
 * Zero gradients for comparison and logical kernels, which tfjs-core leaves without a gradient.
 *
 * Their outputs are booleans, so any derivative through them is zero. tfjs itself uses them
 * inside gradient functions (max/min gradients build an `equal` mask, clipByValue a
 * `logicalAnd` mask), so a second derivative through tf.max, tf.logSumExp or clipByValue
 * fails with "gradient function not found for Equal/LogicalAnd" without these records.
 */
import * as tf from '@tensorflow/tfjs';

/** Kernel names with boolean outputs that get a zero gradient, with their input names. */
const BOOLEAN_KERNELS: ReadonlyArray<[string, string[]]> = [
  [tf.Equal, ['a', 'b']],
  [tf.NotEqual, ['a', 'b']],
  [tf.Greater, ['a', 'b']],
  [tf.Less, ['a', 'b']],
  [tf.LessEqual, ['a', 'b']],
  [tf.LogicalAnd, ['a', 'b']],
  [tf.LogicalOr, ['a', 'b']],
  [tf.LogicalXor, ['a', 'b']],
  [tf.LogicalNot, ['x']],
];

/** Gradient records returning zeros for every input of the boolean kernels above. */
export const booleanOpGradConfigs: readonly tf.GradConfig[] = BOOLEAN_KERNELS.map(
  ([kernelName, inputNames]) => ({
    kernelName,
    inputsToSave: inputNames,
    gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const grads: Record<string, () => tf.Tensor> = {};
      inputNames.forEach((name, i) => {
        grads[name] = () => tf.zerosLike(saved[i]).toFloat();
      });
      return grads;
    },
  }),
);
