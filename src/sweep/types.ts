/**
 * The contracts of sweeps, shared by the spec, the results store and every executor, so that an
 * executor (local pool, Slurm, a future Kubernetes one) is one file that implements
 * {@link Executor} and nothing else.
 *
 * Flow: a {@link SweepSpec} is validated and expanded into {@link TrialConfig}s, each with a
 * stable id (hash of the resolved config and the package version). The driver asks the store
 * which ids are done, hands the pending ones to an executor, and the executor runs each trial
 * in a fresh process (`node build/src/sweep/worker.js <dir> <id>`): the worker runs the trial
 * function and writes its {@link TrialRecord} atomically to the store. The driver only reads
 * records; a trial without a valid record is not done.
 */

/** A grid: every field is a list of values; the sweep runs their cartesian product. */
export type Grid = Record<string, readonly unknown[]>;

/** What a sweep is: plain data, saved as `spec.json` in the results directory. */
export interface SweepSpec {
  /** Name shown in progress and listings (letters, digits, `-`, `_`). */
  name: string;
  /**
   * The trial function: a registered trial name (`pl.sweeps.listTrials()`, e.g.
   * `prune-finetune`), or `path/to/module.js#exportName` for a user's own exported function.
   */
  trial: string;
  /**
   * Values varied: `{ method: ['magnitude', 'random'], sparsity: [0.5, 0.9], seed: [1, 2, 3] }`.
   * A list of grids runs the union of their products, for variants whose fields differ (e.g.
   * `[{ granularity: ['element', 'neuron'], sparsity: [0.5, 0.9] }, { granularity: ['2:4'] }]`),
   * in one results directory (so they share its dense checkpoints).
   */
  grid: Grid | readonly Grid[];
  /** Values shared by every trial (a field is in `grid` or in `fixed`, not both). */
  fixed?: Record<string, unknown>;
  /**
   * The dense checkpoint cache the trials use (absolute, or relative to the results directory),
   * when it is another sweep's: sweeps that start from the same dense models (notebook 01's
   * one-shot grid and its Han et al. protocol) then train each of them once. Default:
   * `<results dir>/checkpoints`. It does not change the trials' identity.
   */
  checkpoints?: string;
}

/** One trial's resolved configuration (the trial's declared defaults filled in). */
export type TrialConfig = Record<string, unknown>;

/** A trial to run: its id and its configuration. */
export interface TrialSpec {
  /** Stable id: hash of `{ trial, config, version }`; the same trial always gets the same id. */
  id: string;
  /** The trial function (as in the spec). */
  trial: string;
  /** Its configuration. */
  config: TrialConfig;
}

/** Why a trial did not finish. */
export interface TrialError {
  /** Error name, e.g. `OptionError`, or `Signal` / `TIMEOUT` / `OUT_OF_MEMORY` / ... for a killed trial. */
  name: string;
  /** Message, e.g. `killed by SIGKILL` or the thrown error's message. */
  message: string;
  /** Stack of a thrown error (absent for killed trials). */
  stack?: string;
}

/** One trial's result, one JSON file in the store. */
export interface TrialRecord {
  /** Always `prunelab-trial`. */
  format: 'prunelab-trial';
  /** Format version (1). */
  version: 1;
  /** The trial's id. */
  id: string;
  /** The sweep's name. */
  sweep: string;
  /** The trial function. */
  trial: string;
  /** Its configuration. */
  config: TrialConfig;
  /** `done` with metrics, or `failed` with an error. */
  status: 'done' | 'failed';
  /** What the trial function returned (numbers, strings, small arrays): absent when failed. */
  metrics?: Record<string, unknown>;
  /** Set when failed. */
  error?: TrialError;
  /** ISO times and wall seconds. */
  startedAt: string;
  finishedAt: string;
  seconds: number;
  /** The executor that ran it (`local`, `slurm`, ...) and where (host, pid, Slurm job id). */
  executor: { name: string; host: string; pid?: number; jobId?: string };
  /** tfjs backend, package and Node versions. */
  environment: { backend: string; prunelab: string; tfjs: string; node: string };
  /** Path of the trial's log file, relative to the results directory. */
  log: string;
}

/** Live counts for progress bars. */
export interface SweepProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
  /** Trials skipped because the store already had them. */
  skipped: number;
  /** Estimated seconds left (undefined until a trial finished). */
  etaSeconds?: number;
}

/** What an executor is given. */
export interface ExecutorRun {
  /** Results directory (absolute): `spec.json`, `trials/<id>.json`, `logs/<id>.log`. */
  dir: string;
  /** The trials to run (pending ones only). */
  trials: readonly TrialSpec[];
  /** Called whenever a trial starts or ends. */
  onProgress?: (p: SweepProgress) => void;
  /** Aborting it stops the sweep: running trials are killed (local) or cancelled (`scancel`). */
  signal?: AbortSignal;
}

/**
 * Runs trials somewhere. `run` resolves when every trial has a record (done or failed); an
 * executor writes a failed record itself for a trial whose process died without writing one
 * (killed by a signal, Slurm TIMEOUT / OUT_OF_MEMORY / NODE_FAIL / CANCELLED / FAILED).
 */
export interface Executor {
  /** Registry name, e.g. `local`. */
  readonly name: string;
  run(run: ExecutorRun): Promise<void>;
}
