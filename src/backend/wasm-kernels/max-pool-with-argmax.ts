/**
 * MaxPoolWithArgmax for wasm, replacing the native kernel (see ./max-pool-positions for its
 * bug: windows of values ≤ 0 came back as FLT_MIN with index 0). Returns the maxima and the
 * flat NHWC index of each window's first maximum, with or without the batch offset.
 */
import * as tf from '@tensorflow/tfjs';
import { maxPositions, WasmHeapBackend } from './max-pool-positions';
import { WASM } from './scope';

function maxPoolWithArgmax(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { filterSize, strides, pad, includeBatchInIndex } =
    args.attrs as unknown as tf.MaxPoolWithArgmaxAttrs;
  const backend = args.backend as WasmHeapBackend;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    [1, 1],
    pad,
  );
  const pooled = backend.makeOutput(info.outShape, x.dtype);
  const indexes = backend.makeOutput(info.outShape, 'int32');
  const p = backend.typedArrayFromHeap(pooled);
  const idx = backend.typedArrayFromHeap(indexes) as Int32Array;
  const xs = backend.typedArrayFromHeap(x);
  const perImage = info.inHeight * info.inWidth * info.inChannels;
  const positions = maxPositions(xs, info);
  for (let o = 0; o < positions.length; o++) {
    const i = positions[o];
    p[o] = i < 0 ? NaN : xs[i];
    idx[o] = i < 0 || includeBatchInIndex ? i : i % perImage;
  }
  return [pooled, indexes];
}

/** Registration record replacing the native wasm MaxPoolWithArgmax. */
export const maxPoolWithArgmaxConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolWithArgmax,
  backendName: WASM,
  kernelFunc: maxPoolWithArgmax as tf.KernelFunc,
};
