/**
 * Gradient of DepthwiseConv2dNativeBackpropInput, which tfjs-core lacks (second-order
 * derivatives through a stack of DepthwiseConv2D / SeparableConv2D layers).
 *
 * dx = F(dy, W) is bilinear; for an upstream gradient G (input-shaped):
 *   ∂⟨G, dx⟩/∂dy = depthwiseConv2d(G, W)
 *   ∂⟨G, dx⟩/∂W  = depthwiseConv2dNativeBackpropFilter(G, dy)
 */
import * as tf from '@tensorflow/tfjs';

/** Gradient record for DepthwiseConv2dNativeBackpropInput (inputs dy, filter). */
export const depthwiseConv2dNativeBackpropInputGradConfig: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (g, saved, attrs) => {
    const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const ddx = g as tf.Tensor4D;
    const { strides, dilations, pad, dimRoundingMode } =
      attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    return {
      dy: () =>
        tf.depthwiseConv2d(ddx, filter, strides, pad as 'valid', 'NHWC', dilations, dimRoundingMode),
      filter: () =>
        tf.engine().runKernel(
          tf.DepthwiseConv2dNativeBackpropFilter,
          { x: ddx, dy },
          { strides, dilations, pad, dimRoundingMode, filterShape: filter.shape } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor4D,
    };
  },
};
