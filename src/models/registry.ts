/** Model registry: build zoo models by name; users may register their own. */
import type * as tf from '@tensorflow/tfjs';
import { lenet300100 } from './lenet300';
import { lenet5Caffe } from './lenet5';
import { mlp } from './mlp';
import type { ModelEntry, ModelFactory, ModelOptions } from './types';
import { vggSmall } from './vgg';

const registry = new Map<string, ModelEntry>();

/** Registry keys are case-insensitive and treat `_` like `-` (`LeNet_300_100` finds `lenet-300-100`). */
function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/_/g, '-');
}

/**
 * Adds a model to the registry.
 *
 * @param name registry name (normalised: lower case, `_` → `-`).
 * @param create the factory.
 * @param info description and default input shape, for listings.
 * @throws when the name is already taken (pass `{replace: true}` to overwrite on purpose).
 */
export function registerModel(
  name: string,
  create: ModelFactory,
  info: { description: string; defaultInputShape: number[]; replace?: boolean },
): void {
  const key = normalise(name);
  if (!key) throw new Error('registerModel: the name must be a non-empty string.');
  if (registry.has(key) && !info.replace) {
    throw new Error(`A model named '${key}' is already registered; pass {replace: true} to overwrite it.`);
  }
  registry.set(key, { name: key, description: info.description, defaultInputShape: [...info.defaultInputShape], create });
}

/** @returns the registered models (name, description, default input shape), sorted by name. */
export function listModels(): ModelEntry[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Builds a registered model.
 *
 * @param name registry name, e.g. `lenet-300-100`, `lenet-5-caffe`, `vgg-small`, `mlp`.
 * @param options seed (default 0), inputShape, classes, and for `mlp` hidden/activation.
 * @returns a fresh, uncompiled `tf.LayersModel` whose last layer outputs logits.
 * @throws for an unknown name, listing the known ones.
 */
export function createModel(name: string, options: ModelOptions = {}): tf.LayersModel {
  const entry = registry.get(normalise(String(name)));
  if (!entry) {
    throw new Error(`Unknown model '${name}'. Known models: ${listModels().map((m) => m.name).join(', ')}.`);
  }
  return entry.create(options);
}

registerModel('lenet-300-100', lenet300100, {
  description: 'LeNet-300-100 MLP: 784-300-100-10, relu (266k weights)',
  defaultInputShape: [784],
});
registerModel('lenet-5-caffe', lenet5Caffe, {
  description: 'LeNet-5 (Caffe): conv5x5 20, pool, conv5x5 50, pool, fc 500 relu, fc 10 (431k weights)',
  defaultInputShape: [28, 28, 1],
});
registerModel('vgg-small', vggSmall, {
  description: 'Small VGG for 28x28x1: 2x(conv3x3 32), pool, 2x(conv3x3 64), pool, fc 256, fc 10',
  defaultInputShape: [28, 28, 1],
});
registerModel(
  'mlp',
  (o) => mlp({ inputShape: o.inputShape, hidden: o.hidden ?? [100], classes: o.classes, activation: o.activation, seed: o.seed }),
  { description: 'Generic MLP (options: hidden widths, default [100]; activation, default relu)', defaultInputShape: [784] },
);
