/**
 * Conv2DBackpropInput for wasm, replacing the native kernel for speed: tfjs-backend-wasm 4.22
 * computes it with a plain C++ loop, about 9× slower than XNNPACK's forward convolution of the
 * same size (LeNet-5 conv2, batch 64: ~170 ms vs ~18 ms), which made it the slowest step of a
 * LeNet-5 training step on wasm.
 *
 * dx is computed one of two ways (NCHW inputs are transposed to NHWC and back):
 *  - a stride-1 XNNPACK convolution of the zero-inserted, padded dy with the filter rotated by
 *    180° and its in/out channels swapped (see ./transposed-conv-input);
 *  - a GEMM plus a scatter (see ./col2im), when that convolution would mostly multiply padding
 *    and inserted zeros, or has so few output channels that XNNPACK runs far below GEMM speed.
 * Measured on a shared 2-core machine (median ms, batch 64 / 32): LeNet-5 conv2 (dy 8×8×50 →
 * 12×12×20) 19 → 13, conv1 (24×24×20 → 28×28×1) 13 → 5, 3×3 stride 2 'same' (8×8×64 → 16×16×32)
 * 11 → 4.4; but 3×3 stride 1 'same' (16×16×32) 6 vs 12 for col2im, so that stays a convolution.
 */
import * as tf from '@tensorflow/tfjs';
import { col2imConvInput } from './col2im';
import { WasmHeapBackend } from './max-pool-positions';
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
    if (preferCol2im(info)) {
      const dx = col2imConvInput(s, args.backend as WasmHeapBackend, dyNhwc, filter, info);
      return channelsLast ? dx : s.transpose(dx, [0, 3, 1, 2]);
    }
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

/**
 * True when the GEMM + scatter form is expected to beat the transposed convolution: the latter
 * does H·W/(OH·OW) times the forward multiply-adds (≥ 1.5: mostly zeros), or produces ≤ 4
 * channels, where XNNPACK's convolution is inefficient. Thresholds from the measurements above.
 */
export function preferCol2im(info: tf.backend_util.Conv2DInfo): boolean {
  const waste = (info.inHeight * info.inWidth) / Math.max(1, info.outHeight * info.outWidth);
  return waste >= 1.5 || info.inChannels <= 4;
}

/** Registration record replacing the native wasm Conv2DBackpropInput. */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: WASM,
  kernelFunc: conv2DBackpropInput as tf.KernelFunc,
};
