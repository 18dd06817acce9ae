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
import { WASM, WasmBackendLike, WasmScope, withWasmScope } from './scope';

/** Inserts (stride − 1) zeros after every row (axis 1) and column (axis 2) of an NHWC tensor. */
function zeroInsert(s: WasmScope, x: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  let out = x;
  if (sh > 1) {
    const rows = s.run(
      'PadV2',
      { x: s.reshape(out, [n, h, 1, w * c]) },
      { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 },
    );
    out = s.reshape(rows, [n, h * sh, w, c]);
  }
  if (sw > 1) {
    const hh = out.shape[1];
    const cols = s.run(
      'PadV2',
      { x: s.reshape(out, [n * hh, w, 1, c]) },
      { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 },
    );
    out = s.reshape(cols, [n, hh, w * sw, c]);
  }
  return out;
}

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
  const { outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  // Padding of the zero-inserted dy (outHeight·strideHeight rows, trailing zeros included) so
  // that a stride-1 convolution with the dilated filter yields exactly inHeight rows.
  // Negative values (explicit padding wider than the filter) mean cropping instead.
  const padTop = (filterHeight - 1) * dilationHeight - top;
  const padBottom = inHeight + top - outHeight * strideHeight;
  const padLeft = (filterWidth - 1) * dilationWidth - left;
  const padRight = inWidth + left - outWidth * strideWidth;

  return withWasmScope(args.backend as WasmBackendLike, (s) => {
    let up = zeroInsert(s, dy, strideHeight, strideWidth);
    if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
      const [n, h, w, c] = up.shape;
      const t0 = Math.max(0, -padTop);
      const l0 = Math.max(0, -padLeft);
      up = s.slice(up, [0, t0, l0, 0], [
        n,
        h - t0 - Math.max(0, -padBottom),
        w - l0 - Math.max(0, -padRight),
        c,
      ]);
    }
    const rotated = s.run('Reverse', { x: filter }, { dims: [0, 1] });
    const flat = s.reshape(rotated, [filterHeight, filterWidth, inChannels * multiplier, 1]);
    const dx = s.run(
      'DepthwiseConv2dNative',
      { x: up, filter: flat },
      {
        strides: [1, 1],
        dilations: [dilationHeight, dilationWidth],
        pad: [
          [0, 0],
          [Math.max(0, padTop), Math.max(0, padBottom)],
          [Math.max(0, padLeft), Math.max(0, padRight)],
          [0, 0],
        ],
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
