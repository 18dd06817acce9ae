/**
 * Gradient of AvgPoolGrad, which tfjs-core lacks (second-order derivatives through
 * AveragePooling2D).
 *
 * tfjs's AvgPoolGrad spreads dy[b, i, j, c] / (fh·fw) over the in-bounds cells of its window; it
 * is linear in dy and its adjoint sums the upstream gradient over each window and divides by
 * fh·fw — a depthwise convolution with a constant filter. It does not depend on the input.
 */
import * as tf from '@tensorflow/tfjs';

/** Gradient record for AvgPoolGrad (inputs dy, input). */
export const avgPoolGradGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPoolGrad,
  inputsToSave: ['input'],
  gradFunc: (g, saved, attrs) => {
    const [input] = saved as [tf.Tensor4D];
    const ddx = g as tf.Tensor4D;
    const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
    const [fh, fw] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
    return {
      dy: () =>
        tf.tidy(() => {
          const channels = input.shape[3];
          const filter = tf.fill([fh, fw, channels, 1], 1 / (fh * fw)) as tf.Tensor4D;
          return tf.depthwiseConv2d(ddx, filter, strides, pad as 'valid');
        }),
      input: () => tf.zerosLike(input),
    };
  },
};
