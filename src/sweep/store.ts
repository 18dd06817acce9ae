/**
 * The results store of a sweep: one directory, plain JSON files that other tools read.
 *
 * ```
 * <dir>/spec.json            the sweep spec (module paths made absolute)
 * <dir>/queue/<id>.json      a TrialSpec, written by the driver before the executor runs
 * <dir>/trials/<id>.json     a TrialRecord, written atomically (done or failed)
 * <dir>/logs/<id>.log        the trial's stdout and stderr
 * <dir>/running/<id>.json    while a worker runs the trial: its host and pid
 * <dir>/checkpoints/<hash>/  dense models shared by the trials (see checkpoints.ts)
 * ```
 *
 * A trial is done when `trials/<id>.json` is a valid record. Records are written through a
 * temporary file and a rename, so a kill never leaves half of one; a record that is corrupt
 * anyway (edited, truncated by a full disk) is reported with its path and counts as not done.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type * as Danfo from 'danfojs-node';
import { datasetCacheRoot } from '../data/locate';
import { UserError } from '../errors';
import { ensureDir, readJsonFile, writeFileAtomic } from '../io/files';
import { toDataFrame as framesToDataFrame } from '../report/frames';
import { canonicalJson, packageVersion } from './ids';
import type { SweepSpec, TrialError, TrialRecord, TrialSpec } from './types';

/** Error name of a trial stopped because the sweep was stopped: it runs again on the next start. */
export const INTERRUPTED = 'Interrupted';

/**
 * The default results directory of a sweep: `$PRUNELAB_SWEEP_ROOT/<name>` when that is set (e.g.
 * a directory on a cluster's shared file system, for notebooks that run their sweeps on Slurm),
 * else `$XDG_CACHE_HOME/prunelab/sweeps/<name>` (default `~/.cache/...`).
 */
export function defaultSweepDir(name: string): string {
  const root = process.env.PRUNELAB_SWEEP_ROOT?.trim();
  if (root) return path.join(path.resolve(root), name);
  // the dataset cache's root is prunelab's cache root (XDG_CACHE_HOME, or ~/.cache)
  return path.join(path.dirname(datasetCacheRoot()), 'sweeps', name);
}

/** Paths of one trial's files. */
export function trialPaths(dir: string, id: string): { queue: string; record: string; log: string; running: string } {
  return {
    queue: path.join(dir, 'queue', `${id}.json`),
    record: path.join(dir, 'trials', `${id}.json`),
    log: path.join(dir, 'logs', `${id}.log`),
    running: path.join(dir, 'running', `${id}.json`),
  };
}

/** Path of the spec file. */
export function specPath(dir: string): string {
  return path.join(dir, 'spec.json');
}

/** Writes `spec.json`. */
export function writeSpec(dir: string, spec: SweepSpec): void {
  writeFileAtomic(specPath(dir), JSON.stringify(spec, null, 1) + '\n', 'sweep spec');
}

/** Reads `spec.json`, or undefined when there is none. @throws UserError when it is not a spec. */
export function readSpec(dir: string): SweepSpec | undefined {
  if (!fs.existsSync(specPath(dir))) return undefined;
  const spec = readJsonFile(specPath(dir), 'sweep spec') as SweepSpec;
  if (!spec || typeof spec !== 'object' || typeof spec.name !== 'string' || typeof spec.trial !== 'string') {
    throw new UserError(`${specPath(dir)} is not a sweep spec (it needs a name and a trial); is ${dir} a sweep's results directory?`);
  }
  return spec;
}

/** Writes `queue/<id>.json` for each trial. */
export function writeQueue(dir: string, trials: readonly TrialSpec[]): void {
  for (const t of trials) writeFileAtomic(trialPaths(dir, t.id).queue, JSON.stringify(t) + '\n', 'trial spec');
}

/** Reads `queue/<id>.json`. @throws UserError naming the file when it is missing or malformed. */
export function readQueued(dir: string, id: string): TrialSpec {
  const file = trialPaths(dir, id).queue;
  const t = readJsonFile(file, 'trial spec') as TrialSpec;
  if (!t || typeof t !== 'object' || t.id !== id || typeof t.trial !== 'string' || !t.config || typeof t.config !== 'object') {
    throw new UserError(`${file} is not the trial spec of ${id} (it needs id, trial and config).`);
  }
  return t;
}

/** Ids of the queued trials (sorted). */
export function queuedIds(dir: string): string[] {
  return jsonIds(path.join(dir, 'queue'));
}

function jsonIds(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Writes a trial's record atomically. */
export function writeRecord(dir: string, record: TrialRecord): void {
  writeFileAtomic(trialPaths(dir, record.id).record, JSON.stringify(record, null, 1) + '\n', 'trial record');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with a parsed record, or undefined. */
export function recordProblem(r: unknown, id?: string): string | undefined {
  if (!isObject(r)) return 'it is not a JSON object';
  if (r.format !== 'prunelab-trial') return `its format is ${JSON.stringify(r.format)}, not "prunelab-trial"`;
  if (r.version !== 1) return `its format version is ${JSON.stringify(r.version)}; this prunelab reads version 1`;
  if (typeof r.id !== 'string') return 'it has no id';
  if (id !== undefined && r.id !== id) return `it holds trial ${r.id}, not ${id} (a file renamed or copied over another)`;
  for (const k of ['sweep', 'trial', 'startedAt', 'finishedAt', 'log'] as const) if (typeof r[k] !== 'string') return `its field ${k} is missing or not a string`;
  if (!isObject(r.config)) return 'its config is missing';
  if (typeof r.seconds !== 'number') return 'its seconds are missing';
  if (!isObject(r.executor) || typeof r.executor.name !== 'string') return 'its executor is missing';
  if (!isObject(r.environment)) return 'its environment is missing';
  if (r.status === 'done') {
    if (!isObject(r.metrics)) return 'it is done but has no metrics';
  } else if (r.status === 'failed') {
    if (!isObject(r.error) || typeof r.error.name !== 'string' || typeof r.error.message !== 'string') return 'it failed but has no error name and message';
  } else return `its status is ${JSON.stringify(r.status)}, not done or failed`;
  return undefined;
}

/** A record file that could not be used. */
export interface CorruptRecord {
  /** Absolute path of the file. */
  path: string;
  /** What is wrong with it. */
  problem: string;
}

/** Reads one record; `undefined` when there is none; a {@link CorruptRecord} when it is unusable. */
export function readRecord(dir: string, id: string): TrialRecord | CorruptRecord | undefined {
  const file = trialPaths(dir, id).record;
  if (!fs.existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = readJsonFile(file, 'trial record');
  } catch (e) {
    return { path: path.resolve(file), problem: (e as Error).message };
  }
  const problem = recordProblem(parsed, id);
  return problem ? { path: path.resolve(file), problem: `Corrupt trial record ${path.resolve(file)}: ${problem}.` } : (parsed as TrialRecord);
}

/** True for a {@link CorruptRecord}. */
export function isCorrupt(r: TrialRecord | CorruptRecord | undefined): r is CorruptRecord {
  return !!r && 'problem' in r && !('format' in r);
}

/** Every record of a directory, and the unusable files. */
export interface LoadedRecords {
  /** Valid records by id. */
  records: Map<string, TrialRecord>;
  /** Record files that are corrupt or truncated (their trials count as not done). */
  corrupt: CorruptRecord[];
}

/** Reads and validates every `trials/*.json`. */
export function loadRecords(dir: string): LoadedRecords {
  const records = new Map<string, TrialRecord>();
  const corrupt: CorruptRecord[] = [];
  for (const id of jsonIds(path.join(dir, 'trials'))) {
    const r = readRecord(dir, id);
    if (isCorrupt(r)) corrupt.push(r);
    else if (r) records.set(id, r);
  }
  return { records, corrupt };
}

/** Whether a record means the trial still has to run (it was stopped with the sweep). */
export function wasInterrupted(r: TrialRecord): boolean {
  return r.status === 'failed' && r.error?.name === INTERRUPTED;
}

/** The runtime facts a record holds. */
export function environment(): TrialRecord['environment'] {
  return { backend: safeBackend(), prunelab: packageVersion(), tfjs: tf.version.tfjs, node: process.version };
}

function safeBackend(): string {
  try {
    return tf.getBackend() ?? 'none';
  } catch {
    return 'none';
  }
}

/**
 * The record an executor writes for a trial whose process ended without one (killed by a
 * signal, crashed, cancelled or timed out by a scheduler, or stopped with the sweep).
 *
 * @param trial the trial.
 * @param sweep the sweep's name.
 * @param error why it did not finish (`{ name: 'Signal', message: 'killed by SIGKILL' }`, `TIMEOUT`, ...).
 * @param o when it started, and the executor (name, host, pid, job id).
 */
export function failedRecord(
  trial: TrialSpec,
  sweep: string,
  error: TrialError,
  o: { startedAt: Date; executor: TrialRecord['executor']; backend?: string },
): TrialRecord {
  const finished = new Date();
  return {
    format: 'prunelab-trial',
    version: 1,
    id: trial.id,
    sweep,
    trial: trial.trial,
    config: trial.config,
    status: 'failed',
    error,
    startedAt: o.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: (finished.getTime() - o.startedAt.getTime()) / 1000,
    executor: o.executor,
    environment: { backend: o.backend ?? process.env.PRUNELAB_BACKEND ?? 'unknown', prunelab: packageVersion(), tfjs: tf.version.tfjs, node: process.version },
    log: path.posix.join('logs', `${trial.id}.log`),
  };
}

/** The last lines of a trial's log (for error messages), or '' when it has none. */
export function logTail(dir: string, id: string, lines = 5): string {
  try {
    const text = fs.readFileSync(trialPaths(dir, id).log, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** What a worker writes to `running/<id>.json` while it runs a trial. */
export interface RunningMark {
  /** Host of the worker. */
  host: string;
  /** Its process id. */
  pid: number;
  /** When it started (ISO). */
  startedAt: string;
}

/** Marks a trial as running (by this process). */
export function markRunning(dir: string, id: string): void {
  writeFileAtomic(trialPaths(dir, id).running, JSON.stringify({ host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() }), 'running mark');
}

/** Removes a trial's running mark. */
export function clearRunning(dir: string, id: string): void {
  fs.rmSync(trialPaths(dir, id).running, { force: true });
}

/** Ids of the trials marked running whose worker is alive (or on another host, where it cannot be checked). */
export function runningIds(dir: string): string[] {
  return jsonIds(path.join(dir, 'running')).filter((id) => {
    try {
      const m = JSON.parse(fs.readFileSync(trialPaths(dir, id).running, 'utf8')) as RunningMark;
      if (m.host !== os.hostname()) return true;
      process.kill(m.pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  });
}

/**
 * One row of a sweep's results: the trial's configuration, its metrics, status, seconds and id.
 * A metric replaces a config field of the same name (prune-finetune reports the achieved
 * `sparsity`, as `evaluateVariants` does; the requested one is its `target`).
 */
export type SweepRow = Record<string, unknown> & { id: string; status: 'done' | 'failed'; seconds: number };

/** One failed trial. */
export interface FailedTrial {
  /** The trial's id. */
  id: string;
  /** Its configuration. */
  config: Record<string, unknown>;
  /** Why it failed. */
  error: TrialError;
  /** Its log file (absolute). */
  log: string;
}

/** What {@link loadSweep} returns. */
export interface SweepResults {
  /** The results directory (absolute). */
  dir: string;
  /** The spec, when `spec.json` is there. */
  spec?: SweepSpec;
  /** One row per done trial (config fields, then metrics, then `status`, `seconds`, `id`), in grid order. */
  rows: SweepRow[];
  /** The failed trials (interrupted ones included), with their errors. */
  failed: FailedTrial[];
  /** Record files that are corrupt or truncated, with their paths (those trials count as not done). */
  corrupt: CorruptRecord[];
}

/** A done record as a row. */
export function recordRow(r: TrialRecord): SweepRow {
  return { ...r.config, ...(r.metrics ?? {}), status: r.status, seconds: r.seconds, id: r.id };
}

/**
 * Reads a sweep's results directory.
 *
 * @param dir the results directory, or a sweep's name (its default directory).
 * @param ids only these trials (default: every record in the directory).
 * @throws UserError when the directory does not exist.
 */
export function loadSweep(dir: string, ids?: Iterable<string>): SweepResults {
  const abs = resolveSweepDir(dir);
  const { records, corrupt } = loadRecords(abs);
  const wanted = ids ? new Set(ids) : undefined;
  const spec = readSpec(abs);
  const chosen = [...records.values()].filter((r) => !wanted || wanted.has(r.id));
  if (wanted) {
    const at = new Map([...wanted].map((id, i) => [id, i]));
    chosen.sort((a, b) => at.get(a.id)! - at.get(b.id)!);
  } else if (spec) {
    // by the configs, not the rows: a metric may replace a config field (prune-finetune's sparsity)
    const byGrid = gridOrder(spec);
    chosen.sort((a, b) => byGrid({ ...a.config, id: a.id }, { ...b.config, id: b.id }));
  }
  const rows: SweepRow[] = [];
  const failed: FailedTrial[] = [];
  for (const r of chosen) {
    if (r.status === 'done') rows.push(recordRow(r));
    else failed.push({ id: r.id, config: r.config, error: r.error!, log: path.join(abs, r.log) });
  }
  return { dir: abs, spec, rows, failed, corrupt: wanted ? corrupt.filter((c) => wanted.has(path.basename(c.path, '.json'))) : corrupt };
}

/**
 * Compares configs in the order the spec's grid expands (the first grid field slowest; the
 * grids of a list one after the other), without resolving the spec: by the first grid whose
 * values the config has, then by the position of each value in its list. Configs that fit no
 * grid (an earlier version of it) come last; ties by id.
 */
function gridOrder(spec: SweepSpec): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  const grids = (Array.isArray(spec.grid) ? spec.grid : [spec.grid]) as Record<string, readonly unknown[]>[];
  const indexed = grids.map((g) => Object.entries(g ?? {}).map(([field, values]) => ({ field, index: new Map(values.map((v, i) => [canonicalJson(v), i])) })));
  const key = (r: Record<string, unknown>): number[] => {
    for (let g = 0; g < indexed.length; g++) {
      const pos = indexed[g].map(({ field, index }) => index.get(canonicalJson(r[field])));
      if (pos.every((p) => p !== undefined)) return [g, ...(pos as number[])];
    }
    return [Infinity];
  };
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0;
  };
}

/**
 * A results directory from a directory or a sweep's name.
 * @throws UserError naming both places when neither exists.
 */
export function resolveSweepDir(dirOrName: string): string {
  const asDir = path.resolve(dirOrName);
  if (fs.existsSync(asDir) && fs.statSync(asDir).isDirectory()) return asDir;
  if (/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(dirOrName)) {
    const byName = defaultSweepDir(dirOrName);
    if (fs.existsSync(byName)) return byName;
    throw new UserError(`No sweep results at ${asDir} or ${byName}; give the results directory of a sweep (its --dir), or the name of one run in the default location.`);
  }
  throw new UserError(`No sweep results at ${asDir}; give the results directory of a sweep (its --dir), or its name.`);
}

/** A sweep's counts, for `%sweep status`. */
export interface SweepStatus {
  /** The results directory. */
  dir: string;
  /** The sweep's name (from spec.json). */
  name?: string;
  /** Queued trials. */
  total: number;
  /** Done trials. */
  done: number;
  /** Failed trials (interrupted ones included). */
  failed: number;
  /** Trials a live worker is running now. */
  running: number;
  /** Queued trials without a record (running ones included). */
  pending: number;
  /** Corrupt record files. */
  corrupt: CorruptRecord[];
}

/** Counts of a sweep's trials from its results directory (works while the sweep runs). */
export function sweepStatus(dirOrName: string): SweepStatus {
  const dir = resolveSweepDir(dirOrName);
  const queued = queuedIds(dir);
  const { records, corrupt } = loadRecords(dir);
  let done = 0;
  let failed = 0;
  for (const id of queued) {
    const r = records.get(id);
    if (r?.status === 'done') done++;
    else if (r) failed++;
  }
  const running = runningIds(dir).filter((id) => queued.includes(id)).length;
  return { dir, name: readSpec(dir)?.name, total: queued.length, done, failed, running, pending: queued.length - done - failed, corrupt };
}

/** A one-line summary of a status. */
export function statusLine(s: SweepStatus): string {
  return (
    `sweep ${s.name ?? '?'} at ${s.dir}: ${s.done}/${s.total} done, ${s.failed} failed, ${s.running} running, ${s.pending - s.running} waiting` +
    (s.corrupt.length ? `, ${s.corrupt.length} corrupt record${s.corrupt.length > 1 ? 's' : ''}` : '')
  );
}

/**
 * Rows as a danfojs DataFrame, with every column any row has (rows of trials with different
 * method options differ in their keys; missing cells are NaN). danfojs makes each column a
 * property of the frame, so a column named like one of the frame's own members (`index`,
 * `values`, `mean`, ...) would replace it and break the frame: such a column gets a `_` suffix.
 */
export function rowsToDataFrame(rows: readonly Record<string, unknown>[]): Danfo.DataFrame {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), columns.push(k));
  const reserved = frameMembers();
  const names = columns.map((c) => (reserved.has(c) ? `${c}_` : c));
  const cells = rows.map((r) => Object.fromEntries(columns.map((c, i) => [names[i], cell(r[c])])));
  return framesToDataFrame(cells, names);
}

let members: Set<string> | undefined;

/** Names of a danfojs DataFrame's own members. */
function frameMembers(): Set<string> {
  if (!members) {
    const frame = framesToDataFrame([{ a: 1 }], ['a']) as unknown as object;
    members = new Set(Object.getOwnPropertyNames(frame));
    for (let p = Object.getPrototypeOf(frame); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) for (const n of Object.getOwnPropertyNames(p)) members.add(n);
    members.delete('a');
  }
  return members;
}

/** Cells danfojs can hold: lists as text, null as NaN. */
function cell(v: unknown): unknown {
  if (v === null || v === undefined) return NaN;
  if (Array.isArray(v) || typeof v === 'object') return JSON.stringify(v);
  return v;
}

/** Creates the directory layout (for executors that need the folders to exist, e.g. for log files). */
export function ensureLayout(dir: string): void {
  for (const sub of ['queue', 'trials', 'logs', 'running']) ensureDir(path.join(dir, sub), 'the sweep results');
}
