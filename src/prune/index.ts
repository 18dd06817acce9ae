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
export * from './updates';
// mask utilities of the sparse core (src/sparse/mask-*.ts), re-exported here so that
// src/sparse/index.ts stays with the sparse-format work
export * from '../sparse/mask-bits';
export * from '../sparse/mask-select';
