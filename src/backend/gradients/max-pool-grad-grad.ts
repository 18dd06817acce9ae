/**
 * Gradient of MaxPoolGrad, which tfjs-core lacks (second-order derivatives through
 * MaxPooling2D, e.g. Hessian-vector products on LeNet-5).
 *
 * MaxPoolGrad routes each output gradient dy[b, i, j, c] to the arg-max of its window, so it is
 * linear in dy and its adjoint picks the upstream gradient at each window's arg-max:
 *   ∂⟨G, dx⟩/∂dy = G[argmax]      (gathered with maxPoolWithArgmax indices)
 * It is piecewise constant in the pooled input and output, whose gradients are zero.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';

/** Gradient record for MaxPoolGrad (inputs dy, input, output). */
export const maxPoolGradGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPoolGrad,
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (g, saved, attrs) => {
    const [dy, input, output] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const ddx = g as tf.Tensor4D;
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    return {
      dy: () => {
        if (typeof pad === 'object' || (typeof pad === 'number' && dimRoundingMode != null)) {
          throw new UserError(
            `prunelab: second-order gradients through maxPool support pad 'valid', 'same' or a ` +
              `number without dimRoundingMode (got pad=${JSON.stringify(pad)}, ` +
              `dimRoundingMode=${dimRoundingMode}); use one of those paddings in the pooling layer.`,
          );
        }
        return tf.tidy(() => {
          const { indexes } = tf.maxPoolWithArgmax(input, filterSize, strides, pad, true);
          const picked = tf.gather(tf.reshape(ddx, [-1]), tf.reshape(indexes, [-1]));
          return tf.reshape(picked, dy.shape);
        });
      },
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};
