/**
 * The sweep worker: runs one trial in its own process and writes its record.
 *
 *     node build/src/sweep/worker.js <dir> <id>
 *
 * Reads `<dir>/queue/<id>.json`, initialises the backend as the rest of prunelab does
 * (`PRUNELAB_BACKEND` or the best available), runs the trial function, and writes
 * `<dir>/trials/<id>.json` atomically: `done` with the metrics, or `failed` with the error's
 * name, message and stack. Exits 0 when a record was written (whatever the trial's outcome),
 * 1 when it could not write one, 2 on bad arguments. Its stdout and stderr are the trial's log
 * (the executor redirects them to `logs/<id>.log`).
 *
 * Every executor runs exactly this command (the local pool, a Slurm job array), so its
 * arguments and exit codes are stable. Started by the local pool (with an IPC channel), the
 * worker exits when that channel closes: a driver that was killed leaves no orphan behind, and
 * its restart runs the trial again.
 */
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { initBackend } from '../backend';
import { InterruptedError, setAmbientSignalSource } from '../interrupt';
import './builtin-trials';
import { clearRunning, environment, INTERRUPTED, markRunning, readQueued, readSpec, writeRecord } from './store';
import { resolveTrial, type TrialMetrics } from './trials';
import type { TrialRecord, TrialSpec } from './types';

/** V8's wasm tier-up budget in a worker (V8's default: 1,800,000 bytes executed before a function is optimized). */
export const WORKER_WASM_TIERING_BUDGET = 20_000;

/** Absolute path of the worker script (what executors run with `node`). */
export function workerScript(): string {
  return path.join(__dirname, 'worker.js');
}

/** Where a trial ran, from the worker's environment. */
function executorInfo(): TrialRecord['executor'] {
  const slurmJob = process.env.SLURM_ARRAY_JOB_ID
    ? `${process.env.SLURM_ARRAY_JOB_ID}_${process.env.SLURM_ARRAY_TASK_ID ?? ''}`
    : process.env.SLURM_JOB_ID;
  const name = process.env.PRUNELAB_SWEEP_EXECUTOR ?? (slurmJob ? 'slurm' : 'local');
  return { name, host: os.hostname(), pid: process.pid, ...(slurmJob ? { jobId: slurmJob } : {}) };
}

/** Checks that metrics are plain JSON data. @returns what is wrong, or undefined. */
function metricsProblem(m: unknown): string | undefined {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return `the trial function returned ${Array.isArray(m) ? 'a list' : String(m)}; it must return an object of metrics, e.g. { accuracy: 0.97 }`;
  try {
    JSON.stringify(m);
  } catch (e) {
    return `its metrics cannot be saved as JSON (${(e as Error).message})`;
  }
  return undefined;
}

/**
 * Runs one trial in this process and writes its record: what the worker does, callable
 * in-process (the benchmark's sequential baseline, tests).
 *
 * @param dir the results directory.
 * @param trial the trial.
 * @param o the sweep's name, the trial's log (default console.log), a stop signal.
 * @returns the record written.
 */
export async function executeTrial(
  dir: string,
  trial: TrialSpec,
  o: { sweep: string; log?: (line: string) => void; signal?: AbortSignal },
): Promise<TrialRecord> {
  const startedAt = new Date();
  const log = o.log ?? ((line: string) => console.log(line));
  const signal = o.signal ?? new AbortController().signal;
  let status: TrialRecord['status'] = 'done';
  let metrics: TrialMetrics | undefined;
  let error: TrialRecord['error'];
  markRunning(dir, trial.id);
  try {
    const fn = resolveTrial(trial.trial).fn;
    const got = await fn.run(JSON.parse(JSON.stringify(trial.config)), { log, signal, dir, id: trial.id });
    // A trial that hands its signal to `train` gets back a partial history when stopped, and may
    // go on to evaluate and return: a result after the stop is not the configured run.
    if (signal.aborted) throw new InterruptedError('stopped by the signal before it finished (its result would be partial)');
    const problem = metricsProblem(got);
    if (problem) throw new TypeError(problem);
    metrics = JSON.parse(JSON.stringify(got)) as TrialMetrics;
  } catch (e) {
    status = 'failed';
    const err = e instanceof Error ? e : new Error(String(e));
    // stopped with the sweep (the signal, or an interrupt the trial saw): it runs again next time
    const stopped = signal.aborted || e instanceof InterruptedError;
    error = { name: stopped ? INTERRUPTED : err.name || 'Error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
    log(`trial ${trial.id} failed: ${err.stack ?? err.message}`);
  }
  const finishedAt = new Date();
  const record: TrialRecord = {
    format: 'prunelab-trial',
    version: 1,
    id: trial.id,
    sweep: o.sweep,
    trial: trial.trial,
    config: trial.config,
    status,
    ...(metrics ? { metrics } : {}),
    ...(error ? { error } : {}),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    executor: executorInfo(),
    environment: environment(),
    log: path.posix.join('logs', `${trial.id}.log`),
  };
  try {
    writeRecord(dir, record);
  } finally {
    clearRunning(dir, trial.id);
  }
  return record;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length !== 2) {
    console.error('Usage: node build/src/sweep/worker.js <results-dir> <trial-id>');
    return 2;
  }
  const dir = path.resolve(argv[0]);
  const id = argv[1];
  // Stopped by the executor (SIGTERM) or the user (SIGINT): training stops at the next step.
  const controller = new AbortController();
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => controller.abort());
  setAmbientSignalSource(() => controller.signal);
  if (process.send) {
    // started by the local pool: when the driver dies, this trial is not wanted any more
    process.on('disconnect', () => {
      clearRunning(dir, id);
      process.exit(3);
    });
    process.channel?.unref();
  }
  const trial = readQueued(dir, id);
  const sweep = readSpec(dir)?.name ?? path.basename(dir);
  // A worker runs one trial, seconds to minutes: its wasm kernels should reach V8's optimizing
  // tier early. By default a hot function runs on the baseline compiler (Liftoff) until it has
  // executed ~1.8 MB of code, a noticeable part of a short trial in a fresh process (profiles
  // of one quick trial showed its main kernel ~30% slower than in a warm process). Set before
  // the backend compiles its module.
  v8.setFlagsFromString(`--wasm-tiering-budget=${WORKER_WASM_TIERING_BUDGET}`);
  const backend = await initBackend();
  console.log(`trial ${id} (${trial.trial}) on ${os.hostname()}, pid ${process.pid}, backend ${backend}: ${JSON.stringify(trial.config)}`);
  const record = await executeTrial(dir, trial, { sweep, signal: controller.signal });
  console.log(`trial ${id} ${record.status} in ${record.seconds.toFixed(2)} s`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`worker: ${(e as Error)?.stack ?? String(e)}`);
      process.exit(1);
    },
  );
}
