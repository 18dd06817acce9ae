/**
 * `pl.sweeps`: everything about sweeps besides running one (`pl.sweep`): reading results,
 * status, trial functions, executors, spec expansion, and the sweep-backed twins of the
 * notebooks' experiment drivers (`sparsitySweep`, `variantSweep`, `scheduleSweep`, `iterativeSweep`).
 */
import './builtin-trials';
export { sweepStatus as status, statusLine, loadSweep as load, rowsToDataFrame as toDataFrame, defaultSweepDir as defaultDir, INTERRUPTED } from './store';
export type { SweepResults, SweepRow, SweepStatus, FailedTrial, CorruptRecord } from './store';
export { listTrials, registerTrial, unregisterTrial, getTrial, type TrialFunction, type TrialContext, type TrialMetrics } from './trials';
export { expandSpec as expand, readSpecFile, type ExpandedSweep, type ExpandOptions } from './spec';
export { trialId } from './ids';
export { recipeFields, sweepDenseRun as denseRun } from './builtin-trials';
export { sparsitySweep, variantSweep, scheduleSweep, iterativeSweep, variantFields, type SweepRunOptions, type SweepBacked, type SweptVariants, type SweptSchedules, type IterativeSweepOptions, type SweptIterative } from './experiments';
export { registerExecutor, unregisterExecutor, listExecutors, type ExecutorFactory, type ExecutorOptions } from './executors';
export { workerScript, executeTrial } from './worker';
export type { SweepOptions, SweepSummary, RerunMode } from './sweep';
export type * from './types';
