/**
 * Arg-max scan shared by the MaxPoolGrad and MaxPoolWithArgmax replacements.
 *
 * Why a loop and not XNNPACK: tfjs-backend-wasm 4.22's native MaxPoolGrad and
 * MaxPoolWithArgmax start their running maximum at FLT_MIN (the smallest *positive* float),
 * so windows whose values are all ≤ 0 — every dead window after a ReLU, every window of
 * negative tanh outputs — get no arg-max, and their gradient is sent to element 0 of the
 * tensor or dropped; ties go to the last maximum, where the cpu backend and TensorFlow take
 * the first. This scan reproduces the cpu backend exactly (first strictly greater value in
 * row-major window order, NaN never wins, padding skipped). It reads and writes the wasm heap
 * in place; nothing is copied to another backend. It is O(input · window) and memory-bound,
 * a small cost next to the convolutions around it.
 */
import * as tf from '@tensorflow/tfjs';

/** The wasm backend surface the pooling kernels use. */
export interface WasmHeapBackend {
  /** Allocates an output tensor on the wasm heap. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A typed-array view of a tensor's bytes on the wasm heap (invalid after the heap grows). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Finds, for every pooling window, the flat NHWC input index of its first maximum (-1 when the
 * window holds only NaN).
 *
 * @param x the input values, NHWC.
 * @param info pooling geometry from `backend_util.computePool2DInfo`.
 * @returns one input index per output element, in flat NHWC output order.
 */
export function maxPositions(x: ArrayLike<number>, info: tf.backend_util.Conv2DInfo): Int32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth } = info;
  const { top, left } = info.padInfo;
  const positions = new Int32Array(batchSize * outHeight * outWidth * inChannels);
  const rowStride = inWidth * inChannels;
  let o = 0;
  for (let b = 0; b < batchSize; ++b) {
    const xBatch = b * inHeight * rowStride;
    for (let yR = 0; yR < outHeight; ++yR) {
      const rCorner = yR * strideHeight - top;
      let rMin = rCorner;
      while (rMin < 0) rMin += dilationHeight;
      const rMax = Math.min(inHeight, rCorner + effectiveFilterHeight);
      for (let yC = 0; yC < outWidth; ++yC) {
        const cCorner = yC * strideWidth - left;
        let cMin = cCorner;
        while (cMin < 0) cMin += dilationWidth;
        const cMax = Math.min(inWidth, cCorner + effectiveFilterWidth);
        for (let d = 0; d < inChannels; ++d, ++o) {
          let best = Number.NEGATIVE_INFINITY;
          let bestIndex = -1;
          for (let r = rMin; r < rMax; r += dilationHeight) {
            const rowBase = xBatch + r * rowStride + d;
            for (let c = cMin; c < cMax; c += dilationWidth) {
              const i = rowBase + c * inChannels;
              const v = x[i];
              if (v > best) {
                best = v;
                bestIndex = i;
              }
            }
          }
          positions[o] = bestIndex;
        }
      }
    }
  }
  return positions;
}
