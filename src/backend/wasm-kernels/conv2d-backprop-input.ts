/**
 * Conv2DBackpropInput for wasm, replacing the native kernel for speed: tfjs-backend-wasm 4.22
 * computes it with a plain C++ loop, about 9× slower than XNNPACK's forward convolution of the
 * same size (LeNet-5 conv2, batch 64: ~170 ms vs ~18 ms), which made it the slowest step of a
 * LeNet-5 training step on wasm.
 *
 * dx is a stride-1 XNNPACK convolution of the zero-inserted, padded dy with the filter rotated by
 * 180° and its in/out channels swapped (see ./transposed-conv-input). NCHW inputs are transposed
 * to NHWC and back.
 */
import * as tf from '@tensorflow/tfjs';
import { WASM, WasmBackendLike, withWasmScope } from './scope';
import { transposedConvInput } from './transposed-conv-input';

function conv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const channelsLast = tf.backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1, // tfjs computes conv gradients only for dilation 1
    pad,
    dimRoundingMode,
    false,
    channelsLast ? 'channelsLast' : 'channelsFirst',
  );
  return withWasmScope(args.backend as WasmBackendLike, (s) => {
    const dyNhwc = channelsLast ? dy : s.transpose(dy, [0, 2, 3, 1]);
    const { up, pad: upPad } = transposedConvInput(s, dyNhwc, info);
    // [kh, kw, ci, co] -> rotated, [kh, kw, co, ci].
    const flipped = s.transpose(s.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
    const dx = s.run(
      'Conv2D',
      { x: up, filter: flipped },
      { strides: [1, 1], pad: upPad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined },
    ); // [b, H, W, ci]
    return channelsLast ? dx : s.transpose(dx, [0, 3, 1, 2]);
  });
}

/** Registration record replacing the native wasm Conv2DBackpropInput. */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: WASM,
  kernelFunc: conv2DBackpropInput as tf.KernelFunc,
};
