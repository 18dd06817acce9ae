/**
 * DepthwiseConv2dNativeBackpropFilter for wasm: the filter gradient of a depthwise convolution.
 *
 * dW[kh, kw, c, m] = Σ_{b, oh, ow} x[b, oh·s + kh·d − top, ow·s + kw·d − left, c] · dy[b, oh, ow, c·M + m]
 *
 * Folding batch into channels makes this one depthwise convolution: input x as [1, H, W, b·C]
 * (channel b·C + c), filter dy as [oh, ow, b·C, M], stride d, dilation s (forward stride and
 * dilation swap roles). The result [1, kh, kw, (b·C + c)·M + m] is summed over b. All steps are
 * the backend's own kernels (XNNPACK depthwise conv, transpose, sum).
 */
import * as tf from '@tensorflow/tfjs';
import { cropTopLeft, WASM, WasmBackendLike, withWasmScope } from './scope';

function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const [batch, inHeight, inWidth, inChannels] = x.shape;
  const multiplier = filterShape[3];
  const { outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  // Padding that makes the output at least filterHeight × filterWidth; extra rows are cropped.
  const bottom = Math.max(
    0,
    (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1 - inHeight - top,
  );
  const right = Math.max(
    0,
    (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1 - inWidth - left,
  );

  return withWasmScope(args.backend as WasmBackendLike, (s) => {
    const bc = batch * inChannels;
    const xs = s.reshape(s.transpose(x, [1, 2, 0, 3]), [1, inHeight, inWidth, bc]);
    const dys = s.reshape(s.transpose(dy, [1, 2, 0, 3]), [outHeight, outWidth, bc, multiplier]);
    const dw = s.run(
      'DepthwiseConv2dNative',
      { x: xs, filter: dys },
      {
        strides: [dilationHeight, dilationWidth],
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dimRoundingMode: undefined,
      },
    ); // [1, kh', kw', b·C·M]
    const cropped = cropTopLeft(s, dw, filterHeight, filterWidth);
    const perBatch = s.reshape(cropped, [filterHeight, filterWidth, batch, inChannels * multiplier]);
    const summed = batch === 1 ? perBatch : s.sum(perBatch, [2]);
    return s.reshape(summed, filterShape);
  });
}

/** Registration record for DepthwiseConv2dNativeBackpropFilter on wasm. */
export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropFilter as tf.KernelFunc,
};
