/**
 * Layerwise magnitude masks for the demo (a stand-in until the demo uses the pruning API in
 * src/prune): in every Dense/Conv kernel, the `sparsity` fraction of weights with the smallest
 * |w| gets mask 0. Exactly ⌊sparsity·n⌉ weights per layer are pruned (ties broken by index).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Computes layerwise magnitude masks for every kernel of a model (biases stay dense).
 *
 * @param model the model.
 * @param sparsity fraction in [0, 1) of each kernel to prune.
 * @returns masks keyed by the kernel variable's name (e.g. `fc1/kernel`); the caller disposes them.
 */
export function layerwiseMagnitudeMasks(model: tf.LayersModel, sparsity: number): Map<string, tf.Tensor> {
  if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`sparsity must be in [0, 1), got ${sparsity}.`);
  const masks = new Map<string, tf.Tensor>();
  for (const w of model.trainableWeights) {
    if (!/\/kernel(_\d+)?$/.test(w.name)) continue;
    const values = w.read().dataSync();
    const n = values.length;
    const prune = Math.round(sparsity * n);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const mag = Float32Array.from(values, Math.abs);
    order.sort((a, b) => mag[a] - mag[b] || a - b);
    const mask = new Float32Array(n).fill(1);
    for (let i = 0; i < prune; i++) mask[order[i]] = 0;
    masks.set(w.name, tf.tensor(mask, w.shape as number[]));
  }
  return masks;
}

/**
 * Multiplies each masked weight by its mask, in place.
 *
 * @param model the model.
 * @param masks masks keyed by variable name.
 */
export function applyMasks(model: tf.LayersModel, masks: ReadonlyMap<string, tf.Tensor>): void {
  for (const w of model.trainableWeights) {
    const m = masks.get(w.name);
    if (m) tf.tidy(() => void w.write(tf.mul(w.read(), m)));
  }
}

/**
 * Fraction of zero entries over the masked kernels.
 *
 * @param model the model.
 * @param names kernel names to count.
 * @returns zeros / total.
 */
export function kernelSparsity(model: tf.LayersModel, names: Iterable<string>): number {
  const wanted = new Set(names);
  let zeros = 0;
  let total = 0;
  for (const w of model.trainableWeights) {
    if (!wanted.has(w.name)) continue;
    const v = w.read().dataSync();
    for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
    total += v.length;
  }
  return total ? zeros / total : 0;
}
