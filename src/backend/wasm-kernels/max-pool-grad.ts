/**
 * MaxPoolGrad for wasm, replacing the native kernel (see ./max-pool-positions for its bug):
 * each output gradient dy[b, i, j, c] is added to the input cell holding its window's first
 * maximum — the cpu backend's rule.
 */
import * as tf from '@tensorflow/tfjs';
import { addAtMaxPositions, WasmHeapBackend } from './max-pool-positions';
import { WASM } from './scope';

function maxPoolGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const backend = args.backend as WasmHeapBackend;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const out = backend.makeOutput(input.shape, 'float32');
  // Views are taken after the allocation: growing the heap detaches older views.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  addAtMaxPositions(x, g, dx, info);
  return out;
}

/** Registration record replacing the native wasm MaxPoolGrad. */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: WASM,
  kernelFunc: maxPoolGrad as tf.KernelFunc,
};
