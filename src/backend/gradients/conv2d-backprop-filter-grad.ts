/**
 * Gradient of Conv2DBackpropFilter, which tfjs-core lacks. Needed for second-order
 * derivatives (Hessian-vector products) through any Conv2D layer.
 *
 * dW = F(x, dy) is bilinear; for an upstream gradient G (filter-shaped):
 *   ∂⟨G, dW⟩/∂x  = conv2DBackpropInput(dy, G)  (the input gradient of a conv with filter G)
 *   ∂⟨G, dW⟩/∂dy = conv2d(x, G)
 */
import * as tf from '@tensorflow/tfjs';

/** Gradient record for Conv2DBackpropFilter (inputs x, dy). */
export const conv2DBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (g, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const ddw = g as tf.Tensor4D;
    const { strides, pad, dataFormat, dimRoundingMode } =
      attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    return {
      x: () =>
        tf.engine().runKernel(
          tf.Conv2DBackpropInput,
          { dy, filter: ddw },
          { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor4D,
      dy: () => tf.conv2d(x, ddw, strides, pad as 'valid', dataFormat, 1, dimRoundingMode),
    };
  },
};
