/**
 * The executors: importing this module registers every builtin engine. A new engine is one file
 * that implements `Executor` (src/sweep/types.ts) and calls `registerExecutor(name, factory)`
 * when it loads; add its import below.
 */
export * from './registry';
export { LocalExecutor, type LocalExecutorOptions } from './local';
export { SlurmExecutor, createSlurmExecutor, SLURM_EXECUTOR_OPTIONS, type SlurmExecutorOptions } from './slurm';

// ---- engines registered on load: one import per engine file ----
import './local';
import './slurm';
