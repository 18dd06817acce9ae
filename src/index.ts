/**
 * prunelab: neural-network pruning on TensorFlow.js.
 * The public API; the kernel exposes it to notebooks as `pl`.
 */
export * from './errors';
export { Registry, allRegistries, DEFAULT_NAME_PATTERN, type RegisterOptions, type RegistryEntry, type RegistryOptions } from './registry';
export * from './backend';
export * from './data';
export * from './models';
export * from './train';
export { ambientSignal, setAmbientSignalSource, InterruptedError, type AmbientSignalSource } from './interrupt';
export * from './prune';
export * from './sparse';
export * as plot from './plot';
export * as report from './report-namespace';
export * as compare from './compare';
export * as experiments from './experiments';
export * as magics from './magics';
export * as course from './course';
export { sweep, sweeps, type SweepOptions, type SweepSummary, type RerunMode } from './sweep';
export type { SweepSpec, TrialSpec, TrialRecord, SweepProgress, Executor, ExecutorRun } from './sweep/types';
