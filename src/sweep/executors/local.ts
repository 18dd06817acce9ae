/**
 * The `local` executor: a pool of worker processes on this machine (default: one per core).
 * Each trial runs in a fresh process (`node build/src/sweep/worker.js <dir> <id>`), so a
 * crash, a leak or a stuck backend in one trial cannot touch the others. Its stdout and stderr
 * go to `logs/<id>.log`.
 *
 * A worker that dies without writing its record (killed by a signal, out of memory, a crash
 * before the trial started) gets a failed record written here: `{ name: 'Signal', message:
 * 'killed by SIGKILL' }`, or the exit code and the end of its log. Aborting the run's signal
 * kills the running workers; their trials are recorded as `Interrupted` and run again on the
 * next start.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OptionError } from '../../errors';
import { clearRunning, ensureLayout, failedRecord, INTERRUPTED, isCorrupt, logTail, readRecord, readSpec, trialPaths, writeRecord } from '../store';
import type { Executor, ExecutorRun, SweepProgress, TrialError, TrialSpec } from '../types';
import { workerScript } from '../worker';
import { registerExecutor, type ExecutorOptions } from './registry';

/** Options of the local executor. */
export interface LocalExecutorOptions extends ExecutorOptions {
  /** Worker processes at the same time (default: the number of cores). */
  workers?: number;
  /** Extra environment variables of the workers (e.g. `PRUNELAB_BACKEND`). */
  env?: Record<string, string>;
}

const LOCAL_OPTIONS = ['workers', 'env'];

/** A pool of worker processes on this machine. */
export class LocalExecutor implements Executor {
  readonly name = 'local';
  /** Worker processes at the same time. */
  readonly workers: number;
  private readonly env: Record<string, string>;

  /** @throws OptionError for a bad worker count or an option it does not take. */
  constructor(options: LocalExecutorOptions = {}) {
    for (const k of Object.keys(options)) {
      if (options[k] !== undefined && !LOCAL_OPTIONS.includes(k)) throw new OptionError(`The local executor has no option '${k}'. Its options: ${LOCAL_OPTIONS.join(', ')}.`, k);
    }
    const workers = options.workers ?? os.cpus().length;
    if (!Number.isInteger(workers) || workers < 1) throw new OptionError(`workers must be a whole number ≥ 1; got ${JSON.stringify(options.workers)}.`, 'workers');
    this.workers = workers;
    this.env = { ...(options.env ?? {}) };
  }

  run({ dir, trials, onProgress, signal }: ExecutorRun): Promise<void> {
    ensureLayout(dir);
    const sweep = readSpec(dir)?.name ?? path.basename(dir);
    const queue = [...trials];
    const active = new Map<string, { child: ChildProcess; startedAt: Date; stopped: boolean }>();
    let done = 0;
    let failed = 0;
    const report = () => {
      const p: SweepProgress = { total: trials.length, done, failed, running: active.size, skipped: 0 };
      onProgress?.(p);
    };
    return new Promise<void>((resolve) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        signal?.removeEventListener('abort', stopAll);
        resolve();
      };
      const stopAll = () => {
        queue.length = 0;
        for (const a of active.values()) {
          a.stopped = true;
          a.child.kill('SIGKILL');
        }
        if (active.size === 0) finish();
      };
      const ended = (trial: TrialSpec, startedAt: Date, stopped: boolean, why: TrialError) => {
        if (!active.delete(trial.id)) return; // 'error' and 'exit' can both come
        const r = readRecord(dir, trial.id);
        // a record of this run (not one left by an earlier run that --rerun repeats)
        const fresh = r && !isCorrupt(r) && Date.parse(r.startedAt) >= startedAt.getTime() - 1 ? r : undefined;
        let status = fresh?.status;
        if (!fresh) {
          const error = stopped ? { name: INTERRUPTED, message: 'stopped with the sweep; it runs again on the next start' } : why;
          writeRecord(dir, failedRecord(trial, sweep, error, { startedAt, executor: { name: this.name, host: os.hostname() }, backend: this.env.PRUNELAB_BACKEND }));
          clearRunning(dir, trial.id);
          status = 'failed';
        }
        if (status === 'done') done++;
        else failed++;
        startNext();
      };
      const startOne = (trial: TrialSpec) => {
        const startedAt = new Date();
        let child: ChildProcess;
        try {
          const fd = fs.openSync(trialPaths(dir, trial.id).log, 'w');
          try {
            child = spawn(process.execPath, [workerScript(), dir, trial.id], {
              stdio: ['ignore', fd, fd, 'ipc'],
              env: { ...process.env, ...this.env, PRUNELAB_SWEEP_EXECUTOR: this.name },
            });
          } finally {
            fs.closeSync(fd); // the child has its own copy
          }
        } catch (e) {
          // no process (no log file, no fork): the trial fails here and the others go on
          const error = { name: 'SpawnError', message: `could not start the worker: ${(e as Error).message}` };
          writeRecord(dir, failedRecord(trial, sweep, error, { startedAt, executor: { name: this.name, host: os.hostname() }, backend: this.env.PRUNELAB_BACKEND }));
          failed++;
          return;
        }
        const entry = { child, startedAt, stopped: false };
        active.set(trial.id, entry);
        child.on('error', (e) => ended(trial, startedAt, entry.stopped, { name: 'SpawnError', message: `could not start the worker: ${e.message}` }));
        child.on('exit', (code, sig) => {
          const tail = logTail(dir, trial.id, 3);
          const why: TrialError = sig
            ? { name: 'Signal', message: `killed by ${sig}` }
            : { name: 'ExitCode', message: `the worker exited with code ${code} without writing a record${tail ? `; its log ends:\n${tail}` : ''}` };
          ended(trial, startedAt, entry.stopped, why);
        });
      };
      const startNext = () => {
        while (!signal?.aborted && active.size < this.workers && queue.length) startOne(queue.shift()!);
        report();
        if (active.size === 0) finish();
      };
      if (signal?.aborted) return finish();
      signal?.addEventListener('abort', stopAll, { once: true });
      startNext();
    });
  }
}

registerExecutor('local', {
  description: 'a pool of worker processes on this machine (default: one per core), one fresh process per trial',
  create: (options) => new LocalExecutor(options as LocalExecutorOptions),
});
