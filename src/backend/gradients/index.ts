/**
 * Gradients that tfjs-core 4.22 does not define but that second-order derivatives need
 * (Hessian-vector products for GraSP-style criteria, OBD diagonals, …), and the ones it defines
 * wrongly (REPLACED_GRADIENTS). They are
 * backend-independent: each is written with tfjs ops, so it runs — and is itself
 * differentiable — on every backend.
 *
 * To add one: create `<kernel-name>-grad.ts` exporting a `tf.GradConfig` and list it below.
 */
import * as tf from '@tensorflow/tfjs';
import { avgPoolGradConfig } from './avg-pool-grad';
import { avgPoolGradGradConfig } from './avg-pool-grad-grad';
import { booleanOpGradConfigs } from './boolean-op-grads';
import { conv2DBackpropFilterGradConfig } from './conv2d-backprop-filter-grad';
import { depthwiseConv2dNativeBackpropFilterGradConfig } from './depthwise-conv2d-backprop-filter-grad';
import { depthwiseConv2dNativeBackpropInputGradConfig } from './depthwise-conv2d-backprop-input-grad';
import { fusedConv2DGradConfig, installLazyFusedConv2d } from './fused-conv2d-grad';
import { maxPoolGradGradConfig } from './max-pool-grad-grad';
import { installTapeOrderFix } from './tape-order-fix';

export { installTapeOrderFix } from './tape-order-fix';
export { installLazyFusedConv2d, uninstallLazyFusedConv2d } from './fused-conv2d-grad';

/** Every gradient this folder provides. */
export const PRUNELAB_GRADIENTS: readonly tf.GradConfig[] = [
  conv2DBackpropFilterGradConfig,
  depthwiseConv2dNativeBackpropFilterGradConfig,
  depthwiseConv2dNativeBackpropInputGradConfig,
  maxPoolGradGradConfig,
  avgPoolGradGradConfig,
  fusedConv2DGradConfig,
  ...booleanOpGradConfigs,
];

/** Gradients tfjs-core defines wrongly; ours replaces them (each file says why). */
export const REPLACED_GRADIENTS: readonly tf.GradConfig[] = [avgPoolGradConfig];

/**
 * Registers the missing gradients and the corrected ones (REPLACED_GRADIENTS), and installs the
 * tape-order fix (./tape-order-fix) without which second derivatives through exp, tanh,
 * softmax, … are wrong, and the tf.fused.conv2d wrapper (./fused-conv2d-grad) that lets backprop
 * skip the input gradient of a first conv layer. Idempotent: a missing gradient that has since
 * been defined (by an earlier call or a newer tfjs-core) is left alone — and then
 * tf.fused.conv2d is not wrapped either; a replaced one is registered again only if something
 * else replaced ours.
 *
 * @returns the kernel names whose gradient this call registered.
 */
export function registerMissingGradients(): string[] {
  installTapeOrderFix();
  const added: string[] = [];
  for (const config of PRUNELAB_GRADIENTS) {
    if (tf.getGradient(config.kernelName) != null) continue;
    tf.registerGradient(config);
    added.push(config.kernelName);
  }
  for (const config of REPLACED_GRADIENTS) {
    if (tf.getGradient(config.kernelName) === config) continue;
    tf.registerGradient(config);  // replaces tfjs-core's silently (it warns only in DEBUG mode)
    added.push(config.kernelName);
  }
  if (tf.getGradient(tf.FusedConv2D) === fusedConv2DGradConfig) installLazyFusedConv2d();
  return added;
}
