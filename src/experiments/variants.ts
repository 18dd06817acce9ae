/**
 * Pruning variants: prune every dense run in several ways (each time from its dense weights),
 * fine-tune with the masks held, one row per (variant, seed); and the accuracy-vs-sparsity sweep.
 */
import type { Dataset } from '../data/types';
import { MaskedModel, prune, type PruneOptions } from '../prune';
import { evaluate, train } from '../train';
import { experimentData, type DataSpec } from './data';
import { pct, type Logger } from './log';
import { disposeRuns, recipeOptions, remainingParams, resetToDense, scaledRecipe, trainDenseRuns, type DenseRun, type TrainRecipe } from './runs';

/** One way of pruning, applied to every dense run. */
export interface PruneVariant {
  /** Column `method` of the rows (e.g. `global`, `2:4`). */
  method: string;
  /** Options of `prune` (criterion, sparsity, granularity, scope, ...). */
  options: PruneOptions;
}

/** One row per (variant, seed). */
export interface VariantRow {
  /** The variant's method label. */
  method: string;
  /** Seed of the dense run. */
  seed: number;
  /** Requested sparsity (NaN when the variant implies its own, e.g. N:M). */
  target: number;
  /** Fraction of all parameters removed (biases count as kept). */
  sparsity: number;
  /** Parameters left. */
  remaining: number;
  /** params / remaining. */
  compression: number;
  /** Test accuracy of the dense model. */
  accuracyDense: number;
  /** Test accuracy right after pruning. */
  accuracyPruned: number;
  /** Test accuracy after fine-tuning with the masks held (equal to `accuracyPruned` without fine-tuning). */
  accuracyFinetuned: number;
}

/**
 * Prunes every dense run with every variant (each time from the run's dense weights),
 * evaluates, fine-tunes with the masks held, evaluates again.
 *
 * @param runs dense runs (left pruned by the last variant; call {@link resetToDense} to reuse).
 * @param data dataset of the runs.
 * @param variants the prunings.
 * @param finetune recipe of the fine-tuning, or null for none.
 * @returns one row per (variant, seed), variants outermost.
 */
export async function evaluateVariants(
  runs: readonly DenseRun[],
  data: Dataset,
  variants: readonly PruneVariant[],
  finetune: TrainRecipe | null,
  log: Logger = console.log,
): Promise<VariantRow[]> {
  const rows: VariantRow[] = [];
  for (const v of variants) {
    const t0 = Date.now();
    const got: VariantRow[] = [];
    for (const run of runs) {
      resetToDense(run);
      prune(run.model, v.options);
      const { params, remaining } = remainingParams(run.model);
      const accuracyPruned = evaluate(run.model, data.test).accuracy;
      let accuracyFinetuned = accuracyPruned;
      if (finetune) {
        await train(run.model, data.train, { ...recipeOptions(finetune, run.seed), masks: MaskedModel.of(run.model) });
        accuracyFinetuned = evaluate(run.model, data.test).accuracy;
      }
      got.push({
        method: v.method, seed: run.seed, target: v.options.sparsity ?? NaN, sparsity: 1 - remaining / params, remaining,
        compression: params / remaining, accuracyDense: run.accuracy, accuracyPruned, accuracyFinetuned,
      });
    }
    const m = (f: (r: VariantRow) => number) => got.reduce((a, r) => a + f(r), 0) / got.length;
    log(
      `  ${v.method}${v.options.sparsity !== undefined ? ` @ ${v.options.sparsity}` : ''}: ${pct(m((r) => r.sparsity), 1)} sparse, ` +
        `pruned ${pct(m((r) => r.accuracyPruned))}` + (finetune ? ` → fine-tuned ${pct(m((r) => r.accuracyFinetuned))}` : '') +
        ` (mean of ${got.length} seeds, ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    rows.push(...got);
  }
  return rows;
}

/** Options of {@link sparsitySweep}. */
export interface SparsitySweepOptions {
  /** The data. */
  data: DataSpec;
  /** Model registry name (default `lenet-300-100`). */
  model?: string;
  /** Seeds (≥ 2; 3 or more for claims). */
  seeds: number[];
  /** Target sparsities, each in [0, 1). */
  sparsities: number[];
  /** Dense training. */
  dense: TrainRecipe;
  /** Fine-tuning after pruning (default: the dense recipe at 1/10 of its learning rate for 1 epoch). */
  finetune?: TrainRecipe;
  /** Further `prune` options (scope, granularity, keepLastDense, ...); default magnitude, layerwise. */
  prune?: Omit<PruneOptions, 'sparsity'>;
  /** Column `method` of the rows (default: the scope name). */
  method?: string;
  /** Progress lines (default console.log). */
  log?: Logger;
}

/** What {@link sparsitySweep} returns. */
export interface SweepResult {
  /** The dataset used. */
  data: Dataset;
  /** The dense runs (pruned by the last variant; dispose with {@link disposeRuns}). */
  runs: DenseRun[];
  /** One row per (sparsity, seed). */
  rows: VariantRow[];
}

/**
 * Accuracy vs sparsity: trains a dense model per seed, prunes it one-shot to each sparsity,
 * evaluates before and after fine-tuning.
 */
export async function sparsitySweep(o: SparsitySweepOptions): Promise<SweepResult> {
  const log = o.log ?? console.log;
  const data = await experimentData(o.data);
  const runs = await trainDenseRuns(o.model ?? 'lenet-300-100', data, o.dense, o.seeds, log);
  const method = o.method ?? (typeof o.prune?.scope === 'string' ? o.prune.scope : 'magnitude');
  const variants = o.sparsities.map((s) => ({ method, options: { criterion: 'magnitude', ...o.prune, sparsity: s } }));
  const rows = await evaluateVariants(runs, data, variants, o.finetune ?? scaledRecipe(o.dense, 0.1, { epochs: 1, steps: undefined }), log);
  return { data, runs, rows };
}

/** The dense runs of an experiment: one model per seed, trained on the data with a recipe. */
export interface DenseRunsSpec {
  /** The data. */
  data: DataSpec;
  /** Model registry name (default `lenet-300-100`). */
  model?: string;
  /** Seeds (≥ 2; 3 or more for claims). */
  seeds: number[];
  /** Dense training. */
  dense: TrainRecipe;
  /** Progress lines (default console.log). */
  log?: Logger;
}

/** Options of {@link variantSweep}: the dense runs, the prunings and the fine-tuning. */
export interface VariantSweepOptions extends DenseRunsSpec {
  /** The prunings, each applied to every seed's dense model. */
  variants: readonly PruneVariant[];
  /** Fine-tuning after pruning, or null for none. */
  finetune: TrainRecipe | null;
}

/**
 * {@link evaluateVariants} from the data and the dense recipe: trains a dense model per seed,
 * then prunes each with every variant, in this process. `pl.sweeps.variantSweep` takes the same
 * options plus a sweep name and runs each (variant, seed) as a trial of a resumable sweep.
 *
 * @returns the data, the dense runs (pruned by the last variant) and one row per (variant, seed).
 */
export async function variantSweep(o: VariantSweepOptions): Promise<SweepResult> {
  const log = o.log ?? console.log;
  const data = await experimentData(o.data);
  const runs = await trainDenseRuns(o.model ?? 'lenet-300-100', data, o.dense, o.seeds, log);
  try {
    return { data, runs, rows: await evaluateVariants(runs, data, o.variants, o.finetune, log) };
  } catch (e) {
    disposeRuns(runs);
    throw e;
  }
}
