/**
 * prunelab: neural-network pruning on TensorFlow.js.
 * The public API; the kernel exposes it to notebooks as `pl`.
 */
export * from './api-common';
export * from './data';
export * as compare from './compare';
export * as experiments from './experiments';
export { sweep, sweeps, type SweepOptions, type SweepSummary, type RerunMode } from './sweep';
export type { SweepSpec, TrialSpec, TrialRecord, SweepProgress, Executor, ExecutorRun } from './sweep/types';
