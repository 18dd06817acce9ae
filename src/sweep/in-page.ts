/**
 * The browser edition's `pl.sweeps`: the notebook drivers `sparsitySweep`, `variantSweep`,
 * `scheduleSweep` and `iterativeSweep` take the Node edition's options and return what it returns
 * (`{ data, runs, rows }`, `curves`, `measured`, and a `sweep` summary), but run their grids in this
 * page, one trial after another, with the in-process drivers of `pl.report`. So notebooks 01–04
 * run unchanged in JupyterLite.
 *
 * What the Node edition has and this lacks, said where it matters: there is no results directory
 * (nothing survives a reload, an interrupted cell starts over), no worker pool or Slurm (asking for
 * an executor is an error), and each call trains its dense models again (Han's protocol in 01
 * retrains the three seeds its sparsity sweep trained; the same seed gives the same weights, so the
 * numbers are those of the Node edition on the same backend).
 */
import { OptionError } from '../errors';
import { experimentData } from '../experiments/data';
import { disposeRuns, trainDenseRuns } from '../experiments/runs';
import { iterativePruneRetrain, measuredSparsity, scheduleSweep as scheduleInProcess, type RoundRow, type MeasuredSparsity, type ScheduleSweepOptions } from '../experiments/protocols';
import { sparsitySweep as sparsityInProcess, variantSweep as variantInProcess, type SparsitySweepOptions, type VariantSweepOptions } from '../experiments/variants';
import { nodeOnlyError } from '../node-only';
import type { IterativeSweepOptions, SweepRunOptions, SweptIterative, SweptSchedules, SweptVariants } from './experiments';
import type { SweepSummary } from './sweep';

/** The executor name these summaries report. */
export const IN_PAGE_EXECUTOR = 'in-page';

/** The options of a sweep that only the Node edition's sweep engine reads. */
const ENGINE_OPTIONS = ['dir', 'executor', 'workers', 'executorOptions', 'rerun', 'progress', 'signal', 'denseFrom'] as const;

/**
 * Checks the sweep part of the options and returns the driver's part. An executor other than this
 * page's is an error (a grid cannot reach a worker pool or a cluster from a browser); a results
 * directory or a worker count is ignored (there is nowhere to put them).
 */
function driverOptions<T extends SweepRunOptions>(o: T, driver: string): Omit<T, keyof SweepRunOptions | 'denseFrom'> {
  if (!o || typeof o !== 'object') throw new OptionError(`pl.sweeps.${driver}: give the options object ({ name, data, seeds, dense, ... }).`);
  if (typeof o.name !== 'string' || !o.name.trim()) throw new OptionError(`pl.sweeps.${driver}: give the sweep a name (e.g. name: '01-mnist-quick').`, 'name');
  if (o.executor !== undefined && o.executor !== IN_PAGE_EXECUTOR) {
    throw nodeOnlyError(`pl.sweeps.${driver}({ executor: ${JSON.stringify(o.executor)} })`, 'executors run trials in worker processes or on a Slurm cluster');
  }
  const rest: Record<string, unknown> = { ...(o as object) };
  delete rest.name;
  for (const k of ENGINE_OPTIONS) delete rest[k];
  return rest as Omit<T, keyof SweepRunOptions | 'denseFrom'>;
}

/**
 * The summary of a grid run in this page: every trial ran, now. Its rows are the driver's rows
 * with an id (`<name>/<index>`); trials ran in one loop, so no trial has a time of its own (NaN).
 */
function summary(name: string, rows: object[], t0: number): SweepSummary {
  return {
    name, dir: `${IN_PAGE_EXECUTOR}:${name}`, executor: IN_PAGE_EXECUTOR,
    total: rows.length, done: rows.length, failed: 0, pending: 0, ran: rows.length, skipped: 0, interrupted: false,
    seconds: (Date.now() - t0) / 1000, corrupt: [], failures: [],
    rows: rows.map((r, i) => ({ ...r, id: `${name}/${i}`, status: 'done' as const, seconds: NaN })),
  };
}

/** A `pl.report` driver run in this page as its `pl.sweeps` namesake: the same result plus a summary. */
function inPage<O, R extends { rows: object[] }>(driver: string, run: (o: O) => Promise<R>): (o: O & SweepRunOptions) => Promise<R & { sweep: SweepSummary }> {
  return async (o) => {
    const t0 = Date.now();
    const r = await run(driverOptions(o, driver) as unknown as O);
    return { ...r, sweep: summary(o.name, r.rows, t0) };
  };
}

/** `pl.sweeps.variantSweep` in this page: `pl.report.variantSweep` plus a summary. */
export const variantSweep: (o: VariantSweepOptions & SweepRunOptions) => Promise<SweptVariants> = inPage('variantSweep', variantInProcess);
/** `pl.sweeps.sparsitySweep` in this page: `pl.report.sparsitySweep` plus a summary. */
export const sparsitySweep: (o: SparsitySweepOptions & SweepRunOptions) => Promise<SweptVariants> = inPage('sparsitySweep', sparsityInProcess);
/** `pl.sweeps.scheduleSweep` in this page: `pl.report.scheduleSweep` plus a summary. */
export const scheduleSweep: (o: ScheduleSweepOptions & SweepRunOptions) => Promise<SweptSchedules> = inPage('scheduleSweep', scheduleInProcess);

/**
 * `pl.sweeps.iterativeSweep` in this page: per seed, a dense model, Han et al.'s protocol
 * (`pl.report.iterativePruneRetrain`) and the sparsity measured in the retrained weights.
 */
export async function iterativeSweep(o: IterativeSweepOptions): Promise<SweptIterative> {
  const t0 = Date.now();
  const d = driverOptions(o, 'iterativeSweep');
  if (!d.density || typeof d.density !== 'object') throw new OptionError(`iterativeSweep '${o.name}': give density, the final fraction kept per layer, e.g. { fc1: 0.08, fc2: 0.09, fc3: 0.26 }.`, 'density');
  const data = await experimentData(d.data);
  const runs = await trainDenseRuns(d.model ?? 'lenet-300-100', data, d.dense, d.seeds);
  try {
    const rows: RoundRow[] = [];
    const measured: MeasuredSparsity[] = [];
    for (const run of runs) {
      rows.push(...(await iterativePruneRetrain(run, data, { density: d.density, rounds: d.rounds, retrain: d.retrain, ...(d.finalRetrain ? { finalRetrain: d.finalRetrain } : {}) })));
      measured.push(measuredSparsity(run.model));
    }
    return { rows, measured, sweep: summary(o.name, rows, t0) };
  } finally {
    disposeRuns(runs);
  }
}
