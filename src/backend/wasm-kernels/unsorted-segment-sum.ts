/**
 * UnsortedSegmentSum for wasm (tfjs-backend-wasm 4.22 has only the sorted SparseSegmentSum):
 * out[s, ...] = Σ_{i : segmentIds[i] = s} x[i, ...]. Ids outside [0, numSegments) are dropped,
 * as in TensorFlow. The tfjs-op sparse kernels (src/sparse/tfjs-ops.ts) sum gathered products
 * per output unit with it. A single pass over the wasm heap; the gradient is tfjs-core's
 * (a gather of dy), so nothing else is needed for training.
 */
import * as tf from '@tensorflow/tfjs';
import { WASM } from './scope';

interface WasmHeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments;
  const backend = args.backend as WasmHeapBackend;
  const idRank = segmentIds.shape.length;
  const nIds = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(idRank).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < nIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

/** Kernel config registered by ./index.ts. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: WASM,
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
