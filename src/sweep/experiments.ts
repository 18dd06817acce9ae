/**
 * Sweep-backed twins of the notebooks' experiment drivers: `sparsitySweep`, `variantSweep`,
 * `scheduleSweep` and `iterativeSweep` (Han et al.'s protocol) take the options of the in-process drivers (`pl.report.sparsitySweep`,
 * `variantSweep`, `scheduleSweep`) plus a sweep name, and return the same `{ data, runs, rows }`
 * (and `curves`), so a notebook switches by naming the sweep:
 *
 *     const mnist = await pl.report.sparsitySweep({ data, seeds, sparsities, dense });     // in this process
 *     const mnist = await pl.sweeps.sparsitySweep({ name: `01-mnist-${budget}`, data, seeds, sparsities, dense });
 *
 * Each (variant, seed) is one trial of a sweep (`prune-finetune`; `schedule-finetune` for the
 * schedules), run on the sweep's executor (`PRUNELAB_EXECUTOR`, default a local pool of worker
 * processes; `slurm` for a cluster) and recorded in the results directory, so running the cell
 * again after an interruption runs only the trials without a record. The rows are rebuilt from
 * the records in the in-process driver's order and columns; the dense models come from the
 * sweep's checkpoints (`pl.sweeps.denseRun`), so the notebook's other cells (weight snapshots,
 * Han's protocol, timings) run on the very models the sweep pruned.
 *
 * Calls with the same name share one results directory and its dense checkpoints: notebook 03
 * runs its allocation and structure variants of the same dense models as two calls of one sweep.
 */
import * as path from 'path';
import { OptionError, UnknownNameError, UserError } from '../errors';
import { InterruptedError } from '../interrupt';
import { experimentData, type DataSpec } from '../experiments/data';
import { comparedSchedules, type CurveRow, type MeasuredSparsity, type RoundRow, type ScheduleSweepOptions, type ScheduleSweepResult } from '../experiments/protocols';
import { disposeRuns, scaledRecipe, type DenseRun, type TrainRecipe } from '../experiments/runs';
import type { PruneOptions } from '../prune';
import type { PruneVariant, SparsitySweepOptions, SweepResult, VariantRow, VariantSweepOptions } from '../experiments/variants';
import type { Logger } from '../experiments/log';
import { densityField, recipeFields, sweepDenseRun } from './builtin-trials';
import { checkpointsRoot } from './checkpoints';
import { expandSpec } from './spec';
import { defaultSweepDir, resolveSweepDir, type SweepRow } from './store';
import { sweep, type RerunMode, type SweepOptions, type SweepSummary } from './sweep';
import type { Grid, SweepSpec, TrialConfig } from './types';

/** How the grid of a sweep-backed driver runs. */
export interface SweepRunOptions {
  /** The sweep's name (letters, digits, `-`, `_`): its results directory is `<sweeps>/<name>` unless `dir` is given. */
  name: string;
  /** Results directory (default `$PRUNELAB_SWEEP_ROOT/<name>`, else `~/.cache/prunelab/sweeps/<name>`); on a cluster, on the shared file system. */
  dir?: string;
  /** `local` (default), `slurm`, or another registered executor (default `PRUNELAB_EXECUTOR`, else `local`). */
  executor?: SweepOptions['executor'];
  /** Trials at the same time (local: worker processes, default the number of cores; Slurm: the array's `%N`). */
  workers?: number;
  /** The executor's own options (Slurm: partition, timeLimit, ...; `PRUNELAB_SLURM_*` fill them too). */
  executorOptions?: Record<string, unknown>;
  /** `none` (default): trials with a record are kept; `failed`: failed ones run again; `all`: everything runs again. */
  rerun?: RerunMode;
  /** `bar` (default, the notebook's progress bar), `console`, or `none`. */
  progress?: SweepOptions['progress'];
  /** Stops the sweep (default: the notebook cell's interrupt). */
  signal?: AbortSignal;
}

/** What a sweep-backed driver returns besides the in-process driver's fields. */
export interface SweepBacked {
  /** The sweep's summary: results directory, counts, trials run and skipped this time. */
  sweep: SweepSummary;
}

/** {@link sparsitySweep}'s result: the in-process driver's, and the sweep's summary. */
export type SweptVariants = SweepResult & SweepBacked;
/** {@link scheduleSweep}'s result: the in-process driver's, and the sweep's summary. */
export type SweptSchedules = ScheduleSweepResult & SweepBacked;

/** The options of `prune` that a `prune-finetune` trial takes as fields (besides the method and its options). */
const PRUNE_FIELDS = ['sparsity', 'granularity', 'scope', 'groupReduce', 'keepFirstDense', 'keepLastDense', 'include', 'exclude'] as const;

/** Options of a sweep-backed driver that are not the sweep's. */
function sweepOptions(o: SweepRunOptions): SweepOptions {
  return { dir: o.dir, executor: o.executor, workers: o.workers, executorOptions: o.executorOptions, rerun: o.rerun, progress: o.progress, signal: o.signal };
}

/** The shared fields of every trial: data, model, dense recipe. */
function denseFixed(o: { data: DataSpec; model?: string; dense: TrainRecipe }): Record<string, unknown> {
  const fixed: Record<string, unknown> = { dataset: o.data.dataset, model: o.model ?? 'lenet-300-100', ...recipeFields('dense', o.dense) };
  if (o.data.trainSubset !== undefined) fixed.trainSubset = o.data.trainSubset;
  if (o.data.testSubset !== undefined) fixed.testSubset = o.data.testSubset;
  if (o.data.normalize !== undefined && o.data.normalize !== 'unit') fixed.normalize = o.data.normalize;
  return fixed;
}

/**
 * `prune` options as trial fields: the method (from `method` or a criterion's name), its options,
 * and the pruning fields.
 * @param at who asks, for messages. @param inProcess the in-process driver to suggest instead.
 * @throws OptionError for an option a trial in another process cannot take (an object criterion,
 *   a per-layer scope, data, updates, a seed), naming it and the in-process alternative.
 */
function pruneFields(options: PruneOptions, at: string, inProcess: string): Record<string, unknown> {
  const { criterion, method, methodOptions, ...rest } = options;
  if (criterion !== undefined && method !== undefined) throw new OptionError(`${at}: give method or criterion, not both.`, 'method');
  const name = method ?? criterion ?? 'magnitude';
  if (typeof name !== 'string') {
    throw new OptionError(`${at}: the criterion is an object; a sweep's trials run in other processes and take a registered method's name (pl.listMethods()). Run it in this process with ${inProcess}.`, 'criterion');
  }
  const fields: Record<string, unknown> = { method: name, ...(methodOptions ?? {}) };
  for (const [k, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    if (!(PRUNE_FIELDS as readonly string[]).includes(k)) {
      throw new OptionError(
        `${at}: option '${k}' cannot go into a sweep (its trials take the method, its options and ${PRUNE_FIELDS.join(', ')}; a random criterion draws with the trial's seed). Run it in this process with ${inProcess}.`,
        k,
      );
    }
    if ((k === 'scope' || k === 'granularity') && typeof value !== 'string') {
      throw new OptionError(`${at}: ${k} must be a name in a sweep (e.g. ${k === 'scope' ? "'global'" : "'block:4x4'"}), not an object. Run it in this process with ${inProcess}.`, k);
    }
    fields[k] = value;
  }
  return fields;
}

/** A variant as `prune-finetune` fields: its label, method, method options and pruning fields. */
export function variantFields(v: PruneVariant, where: string): Record<string, unknown> {
  return { label: v.method, ...pruneFields(v.options, `${where}: variant '${v.method}'`, 'pl.report.variantSweep') };
}

/** One grid per part (a variant, a schedule), each over the seeds: the trials of a part in seed order. */
interface GridRun {
  summary: SweepSummary;
  /** For each part, its trials' configurations and rows, in seed order. */
  parts: { config: TrialConfig; row: SweepRow }[][];
}

/**
 * Runs a sweep whose grid is a list of parts and hands back each part's rows in order.
 * @throws UserError listing the failed trials (their records are kept: fix the cause, run again
 *   with `rerun: 'failed'`); KeyboardInterrupt when stopped.
 */
async function runParts(name: string, trial: string, parts: Grid[], fixed: Record<string, unknown>, o: SweepRunOptions, checkpoints?: string): Promise<GridRun> {
  // each part expanded on its own: its trial ids in order, even when two parts are one trial
  const partTrials = parts.map((grid) => expandSpec({ name, trial, grid, fixed }).trials);
  const spec: SweepSpec = { name, trial, grid: parts, fixed, ...(checkpoints !== undefined ? { checkpoints } : {}) };
  const summary = await sweep(spec, sweepOptions(o));
  if (summary.failures.length) {
    const lines = summary.failures.slice(0, 5).map((f) => `  ${describeConfig(f.config)}: ${f.error.name}: ${f.error.message} (log: ${f.log})`);
    throw new UserError(
      `Sweep '${name}': ${summary.failures.length} of ${summary.total} trials failed:\n${lines.join('\n')}${summary.failures.length > 5 ? '\n  ...' : ''}\n` +
        `The ${summary.done} done trials are kept in ${summary.dir}; fix the cause and run it again with rerun: 'failed'.`,
    );
  }
  if (summary.pending > 0) {
    throw new InterruptedError(`Sweep '${name}' stopped: ${summary.done} of ${summary.total} trials done (results in ${summary.dir}); run it again to resume.`);
  }
  const byId = new Map(summary.rows.map((r) => [r.id, r]));
  return { summary, parts: partTrials.map((ts) => ts.map((t) => ({ config: t.config, row: byId.get(t.id)! }))) };
}

function describeConfig(c: Record<string, unknown>): string {
  const keys = ['label', 'schedule', 'method', 'sparsity', 'granularity', 'seed'].filter((k) => c[k] !== undefined);
  return keys.map((k) => `${k} ${JSON.stringify(c[k])}`).join(', ');
}

/** A record's number (JSON keeps NaN and Infinity as null). */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** The dense run of each seed from the sweep's checkpoints, in seed order. */
async function denseRuns(dir: string, seeds: readonly number[], configs: readonly TrialConfig[], log: Logger): Promise<DenseRun[]> {
  const runs: DenseRun[] = [];
  try {
    for (const seed of seeds) runs.push(await sweepDenseRun(dir, configs.find((c) => c.seed === seed)!, log));
  } catch (e) {
    disposeRuns(runs);
    throw e;
  }
  return runs;
}

/**
 * `evaluateVariants` over `trainDenseRuns`, as a sweep: each (variant, seed) is a
 * `prune-finetune` trial. Same options as `pl.report.variantSweep` plus the sweep's.
 *
 * @returns the data, the dense runs (from the sweep's checkpoints; dispose with `disposeRuns`),
 *   one row per (variant, seed) in `evaluateVariants`'s order and columns (`method` = the
 *   variant's label, `target` = its sparsity or NaN), and the sweep's summary.
 * @throws OptionError for a variant a sweep cannot run, before any trial starts; UserError
 *   listing failed trials; KeyboardInterrupt when interrupted (run it again to resume).
 */
export async function variantSweep(o: VariantSweepOptions & SweepRunOptions): Promise<SweptVariants> {
  const where = `variantSweep '${o.name}'`;
  if (!Array.isArray(o.variants) || o.variants.length === 0) throw new OptionError(`${where}: give at least one variant { method, options }.`, 'variants');
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw new OptionError(`${where}: give the seeds, e.g. seeds: [1, 2, 3].`, 'seeds');
  const log = o.log ?? console.log;
  const fixed = { ...denseFixed(o), ...(o.finetune ? { finetune: true, ...recipeFields('finetune', o.finetune) } : { finetune: false }) };
  const parts: Grid[] = o.variants.map((v) => {
    const grid: Grid = {};
    for (const [k, value] of Object.entries(variantFields(v, where))) grid[k] = [value];
    grid.seed = o.seeds;
    return grid;
  });
  const { summary, parts: done } = await runParts(o.name, 'prune-finetune', parts, fixed, o);
  const rows: VariantRow[] = done.flatMap((trials, i) =>
    trials.map(({ row }) => {
      const params = num(row.params);
      const remaining = num(row.remaining);
      return {
        method: o.variants[i].method, seed: row.seed as number, target: o.variants[i].options.sparsity ?? NaN, sparsity: num(row.sparsity), remaining,
        compression: params / remaining, accuracyDense: num(row.accuracyDense), accuracyPruned: num(row.accuracyPruned), accuracyFinetuned: num(row.accuracyFinetuned),
      };
    }),
  );
  const data = await experimentData(o.data);
  const runs = await denseRuns(summary.dir, o.seeds, done[0].map((t) => t.config), log);
  return { data, runs, rows, sweep: summary };
}

/**
 * `pl.report.sparsitySweep` as a sweep: a dense model per seed, pruned one-shot to each sparsity
 * and fine-tuned, each (sparsity, seed) a `prune-finetune` trial. Same options plus the sweep's;
 * the same `{ data, runs, rows }` (rows per (sparsity, seed), `method` labelled as there), and
 * the sweep's summary.
 */
export async function sparsitySweep(o: SparsitySweepOptions & SweepRunOptions): Promise<SweptVariants> {
  // the in-process driver's variants and default fine-tuning, exactly
  const method = o.method ?? (typeof o.prune?.scope === 'string' ? o.prune.scope : 'magnitude');
  const variants = o.sparsities.map((s) => ({ method, options: { criterion: 'magnitude', ...o.prune, sparsity: s } }));
  return variantSweep({ ...o, variants, finetune: o.finetune ?? scaledRecipe(o.dense, 0.1, { epochs: 1, steps: undefined }) });
}

/**
 * `pl.report.scheduleSweep` (`scheduleComparison` over `trainDenseRuns`) as a sweep: each
 * (schedule, seed) is a `schedule-finetune` trial. Same options plus the sweep's.
 *
 * @returns the data, the dense runs (from the sweep's checkpoints), `rows` and `curves` in
 *   `scheduleComparison`'s order and shape, and the sweep's summary.
 */
export async function scheduleSweep(o: ScheduleSweepOptions & SweepRunOptions): Promise<SweptSchedules> {
  const where = `scheduleSweep '${o.name}'`;
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw new OptionError(`${where}: give the seeds, e.g. seeds: [1, 2, 3].`, 'seeds');
  const log = o.log ?? console.log;
  const known = comparedSchedules(o).map((c) => c.method);
  for (const s of o.schedules ?? []) {
    if (!known.includes(s)) throw new UnknownNameError('schedule', s, known, `${where}: unknown schedule '${s}'. The schedules of these options: ${known.join(', ')}.`);
  }
  const labels = known.filter((m) => !o.schedules || o.schedules.includes(m));
  const prune = o.prune ?? {};
  for (const k of ['criterion', 'method'] as const) {
    if (prune[k] !== undefined) throw new OptionError(`${where}: the schedules of a sweep prune by magnitude; leave out prune.${k}, or run it in this process with pl.report.scheduleSweep.`, k);
  }
  const { method: _magnitude, ...pruning } = pruneFields(prune, `${where}: prune`, 'pl.report.scheduleSweep');
  const { epochs: _epochs, steps: _steps, ...finetune } = o.finetune;
  const fixed: Record<string, unknown> = {
    ...denseFixed(o), ...pruning, sparsity: o.sparsity, steps: o.steps, rounds: o.rounds, evalEvery: o.evalEvery,
    ...recipeFields('finetune', finetune),
  };
  for (const k of ['pruneFraction', 'agpFrequency', 'curveExamples'] as const) if (o[k] !== undefined) fixed[k] = o[k];
  const parts: Grid[] = labels.map((schedule) => ({ schedule: [schedule], seed: o.seeds }));
  const { summary, parts: done } = await runParts(o.name, 'schedule-finetune', parts, fixed, o);
  const rows: VariantRow[] = [];
  const curves: CurveRow[] = [];
  done.forEach((trials, i) => {
    for (const { row } of trials) {
      const seed = row.seed as number;
      const params = num(row.params);
      const remaining = num(row.remaining);
      rows.push({
        method: labels[i], seed, target: o.sparsity, sparsity: num(row.sparsity), remaining, compression: params / remaining,
        accuracyDense: num(row.accuracyDense), accuracyPruned: NaN, accuracyFinetuned: num(row.accuracyFinetuned),
      });
      const steps = row.curveStep as number[];
      const sparsity = row.curveSparsity as number[];
      const accuracy = row.curveAccuracy as number[];
      steps.forEach((step, j) => curves.push({ method: labels[i], seed, step, sparsity: num(sparsity[j]), accuracy: num(accuracy[j]) }));
    }
  });
  const data = await experimentData(o.data);
  const runs = await denseRuns(summary.dir, o.seeds, done[0].map((t) => t.config), log);
  return { data, runs, rows, curves, sweep: summary };
}

/** Options of {@link iterativeSweep}. */
export interface IterativeSweepOptions extends SweepRunOptions {
  /** The data (dataset registry name and subsets). */
  data: DataSpec;
  /** Zoo model name (default `lenet-300-100`). */
  model?: string;
  /** Seeds: one dense model and one protocol run each. */
  seeds: number[];
  /** Dense training recipe. */
  dense: TrainRecipe;
  /** Final fraction kept per layer name, e.g. `{ fc1: 0.08, fc2: 0.09, fc3: 0.26 }`. */
  density: Record<string, number>;
  /** Prune–retrain rounds. */
  rounds: number;
  /** Retraining after each round. */
  retrain: TrainRecipe;
  /** Retraining after the last round (default `retrain`). */
  finalRetrain?: TrainRecipe;
  /**
   * Another sweep (its name or results directory) whose dense checkpoints to start from, so
   * that the protocol prunes the very dense models of that sweep and none is trained twice.
   */
  denseFrom?: string;
}

/** {@link iterativeSweep}'s result. */
export interface SweptIterative extends SweepBacked {
  /** One row per (seed, round) in `iterativePruneRetrain`'s shape (round 0: the dense model). */
  rows: RoundRow[];
  /** Per seed, the sparsity measured in the retrained weights. */
  measured: MeasuredSparsity[];
}

/**
 * Han et al. (2015)'s protocol (`pl.report.iterativePruneRetrain` on each seed's dense run) as a
 * sweep: each seed is an `iterative-prune-retrain` trial, so a paper-budget run interrupted in
 * its long final retraining resumes with the seeds that are not done.
 */
export async function iterativeSweep(o: IterativeSweepOptions): Promise<SweptIterative> {
  const where = `iterativeSweep '${o.name}'`;
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw new OptionError(`${where}: give the seeds, e.g. seeds: [1, 2, 3].`, 'seeds');
  if (!o.density || typeof o.density !== 'object') throw new OptionError(`${where}: give density, the final fraction kept per layer, e.g. { fc1: 0.08, fc2: 0.09, fc3: 0.26 }.`, 'density');
  const fixed: Record<string, unknown> = {
    ...denseFixed(o), density: densityField(o.density), rounds: o.rounds,
    ...recipeFields('retrain', o.retrain), ...(o.finalRetrain ? recipeFields('finalRetrain', o.finalRetrain) : {}),
  };
  const dir = path.resolve(o.dir ?? defaultSweepDir(o.name));
  let checkpoints: string | undefined;
  if (o.denseFrom !== undefined) {
    const from = resolveSweepDir(o.denseFrom);
    if (path.resolve(from) === dir) throw new OptionError(`${where}: denseFrom names this sweep itself; give another sweep's name or directory.`, 'denseFrom');
    checkpoints = path.relative(dir, checkpointsRoot(from)) || '.';
  }
  const { summary, parts } = await runParts(o.name, 'iterative-prune-retrain', [{ seed: o.seeds }], fixed, { ...o, dir }, checkpoints);
  const rows: RoundRow[] = [];
  const measured: MeasuredSparsity[] = [];
  for (const { row } of parts[0]) {
    const seed = row.seed as number;
    const rounds = row.round as number[];
    rounds.forEach((round, i) => rows.push({
      seed, round, sparsity: num((row.roundSparsity as number[])[i]),
      accuracyPruned: num((row.roundAccuracyPruned as number[])[i]), accuracyRetrained: num((row.roundAccuracyRetrained as number[])[i]),
    }));
    measured.push({ kept: row.kept as Record<string, number>, params: num(row.params), nonzeros: num(row.nonzeros), compression: row.compression === null ? Infinity : num(row.compression) });
  }
  return { rows, measured, sweep: summary };
}
