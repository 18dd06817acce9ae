/**
 * The filter gradient of a 2-D convolution as a patch matrix plus one GEMM ("im2col"), used by
 * the Conv2DBackpropFilter kernel when the input has few channels.
 *
 *   P[kh, kw, ci][b, oh, ow] = x[b, oh·s + kh − top, ow·s + kw − left, ci]   (0 outside x)
 *   dW[kh, kw, ci][co]       = Σ_{b, oh, ow} P[kh, kw, ci][b, oh, ow] · dy[b, oh, ow, co]
 *
 * P is built transposed (one row per filter tap) so that the product is an untransposed
 * [taps, rows]·[rows, Co] GEMM on XNNPACK, whose result already is dW in [KH, KW, Ci, Co]
 * order, and whose packed right operand is dy itself (no transpose of dy). The convolution form
 * of the same sum (./conv2d-backprop-filter) runs XNNPACK on an output of only KH·KW·Ci pixels
 * — 25 for LeNet-5's conv1 — where it is far below GEMM speed.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmHeapBackend } from './max-pool-positions';
import { WasmScope } from './scope';

/**
 * dW of the NHWC convolution described by `info`.
 *
 * @param s the kernel scope (owns the intermediates and the result).
 * @param backend the wasm backend.
 * @param x the convolution input, NHWC [B, H, W, Ci].
 * @param dy the output gradient, NHWC [B, OH, OW, Co].
 * @param info the forward convolution's geometry (channels last).
 * @returns dW, [KH, KW, Ci, Co], owned by the scope.
 */
export function im2colConvFilter(
  s: WasmScope,
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  const taps = filterHeight * filterWidth * inChannels;
  const rows = batchSize * outHeight * outWidth;
  const patches = s.own(backend.makeOutput([1, taps, rows], 'float32'));
  // Views are taken after the last allocation: growing the heap detaches older views.
  const p = backend.typedArrayFromHeap(patches) as Float32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  // Both as offsets into one view of the whole heap, for copyWithin.
  const heap = new Float32Array(p.buffer);
  const pAt = p.byteOffset >> 2;
  const xAt = xv.byteOffset >> 2;
  const rowStride = inWidth * inChannels;
  const batchStride = inHeight * rowStride;
  const step = strideWidth * inChannels;
  let dst = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const w0 = kw * dilationWidth - left; // input column of output column 0
      // Output columns whose input column is inside x: ow0 ≤ ow < ow1.
      const ow0 = Math.min(outWidth, Math.max(0, Math.ceil(-w0 / strideWidth)));
      const ow1 = Math.max(ow0, Math.min(outWidth, Math.floor((inWidth - 1 - w0) / strideWidth) + 1));
      for (let ci = 0; ci < inChannels; ci++) {
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outHeight; oh++, dst += outWidth) {
            const ih = oh * strideHeight + kh * dilationHeight - top;
            if (ih < 0 || ih >= inHeight) {
              p.fill(0, dst, dst + outWidth);
              continue;
            }
            if (ow0 > 0) p.fill(0, dst, dst + ow0);
            if (ow1 < outWidth) p.fill(0, dst + ow1, dst + outWidth);
            let src = b * batchStride + ih * rowStride + (ow0 * strideWidth + w0) * inChannels + ci;
            if (step === 1) {
              // One contiguous run (a single channel, stride 1): a native memmove within the heap.
              heap.copyWithin(pAt + dst + ow0, xAt + src, xAt + src + (ow1 - ow0));
              continue;
            }
            for (let ow = ow0; ow < ow1; ow++, src += step) p[dst + ow] = xv[src];
          }
        }
      }
    }
  }
  const dw = s.run(
    'BatchMatMul',
    { a: patches, b: s.reshape(dy, [1, rows, outChannels]) },
    { transposeA: false, transposeB: false },
  ); // [1, taps, Co]
  return s.reshape(dw, [filterHeight, filterWidth, inChannels, outChannels]);
}
