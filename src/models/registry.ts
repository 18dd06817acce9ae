/** Model registry: build zoo models by name; users may register their own. */
import type * as tf from '@tensorflow/tfjs';
import { Registry } from '../registry';
import { lenet300100 } from './lenet300';
import { lenet5Caffe } from './lenet5';
import { mlp } from './mlp';
import type { ModelEntry, ModelFactory, ModelOptions } from './types';
import { vggSmall } from './vgg';

const models = new Registry<ModelEntry>({
  kind: 'model',
  namePattern: /^[a-z][a-z0-9:.-]*$/,
  nameRule: "start with a letter and use only letters, digits, '-', ':' and '.' (names are case-insensitive and '_' reads as '-')",
  validate: (m) => {
    if (typeof m.create !== 'function') return 'the factory must be a function (options) => tf.LayersModel';
    if (!Array.isArray(m.defaultInputShape) || !m.defaultInputShape.every((d) => Number.isInteger(d) && d > 0)) {
      return `defaultInputShape must be an array of positive integers, e.g. [784]; got ${JSON.stringify(m.defaultInputShape)}`;
    }
    return undefined;
  },
  hint: 'Register one with pl.registerModel(name, create, { description, defaultInputShape }).',
});

/** Registry keys are case-insensitive and treat `_` like `-` (`LeNet_300_100` finds `lenet-300-100`). */
function normalise(name: string): string {
  return String(name).trim().toLowerCase().replace(/_/g, '-');
}

/**
 * Adds a model to the registry.
 *
 * @param name registry name (normalised: lower case, `_` → `-`).
 * @param create the factory.
 * @param info description and default input shape, for listings; `replace: true` to overwrite a
 *   model of the same name on purpose.
 * @throws OptionError for a bad name, factory or input shape; UserError when the name is already
 *   taken and `replace` is not set.
 */
export function registerModel(
  name: string,
  create: ModelFactory,
  info: { description: string; defaultInputShape: number[]; replace?: boolean },
): void {
  const key = normalise(name);
  const shape = Array.isArray(info?.defaultInputShape) ? [...info.defaultInputShape] : info?.defaultInputShape;
  models.register(key, { name: key, description: info?.description ?? '', defaultInputShape: shape, create }, { replace: info?.replace });
}

/** Removes a registered model (names are normalised as for {@link registerModel}). @returns whether it existed. */
export function unregisterModel(name: string): boolean {
  return models.unregister(normalise(name));
}

/** @returns the registered models (name, description, default input shape), sorted by name. */
export function listModels(): ModelEntry[] {
  return models.list().map((e) => e.item);
}

/**
 * Builds a registered model.
 *
 * @param name registry name, e.g. `lenet-300-100`, `lenet-5-caffe`, `vgg-small`, `mlp`.
 * @param options seed (default 0), inputShape, classes, and for `mlp` hidden/activation.
 * @returns a fresh, uncompiled `tf.LayersModel` whose last layer outputs logits.
 * @throws UnknownNameError for an unknown name, listing the known ones.
 */
export function createModel(name: string, options: ModelOptions = {}): tf.LayersModel {
  const entry = models.find(normalise(name));
  if (!entry) throw models.unknownNameError(String(name));
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
