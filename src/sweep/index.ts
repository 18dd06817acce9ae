/**
 * Sweeps: a grid of trials (methods × sparsities × seeds × datasets) as data, run resumably on
 * a local worker pool or another executor, with one JSON record per trial. See README "Sweeps".
 */
export { sweep, pendingTrials, type SweepOptions, type SweepSummary, type RerunMode } from './sweep';
export * as sweeps from './namespace';
export { workerScript } from './worker';
export type * from './types';
