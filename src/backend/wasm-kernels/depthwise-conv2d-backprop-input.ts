/**
 * DepthwiseConv2dNativeBackpropInput for wasm: the input gradient of a depthwise convolution.
 *
 * The transpose of a strided, dilated depthwise convolution is a stride-1 depthwise convolution
 * of dy with zeros inserted between its rows/columns (stride − 1 of them), "full" padding
 * ((k − 1)·d − top before), and the filter rotated by 180°. With a channel multiplier M the
 * C·M output channels are then summed back to C. Built from the backend's own kernels
 * (PadV2, Reverse, XNNPACK depthwise conv, Sum).
 */
import * as tf from '@tensorflow/tfjs';
import { WASM, WasmBackendLike, withWasmScope } from './scope';
import { transposedConvInput } from './transposed-conv-input';

function depthwiseConv2dNativeBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const [batch, inHeight, inWidth, inChannels] = inputShape;
  const [filterHeight, filterWidth, , multiplier] = filterShape;
  const { dilationHeight, dilationWidth } = info;

  return withWasmScope(args.backend as WasmBackendLike, (s) => {
    const { up, pad: upPad } = transposedConvInput(s, dy, info);
    const rotated = s.run('Reverse', { x: filter }, { dims: [0, 1] });
    const flat = s.reshape(rotated, [filterHeight, filterWidth, inChannels * multiplier, 1]);
    const dx = s.run(
      'DepthwiseConv2dNative',
      { x: up, filter: flat },
      {
        strides: [1, 1],
        dilations: [dilationHeight, dilationWidth],
        pad: upPad,
        dimRoundingMode: undefined,
      },
    ); // [b, H, W, C·M]
    if (multiplier === 1) return dx;
    return s.sum(s.reshape(dx, [batch, inHeight, inWidth, inChannels, multiplier]), [4]);
  });
}

/** Registration record for DepthwiseConv2dNativeBackpropInput on wasm. */
export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropInput as tf.KernelFunc,
};
