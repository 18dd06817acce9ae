/** Optimizer registry: build the built-in slot optimizers by name. */
import type { TrainOptimizer } from '../types';
import { Adam, type AdamOptions } from './adam';
import { Momentum, type MomentumOptions } from './momentum';
import { Nesterov } from './nesterov';
import { SGD } from './sgd';

/** Names of the built-in optimizers. */
export type OptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'adam';

/** Hyperparameters of the built-in optimizers (each uses the fields that apply to it). */
export type OptimizerOptions = MomentumOptions & AdamOptions;

const factories: Record<OptimizerName, (o: OptimizerOptions) => TrainOptimizer> = {
  sgd: () => new SGD(),
  momentum: (o) => new Momentum(o),
  nesterov: (o) => new Nesterov(o),
  adam: (o) => new Adam(o),
};

/** @returns the names of the built-in optimizers. */
export function listOptimizers(): OptimizerName[] {
  return Object.keys(factories) as OptimizerName[];
}

/**
 * Builds a built-in optimizer.
 *
 * @param name `sgd`, `momentum`, `nesterov` or `adam` (case-insensitive).
 * @param options momentum/dampening or beta1/beta2/epsilon.
 * @returns a fresh optimizer with empty slots.
 * @throws for an unknown name, listing the known ones.
 */
export function createOptimizer(name: string, options: OptimizerOptions = {}): TrainOptimizer {
  const key = String(name).toLowerCase() as OptimizerName;
  const make = Object.prototype.hasOwnProperty.call(factories, key) ? factories[key] : undefined;
  if (!make) throw new Error(`Unknown optimizer '${name}'. Known optimizers: ${listOptimizers().join(', ')}.`);
  return make(options);
}
