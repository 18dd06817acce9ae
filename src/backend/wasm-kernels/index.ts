/**
 * Kernels that training needs and @tensorflow/tfjs-backend-wasm 4.22 lacks or gets wrong,
 * found by running LeNet-5, a VGG-style CNN, depthwise/separable convolutions and
 * Hessian-vector products on wasm, by diffing tf.getKernelsForBackend('cpu') against 'wasm',
 * and by comparing every gradient kernel with the cpu backend. One file per kernel; each works
 * on the wasm heap (mostly by calling the backend's own XNNPACK kernels), never by copying
 * tensors to the cpu backend.
 *
 * To add a kernel: create `<kernel-name>.ts` exporting a `tf.KernelConfig` and add one line to
 * MISSING (wasm has no such kernel) or REPLACED (wasm's own kernel is wrong or slow; say why in
 * the file).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-backprop-input';
import { batchMatMulConfig, fusedMatMulConfig } from './mat-mul';
import { maxPoolGradConfig } from './max-pool-grad';
import { maxPoolWithArgmaxConfig } from './max-pool-with-argmax';

/** Kernels tfjs-backend-wasm does not register; a native one, if a later version adds it, wins. */
export const MISSING_WASM_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  (require('./unsorted-segment-sum') as typeof import('./unsorted-segment-sum')).unsortedSegmentSumConfig, // sparse tfjs-op path (src/sparse)
];

/** Kernels whose native wasm version is wrong (or far slower than XNNPACK); ours replaces it. */
export const REPLACED_WASM_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  maxPoolWithArgmaxConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
];

/**
 * Registers the missing wasm kernels and the replacements. Idempotent: safe to call any number
 * of times, before or after the wasm backend is initialised.
 *
 * @returns the names of the kernels registered by this call (empty when all were in place).
 */
export function registerMissingWasmKernels(): string[] {
  const added: string[] = [];
  for (const config of MISSING_WASM_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  for (const config of REPLACED_WASM_KERNELS) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
