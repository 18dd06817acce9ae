/**
 * The `slurm` executor: runs a sweep's pending trials as ONE Slurm job array on a cluster, from
 * the login node.
 *
 * What it does, per run (everything under the results directory, which must be on the file
 * system that the compute nodes share with the login node):
 * - writes `slurm/<stamp>.sh` (the batch script), `slurm/<stamp>.ids` (line i+1 = the trial of
 *   array index i) and `slurm/<stamp>/task-<i>.log` links to `logs/<trial id>.log`, so that the
 *   worker's output and Slurm's own messages (`*** ... DUE TO TIME LIMIT ***`) land in the
 *   trial's log;
 * - submits `sbatch --parsable --array=0-(n-1)[%maxParallel]` with the partition, time limit,
 *   CPUs, memory and extra flags, and saves the submission as `slurm/<stamp>.json`;
 * - polls `squeue` until every task has left the queue, reading the trials' records as they come
 *   (progress: done / running / failed); a task that left the queue without a record gets a
 *   failed record whose error name is its Slurm state (TIMEOUT, OUT_OF_MEMORY, CANCELLED,
 *   NODE_FAIL, FAILED), read from `sacct`, or from `scontrol show job` where the cluster keeps
 *   no accounting, or from the task's log once the job has left both;
 * - on abort (Ctrl-C, kernel interrupt) runs `scancel <job>` and records the cancelled tasks as
 *   `Interrupted` (Slurm's CANCELLED in the message), so that the next start runs them again.
 *
 * A driver that died (login node rebooted, notebook closed) leaves its array running; the next
 * run of the same sweep finds it in `slurm/*.json` + `squeue` and waits for those tasks instead
 * of submitting them twice.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InternalError, OptionError, UserError } from '../../errors';
import { ensureDir, readJsonFile, writeFileAtomic } from '../../io/files';
import { resolveOptionValues, type OptionSpec } from '../../prune/method-options';
import { INTERRUPTED } from '../store';
import type { Executor, ExecutorRun, SweepProgress, TrialRecord, TrialSpec } from '../types';
import { workerScript } from '../worker';
import { registerExecutor } from './registry';
import { parseSacct, parseScontrol, parseSqueue, slurmTrialError, stateFromLog, TERMINAL_STATES, type TaskState } from './slurm-states';

/** Options of the `slurm` executor (all optional; the cluster's defaults apply otherwise). */
export interface SlurmExecutorOptions {
  /** Partition(s) to submit to (`sbatch --partition`, comma-separated); default: the cluster's default partition. */
  partition?: string;
  /**
   * Time limit per trial (`--time`): minutes as a number, or Slurm's forms `MM`, `MM:SS`,
   * `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`; default: the partition's. Slurm counts in whole
   * minutes (1 is the least) and checks limits every 30 s or so.
   */
  timeLimit?: number | string;
  /** CPUs per trial (`--cpus-per-task`). */
  cpusPerTask?: number;
  /** Memory per trial (`--mem`): a number of megabytes with an optional unit K, M, G or T, e.g. `'2G'`. */
  memory?: string;
  /** At most this many trials at once (the `%N` of `--array`); default: as many as the cluster allows. */
  maxParallel?: number;
  /** More `sbatch` flags, one argument per entry, e.g. `['--qos=short', '--account', 'lab']`. */
  extraArgs?: string[];
  /** Seconds between two polls of `squeue` (default 5). */
  pollSeconds?: number;
  /**
   * Seconds to wait for the record of a task that Slurm says COMPLETED before recording it as
   * failed: on a shared file system a record written on a compute node can take a few seconds to
   * show on the login node (default 30).
   */
  recordGraceSeconds?: number;
  /**
   * The command that runs one trial; the task appends `<results dir> <trial id>`. Default: this
   * Node.js binary and prunelab's worker script (both must exist at the same paths on the compute nodes).
   */
  workerCommand?: string[];
  /** Path or name of `sbatch` (default: found on PATH). */
  sbatch?: string;
  /** Path or name of `squeue`. */
  squeue?: string;
  /** Path or name of `sacct`. */
  sacct?: string;
  /** Path or name of `scontrol`. */
  scontrol?: string;
  /** Path or name of `scancel`. */
  scancel?: string;
}

/** The options, declared once: validation here, help and flags wherever options are listed. */
export const SLURM_EXECUTOR_OPTIONS: readonly OptionSpec[] = [
  { name: 'partition', type: 'string', help: "partition(s) to submit to (sbatch --partition); default: the cluster's default" },
  { name: 'timeLimit', type: 'string', help: "time limit per trial (sbatch --time): minutes, 'HH:MM:SS' or 'D-HH:MM:SS'" },
  { name: 'cpusPerTask', type: 'int', min: 1, help: 'CPUs per trial (sbatch --cpus-per-task)' },
  { name: 'memory', type: 'string', help: "memory per trial (sbatch --mem), e.g. '2G'" },
  { name: 'maxParallel', type: 'int', min: 1, help: 'at most this many trials at once (the %N of sbatch --array)' },
  { name: 'extraArgs', type: 'list', default: [], help: "more sbatch flags, one argument per entry, e.g. ['--qos=short']" },
  { name: 'pollSeconds', type: 'number', default: 5, min: 0, exclusiveMin: true, help: 'seconds between two polls of squeue' },
  { name: 'recordGraceSeconds', type: 'number', default: 30, min: 0, help: "seconds to wait for a completed task's record to show on a shared file system" },
  { name: 'workerCommand', type: 'list', help: 'the command that runs one trial (the task appends the results directory and the trial id)' },
  { name: 'sbatch', type: 'string', default: 'sbatch', help: 'path or name of sbatch' },
  { name: 'squeue', type: 'string', default: 'squeue', help: 'path or name of squeue' },
  { name: 'sacct', type: 'string', default: 'sacct', help: 'path or name of sacct' },
  { name: 'scontrol', type: 'string', default: 'scontrol', help: 'path or name of scontrol' },
  { name: 'scancel', type: 'string', default: 'scancel', help: 'path or name of scancel' },
];

/** The options after validation, defaults filled in. */
export interface ResolvedSlurmOptions {
  partition?: string;
  /** As given to `--time`. */
  timeLimit?: string;
  cpusPerTask?: number;
  memory?: string;
  maxParallel?: number;
  extraArgs: string[];
  pollSeconds: number;
  recordGraceSeconds: number;
  workerCommand: string[];
  sbatch: string;
  squeue: string;
  sacct: string;
  scontrol: string;
  scancel: string;
}

/** sbatch flags the executor sets itself: given in extraArgs they would break the mapping of tasks to trials. */
const RESERVED_FLAGS = ['--array', '-a', '--output', '-o', '--error', '-e', '--parsable', '--wrap', '--open-mode', '--input', '-i'];

/** Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or no limit. */
const TIME_FORMAT = /^(?:\d+(?::\d{1,2}){0,2}|\d+-\d+(?::\d{1,2}){0,2}|UNLIMITED|INFINITE)$/i;

/** The default worker: this Node.js and prunelab's `build/src/sweep/worker.js`. */
function defaultWorkerCommand(): string[] {
  return [process.execPath, workerScript()];
}

/**
 * Validates the options and fills in defaults.
 * @throws OptionError naming the option, what is wrong, and what is accepted.
 */
export function resolveSlurmOptions(options: SlurmExecutorOptions = {}): ResolvedSlurmOptions {
  const where = 'slurm executor';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionError(`${where}: options must be an object such as { partition: 'short', timeLimit: '01:00:00' }; got ${JSON.stringify(options)}.`);
  }
  const given: Record<string, unknown> = { ...options };
  if (typeof given.timeLimit === 'number') {
    const minutes = given.timeLimit;
    if (!Number.isInteger(minutes) || minutes < 1) {
      throw new OptionError(`${where}: timeLimit in minutes must be a whole number ≥ 1 (Slurm's least limit is one minute); got ${minutes}.`, 'timeLimit');
    }
    given.timeLimit = String(minutes);
  }
  for (const key of ['extraArgs', 'workerCommand']) {
    if (given[key] !== undefined && !Array.isArray(given[key])) {
      throw new OptionError(`${where}: ${key} must be a list of arguments, one per entry (e.g. ['--qos=short']); got ${JSON.stringify(given[key])}.`, key);
    }
  }
  const v = resolveOptionValues(SLURM_EXECUTOR_OPTIONS, given, where);
  const str = (key: string) => v[key] as string | undefined;
  const timeLimit = str('timeLimit');
  if (timeLimit !== undefined && (!TIME_FORMAT.test(timeLimit) || /^[0:-]+$/.test(timeLimit))) {
    throw new OptionError(
      `${where}: timeLimit '${timeLimit}' is not a Slurm time limit; give minutes (e.g. 30) or 'HH:MM:SS' / 'D-HH:MM:SS' (e.g. '02:00:00'), at least one minute.`,
      'timeLimit',
    );
  }
  const memory = str('memory');
  if (memory !== undefined && !/^\d+[KMGT]?$/i.test(memory)) {
    throw new OptionError(`${where}: memory '${memory}' is not a Slurm memory size; give megabytes or a number with a unit K, M, G or T, e.g. '2G' or '500M'.`, 'memory');
  }
  const partition = str('partition');
  if (partition !== undefined && !/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(partition)) {
    throw new OptionError(`${where}: partition '${partition}' is not a partition name (letters, digits, '_', '.', '-'; several separated by commas). List them with 'sinfo -s'.`, 'partition');
  }
  const extraArgs = v.extraArgs as string[];
  for (const arg of extraArgs) {
    const flag = arg.split('=')[0];
    if (RESERVED_FLAGS.includes(flag)) {
      throw new OptionError(
        `${where}: extraArgs must not contain '${flag}': the executor sets it itself (one array task per trial, its log in logs/<trial id>.log). ` +
          `Use maxParallel for the %N of --array.`,
        'extraArgs',
      );
    }
  }
  const workerCommand = (v.workerCommand as string[] | undefined) ?? defaultWorkerCommand();
  if (workerCommand.length === 0 || workerCommand.some((a) => a === '')) {
    throw new OptionError(`${where}: workerCommand must be a non-empty list of non-empty arguments, e.g. ['/usr/bin/node', '/path/to/worker.js'].`, 'workerCommand');
  }
  const commands = ['sbatch', 'squeue', 'sacct', 'scontrol', 'scancel'] as const;
  for (const c of commands) {
    if (str(c)!.trim() === '') throw new OptionError(`${where}: ${c} must be the path or name of the ${c} command; got an empty string.`, c);
  }
  return {
    partition,
    timeLimit,
    cpusPerTask: v.cpusPerTask as number | undefined,
    memory,
    maxParallel: v.maxParallel as number | undefined,
    extraArgs,
    pollSeconds: v.pollSeconds as number,
    recordGraceSeconds: v.recordGraceSeconds as number,
    workerCommand,
    sbatch: str('sbatch')!,
    squeue: str('squeue')!,
    sacct: str('sacct')!,
    scontrol: str('scontrol')!,
    scancel: str('scancel')!,
  };
}

/**
 * Options from the environment, for notebooks that pick the executor with
 * `PRUNELAB_EXECUTOR=slurm`: `PRUNELAB_SLURM_PARTITION`, `PRUNELAB_SLURM_TIME`,
 * `PRUNELAB_SLURM_CPUS`, `PRUNELAB_SLURM_MEMORY`, `PRUNELAB_SLURM_MAX_PARALLEL`,
 * `PRUNELAB_SLURM_ARGS` (extra sbatch flags separated by spaces).
 */
export function slurmOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SlurmExecutorOptions {
  const out: SlurmExecutorOptions = {};
  const num = (name: string, key: 'cpusPerTask' | 'maxParallel') => {
    const text = env[name];
    if (text === undefined || text === '') return;
    const n = Number(text);
    if (!Number.isFinite(n)) throw new OptionError(`${name}='${text}' is not a number; set it to a whole number such as 4, or unset it.`, key);
    out[key] = n;
  };
  if (env.PRUNELAB_SLURM_PARTITION) out.partition = env.PRUNELAB_SLURM_PARTITION;
  if (env.PRUNELAB_SLURM_TIME) out.timeLimit = env.PRUNELAB_SLURM_TIME;
  if (env.PRUNELAB_SLURM_MEMORY) out.memory = env.PRUNELAB_SLURM_MEMORY;
  num('PRUNELAB_SLURM_CPUS', 'cpusPerTask');
  num('PRUNELAB_SLURM_MAX_PARALLEL', 'maxParallel');
  if (env.PRUNELAB_SLURM_ARGS?.trim()) out.extraArgs = env.PRUNELAB_SLURM_ARGS.trim().split(/\s+/);
  return out;
}

/** Runs trials as one Slurm job array; see the module comment. */
export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  /** The validated options. */
  readonly options: ResolvedSlurmOptions;

  /** @throws OptionError for a bad option, before anything is submitted. */
  constructor(options: SlurmExecutorOptions = {}) {
    this.options = resolveSlurmOptions(options);
  }

  /** Submits the trials, waits until each has a record, cancels them when `run.signal` aborts. */
  async run(run: ExecutorRun): Promise<void> {
    await new SlurmRun(this.options, run).execute();
  }
}

/**
 * The executor for the registry: the options given, over those of the environment
 * ({@link slurmOptionsFromEnv}). `workers` (the sweep's "trials at the same time", which
 * `pl.sweep`, `%sweep` and the CLI pass to every executor) is the array's `%N`: `maxParallel`.
 *
 * @throws OptionError for a bad option, or `workers` and `maxParallel` that disagree.
 */
export function createSlurmExecutor(options: SlurmExecutorOptions & { workers?: number } = {}): SlurmExecutor {
  const { workers, ...own } = options ?? {};
  if (workers !== undefined && own.maxParallel !== undefined && workers !== own.maxParallel) {
    throw new OptionError(`slurm executor: workers (${workers}) and maxParallel (${own.maxParallel}) both set how many trials run at once; give one of them.`, 'maxParallel');
  }
  return new SlurmExecutor({ ...slurmOptionsFromEnv(), ...own, ...(workers !== undefined ? { maxParallel: workers } : {}) });
}

/**
 * The `slurm` entry of the executor registry (the shape of the sweep core's `ExecutorFactory`:
 * `{ description, create(options) }`).
 */
export const slurmExecutorFactory = {
  description: 'one Slurm job array per sweep run (sbatch --array), polled with squeue/sacct, cancelled with scancel on interrupt',
  create: (options: Record<string, unknown> = {}): Executor => createSlurmExecutor(options as SlurmExecutorOptions & { workers?: number }),
};

registerExecutor('slurm', slurmExecutorFactory);

/** One `sbatch` submission: a job array whose index i runs trial ids[i]. */
interface Submission {
  /** Always `prunelab-slurm-submission`. */
  format: 'prunelab-slurm-submission';
  /** The array's job id. */
  jobId: string;
  /** Absolute path of the batch script (also how squeue tells our job from another cluster's). */
  script: string;
  /** Trial id of each array index. */
  ids: string[];
  /** ISO time of submission. */
  submittedAt: string;
  /** The sbatch command line. */
  command: string[];
}

/** A trial this run waits for. */
interface Task {
  spec: TrialSpec;
  submission: Submission;
  index: number;
  /** Has a record (its own or one written here). */
  finished: boolean;
  /** Status of the record, once finished. */
  status?: 'done' | 'failed';
  /** Running, per the last squeue. */
  running: boolean;
  /** When the task was first seen out of the queue without a record (ms). */
  leftQueueAt?: number;
  /**
   * An `Interrupted` record the worker wrote on SIGTERM, which this run did not send: Slurm sends
   * SIGTERM for a time limit, an administrator's scancel or a preemption too, so how the task
   * ended decides what is recorded ({@link SlurmRun.recordEnded}).
   */
  provisional?: TrialRecord;
  /**
   * The record that was there before this run (a failed trial run again): not this run's result.
   * Compared by content, not mtime, since clocks of compute nodes and login node may differ.
   */
  staleRecord?: string;
}

/** What a finished command printed. */
interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be run at all (ENOENT, EACCES) or timed out. */
  spawnError?: NodeJS.ErrnoException;
}

/** Runs a command without a shell; never rejects. */
function runCommand(command: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
      if (!e) return resolve({ code: 0, stdout, stderr });
      if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
      resolve({ code: null, stdout: stdout ?? '', stderr: stderr ?? '', spawnError: e });
    });
  });
}

/** `a b 'c d'`: a command line for messages and comments. */
function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A trial id is a file name in trials/ and logs/ and a line in the ids file. */
const TRIAL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A trial stopped because the sweep was interrupted is recorded `INTERRUPTED` (the store runs it
 * again on the next start). A task cancelled by someone else (an administrator's scancel) keeps
 * Slurm's `CANCELLED`: a failed trial, which `rerun: 'failed'` runs again.
 */
export { INTERRUPTED };

/** How long squeue may keep failing (controller restarting, network) before the run gives up. */
const SQUEUE_FAILURE_LIMIT_MS = 5 * 60_000;
/** How long to wait for the queue to empty after scancel before recording the rest as cancelled. */
const CANCEL_WAIT_MS = 120_000;

/** One call of {@link SlurmExecutor.run}. */
class SlurmRun {
  private readonly dir: string;
  private readonly tasks: Task[] = [];
  private readonly submissions: Submission[] = [];
  private sweepName = 'sweep';
  /** undefined until tried; false when the cluster keeps no accounting (or sacct is missing). */
  private sacctWorks: boolean | undefined;
  private squeueFailingSince: number | undefined;
  private cancelledAt: number | undefined;
  private lastProgress = '';
  private readonly startedAt = Date.now();
  /** Trial id → key of the record it had before this run ({@link noteStaleRecords}). */
  private readonly staleRecords = new Map<string, string>();

  constructor(
    private readonly options: ResolvedSlurmOptions,
    private readonly run: ExecutorRun,
  ) {
    this.dir = path.resolve(run.dir);
  }

  async execute(): Promise<void> {
    const trials = this.run.trials;
    if (trials.length === 0 || this.run.signal?.aborted) return;
    for (const t of trials) {
      if (typeof t.id !== 'string' || !TRIAL_ID.test(t.id)) throw new InternalError(`slurm executor: trial id ${JSON.stringify(t.id)} is not a file name.`);
    }
    if (this.dir.includes('%')) {
      // sbatch reads % in --output as a pattern (%a, %j, ...): the logs would go elsewhere
      throw new UserError(`The results directory ${this.dir} contains '%', which sbatch reads as a file-name pattern; choose a directory without '%' for a Slurm sweep.`);
    }
    this.sweepName = this.readSweepName();
    ensureDir(path.join(this.dir, 'logs'), 'the trial logs');
    ensureDir(path.join(this.dir, 'slurm'), 'the Slurm batch scripts');

    this.noteStaleRecords(trials);
    const adopted = await this.adoptRunningSubmissions(trials);
    const toSubmit = trials.filter((t) => !adopted.has(t.id));
    if (toSubmit.length > 0 && !this.run.signal?.aborted) await this.submit(toSubmit);

    const abort = () => this.wake?.();
    this.run.signal?.addEventListener('abort', abort);
    try {
      await this.pollUntilFinished();
    } finally {
      this.run.signal?.removeEventListener('abort', abort);
    }
  }

  /** The sweep's name from spec.json, for the job name and the records. */
  private readSweepName(): string {
    try {
      const spec = readJsonFile(path.join(this.dir, 'spec.json'), 'sweep spec') as { name?: unknown };
      if (typeof spec?.name === 'string' && spec.name) return spec.name;
    } catch {
      // no spec.json (a direct call of the executor): name it after the directory
    }
    return path.basename(this.dir);
  }

  /**
   * Tasks of earlier submissions (a driver that died) that are still queued or running for one
   * of these trials: waited for, not submitted again.
   */
  private async adoptRunningSubmissions(trials: readonly TrialSpec[]): Promise<Set<string>> {
    const adopted = new Set<string>();
    const byId = new Map(trials.map((t) => [t.id, t]));
    const slurmDir = path.join(this.dir, 'slurm');
    const files = fs.readdirSync(slurmDir).filter((f) => f.endsWith('.json')).sort().reverse();
    for (const file of files) {
      let sub: Submission;
      try {
        sub = readJsonFile(path.join(slurmDir, file), 'Slurm submission') as Submission;
      } catch {
        continue; // unreadable: its tasks are simply submitted again
      }
      if (sub?.format !== 'prunelab-slurm-submission' || !Array.isArray(sub.ids) || typeof sub.jobId !== 'string') continue;
      const active = await this.queuedTasks(sub, true);
      if (!active || active.size === 0) continue;
      let used = false;
      for (const index of active.keys()) {
        const spec = byId.get(sub.ids[index]);
        if (!spec || adopted.has(spec.id)) continue;
        adopted.add(spec.id);
        this.tasks.push({ spec, submission: sub, index, finished: false, running: false, staleRecord: this.staleRecords.get(spec.id) });
        used = true;
      }
      if (used) this.submissions.push(sub);
    }
    return adopted;
  }

  /** Writes the script, the ids file and the log links, and submits the array. */
  private async submit(trials: readonly TrialSpec[]): Promise<void> {
    const o = this.options;
    const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
    const slurmDir = path.join(this.dir, 'slurm');
    const script = path.join(slurmDir, `${stamp}.sh`);
    const idsFile = path.join(slurmDir, `${stamp}.ids`);
    const linkDir = path.join(slurmDir, stamp);
    const ids = trials.map((t) => t.id);

    ensureDir(linkDir, 'the Slurm log links');
    ids.forEach((id, i) => {
      const link = path.join(linkDir, `task-${i}.log`);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(path.join('..', '..', 'logs', `${id}.log`), link);
    });
    writeFileAtomic(idsFile, ids.join('\n') + '\n', 'Slurm ids file');

    const args = [
      '--parsable',
      `--array=0-${ids.length - 1}${o.maxParallel ? `%${o.maxParallel}` : ''}`,
      `--job-name=prunelab-${this.sweepName}`,
      `--output=${path.join(linkDir, 'task-%a.log')}`,
      `--chdir=${this.dir}`,
      ...(o.partition ? [`--partition=${o.partition}`] : []),
      ...(o.timeLimit ? [`--time=${o.timeLimit}`] : []),
      ...(o.cpusPerTask ? [`--cpus-per-task=${o.cpusPerTask}`] : []),
      ...(o.memory ? [`--mem=${o.memory}`] : []),
      ...o.extraArgs,
      script,
    ];
    const command = [o.sbatch, ...args];
    writeFileAtomic(script, this.batchScript(idsFile, trials.length, command), 'Slurm batch script');
    fs.chmodSync(script, 0o755);

    const r = await runCommand(o.sbatch, args, 120_000);
    if (r.spawnError) {
      const missing = r.spawnError.code === 'ENOENT';
      throw new UserError(
        missing
          ? `Cannot submit the sweep: the command '${o.sbatch}' was not found. Run the sweep on a machine with the Slurm commands (a login node), or give the sbatch option its path.`
          : `Cannot submit the sweep: running '${o.sbatch}' failed: ${r.spawnError.message}.`,
      );
    }
    const jobId = /^(\d+)(;\S*)?\s*$/.exec(r.stdout.trim())?.[1];
    if (r.code !== 0 || !jobId) {
      const said = (r.stderr.trim() || r.stdout.trim() || '(no output)').replace(/^sbatch: error: /gm, '');
      throw new UserError(`sbatch refused the sweep (exit code ${r.code}): ${said}\nCommand: ${shellLine(command)}\n${sbatchHint(said)}`);
    }
    const submission: Submission = { format: 'prunelab-slurm-submission', jobId, script, ids, submittedAt: new Date().toISOString(), command };
    writeFileAtomic(path.join(slurmDir, `${stamp}.json`), JSON.stringify(submission, null, 2) + '\n', 'Slurm submission');
    this.submissions.push(submission);
    trials.forEach((spec, index) => this.tasks.push({ spec, submission, index, finished: false, running: false, staleRecord: this.staleRecords.get(spec.id) }));
  }

  /** The batch script: array index → trial id → the worker, its output in the trial's log. */
  private batchScript(idsFile: string, n: number, command: string[]): string {
    return [
      '#!/bin/bash',
      `# prunelab sweep '${this.sweepName}': ${n} trial(s), one array task each. Generated by the slurm executor,`,
      `# submitted with:`,
      `#   ${shellLine(command)}`,
      `# Task i runs the trial on line i+1 of the ids file; Slurm writes its output to slurm/<stamp>/task-i.log,`,
      `# a link to logs/<trial id>.log.`,
      `ids=${shellQuote(idsFile)}`,
      'id=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$ids")',
      'if [ -z "$id" ]; then echo "prunelab: no trial for array index $SLURM_ARRAY_TASK_ID in $ids" >&2; exit 3; fi',
      'echo "prunelab: trial $id, Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname), $(date \'+%F %T\')"',
      '# the worker records the executor from this, and the job from SLURM_ARRAY_JOB_ID/SLURM_ARRAY_TASK_ID',
      'export PRUNELAB_SWEEP_EXECUTOR=slurm',
      `exec ${shellLine(this.options.workerCommand)} ${shellQuote(this.dir)} "$id"`,
      '',
    ].join('\n');
  }

  /**
   * The tasks of a submission still in the queue (index → state), or undefined when squeue
   * failed (and `quiet`, or the failures have not lasted long enough to give up).
   * @throws UserError when squeue has failed for {@link SQUEUE_FAILURE_LIMIT_MS}.
   */
  private async queuedTasks(sub: Submission, quiet = false): Promise<Map<number, string> | undefined> {
    const r = await runCommand(this.options.squeue, ['-h', '-r', '-j', sub.jobId, '-o', '%K|%T|%o']);
    // A job that left the controller's memory is "invalid": none of its tasks is queued.
    if (r.code === 0 || /Invalid job id/i.test(r.stderr)) {
      this.squeueFailingSince = undefined;
      return r.code === 0 ? parseSqueue(r.stdout, sub.script) : new Map();
    }
    if (quiet) return undefined;
    const now = Date.now();
    this.squeueFailingSince ??= now;
    if (now - this.squeueFailingSince > SQUEUE_FAILURE_LIMIT_MS) {
      const said = r.spawnError ? r.spawnError.message : r.stderr.trim() || `exit code ${r.code}`;
      throw new UserError(
        `Lost track of Slurm job ${sub.jobId}: '${this.options.squeue}' has failed for ${Math.round(SQUEUE_FAILURE_LIMIT_MS / 60_000)} minutes (${said}). ` +
          `Its tasks go on on the cluster; run the sweep again to wait for them (it finds the job again), or cancel it with scancel ${sub.jobId}.`,
      );
    }
    return undefined;
  }

  private wake: (() => void) | undefined;

  /** Waits `seconds`, or less when the signal aborts. */
  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, seconds * 1000);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async pollUntilFinished(): Promise<void> {
    for (;;) {
      if (this.run.signal?.aborted && this.cancelledAt === undefined) await this.cancel();
      const queued = new Map<Submission, Map<number, string> | undefined>();
      for (const sub of this.submissions) queued.set(sub, await this.queuedTasks(sub));
      // Records after squeue: a task gone from the queue wrote its record before it left.
      for (const task of this.tasks) if (!task.finished) this.readRecord(task);

      const ended: Task[] = [];
      for (const task of this.tasks) {
        if (task.finished) continue;
        const active = queued.get(task.submission);
        if (!active) continue; // squeue failed this time: nothing is known
        const state = active.get(task.index);
        task.running = state === 'RUNNING' || state === 'COMPLETING';
        if (state === undefined) {
          task.leftQueueAt ??= Date.now();
          ended.push(task);
        }
      }
      if (ended.length) await this.recordEnded(ended);
      this.reportProgress();
      if (this.tasks.every((t) => t.finished)) return;

      const cancelling = this.cancelledAt !== undefined;
      if (cancelling && Date.now() - this.cancelledAt! > CANCEL_WAIT_MS) {
        // The controller did not confirm the cancellation in time: say so in the records.
        for (const task of this.tasks) if (!task.finished) this.writeFailed(task, { index: task.index, state: 'CANCELLED' }, `the sweep was interrupted; this run sent scancel ${task.submission.jobId}, but the task had not left the queue 2 minutes later; it runs again on the next start`);
        this.reportProgress();
        return;
      }
      await this.sleep(cancelling ? Math.min(this.options.pollSeconds, 0.5) : this.options.pollSeconds);
    }
  }

  /** `scancel` every submission of this run. @throws UserError when scancel fails (the tasks may still run). */
  private async cancel(): Promise<void> {
    this.cancelledAt = Date.now();
    for (const sub of this.submissions) {
      const r = await runCommand(this.options.scancel, [sub.jobId]);
      if (r.code !== 0) {
        const said = r.spawnError ? r.spawnError.message : r.stderr.trim() || `exit code ${r.code}`;
        throw new UserError(`The sweep was interrupted, but '${this.options.scancel} ${sub.jobId}' failed (${said}): its tasks may still run. Cancel them with: scancel ${sub.jobId}`);
      }
    }
  }

  /** What identifies one record among the attempts of a trial. */
  private static recordKey(record: Partial<TrialRecord>): string {
    return JSON.stringify([record.status, record.startedAt, record.finishedAt, record.executor]);
  }

  /**
   * The records the trials had before this run (failed trials run again), read before anything
   * is submitted or adopted, so that a record a task writes later always differs from them.
   */
  private noteStaleRecords(trials: readonly TrialSpec[]): void {
    for (const t of trials) {
      const file = path.join(this.dir, 'trials', `${t.id}.json`);
      if (!fs.existsSync(file)) continue;
      try {
        this.staleRecords.set(t.id, SlurmRun.recordKey(readJsonFile(file, 'trial record') as Partial<TrialRecord>));
      } catch {
        // unreadable: any readable record that comes is new
      }
    }
  }

  /** Marks the task finished when a record of this run exists and is readable. */
  private readRecord(task: Task): void {
    const file = path.join(this.dir, 'trials', `${task.spec.id}.json`);
    if (!fs.existsSync(file)) return;
    try {
      const record = readJsonFile(file, 'trial record') as Partial<TrialRecord>;
      if (task.staleRecord !== undefined && SlurmRun.recordKey(record) === task.staleRecord) return;
      if (record?.id === task.spec.id && (record.status === 'done' || record.status === 'failed')) {
        if (record.status === 'failed' && record.error?.name === INTERRUPTED && this.cancelledAt === undefined) {
          task.provisional = record as TrialRecord;
          return;
        }
        task.finished = true;
        task.status = record.status;
        task.running = false;
      }
    } catch {
      // a half-visible or corrupt record: not done (the store reports it); the task's state decides
    }
  }

  /** Records, for tasks that left the queue without a record, how Slurm says they ended. */
  private async recordEnded(ended: Task[]): Promise<void> {
    const cancelled = this.cancelledAt !== undefined;
    for (const sub of new Set(ended.map((t) => t.submission))) {
      const states = await this.finalStates(sub);
      for (const task of ended.filter((t) => t.submission === sub)) {
        const known = states.get(task.index);
        const waited = (Date.now() - task.leftQueueAt!) / 1000;
        const grace = this.options.recordGraceSeconds;
        const terminal = known !== undefined && TERMINAL_STATES.has(known.state);
        let state: TaskState;
        if (terminal && known.state !== 'COMPLETED') {
          state = known; // TIMEOUT, OUT_OF_MEMORY, CANCELLED, ...: no record is coming
        } else if (cancelled && !terminal) {
          state = { index: task.index, state: 'CANCELLED' };
        } else if (task.provisional) {
          // The worker stopped on a SIGTERM that this run did not send, and Slurm says COMPLETED or
          // cannot tell: the log may (slurmstepd's *** JOB ... CANCELLED ... *** line)
          if (!terminal && known && waited < grace) continue; // accounting lags behind the queue
          const fromLog = terminal ? undefined : this.stateFromLog(task);
          if (!fromLog) {
            task.finished = true;
            task.status = 'failed';
            task.running = false;
            continue;
          }
          state = { index: task.index, state: fromLog, node: known?.node };
        } else if (waited < grace) {
          continue; // COMPLETED, or accounting not updated yet: give the record time to show up
        } else if (known && TERMINAL_STATES.has(known.state)) {
          state = known;
        } else {
          state = { index: task.index, state: this.stateFromLog(task) ?? 'UNKNOWN', node: known?.node };
        }
        this.readRecord(task); // last look: never overwrite a record that just arrived
        if (!task.finished) this.writeFailed(task, state, this.explain(state, task.submission.jobId), task.provisional);
      }
    }
  }

  /** How the tasks of a submission ended: from sacct, else scontrol (no accounting), else nothing. */
  private async finalStates(sub: Submission): Promise<Map<number, TaskState>> {
    const out = new Map<number, TaskState>();
    if (this.sacctWorks !== false) {
      const r = await runCommand(this.options.sacct, ['-j', sub.jobId, '-X', '-n', '-P', '-o', 'JobID,State,ExitCode,NodeList,Start,End']);
      if (r.code === 0) {
        this.sacctWorks = true;
        for (const t of parseSacct(r.stdout, sub.jobId)) out.set(t.index, t);
        return out;
      }
      // "Slurm accounting storage is disabled": a cluster without slurmdbd (or no sacct at all)
      if (this.sacctWorks === undefined) this.sacctWorks = false;
    }
    const r = await runCommand(this.options.scontrol, ['show', 'job', '-o', sub.jobId]);
    if (r.code === 0) for (const t of parseScontrol(r.stdout, sub.jobId)) out.set(t.index, t);
    return out;
  }

  /** The state the task's log reports (slurmstepd's `*** JOB ... ***` line), if any. */
  private stateFromLog(task: Task): string | undefined {
    const file = path.join(this.dir, 'logs', `${task.spec.id}.log`);
    try {
      const size = fs.statSync(file).size;
      const fd = fs.openSync(file, 'r');
      try {
        const length = Math.min(size, 16_384);
        const buf = Buffer.alloc(length);
        fs.readSync(fd, buf, 0, length, size - length);
        return stateFromLog(buf.toString('utf8'));
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return undefined;
    }
  }

  /** What happened, when this run knows more than the state says: the limits the user set, its own cancel. */
  private explain(state: TaskState, jobId: string): string | undefined {
    const o = this.options;
    if (state.state === 'TIMEOUT') return `it ran past its time limit (${o.timeLimit ? `timeLimit ${o.timeLimit}` : "the partition's default"}); give trials more time with the timeLimit option`;
    if (state.state === 'OUT_OF_MEMORY') return `it ran out of memory (${o.memory ? `memory ${o.memory}` : "the partition's default"}); ask for more with the memory option`;
    if (state.state === 'CANCELLED' && this.cancelledAt !== undefined) return `the sweep was interrupted, and this run cancelled job ${jobId} (scancel); it runs again on the next start`;
    return undefined;
  }

  /**
   * Writes the failed record of a task that ended without one (or with only the worker's
   * `Interrupted`, whose start, executor and environment it keeps).
   */
  private writeFailed(task: Task, state: TaskState, why?: string, workerRecord?: TrialRecord): void {
    const jobId = `${task.submission.jobId}_${task.index}`;
    const log = `logs/${task.spec.id}.log`;
    const finished = slurmTime(state.end) ?? (workerRecord ? new Date(workerRecord.finishedAt) : new Date());
    const started = workerRecord ? new Date(workerRecord.startedAt) : slurmTime(state.start) ?? finished;
    const error = slurmTrialError(state, jobId, log, why);
    if (workerRecord) error.message += ` The worker had stopped on Slurm's SIGTERM and recorded: ${workerRecord.error?.message ?? 'Interrupted'}`;
    // Stopped by this run's interrupt: named so that the next start runs it again.
    if (error.name === 'CANCELLED' && this.cancelledAt !== undefined) error.name = INTERRUPTED;
    const record: TrialRecord = {
      format: 'prunelab-trial',
      version: 1,
      id: task.spec.id,
      sweep: this.sweepName,
      trial: task.spec.trial,
      config: task.spec.config,
      status: 'failed',
      error,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: Math.max(0, (finished.getTime() - started.getTime()) / 1000),
      executor: workerRecord ? { ...workerRecord.executor, name: 'slurm', jobId } : { name: 'slurm', host: state.node ?? os.hostname(), jobId },
      environment: workerRecord?.environment ?? submitterEnvironment(),
      log,
    };
    writeFileAtomic(path.join(this.dir, 'trials', `${task.spec.id}.json`), JSON.stringify(record, null, 2) + '\n', 'trial record');
    // The worker's "running" mark (the store's running/<id>.json), left behind by a killed worker
    fs.rmSync(path.join(this.dir, 'running', `${task.spec.id}.json`), { force: true });
    task.finished = true;
    task.status = 'failed';
    task.running = false;
  }

  private reportProgress(): void {
    const done = this.tasks.filter((t) => t.status === 'done').length;
    const failed = this.tasks.filter((t) => t.status === 'failed').length;
    const running = this.tasks.filter((t) => !t.finished && t.running).length;
    const total = this.tasks.length;
    const key = `${done}/${failed}/${running}/${total}`;
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    const finished = done + failed;
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const progress: SweepProgress = { total, done, failed, running, skipped: 0 };
    if (finished > 0) progress.etaSeconds = (elapsed / finished) * (total - finished);
    this.run.onProgress?.(progress);
  }
}

/** What to do about an sbatch refusal. */
function sbatchHint(said: string): string {
  if (/partition/i.test(said)) return "Check the partition option: 'sinfo -s' lists the partitions you may use.";
  if (/time limit/i.test(said)) return "Check the timeLimit option against the partition's limit ('sinfo -o \"%P %l\"').";
  if (/memory|mem/i.test(said)) return "Check the memory option against the nodes' memory ('sinfo -o \"%P %m\"').";
  if (/array/i.test(said)) return 'The array may exceed the cluster\'s MaxArraySize (scontrol show config | grep MaxArraySize): run the sweep in parts.';
  return 'Check the options partition, timeLimit, cpusPerTask, memory and extraArgs.';
}

/** Slurm's local `2026-01-31T12:00:00` as a Date, or undefined. */
function slurmTime(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The environment fields of a record written here (the trial never reported its own). */
function submitterEnvironment(): TrialRecord['environment'] {
  return { backend: 'unknown (the trial did not finish)', prunelab: packageVersion(), tfjs: tfjsVersion(), node: process.version };
}

let cachedVersion: string | undefined;
/** prunelab's version, from the package.json above this file (source or build tree). */
function packageVersion(): string {
  if (cachedVersion) return cachedVersion;
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'prunelab' && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // not ours; keep looking
    }
  }
  return (cachedVersion = 'unknown');
}

function tfjsVersion(): string {
  try {
    return (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
