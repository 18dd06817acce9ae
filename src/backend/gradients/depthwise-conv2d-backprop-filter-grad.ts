/**
 * Gradient of DepthwiseConv2dNativeBackpropFilter, which tfjs-core lacks (second-order
 * derivatives through DepthwiseConv2D / SeparableConv2D layers).
 *
 * dW = F(x, dy) is bilinear; for an upstream gradient G (filter-shaped):
 *   ∂⟨G, dW⟩/∂x  = depthwiseConv2dNativeBackpropInput(dy, G)
 *   ∂⟨G, dW⟩/∂dy = depthwiseConv2d(x, G)
 */
import * as tf from '@tensorflow/tfjs';

/** Gradient record for DepthwiseConv2dNativeBackpropFilter (inputs x, dy). */
export const depthwiseConv2dNativeBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (g, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const ddw = g as tf.Tensor4D;
    const { strides, dilations, pad, dimRoundingMode } =
      attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    return {
      x: () =>
        tf.engine().runKernel(
          tf.DepthwiseConv2dNativeBackpropInput,
          { dy, filter: ddw },
          { strides, dilations, pad, dimRoundingMode, inputShape: x.shape } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor4D,
      dy: () =>
        tf.depthwiseConv2d(x, ddw, strides, pad as 'valid', 'NHWC', dilations, dimRoundingMode),
    };
  },
};
