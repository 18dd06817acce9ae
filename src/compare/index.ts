/**
 * `pl.compare`: the survey's comparison as one sweep (notebook 09). A benchmark definition
 * (`benchmark.ts`) lists the methods, one line each, and the grids per budget; `run` turns a
 * budget into a sweep of `compare` trials, runs what is missing, and returns the rows; the
 * tables (`report.ts`) and figures read those rows only.
 *
 *     const c = await pl.compare.run({ file: 'notebooks/09-comparison.json', budget: 'quick' });
 *     pl.compare.rankTable(c.rows);
 */
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Figure } from '../plot/figure';
import { MaskedModel } from '../prune/masked-model';
import { measurePlainModel, type FinalModelMeasures, type KernelCounts, type MeasureOptions } from '../sparse/final-measures';
import { paretoFigure, seedBandFigure } from '../plot/seed-bands';
import { sweep, type SweepOptions, type SweepSummary } from '../sweep/sweep';
import '../sweep/builtin-trials';
import { benchmarkSweepSpec, readBenchmark, type BenchmarkDefinition } from './benchmark';
import { comparisonRows, type ComparisonRow } from './report';

export { readBenchmark, checkBenchmark, benchmarkSweepSpec, budgetLines, type BenchmarkDefinition, type MethodLine, type BudgetGrid, type PaperNumber } from './benchmark';
export { comparisonRows, accuracyTable, rankTable, paretoTable, computeTable, budgetTable, paperTable, welchTTest, holmAdjust, type ComparisonRow, type RankOptions, type CostAxis } from './report';
export { kernelCounts, type FinalModelMeasures, type KernelCounts, type LatencyMeasure, type MeasureOptions } from '../sparse/final-measures';

/**
 * Measures a method's final model (`src/sparse/final-measures.ts`): weights and FLOPs left after
 * shrinking, latency at each batch size.
 * @throws UserError when the model still carries masks or a method: its zeros would not be
 *   exactly the pruned weights; `finalize(model)` and `MaskedModel.of(model).strip()` first.
 */
export function measureFinalModel(model: tf.LayersModel, o: MeasureOptions & { dense?: KernelCounts } = {}): FinalModelMeasures {
  const masked = MaskedModel.existing(model);
  if (masked && (masked.masks().size || masked.attachedMethods().size)) {
    throw new UserError(
      `measureFinalModel: model '${model.name}' still carries ${masked.attachedMethods().size ? 'an attached method' : 'masks'}; call finalize(model) and then ` +
        'MaskedModel.of(model).strip(), so that its zeros are exactly the pruned weights.',
    );
  }
  return measurePlainModel(model, o);
}

/** Options of {@link run}. */
export interface ComparisonRunOptions extends Omit<SweepOptions, 'baseDir'> {
  /** The definition file (JSON), or give `definition`. */
  file?: string;
  /** The definition itself. */
  definition?: BenchmarkDefinition;
  /** The budget to run (`quick`, `paper`, ...). */
  budget: string;
}

/** What {@link run} returns. */
export interface ComparisonRun {
  /** The definition that ran. */
  definition: BenchmarkDefinition;
  /** The budget. */
  budget: string;
  /** One row per done trial. */
  rows: ComparisonRow[];
  /** The sweep's summary (results directory, counts, failures). */
  sweep: SweepSummary;
}

/**
 * Runs (or resumes) a budget of the comparison as a sweep and returns its rows. Failed trials
 * are in `sweep.failures` and left out of the rows (the notebook prints them).
 */
export async function run(o: ComparisonRunOptions): Promise<ComparisonRun> {
  const definition = o.definition ?? readBenchmark(o.file ?? '');
  const spec = benchmarkSweepSpec(definition, o.budget);
  const { file: _file, definition: _def, budget: _budget, ...sweepOptions } = o;
  const summary = await sweep(spec, sweepOptions);
  return { definition, budget: o.budget, rows: comparisonRows(summary.rows), sweep: summary };
}

/** The settings (model / dataset) of the rows, in order of appearance. */
export function settings(rows: readonly ComparisonRow[]): { model: string; dataset: string }[] {
  const seen = new Map<string, { model: string; dataset: string }>();
  for (const r of rows) seen.set(`${r.model}|${r.dataset}`, { model: r.model, dataset: r.dataset });
  return [...seen.values()];
}

const inSetting = (rows: readonly ComparisonRow[], s: { model: string; dataset: string }) => rows.filter((r) => r.model === s.model && r.dataset === s.dataset);

/** Accuracy against target sparsity, one line per method with its 95% CI band, for one setting. */
export function accuracyFigure(rows: readonly ComparisonRow[], s: { model: string; dataset: string }): Figure {
  return seedBandFigure(inSetting(rows, s), {
    x: 'target', y: 'accuracy', group: 'label', yScale: 100, title: `${s.model} on ${s.dataset}: accuracy vs sparsity (one budget, mean and 95% CI over seeds)`,
    xTitle: 'target sparsity (measured sparsity in the tables)', yTitle: 'test accuracy (%)',
  });
}

/** Accuracy against a cost (FLOPs left or latency), with the Pareto front of the means, for one setting. */
export function paretoPlot(rows: readonly ComparisonRow[], s: { model: string; dataset: string }, cost: 'flopsLeft' | 'latency1Ms' | 'latency64Ms'): Figure {
  const what = cost === 'flopsLeft' ? 'fraction of dense FLOPs left' : `latency at batch ${cost === 'latency1Ms' ? 1 : 64} (ms, best of dense / CSR / shrunk)`;
  return paretoFigure(inSetting(rows, s), { x: cost, y: 'accuracy', group: 'label', by: 'target', yScale: 100, logX: true, title: `${s.model} on ${s.dataset}: accuracy vs ${what}`, xTitle: what, yTitle: 'test accuracy (%)' });
}
