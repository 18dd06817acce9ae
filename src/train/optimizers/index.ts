/** Built-in optimizers with inspectable, resettable slots. */
export { SlotOptimizerBase } from './base';
export { SGD } from './sgd';
export { Momentum, type MomentumOptions } from './momentum';
export { Nesterov } from './nesterov';
export { Adam, type AdamOptions } from './adam';
export {
  createOptimizer, listOptimizers, listOptimizerEntries, registerOptimizer, unregisterOptimizer,
  type OptimizerFactory, type OptimizerName, type OptimizerOptions,
} from './registry';
