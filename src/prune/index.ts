/**
 * prunelab's pruning API: `prune(model, options)` = criterion + granularity + allocation,
 * applied as masks on a {@link MaskedModel}; schedules drive it from the training loop.
 */
export * from './targets';
export * from './masked-model';
export * from './context';
export * from './criteria';
export * from './granularity';
export * from './allocation';
export * from './prune';
export * from './schedule';
export * from './accounting';
export * from './persistence';
export * from './model-io';
export * from './method-options';
export * from './method';
export * from './training-plan';
export * from './finalize';
export * from './methods';
export * from './neurons';
export * from './at-init';
export * from './dynamic-sparse';
