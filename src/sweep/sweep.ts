/**
 * The sweep driver: `sweep(spec, options)` validates and expands the spec, writes it and the
 * trial queue to the results directory, asks the store which trials are done, hands the others
 * to an executor, and returns the rows.
 *
 * Resuming is the default: a trial with a valid record is not run again (unless `rerun` asks),
 * so running a sweep again after an interruption, a crash or a killed driver runs only what is
 * missing. Trials stopped with the sweep (recorded as `Interrupted`) always run again.
 */
import * as path from 'path';
import { OptionError, UserError } from '../errors';
import { ambientSignal, InterruptedError } from '../interrupt';
import { createExecutor, type ExecutorOptions } from './executors';
import { expandSpec } from './spec';
import {
  defaultSweepDir, ensureLayout, INTERRUPTED, loadRecords, loadSweep, readSpec, wasInterrupted, writeQueue, writeSpec,
  type CorruptRecord, type FailedTrial, type SweepRow,
} from './store';
import { barView, consoleView, EtaClock, type ProgressView } from './progress';
import type { Executor, SweepProgress, SweepSpec, TrialSpec } from './types';

/** Which trials with a record run again. */
export type RerunMode = 'none' | 'failed' | 'all';

/** Options of {@link sweep}. */
export interface SweepOptions {
  /** Results directory (default `~/.cache/prunelab/sweeps/<spec.name>`, under `$XDG_CACHE_HOME` when set). */
  dir?: string;
  /** `local`, another registered executor, or an Executor (default `PRUNELAB_EXECUTOR`, else `local`). */
  executor?: string | Executor;
  /** Trials at the same time (local: worker processes; default the number of cores). */
  workers?: number;
  /** The executor's own options (e.g. Slurm's partition and time limit). */
  executorOptions?: Record<string, unknown>;
  /** `none` (default): done and failed trials are kept; `failed`: failed ones run again; `all`: everything runs again. */
  rerun?: RerunMode;
  /** Called on every change of the counts. */
  onProgress?: (p: SweepProgress) => void;
  /**
   * Stops the sweep (running trials are killed and recorded as interrupted). Default: the
   * ambient signal (the notebook cell's interrupt), which makes `sweep` throw a
   * KeyboardInterrupt; with an explicit signal it returns with `interrupted: true`.
   */
  signal?: AbortSignal;
  /** `bar` (default): a progress bar (notebook); `console`: lines on stdout; `none`. */
  progress?: 'bar' | 'console' | 'none';
  /** Directory a module path in `spec.trial` is relative to (default: the working directory). */
  baseDir?: string;
}

/** What {@link sweep} returns. */
export interface SweepSummary {
  /** The sweep's name. */
  name: string;
  /** Results directory (absolute). */
  dir: string;
  /** The executor that ran the trials. */
  executor: string;
  /** Trials of the spec. */
  total: number;
  /** Trials with a done record now. */
  done: number;
  /** Trials with a failed record now (not counting interrupted ones). */
  failed: number;
  /** Trials still to run: without a record, or interrupted (they run on the next start). */
  pending: number;
  /** Trials run this time. */
  ran: number;
  /** Trials not run because they already had a record. */
  skipped: number;
  /** True when the sweep was stopped before every trial had run. */
  interrupted: boolean;
  /** Wall seconds of this run. */
  seconds: number;
  /** Corrupt record files found (their trials were run again). */
  corrupt: CorruptRecord[];
  /** One row per done trial of the spec, in grid order. */
  rows: SweepRow[];
  /** The failed trials of the spec with their errors (not the interrupted ones). */
  failures: FailedTrial[];
}

const RERUN_MODES: readonly RerunMode[] = ['none', 'failed', 'all'];

/** Which trials to run, given the store. */
export function pendingTrials(dir: string, trials: readonly TrialSpec[], rerun: RerunMode): { pending: TrialSpec[]; corrupt: CorruptRecord[] } {
  const { records, corrupt } = loadRecords(dir);
  const pending = trials.filter((t) => {
    const r = records.get(t.id);
    if (!r) return true;
    if (rerun === 'all') return true;
    if (r.status === 'done') return false;
    return rerun === 'failed' || wasInterrupted(r);
  });
  return { pending, corrupt };
}

/**
 * Runs a sweep: every trial of the spec's grid that has no record yet, on an executor.
 *
 * @param spec the sweep: name, trial function, grid, fixed values.
 * @param options results directory, executor, workers, rerun, progress, signal.
 * @returns counts, the rows of the done trials and the failures.
 * @throws OptionError / UnknownNameError for a bad spec or options (before any trial starts);
 *   UserError when the directory holds another sweep; KeyboardInterrupt when the ambient signal
 *   stopped it (finished trials are kept; run it again to resume).
 *
 * @example
 * const s = await pl.sweep({ name: 'mnist-magnitude', trial: 'prune-finetune',
 *   grid: { seed: [1, 2, 3], sparsity: [0.5, 0.9] }, fixed: { dataset: 'mnist', denseEpochs: 3 } });
 * pl.report.seedBandFigure(s.rows, { x: 'target', y: 'accuracyFinetuned', group: 'method' });
 */
export async function sweep(spec: SweepSpec, options: SweepOptions = {}): Promise<SweepSummary> {
  const t0 = Date.now();
  const rerun = options.rerun ?? 'none';
  if (!RERUN_MODES.includes(rerun)) throw new OptionError(`sweep: rerun must be one of ${RERUN_MODES.join(', ')}; got ${JSON.stringify(rerun)}.`, 'rerun');
  const { spec: normalised, trials } = expandSpec(spec, { baseDir: options.baseDir });
  const dir = path.resolve(options.dir ?? defaultSweepDir(normalised.name));
  const existing = readSpec(dir);
  if (existing && (existing.name !== normalised.name || existing.trial !== normalised.trial)) {
    throw new UserError(
      `${dir} holds the results of sweep '${existing.name}' (trial '${existing.trial}'), not of '${normalised.name}' (trial '${normalised.trial}'); give another dir.`,
    );
  }
  const executorOptions: ExecutorOptions = { ...(options.executorOptions ?? {}), ...(options.workers !== undefined ? { workers: options.workers } : {}) };
  const executor = createExecutor(options.executor ?? process.env.PRUNELAB_EXECUTOR ?? 'local', executorOptions);
  const explicitSignal = options.signal;
  const signal = explicitSignal ?? ambientSignal();

  ensureLayout(dir);
  writeSpec(dir, normalised);
  writeQueue(dir, trials);
  const { pending, corrupt } = pendingTrials(dir, trials, rerun);
  for (const c of corrupt) console.warn(`${c.problem} That trial runs again.`);

  const skipped = trials.length - pending.length;
  const view: ProgressView | undefined =
    options.progress === 'none' ? undefined : options.progress === 'console' ? consoleView(normalised.name) : barView(normalised.name);
  const clock = new EtaClock(pending.length);
  let latest: SweepProgress = { total: trials.length, done: 0, failed: 0, running: 0, skipped };
  const onProgress = (p: SweepProgress) => {
    latest = clock.withEta({ ...p, total: trials.length, skipped });
    view?.update(latest);
    options.onProgress?.(latest);
  };
  onProgress(latest);
  let runError: unknown;
  try {
    if (pending.length) await executor.run({ dir, trials: pending, onProgress, signal });
  } catch (e) {
    runError = e;
  }
  const results = loadSweep(dir, trials.map((t) => t.id));
  const done = results.rows.length;
  const stopped = results.failed.filter((f) => f.error.name === INTERRUPTED).length;
  const failed = results.failed.length - stopped;
  const pendingNow = trials.length - done - failed; // no record, or interrupted: they run on the next start
  const interrupted = Boolean(signal?.aborted) && pendingNow > 0;
  view?.end({ ...latest, running: 0 }, runError ? `failed: ${(runError as Error).message}` : interrupted ? 'interrupted (run it again to resume)' : undefined);
  if (runError) throw runError;
  const summary: SweepSummary = {
    name: normalised.name,
    dir,
    executor: executor.name,
    total: trials.length,
    done,
    failed,
    pending: pendingNow,
    ran: pending.length,
    skipped,
    interrupted,
    seconds: (Date.now() - t0) / 1000,
    corrupt,
    rows: results.rows,
    failures: results.failed.filter((f) => f.error.name !== INTERRUPTED),
  };
  if (summary.interrupted && !explicitSignal) {
    throw new InterruptedError(
      `Sweep '${summary.name}' interrupted: ${done} of ${summary.total} trials done (results in ${dir}); run it again to resume.`,
    );
  }
  return summary;
}
