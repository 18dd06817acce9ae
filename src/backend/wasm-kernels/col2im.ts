/**
 * The input gradient of a 2-D convolution as one GEMM plus a scatter ("col2im"), used by the
 * Conv2DBackpropInput replacement when the transposed-convolution form would waste work.
 *
 *   cols[b, oh, ow, kh, kw, ci] = Σ_co dy[b, oh, ow, co] · W[kh, kw, ci, co]     (XNNPACK GEMM)
 *   dx[b, oh·s + kh·d − top, ow·s + kw·d − left, ci] += cols[b, oh, ow, kh, kw, ci] (scatter)
 *
 * The GEMM does exactly the forward convolution's multiply-adds, whereas the transposed
 * convolution also multiplies the zeros of its "full" padding and of the inserted rows: 2.25×
 * the work for LeNet-5's conv2 (8×8 dy padded to 16×16), and an XNNPACK convolution with one
 * output channel (LeNet-5's conv1 input gradient) runs far below GEMM speed. The scatter is a
 * tight loop over the wasm heap, in place, or — for ≥ 16 input channels — the backend's native
 * ScatterNd kernel (see preferScatterNd).
 */
import * as tf from '@tensorflow/tfjs';
import { WasmHeapBackend } from './max-pool-positions';
import { WasmScope } from './scope';

/**
 * dx (NHWC) of the convolution described by `info`.
 *
 * @param s the kernel scope (owns the intermediates and the result).
 * @param backend the wasm backend.
 * @param dy the output gradient, NHWC [B, OH, OW, Co].
 * @param filter the filter, [KH, KW, Ci, Co].
 * @param info the forward convolution's geometry (channels last).
 * @returns dx, NHWC [B, H, W, Ci], owned by the scope.
 */
export function col2imConvInput(
  s: WasmScope,
  backend: WasmHeapBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  const taps = filterHeight * filterWidth * inChannels;
  const rows = batchSize * outHeight * outWidth;
  const cols = s.run(
    'BatchMatMul',
    { a: s.reshape(dy, [1, rows, outChannels]), b: s.reshape(filter, [1, taps, outChannels]) },
    { transposeA: false, transposeB: true },
  ); // [1, rows, KH·KW·Ci]
  if (preferScatterNd(info)) return scatterNd(s, backend, cols, info);
  const out = s.own(backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32'));
  // Views are taken after the last allocation: growing the heap detaches older views.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const c = backend.typedArrayFromHeap(cols) as Float32Array;
  dx.fill(0);
  const rowStride = inWidth * inChannels;
  let src = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++, src += taps) {
        const w0 = ow * strideWidth - left;
        let tap = src;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = h0 + kh * dilationHeight;
          if (ih < 0 || ih >= inHeight) {
            tap += filterWidth * inChannels;
            continue;
          }
          const rowBase = xBatch + ih * rowStride;
          if (dilationWidth === 1) {
            // The in-range taps of one filter row are one contiguous run in both arrays.
            const kw0 = Math.max(0, -w0);
            const kw1 = Math.min(filterWidth, inWidth - w0);
            const dst = rowBase + (w0 + kw0) * inChannels;
            const from = tap + kw0 * inChannels;
            const len = (kw1 - kw0) * inChannels;
            for (let j = 0; j < len; j++) dx[dst + j] += c[from + j];
            tap += filterWidth * inChannels;
            continue;
          }
          for (let kw = 0; kw < filterWidth; kw++, tap += inChannels) {
            const iw = w0 + kw * dilationWidth;
            if (iw < 0 || iw >= inWidth) continue;
            const dst = rowBase + iw * inChannels;
            for (let ci = 0; ci < inChannels; ci++) dx[dst + ci] += c[tap + ci];
          }
        }
      }
    }
  }
  return out;
}

/**
 * True when the native ScatterNd beats the JS scatter loop: its slices are one pixel's Ci
 * channels, so it pays per slice and wins once slices are long (LeNet-5 conv2, Ci = 20: ~2 vs
 * ~5 ms, and 3×3 stride-2 Ci = 32); the JS loop adds whole filter rows (KW·Ci floats) at
 * once and wins for Ci ≤ 8.
 */
export function preferScatterNd(info: tf.backend_util.Conv2DInfo): boolean {
  return info.inChannels >= 16;
}

/**
 * The scatter step with the backend's ScatterNd kernel: cols, read as one Ci-vector per
 * (b, oh, ow, kh, kw), is added at pixel (b, oh·s + kh·d − top, ow·s + kw·d − left) of dx, in
 * the same order as the JS loop (so with the same rounding). ScatterNd has no bounds check, so
 * with padding it scatters into dx padded on every side and crops.
 */
function scatterNd(s: WasmScope, backend: WasmHeapBackend, cols: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  // Padding that brings every tap inside: top/left as given, bottom/right as far as the last tap reaches.
  const padBottom = Math.max(0, (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight - top - (inHeight - 1));
  const padRight = Math.max(0, (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth - left - (inWidth - 1));
  const height = inHeight + top + padBottom;
  const width = inWidth + left + padRight;
  const n = batchSize * outHeight * outWidth * filterHeight * filterWidth;
  const indices = s.own(backend.makeOutput([n, 3], 'int32'));
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  let p = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight; // in padded rows
          for (let kw = 0; kw < filterWidth; kw++) {
            idx[p++] = b;
            idx[p++] = ih;
            idx[p++] = ow * strideWidth + kw * dilationWidth;
          }
        }
      }
    }
  }
  const padded = s.run(
    'ScatterNd',
    { indices, updates: s.reshape(cols, [n, inChannels]) },
    { shape: [batchSize, height, width, inChannels] },
  );
  if (height === inHeight && width === inWidth) return padded;
  return s.slice(padded, [0, top, left, 0], [batchSize, inHeight, inWidth, inChannels]);
}
