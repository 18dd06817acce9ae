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

/**
 * The max-pool input gradient in one pass: adds dy[o] to dx at the first maximum of window o
 * (the rule of `maxPositions`), without materialising the positions. `dx` must be zeroed.
 *
 * @param x the input values, NHWC.
 * @param dy the output gradient, in flat NHWC output order.
 * @param dx the input gradient to add to, NHWC like x (zeroed by the caller).
 * @param info pooling geometry from `backend_util.computePool2DInfo`.
 */
export function addAtMaxPositions(x: ArrayLike<number>, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth } = info;
  const { top, left } = info.padInfo;
  const rowStride = inWidth * inChannels;
  if (
    effectiveFilterHeight === 2 && effectiveFilterWidth === 2 && top === 0 && left === 0 &&
    (outHeight - 1) * strideHeight + 2 <= inHeight && (outWidth - 1) * strideWidth + 2 <= inWidth
  ) {
    addAtMaxPositions2x2(x, dy, dx, info);
    return;
  }
  const colStep = dilationWidth * inChannels;
  const rowStep = dilationHeight * rowStride;
  let o = 0;
  for (let b = 0; b < batchSize; ++b) {
    const xBatch = b * inHeight * rowStride;
    for (let yR = 0; yR < outHeight; ++yR) {
      const rCorner = yR * strideHeight - top;
      let rMin = rCorner;
      while (rMin < 0) rMin += dilationHeight;
      const rMax = Math.min(inHeight, rCorner + effectiveFilterHeight);
      const rows = rMax > rMin ? Math.ceil((rMax - rMin) / dilationHeight) : 0;
      for (let yC = 0; yC < outWidth; ++yC) {
        const cCorner = yC * strideWidth - left;
        let cMin = cCorner;
        while (cMin < 0) cMin += dilationWidth;
        const cMax = Math.min(inWidth, cCorner + effectiveFilterWidth);
        const cols = cMax > cMin ? Math.ceil((cMax - cMin) / dilationWidth) : 0;
        // First cell of the window for channel 0; channel d is at + d.
        const corner = xBatch + rMin * rowStride + cMin * inChannels;
        for (let d = 0; d < inChannels; ++d, ++o) {
          let best = Number.NEGATIVE_INFINITY;
          let bestIndex = -1;
          for (let r = 0, rowBase = corner + d; r < rows; ++r, rowBase += rowStep) {
            for (let c = 0, i = rowBase; c < cols; ++c, i += colStep) {
              const v = x[i];
              if (v > best) {
                best = v;
                bestIndex = i;
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex] += dy[o];
        }
      }
    }
  }
}

/**
 * `addAtMaxPositions` for 2×2 windows that lie inside the input (no padding, dilation 1): the
 * common pooling of CNNs, unrolled — about 1.4× faster than the general loop (LeNet-5 pool1).
 */
function addAtMaxPositions2x2(x: ArrayLike<number>, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const rowStride = inWidth * inChannels;
  let o = 0;
  for (let b = 0; b < batchSize; ++b) {
    for (let yR = 0; yR < outHeight; ++yR) {
      const rowBase = (b * inHeight + yR * strideHeight) * rowStride;
      for (let yC = 0; yC < outWidth; ++yC) {
        // The window's four cells for channel 0, in row-major order.
        const i0 = rowBase + yC * strideWidth * inChannels;
        const i1 = i0 + inChannels;
        const i2 = i0 + rowStride;
        const i3 = i2 + inChannels;
        for (let d = 0; d < inChannels; ++d, ++o) {
          // First strictly greater value wins; starting from −∞, so NaN (and a window of only
          // −∞) never wins, exactly like the general loop.
          let best = Number.NEGATIVE_INFINITY;
          let bestIndex = -1;
          let v = x[i0 + d];
          if (v > best) {
            best = v;
            bestIndex = i0 + d;
          }
          v = x[i1 + d];
          if (v > best) {
            best = v;
            bestIndex = i1 + d;
          }
          v = x[i2 + d];
          if (v > best) {
            best = v;
            bestIndex = i2 + d;
          }
          v = x[i3 + d];
          if (v > best) bestIndex = i3 + d;
          if (bestIndex >= 0) dx[bestIndex] += dy[o];
        }
      }
    }
  }
}
