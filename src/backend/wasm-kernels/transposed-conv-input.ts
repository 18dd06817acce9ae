/**
 * The input side of a transposed (input-gradient) convolution, shared by the
 * Conv2DBackpropInput and DepthwiseConv2dNativeBackpropInput kernels.
 *
 * dx of a strided, dilated convolution equals a stride-1 convolution (same dilation) of dy with
 * (stride − 1) zeros inserted between rows/columns, padded by (k − 1)·d − top before and by
 * whatever makes the output exactly the input size after, with the filter rotated by 180°.
 * Negative padding (explicit padding wider than the filter) becomes a crop.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmScope } from './scope';

/** Inserts (stride − 1) zeros after every row (axis 1) and column (axis 2) of an NHWC tensor. */
export function zeroInsert(s: WasmScope, x: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
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

/** Explicit NHWC padding as the conv kernels take it. */
export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Prepares dy (NHWC) for the stride-1 convolution that computes dx.
 *
 * @param s the kernel scope (owns the intermediates).
 * @param dy the output gradient, NHWC.
 * @param info the forward convolution's geometry.
 * @returns the zero-inserted (and possibly cropped) dy and the explicit padding to convolve it with.
 */
export function transposedConvInput(
  s: WasmScope,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): { up: tf.TensorInfo; pad: ExplicitPad } {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  // The zero-inserted dy has outHeight·strideHeight rows (trailing zeros included).
  const padTop = (filterHeight - 1) * dilationHeight - top;
  const padBottom = inHeight + top - outHeight * strideHeight;
  const padLeft = (filterWidth - 1) * dilationWidth - left;
  const padRight = inWidth + left - outWidth * strideWidth;
  let up = zeroInsert(s, dy, strideHeight, strideWidth);
  if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
    const [n, h, w, c] = up.shape;
    const t0 = Math.max(0, -padTop);
    const l0 = Math.max(0, -padLeft);
    up = s.slice(up, [0, t0, l0, 0], [n, h - t0 - Math.max(0, -padBottom), w - l0 - Math.max(0, -padRight), c]);
  }
  return {
    up,
    pad: [
      [0, 0],
      [Math.max(0, padTop), Math.max(0, padBottom)],
      [Math.max(0, padLeft), Math.max(0, padRight)],
      [0, 0],
    ],
  };
}
