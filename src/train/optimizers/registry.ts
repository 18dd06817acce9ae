/** Optimizer registry: build the built-in slot optimizers (or registered ones) by name. */
import { Registry, type RegisterOptions, type RegistryEntry } from '../../registry';
import type { TrainOptimizer } from '../types';
import { Adam, type AdamOptions } from './adam';
import { Momentum, type MomentumOptions } from './momentum';
import { Nesterov } from './nesterov';
import { SGD } from './sgd';

/** Names of the built-in optimizers. */
export type OptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'adam';

/** Hyperparameters of the built-in optimizers (each uses the fields that apply to it). */
export type OptimizerOptions = MomentumOptions & AdamOptions;

/** Makes a fresh optimizer (empty slots) from its hyperparameters. */
export type OptimizerFactory = (options: OptimizerOptions) => TrainOptimizer;

const optimizers = new Registry<OptimizerFactory>({
  kind: 'optimizer',
  // looked up case-insensitively: names are stored in lower case
  namePattern: /^[a-z][a-z0-9_.-]*$/,
  nameRule: "start with a lower-case letter and use only lower-case letters, digits, '_', '.' and '-'",
  validate: (f) => (typeof f === 'function' ? undefined : 'the factory must be a function (options) => TrainOptimizer'),
  hint: 'Register one with pl.registerOptimizer(name, create).',
});

/**
 * Registers an optimizer so that `train(..., { optimizer: name })` and `%finetune --optimizer`
 * can build it.
 *
 * @param name registry name (lower case).
 * @param create makes a fresh optimizer from the hyperparameters (`optimizerOptions`).
 * @param options `replace: true` to overwrite an optimizer of the same name; `description`, one
 *   line for listings.
 * @throws OptionError for a bad name or factory; UserError when the name is taken and `replace` is not set.
 */
export function registerOptimizer(name: string, create: OptimizerFactory, options: RegisterOptions = {}): void {
  optimizers.register(name, create, options);
}

/** Removes a registered optimizer. @returns whether it existed. */
export function unregisterOptimizer(name: string): boolean {
  return optimizers.unregister(String(name).toLowerCase());
}

/** @returns the names of the registered optimizers, sorted. */
export function listOptimizers(): string[] {
  return optimizers.names();
}

/** The registered optimizers with their one-line descriptions, sorted by name. */
export function listOptimizerEntries(): RegistryEntry<OptimizerFactory>[] {
  return optimizers.list();
}

/**
 * Builds an optimizer by name.
 *
 * @param name `sgd`, `momentum`, `nesterov`, `adam` or a registered name (case-insensitive).
 * @param options momentum/dampening or beta1/beta2/epsilon.
 * @returns a fresh optimizer with empty slots.
 * @throws UnknownNameError for an unknown name, listing the known ones.
 */
export function createOptimizer(name: string, options: OptimizerOptions = {}): TrainOptimizer {
  const make = optimizers.find(String(name).toLowerCase());
  if (!make) throw optimizers.unknownNameError(String(name));
  return make(options);
}

registerOptimizer('sgd', () => new SGD(), { description: 'plain stochastic gradient descent: w ← w − lr·g' });
registerOptimizer('momentum', (o) => new Momentum(o), { description: 'SGD with heavy-ball momentum (options: momentum, dampening)' });
registerOptimizer('nesterov', (o) => new Nesterov(o), { description: 'SGD with Nesterov momentum (option: momentum)' });
registerOptimizer('adam', (o) => new Adam(o), { description: 'Adam (Kingma & Ba 2015; options: beta1, beta2, epsilon)' });
