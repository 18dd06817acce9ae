/**
 * Conv2DBackpropFilter for wasm: the filter gradient of a 2-D convolution.
 *
 * dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − top, ow·s + kw − left, ci] · dy[b, oh, ow, co]
 *
 * Read with the batch axis as the channel axis, this is itself a convolution: input
 * x' = x as [ci, H, W, b], filter dy' = dy as [oh, ow, b, co], stride 1, dilation s (the forward
 * stride), same top/left padding. So two transposes feed the backend's XNNPACK Conv2D kernel.
 * With few input channels (NHWC), a patch matrix and one GEMM are faster (see ./im2col and
 * preferIm2col below).
 */
import * as tf from '@tensorflow/tfjs';
import { im2colConvFilter } from './im2col';
import { WasmHeapBackend } from './max-pool-positions';
import { cropTopLeft, WASM, WasmBackendLike, withWasmScope } from './scope';

function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const channelsLast = tf.backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1, // tfjs computes conv gradients only for dilation 1
    pad,
    dimRoundingMode,
    false,
    channelsLast ? 'channelsLast' : 'channelsFirst',
  );
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  // Bottom/right padding that makes the "filter-sized" output at least filterHeight × filterWidth;
  // extra rows (a stride that skips the last input rows) are cropped afterwards.
  const bottom = Math.max(0, filterHeight + (outHeight - 1) * strideHeight - inHeight - top);
  const right = Math.max(0, filterWidth + (outWidth - 1) * strideWidth - inWidth - left);

  return withWasmScope(args.backend as WasmBackendLike, (s) => {
    if (channelsLast && preferIm2col(info)) return im2colConvFilter(s, args.backend as WasmHeapBackend, x, dy, info);
    // x -> [ci, H, W, b]; dy -> [oh, ow, b, co].
    const xT = s.transpose(x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]);
    const dyT = s.transpose(dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]);
    const dw = s.run(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [strideHeight, strideWidth],
        dimRoundingMode: undefined,
      },
    ); // [ci, kh', kw', co]
    const cropped = cropTopLeft(s, dw, filterHeight, filterWidth); // [ci, kh, kw, co]
    return s.transpose(cropped, [1, 2, 0, 3]); // [kh, kw, ci, co]
  });
}

/**
 * True when the patch-matrix + GEMM form (./im2col) is expected to beat the convolution form:
 * with ≤ 4 input channels, where the convolution form's output has only KH·KW·Ci pixels.
 * Measured inside LeNet-5 training steps (batch 64, shared 2-core machine, median ms):
 * conv1 (Ci = 1) 9.5 → 7.8; conv2 (Ci = 20) 14.9 vs 18.2 for im2col, so that stays a
 * convolution. Either way XNNPACK packs dy (its right operand, ~5 ns per float), which bounds
 * what any GEMM form can gain.
 */
export function preferIm2col(info: tf.backend_util.Conv2DInfo): boolean {
  return info.inChannels <= 4;
}

/** Registration record for Conv2DBackpropFilter on wasm. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: WASM,
  kernelFunc: conv2DBackpropFilter as tf.KernelFunc,
};
