/**
 * What the Slurm commands say about a job array, parsed: `squeue` (which tasks are still in the
 * queue), `sacct` and `scontrol show job` (how a finished task ended), and, when the cluster no
 * longer knows the job, the task's own log (slurmstepd writes `*** JOB ... DUE TO TIME LIMIT ***`
 * there). Kept apart from the executor so that each format is tested on its own text.
 */
import { constants } from 'os';
import type { TrialError } from '../types';

/** Where a task stands. */
export interface TaskState {
  /** Array index. */
  index: number;
  /** Slurm state, upper case, without its suffix (`CANCELLED by 0` → `CANCELLED`). */
  state: string;
  /** `exit:signal` as Slurm prints it (`0:15`), when known. */
  exitCode?: string;
  /** The node that ran it, when known. */
  node?: string;
  /** Start and end times as Slurm prints them (local time, `2026-01-31T12:00:00`), when known. */
  start?: string;
  end?: string;
}

/**
 * States after which a task never runs again. Anything else (PENDING, RUNNING, COMPLETING,
 * CONFIGURING, REQUEUED, RESIZING, SUSPENDED, ...) is still on its way.
 */
export const TERMINAL_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'CANCELLED',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
]);

/** `CANCELLED by 0` / `cancelled+` → `CANCELLED`. */
export function normalizeState(raw: string): string {
  return raw.trim().split(/\s+/)[0].replace(/\+$/, '').toUpperCase();
}

/**
 * Array indices of Slurm's `ArrayTaskId` / job-id suffix forms: `3`, `0-4`, `[0-4%2]`,
 * `1,3,5-7`, `0-9:2`.
 */
export function parseIndexList(text: string): number[] {
  const body = text.replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}

/**
 * `squeue -h -r -j <job> -o %K|%T|%o` → index → state of the tasks still in the queue, for the
 * tasks whose command is `script` (so that a job id reused by another cluster is not mistaken
 * for ours). Lines of other shapes are ignored.
 */
export function parseSqueue(text: string, script?: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [index, state, command] = line.trim().split('|');
    if (index === undefined || state === undefined) continue;
    if (script !== undefined && command !== undefined && command !== script) continue;
    for (const i of parseIndexList(index)) out.set(i, normalizeState(state));
  }
  return out;
}

/**
 * `sacct -j <job> -X -n -P -o JobID,State,ExitCode,NodeList,Start,End` → the array's tasks.
 * JobIDs are `<job>_<index>` (or `<job>_[2-5]` for tasks not started); step lines
 * (`<job>_<index>.batch`) and other jobs are ignored.
 */
export function parseSacct(text: string, jobId: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split('\n')) {
    const [id, state, exitCode, node, start, end] = line.trim().split('|');
    if (!id || state === undefined) continue;
    const m = new RegExp(`^${jobId}_(\\[[^\\]]*\\]|\\d+)$`).exec(id);
    if (!m) continue;
    for (const index of parseIndexList(m[1])) {
      out.push({ index, state: normalizeState(state), exitCode: exitCode || undefined, node: known(node), start: known(start), end: known(end) });
    }
  }
  return out;
}

/**
 * `scontrol show job -o <job>` → the array's tasks: one line per task (pending ones grouped as
 * `ArrayTaskId=2-5`), fields `key=value` separated by spaces.
 */
export function parseScontrol(text: string, jobId: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split('\n')) {
    const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
    if (field('ArrayJobId') !== jobId) continue;
    const tasks = field('ArrayTaskId');
    const state = field('JobState');
    if (tasks === undefined || state === undefined) continue;
    for (const index of parseIndexList(tasks)) {
      out.push({
        index,
        state: normalizeState(state),
        exitCode: field('ExitCode'),
        node: known(field('BatchHost') ?? field('NodeList')),
        start: known(field('StartTime')),
        end: known(field('EndTime')),
      });
    }
  }
  return out;
}

/** Slurm's placeholders for a value it does not have. */
function known(v: string | undefined): string | undefined {
  return v === undefined || v === '' || /^(Unknown|None|N\/A|\(null\))$/i.test(v) ? undefined : v;
}

/**
 * How a task ended, read from its log when Slurm no longer knows the job: slurmstepd appends
 * `*** JOB 12 ON node CANCELLED AT ... DUE TO TIME LIMIT ***` and the like to the job's stderr.
 *
 * @returns the state, or undefined when the log says nothing about it.
 */
export function stateFromLog(log: string): string | undefined {
  if (/\*\*\* JOB \S+ ON \S+ CANCELLED AT .* DUE TO TIME LIMIT/.test(log)) return 'TIMEOUT';
  if (/\*\*\* JOB \S+ ON \S+ CANCELLED AT .* DUE TO NODE FAILURE/.test(log)) return 'NODE_FAIL';
  if (/\*\*\* JOB \S+ ON \S+ CANCELLED AT .* DUE TO PREEMPTION/.test(log)) return 'PREEMPTED';
  if (/\*\*\* (JOB|STEP) \S+ ON \S+ CANCELLED AT/.test(log)) return 'CANCELLED';
  if (/oom[-_ ]kill|Out Of Memory|Exceeded job memory limit/i.test(log)) return 'OUT_OF_MEMORY';
  return undefined;
}

/** What went wrong, in the user's terms, for each state that ends a task without a record. */
const EXPLANATIONS: Record<string, string> = {
  TIMEOUT: 'it ran past its time limit; give trials more time with the timeLimit option',
  OUT_OF_MEMORY: 'it ran out of memory; ask for more with the memory option',
  CANCELLED: 'it was cancelled (scancel: an interrupt of the sweep, or the cluster administrator)',
  NODE_FAIL: 'its node failed; run the sweep again with rerun: failed',
  PREEMPTED: 'a job of higher priority preempted it; run the sweep again with rerun: failed',
  BOOT_FAIL: 'its node failed to boot; run the sweep again with rerun: failed',
  DEADLINE: 'it reached its deadline before it could finish',
  FAILED: 'the worker exited with an error before writing the result record',
  COMPLETED: 'the worker exited without writing the result record',
};

/**
 * The trial error of a task that ended without a record: `name` is the Slurm state, the message
 * names the job, the exit code, the node and what to do.
 *
 * @param task how the task ended (state UNKNOWN when nobody could tell).
 * @param jobId `<job>_<index>`.
 * @param log the log's path relative to the results directory.
 * @param why what happened, in the user's terms, when the caller knows better than the state
 *   (e.g. that its own interrupt cancelled the job); default: the state's explanation.
 */
export function slurmTrialError(task: TaskState, jobId: string, log: string, why?: string): TrialError {
  const name = task.state === 'COMPLETED' || task.state === 'UNKNOWN' ? 'FAILED' : task.state;
  const signal = Number(task.exitCode?.split(':')[1] ?? 0);
  const explanation =
    why ??
    (task.state === 'FAILED' && signal > 0
      ? `the worker was killed by signal ${signal}${signalName(signal)} before writing the result record`
      : task.state === 'UNKNOWN'
      ? 'Slurm no longer knows how it ended (sacct is unavailable and the job left scontrol), and the worker wrote no result record'
      : EXPLANATIONS[task.state] ?? `it ended in state ${task.state} without writing the result record`);
  const exit = task.exitCode ? `, exit code ${task.exitCode}` : '';
  const node = task.node ? ` on ${task.node}` : '';
  return { name, message: `Slurm job ${jobId} ended ${task.state}${exit}${node}: ${explanation}. Log: ${log}.` };
}

/** ` (SIGKILL)` for 9, '' for a number without a name. */
function signalName(n: number): string {
  const name = Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
  return name ? ` (${name})` : '';
}
