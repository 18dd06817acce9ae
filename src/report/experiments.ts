/**
 * Experiment drivers of the method notebooks: train dense baselines over seeds, prune them in
 * many ways, fine-tune, and collect one row per (variant, seed), so that every curve can show a
 * mean with a confidence interval (see `stats.ts`). A notebook calls these in one line each and
 * keeps its cells for the idea, the plots and the claims; the logic lives here, unit-tested.
 *
 * Conventions:
 * - Data subsets are drawn once with seed 0 and shared by all seeds; a seed changes the
 *   model's initialisation and the order of the training examples.
 * - Every pruned variant starts from the same dense weights of its seed (restored exactly),
 *   and fine-tunes with a fresh optimizer and the masks held.
 * - Accuracies are on the (possibly subsetted) test split, never seen in training.
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data';
import type { Dataset, Examples } from '../data/types';
import { createModel } from '../models';
import { baseLayout, type Figure, type Trace } from '../plot/figure';
import {
  agpSchedule, iterativeSchedule, MaskedModel, oneShotSchedule, prune, PruningHook,
  type PruneOptions, type SparsitySchedule,
} from '../prune';
import { breakEvenFromSweep, shrinkModel, speedup, speedupSweepPoint, type SparseFormat, type SweepPoint } from '../sparse';
import { evaluate, train, type History, type OptimizerName, type TrainOptions } from '../train';
import { formatSummary, summarizeGroups } from './stats';

// ---------------------------------------------------------------------------------------------
// Budget switch

/** The two budgets of the notebooks: `quick` (CI, a few minutes) and `paper` (the paper's protocol). */
export type BudgetName = 'quick' | 'paper';

/** Known budget names, for error messages. */
export const BUDGET_NAMES: readonly BudgetName[] = ['quick', 'paper'];

/**
 * The notebook budget: `PRUNELAB_BUDGET` (`quick` or `paper`), `quick` when unset.
 *
 * @param value the setting to read (default: the environment variable).
 * @throws for any other value, naming the known budgets.
 */
export function notebookBudget(value: string | undefined = process.env.PRUNELAB_BUDGET): BudgetName {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'quick';
  if ((BUDGET_NAMES as readonly string[]).includes(v)) return v as BudgetName;
  throw new Error(`Unknown budget '${value}' (PRUNELAB_BUDGET). Known budgets: ${BUDGET_NAMES.join(', ')}; unset means quick.`);
}

/**
 * Picks the settings of the current budget.
 *
 * @example const cfg = byBudget(budget, { quick: { epochs: 2 }, paper: { epochs: 30 } });
 */
export function byBudget<T>(budget: BudgetName, choices: Record<BudgetName, T>): T {
  if (!(budget in choices)) throw new Error(`byBudget: no settings for budget '${budget}'; give ${BUDGET_NAMES.join(' and ')}.`);
  return choices[budget];
}

// ---------------------------------------------------------------------------------------------
// Data

/** Which data an experiment uses. */
export interface DataSpec {
  /** Registry name, e.g. `mnist`, `fashion-mnist`. */
  dataset: string;
  /** Training examples to keep (seeded, stratified; all when omitted). */
  trainSubset?: number;
  /** Test examples to keep (seeded, stratified; all when omitted). */
  testSubset?: number;
}

const dataCache = new Map<string, Promise<Dataset>>();

/**
 * Loads (once per spec, then from memory) a dataset as `[28, 28, 1]`-style examples in [0, 1].
 * The subsets are drawn with seed 0 so that every seed and every notebook cell sees the same data.
 *
 * @param spec dataset name and subset sizes.
 */
export function experimentData(spec: DataSpec): Promise<Dataset> {
  const key = JSON.stringify([spec.dataset, spec.trainSubset ?? null, spec.testSubset ?? null]);
  let p = dataCache.get(key);
  if (!p) {
    p = loadDataset(spec.dataset, { subset: spec.trainSubset, testSubset: spec.testSubset, seed: 0 });
    // a failed load is not cached, so fixing PRUNELAB_DATA and re-running the cell works
    p.catch(() => dataCache.delete(key));
    dataCache.set(key, p);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Training recipes and dense runs

/** How to train: the subset of `train` options an experiment fixes. */
export interface TrainRecipe {
  /** Passes over the data (give `epochs` or `steps`). */
  epochs?: number;
  /** Optimizer steps instead of epochs. */
  steps?: number;
  /** Examples per step (default 64). */
  batchSize?: number;
  /** Optimizer (default `momentum`, SGD with momentum 0.9 as in Caffe). */
  optimizer?: OptimizerName;
  /** Learning rate (default 0.01 for SGD-family optimizers, 1e-3 for Adam). */
  learningRate?: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
}

/** `train` options of a recipe for one seed. */
export function recipeOptions(recipe: TrainRecipe, seed: number): TrainOptions {
  const optimizer = recipe.optimizer ?? 'momentum';
  return {
    ...(recipe.steps !== undefined ? { steps: recipe.steps } : { epochs: recipe.epochs ?? 1 }),
    batchSize: recipe.batchSize ?? 64,
    optimizer,
    optimizerOptions: optimizer === 'momentum' || optimizer === 'nesterov' ? { momentum: 0.9 } : undefined,
    learningRate: recipe.learningRate ?? (optimizer === 'adam' ? 1e-3 : 0.01),
    weightDecay: recipe.weightDecay ?? 0,
    seed,
  };
}

/** A recipe at a fraction of its learning rate (Han et al. retrain at 1/10 of the original rate). */
export function scaledRecipe(recipe: TrainRecipe, lrFactor: number, override: Partial<TrainRecipe> = {}): TrainRecipe {
  const base = recipeOptions(recipe, 0).learningRate!;
  return { ...recipe, ...override, learningRate: base * lrFactor };
}

/** A trained dense model of one seed, with its weights kept so that every variant starts from them. */
export interface DenseRun {
  /** Model registry name. */
  modelName: string;
  /** The seed of initialisation and data order. */
  seed: number;
  /** The model (pruned and fine-tuned in place by the experiments; see {@link resetToDense}). */
  model: tf.LayersModel;
  /** Copies of the trained dense weights, in `model.getWeights()` order. */
  weights: tf.Tensor[];
  /** Test accuracy of the dense model. */
  accuracy: number;
  /** Training history of the dense model. */
  history: History;
}

/** What the drivers print progress with (default `console.log`; pass `() => {}` for silence). */
export type Logger = (line: string) => void;

function pct(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)}%`;
}

function checkSeeds(seeds: readonly number[], what: string): void {
  if (!Array.isArray(seeds) || seeds.length < 2) {
    throw new Error(`${what}: give at least 2 seeds (got ${JSON.stringify(seeds)}); a claim needs a spread, use 3 or more.`);
  }
  if (new Set(seeds).size !== seeds.length) throw new Error(`${what}: seeds must be distinct; got ${JSON.stringify(seeds)}.`);
}

/**
 * Trains a dense model from scratch.
 *
 * @param modelName registry name, e.g. `lenet-300-100`.
 * @param data the dataset (its feature shape becomes the model's input shape).
 * @param recipe how to train.
 * @param seed initialisation and data-order seed.
 * @returns the run, whose `weights` stay valid until {@link disposeRuns}.
 */
export async function trainDense(modelName: string, data: Dataset, recipe: TrainRecipe, seed: number, log: Logger = console.log): Promise<DenseRun> {
  const model = createModel(modelName, { seed, inputShape: data.train.featureShape, classes: data.train.numClasses });
  const t0 = Date.now();
  const history = await train(model, data.train, recipeOptions(recipe, seed));
  const accuracy = evaluate(model, data.test).accuracy;
  log(`  ${modelName} seed ${seed}: dense test accuracy ${pct(accuracy)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return { modelName, seed, model, weights: model.getWeights().map((w) => w.clone()), accuracy, history };
}

/** Trains one dense run per seed. */
export async function trainDenseRuns(modelName: string, data: Dataset, recipe: TrainRecipe, seeds: readonly number[], log: Logger = console.log): Promise<DenseRun[]> {
  checkSeeds(seeds, 'trainDenseRuns');
  const runs: DenseRun[] = [];
  for (const s of seeds) runs.push(await trainDense(modelName, data, recipe, s, log));
  return runs;
}

/** Removes every mask of the run's model and puts its trained dense weights back, exactly. */
export function resetToDense(run: DenseRun): void {
  MaskedModel.existing(run.model)?.undo();
  run.model.setWeights(run.weights);
}

/** Frees the models and kept weights of dense runs. */
export function disposeRuns(runs: readonly DenseRun[]): void {
  for (const r of runs) {
    MaskedModel.existing(r.model)?.strip();
    r.weights.forEach((w) => w.dispose());
    r.model.dispose();
  }
}

/** Parameters left in the model: mask ones of masked kernels plus every other parameter. */
export function remainingParams(model: tf.LayersModel): { params: number; remaining: number } {
  const s = MaskedModel.of(model).summary().total;
  return { params: s.params, remaining: s.nonzeros };
}

// ---------------------------------------------------------------------------------------------
// Pruning variants

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

// ---------------------------------------------------------------------------------------------
// Han et al.: iterative prune-retrain to per-layer densities

/** Options of {@link iterativePruneRetrain}. */
export interface IterativeOptions {
  /** Final fraction of weights kept per layer name, e.g. `{fc1: 0.08, fc2: 0.09, fc3: 0.26}`. */
  density: Record<string, number>;
  /** Number of prune-retrain rounds; round r keeps `density^(r/rounds)` of each layer. */
  rounds: number;
  /** Retraining after each round (Han et al.: the original learning rate / 10). */
  retrain: TrainRecipe;
  /**
   * Retraining after the last round, when it should differ from `retrain`. The last step removes
   * the most weights (on LeNet-300-100 at 12× the error jumps to 4–8%) and recovers slowly at
   * the low learning rate, so it usually needs the longest retraining. Default: `retrain`.
   */
  finalRetrain?: TrainRecipe;
}

/** One row per round of {@link iterativePruneRetrain}. */
export interface RoundRow {
  /** Seed of the run. */
  seed: number;
  /** Round, 1-based (0: the dense model). */
  round: number;
  /** Fraction of all parameters removed. */
  sparsity: number;
  /** Test accuracy right after this round's pruning. */
  accuracyPruned: number;
  /** Test accuracy after this round's retraining. */
  accuracyRetrained: number;
}

/**
 * Han et al. (2015)'s protocol on one dense run: prune by magnitude to per-layer targets in
 * `rounds` geometric steps, retraining after each round with the masks held. The run's model is
 * left pruned and retrained.
 *
 * @returns one row per round (plus round 0, the dense model).
 */
export async function iterativePruneRetrain(run: DenseRun, data: Dataset, o: IterativeOptions, log: Logger = console.log): Promise<RoundRow[]> {
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error(`iterativePruneRetrain: rounds must be an integer ≥ 1; got ${o.rounds}.`);
  for (const [k, d] of Object.entries(o.density)) {
    if (!(d > 0 && d <= 1)) throw new Error(`iterativePruneRetrain: density['${k}'] must be in (0, 1] (fraction of weights kept); got ${d}.`);
  }
  resetToDense(run);
  const rows: RoundRow[] = [{ seed: run.seed, round: 0, sparsity: 0, accuracyPruned: run.accuracy, accuracyRetrained: run.accuracy }];
  for (let r = 1; r <= o.rounds; r++) {
    const perLayer = Object.fromEntries(Object.entries(o.density).map(([k, d]) => [k, 1 - Math.pow(d, r / o.rounds)]));
    prune(run.model, { criterion: 'magnitude', scope: { perLayer } });
    const { params, remaining } = remainingParams(run.model);
    const accuracyPruned = evaluate(run.model, data.test).accuracy;
    const recipe = r === o.rounds && o.finalRetrain ? o.finalRetrain : o.retrain;
    await train(run.model, data.train, { ...recipeOptions(recipe, run.seed * 1000 + r), masks: MaskedModel.of(run.model) });
    const accuracyRetrained = evaluate(run.model, data.test).accuracy;
    rows.push({ seed: run.seed, round: r, sparsity: 1 - remaining / params, accuracyPruned, accuracyRetrained });
    log(`  seed ${run.seed} round ${r}/${o.rounds}: ${(params / remaining).toFixed(1)}× compression, pruned ${pct(accuracyPruned)} → retrained ${pct(accuracyRetrained)}`);
  }
  return rows;
}

/** Per-layer fractions kept of a pruned model, by layer name, as its masks allow (see {@link measuredSparsity} for the weights' own zeros). */
export function keptPerLayer(model: tf.LayersModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of MaskedModel.of(model).summary().rows) out[r.layer] = r.nonzeros / r.params;
  return out;
}

/** What a model's weights really hold: non-zero values counted in the weights, not in the masks. */
export interface MeasuredSparsity {
  /** Fraction of each prunable layer's kernel values that are not 0, by layer name. */
  kept: Record<string, number>;
  /** Number of parameters of the whole model (kernels, biases and every other weight). */
  params: number;
  /** Parameters whose value is not 0. */
  nonzeros: number;
  /** params / nonzeros: the compression a paper reports (Infinity when every value is 0). */
  compression: number;
}

/**
 * Counts the values that are not 0 in the model's weights, per prunable layer and in total.
 * Unlike {@link keptPerLayer} and {@link remainingParams}, which count the masks (what the
 * pruning targets allocated), this measures the pruned model itself: a weight the mask keeps but
 * that is exactly 0 counts as removed, and a masked weight that training moved off 0 shows up.
 */
export function measuredSparsity(model: tf.LayersModel): MeasuredSparsity {
  const countNonzero = (t: tf.Tensor) => tf.tidy(() => tf.sum(tf.cast(tf.notEqual(t, 0), 'int32')).dataSync()[0]);
  const perLayer = new Map<string, { size: number; nonzeros: number }>();
  for (const w of MaskedModel.of(model).prunableWeights()) {
    const acc = perLayer.get(w.layerName) ?? { size: 0, nonzeros: 0 };
    acc.size += w.size;
    acc.nonzeros += countNonzero(w.variable.read());
    perLayer.set(w.layerName, acc);
  }
  let params = 0;
  let nonzeros = 0;
  for (const v of model.weights) {
    const t = v.read();
    params += t.size;
    nonzeros += countNonzero(t);
  }
  const kept: Record<string, number> = {};
  for (const [layer, c] of perLayer) kept[layer] = c.nonzeros / c.size;
  return { kept, params, nonzeros, compression: nonzeros === 0 ? Infinity : params / nonzeros };
}

// ---------------------------------------------------------------------------------------------
// Schedules: one-shot vs iterative vs gradual at the same budget

/** Options of {@link scheduleComparison}. */
export interface ScheduleComparisonOptions {
  /** Final sparsity of every schedule. */
  sparsity: number;
  /** Optimizer steps of fine-tuning, the same for every schedule. */
  steps: number;
  /** Rounds of the iterative schedule (geometric, evenly spaced over the first `pruneFraction` of the steps). */
  rounds: number;
  /** Fraction of the steps during which iterative and AGP prune (default 0.5); the rest recovers. */
  pruneFraction?: number;
  /** AGP prunes every this many steps (default: a tenth of the pruning phase, so about 10 pruning steps; at least 1). */
  agpFrequency?: number;
  /** Fine-tuning recipe (its `steps`/`epochs` are replaced by `steps`). */
  finetune: TrainRecipe;
  /** Evaluate on `curveSet` every this many steps (and right after each pruning step). */
  evalEvery: number;
  /** Examples of the test split used for the curves (default 1000; the final accuracy uses all). */
  curveExamples?: number;
  /** Further `prune` options (scope etc.). */
  prune?: Omit<PruneOptions, 'sparsity' | 'step'>;
}

/** A point of a learning curve. */
export interface CurveRow {
  /** Schedule label. */
  method: string;
  /** Seed. */
  seed: number;
  /** Fine-tuning step: 0 is the dense model, pruning and training start at step 1, the last point is after the last step. */
  step: number;
  /** Sparsity of the prunable weights at that step. */
  sparsity: number;
  /** Accuracy on the curve set. */
  accuracy: number;
}

/** The schedules compared by {@link scheduleComparison}, built for a budget of `steps`. */
export function comparedSchedules(o: Pick<ScheduleComparisonOptions, 'sparsity' | 'steps' | 'rounds' | 'pruneFraction' | 'agpFrequency'>): { method: string; schedule: SparsitySchedule }[] {
  const pruneSteps = Math.max(1, Math.floor(o.steps * (o.pruneFraction ?? 0.5)));
  const perRound = Math.max(1, Math.floor(pruneSteps / o.rounds));
  const freq = o.agpFrequency ?? Math.max(1, Math.floor(pruneSteps / 10));
  // Fine-tuning steps are numbered 1..steps (step 0 is the dense model on the curves).
  return [
    { method: 'one-shot', schedule: oneShotSchedule({ sparsity: o.sparsity, step: 1 }) },
    { method: `iterative (${o.rounds} rounds)`, schedule: iterativeSchedule({ sparsity: o.sparsity, rounds: o.rounds, stepsPerRound: perRound, beginStep: 1, mode: 'geometric' }) },
    // endStep − beginStep is a multiple of the frequency so that AGP's last pruning step reaches the target exactly
    { method: 'gradual (AGP)', schedule: agpSchedule({ finalSparsity: o.sparsity, beginStep: 1, endStep: 1 + Math.max(freq, Math.floor(pruneSteps / freq) * freq), frequency: freq }) },
  ];
}

function firstExamples(e: Examples, n: number): Examples {
  const count = Math.min(n, e.count);
  const size = e.x.length / e.count;
  return { ...e, x: e.x.subarray(0, count * size), y: e.y.subarray(0, count), count };
}

/** Sparsity of the prunable (masked or not) kernels. */
function kernelSparsity(model: tf.LayersModel): number {
  const rows = MaskedModel.of(model).summary().rows;
  const p = rows.reduce((a, r) => a + r.params, 0);
  return 1 - rows.reduce((a, r) => a + r.nonzeros, 0) / p;
}

/**
 * One-shot vs iterative (k rounds) vs gradual AGP: each seed's dense model is pruned to the
 * same final sparsity by each schedule during the same number of fine-tuning steps, recording
 * a learning curve (accuracy every `evalEvery` steps and right after each pruning step).
 *
 * @returns final rows (one per schedule and seed, `accuracyFinetuned` on the full test split)
 *   and the curves.
 */
export async function scheduleComparison(
  runs: readonly DenseRun[],
  data: Dataset,
  o: ScheduleComparisonOptions,
  log: Logger = console.log,
): Promise<{ rows: VariantRow[]; curves: CurveRow[] }> {
  if (!Number.isInteger(o.evalEvery) || o.evalEvery < 1) throw new Error(`scheduleComparison: evalEvery must be an integer ≥ 1; got ${o.evalEvery}.`);
  const curveSet = firstExamples(data.test, o.curveExamples ?? 1000);
  const rows: VariantRow[] = [];
  const curves: CurveRow[] = [];
  for (const { method, schedule } of comparedSchedules(o)) {
    const t0 = Date.now();
    for (const run of runs) {
      resetToDense(run);
      const hook = new PruningHook(schedule, { criterion: 'magnitude', ...o.prune }, run.model);
      const point = (step: number) => curves.push({ method, seed: run.seed, step, sparsity: kernelSparsity(run.model), accuracy: evaluate(run.model, curveSet).accuracy });
      const recorder = {
        onStepBegin: (info: { step: number }) => {
          // after the pruning hook (hooks run in order): the drop shows at the pruning step itself
          const pruned = hook.log.length > 0 && hook.log[hook.log.length - 1].step === info.step;
          if (pruned || info.step % o.evalEvery === 0) point(info.step);
        },
      };
      point(0);
      await train(run.model, data.train, {
        ...recipeOptions({ ...o.finetune, steps: o.steps, epochs: undefined }, run.seed),
        hooks: [hook, recorder], masks: hook, initialStep: 1,
      });
      point(o.steps + 1);
      const { params, remaining } = remainingParams(run.model);
      const acc = evaluate(run.model, data.test).accuracy;
      rows.push({
        method, seed: run.seed, target: o.sparsity, sparsity: 1 - remaining / params, remaining, compression: params / remaining,
        accuracyDense: run.accuracy, accuracyPruned: NaN, accuracyFinetuned: acc,
      });
    }
    const got = rows.filter((r) => r.method === method);
    log(`  ${method}: ${pct(got.reduce((a, r) => a + r.accuracyFinetuned, 0) / got.length)} after ${o.steps} steps (mean of ${got.length} seeds, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return { rows, curves };
}

// ---------------------------------------------------------------------------------------------
// Figures and tables

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Options of {@link seedBandFigure}. */
export interface SeedBandOptions {
  /** Column of the x axis (e.g. `sparsity`). */
  x: string;
  /** Column of the y axis (e.g. `accuracyFinetuned`). */
  y: string;
  /** Column that splits rows into lines (e.g. `method`); one line when omitted. */
  group?: string;
  /** Band: `ci` (Student-t 95% interval, default) or `std` (± one standard deviation). */
  band?: 'ci' | 'std';
  /** Multiply y values (e.g. 100 for percent). */
  yScale?: number;
  /** Figure title. */
  title?: string;
  /** Axis titles (default the column names). */
  xTitle?: string;
  yTitle?: string;
  /** Log-scale x axis. */
  logX?: boolean;
  /** Line shape (`linear` default; `hv` for step curves). */
  lineShape?: string;
  /** Show markers (default true). */
  markers?: boolean;
}

/** Layout of an x–y figure of experiment rows: axis titles default to the column names, legend below. */
function xyLayout(o: { title?: string; x: string; y: string; xTitle?: string; yTitle?: string; logX?: boolean }, height: number): Record<string, unknown> {
  return baseLayout(o.title ?? `${o.y} vs ${o.x}`, {
    xaxis: { title: { text: o.xTitle ?? o.x }, ...(o.logX ? { type: 'log' } : {}) },
    yaxis: { title: { text: o.yTitle ?? o.y } },
    legend: { orientation: 'h', y: -0.25 },
    height,
  });
}

/**
 * Mean over seeds as a line with a shaded confidence band, one line per group: rows with the
 * same group and x are the seeds of one point.
 *
 * @param rows one row per run (e.g. from {@link evaluateVariants}).
 * @returns a plotly figure; the legend says how many seeds each line has.
 */
export function seedBandFigure(rows: readonly object[], o: SeedBandOptions): Figure {
  const groupCol = o.group;
  const by = groupCol ? [groupCol, o.x] : [o.x];
  const summary = summarizeGroups(rows, by, [o.y]);
  const scale = o.yScale ?? 1;
  const names = [...new Set(summary.map((r) => (groupCol ? String(r[groupCol]) : o.y)))];
  const data: Trace[] = [];
  names.forEach((name, gi) => {
    const pts = summary.filter((r) => (groupCol ? String(r[groupCol]) : o.y) === name).sort((a, b) => Number(a[o.x]) - Number(b[o.x]));
    const xs = pts.map((p) => Number(p[o.x]));
    const mean = pts.map((p) => Number(p[`${o.y}_mean`]) * scale);
    const half = pts.map((p) => {
      const h = Number(p[o.band === 'std' ? `${o.y}_std` : `${o.y}_ci`]) * scale;
      return Number.isFinite(h) ? h : 0;
    });
    const color = COLORS[gi % COLORS.length];
    const ns = [...new Set(pts.map((p) => p.n))];
    const band = o.band === 'std' ? '± std' : '95% CI';
    data.push({
      type: 'scatter', mode: 'lines', x: [...xs, ...xs.slice().reverse()],
      y: [...mean.map((m, i) => m + half[i]), ...mean.map((m, i) => m - half[i]).reverse()],
      fill: 'toself', fillcolor: rgba(color, 0.18), line: { width: 0, shape: o.lineShape ?? 'linear' }, hoverinfo: 'skip', showlegend: false, legendgroup: name,
    });
    data.push({
      type: 'scatter', mode: o.markers === false ? 'lines' : 'lines+markers', name: `${name} (n=${ns.join('/')}, ${band})`, x: xs, y: mean,
      line: { color, shape: o.lineShape ?? 'linear' }, legendgroup: name,
      error_y: { type: 'data', array: half, visible: false },
    });
  });
  return {
    data,
    layout: xyLayout(o, 460),
  };
}

/**
 * Where a first-layer mask keeps weights, per input pixel: the fraction of a Dense kernel's
 * outgoing weights kept for each input, drawn as an image (for MNIST, the digit area stays and
 * the empty border is pruned away).
 *
 * @param model a pruned model.
 * @param weightName the layer (e.g. `fc1`) or kernel name (e.g. `fc1/kernel`), shape `[inputs, units]`.
 * @param imageShape `[height, width]` with height·width = inputs, e.g. `[28, 28]`.
 */
export function inputMaskImage(model: tf.LayersModel, weightName: string, imageShape: [number, number], title?: string): Figure {
  const masked = MaskedModel.of(model);
  // a layer name (`fc1`) is stable; weight names get suffixes (`fc1/kernel_1`) when models are rebuilt
  const byLayer = masked.prunableWeights().filter((p) => p.layerName === weightName);
  const w = byLayer.length === 1 ? byLayer[0] : masked.prunable(weightName);
  weightName = w.name;
  if (w.shape.length !== 2) throw new Error(`inputMaskImage: '${weightName}' has shape [${w.shape}]; give a Dense kernel [inputs, units].`);
  const [inputs, units] = w.shape;
  if (imageShape[0] * imageShape[1] !== inputs) throw new Error(`inputMaskImage: image ${imageShape.join('×')} has ${imageShape[0] * imageShape[1]} pixels but '${weightName}' has ${inputs} inputs.`);
  const m = masked.mask(weightName);
  const vals = m ? (m.dataSync() as Float32Array) : new Float32Array(inputs * units).fill(1);
  const z: number[][] = [];
  for (let r = 0; r < imageShape[0]; r++) {
    const row: number[] = [];
    for (let c = 0; c < imageShape[1]; c++) {
      const i = r * imageShape[1] + c;
      let kept = 0;
      for (let u = 0; u < units; u++) kept += vals[i * units + u];
      row.push(kept / units);
    }
    z.push(row);
  }
  // the colour range ends at the largest fraction kept (not at 1): at 90% sparsity no pixel keeps
  // much more than a third of its weights, and a 0..1 scale would wash the pattern out
  const zmax = Math.max(1e-6, ...z.map((row) => Math.max(...row)));
  return {
    data: [{ type: 'heatmap', z, zmin: 0, zmax, colorscale: [[0, '#f7fbff'], [1, '#08306b']], colorbar: { title: { text: 'kept fraction' } } }],
    layout: baseLayout(title ?? `${weightName}: fraction of outgoing weights kept per input pixel`, {
      yaxis: { autorange: 'reversed', scaleanchor: 'x', title: { text: 'row' } }, xaxis: { title: { text: 'column' } }, width: 480, height: 460,
    }),
  };
}

/** One line of a "paper vs ours" table. */
export interface PaperComparison {
  /** What is compared, e.g. `test error after pruning (%)`. */
  quantity: string;
  /** The paper's number (as printed there). */
  paper: string | number;
  /** Ours, e.g. `1.58 ± 0.05` from {@link formatSummary}. */
  ours: string | number;
  /** Optional remark (setting differences, tolerance). */
  note?: string;
}

/** A "paper vs ours" table as rows for `pl.report` display or a DataFrame. */
export function paperVsOurs(lines: readonly PaperComparison[]): Record<string, string | number>[] {
  return lines.map((l) => ({ quantity: l.quantity, paper: l.paper, ours: l.ours, note: l.note ?? '' }));
}

/**
 * Renders rows as a GitHub-style markdown table (for the closing notes and the text/plain view).
 * @param digits decimals of non-integer numbers (default 4).
 */
export function markdownTable(rowsIn: readonly object[], digits = 4): string {
  const rows = rowsIn as readonly Record<string, unknown>[];
  if (!rows.length) return '(no rows)';
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toFixed(digits))) : String(v ?? ''));
  return [
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |`),
  ].join('\n');
}

/**
 * Long format for plotting several columns as separate lines: one output row per input row and
 * column, with `series` = the column's label and `value` = its value; other columns are kept.
 *
 * @example meltColumns(rows, { accuracyPruned: 'after pruning', accuracyFinetuned: 'after fine-tuning' })
 */
export function meltColumns(rowsIn: readonly object[], columns: Record<string, string>): Record<string, unknown>[] {
  const rows = rowsIn as readonly Record<string, unknown>[];
  return rows.flatMap((r) => Object.entries(columns).map(([c, label]) => {
    if (!(c in r)) throw new Error(`meltColumns: a row has no column '${c}'. Columns: ${Object.keys(r).join(', ')}.`);
    return { ...r, series: label, value: r[c] };
  }));
}

/**
 * A results table with `mean ± 95% CI` cells: rows grouped by `by` (one output row per group)
 * and one cell per value column, scaled (e.g. ×100 for percent).
 *
 * @param values value columns to their headers, e.g. `{ accuracyFinetuned: 'fine-tuned (%)' }`.
 * @param o scale (default 100) and decimals (default 2) of the value cells.
 */
export function summaryTable(
  rows: readonly object[],
  by: readonly string[],
  values: Record<string, string>,
  o: { scale?: number; digits?: number } = {},
): Record<string, string | number>[] {
  const g = summarizeGroups(rows, by, Object.keys(values));
  return g.map((r) => {
    const out: Record<string, string | number> = {};
    for (const c of by) out[c] = r[c];
    out.seeds = r.n;
    for (const [c, label] of Object.entries(values)) {
      out[label] = formatSummary({ mean: Number(r[`${c}_mean`]), ci: Number(r[`${c}_ci`]) }, o.scale ?? 100, o.digits ?? 2);
    }
    return out;
  });
}

/**
 * A notebook's claim: prints `✓ message` when it holds, throws `Claim failed: message` when it
 * does not, so that CI fails when a notebook stops showing what it says.
 *
 * @param holds the checked condition.
 * @param message what is claimed, with the measured numbers.
 */
export function claim(holds: boolean, message: string): void {
  if (!holds) throw new Error(`Claim failed: ${message}`);
  console.log(`✓ ${message}`);
}

/**
 * Accuracy against remaining parameters (or any cost, smaller is better): the mean of each
 * (group, target) over seeds with 95% CI error bars, and the Pareto front of those means.
 *
 * @param rows one row per run with the columns named in `o`.
 * @param o `x` (cost column, e.g. `remaining`), `y` (e.g. `accuracyFinetuned`), `group`
 *   (e.g. `method`), `by` (the column that tells a group's points apart, default `target`).
 */
export function paretoFigure(
  rows: readonly object[],
  o: { x: string; y: string; group: string; by?: string; yScale?: number; title?: string; xTitle?: string; yTitle?: string; logX?: boolean },
): Figure {
  const by = o.by ?? 'target';
  const s = summarizeGroups(rows, [o.group, by], [o.x, o.y]);
  const scale = o.yScale ?? 1;
  const names = [...new Set(s.map((r) => String(r[o.group])))];
  const data: Trace[] = names.map((name, gi) => {
    const pts = s.filter((r) => String(r[o.group]) === name);
    return {
      type: 'scatter', mode: 'markers', name: `${name} (n=${[...new Set(pts.map((p) => p.n))].join('/')})`,
      x: pts.map((p) => Number(p[`${o.x}_mean`])), y: pts.map((p) => Number(p[`${o.y}_mean`]) * scale),
      error_y: { type: 'data', array: pts.map((p) => (Number.isFinite(Number(p[`${o.y}_ci`])) ? Number(p[`${o.y}_ci`]) * scale : 0)), visible: true },
      marker: { size: 9, color: COLORS[gi % COLORS.length] },
      text: pts.map((p) => `${by} ${p[by]}`),
    };
  });
  const xs = s.map((r) => Number(r[`${o.x}_mean`]));
  const ys = s.map((r) => Number(r[`${o.y}_mean`]) * scale);
  const front = paretoFrontIndices(xs, ys);
  data.push({ type: 'scatter', mode: 'lines', name: 'Pareto front (means)', x: front.map((i) => xs[i]), y: front.map((i) => ys[i]), line: { shape: 'hv', color: 'black', dash: 'dash' } });
  return {
    data,
    layout: xyLayout(o, 480),
  };
}

/**
 * Indices of the points on the Pareto front when x is a cost (smaller is better) and y a
 * benefit: no other point has x ≤ and y ≥ with one strict. Sorted by x.
 */
export function paretoFrontIndices(xs: readonly number[], ys: readonly number[]): number[] {
  if (xs.length !== ys.length) throw new Error(`paretoFrontIndices: ${xs.length} x values but ${ys.length} y values.`);
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b] || ys[b] - ys[a]);
  const front: number[] = [];
  let best = -Infinity;
  for (const i of order) {
    if (ys[i] > best) {
      front.push(i);
      best = ys[i];
    }
  }
  return front;
}

// ---------------------------------------------------------------------------------------------
// Practical speedup (notebook 04): compression, theoretical and measured speedup over seeds

/** How a pruned model is executed in {@link speedupRows}. */
export interface ExecutionVariant {
  /** Sparse format (`csr`, `bsr`, `nm`, ...), or null to time only the structurally shrunk model. */
  format: SparseFormat | null;
  /** Also time the shrunk model (dead neurons/filters removed). */
  shrunk?: boolean;
  /** BSR block shape (default [4, 4]). */
  blockShape?: [number, number];
  /** N:M pattern (default 2:4). */
  n?: number;
  m?: number;
}

/** One row of {@link speedupRows}: one execution of one seed's pruned model at one batch size. */
export interface SpeedupResultRow {
  /** The pruning method label. */
  method: string;
  /** `csr`, `bsr`, `nm`, `shrunk`. */
  execution: string;
  /** Seed of the dense run. */
  seed: number;
  /** Batch size. */
  batch: number;
  /** Fraction of kernel weights pruned. */
  sparsity: number;
  /** Dense kernel bytes / bytes of this execution (values, indices, pointers; or the shrunk kernels). */
  compression: number;
  /** FLOP-based speedup, 1 / (1 − sparsity). */
  theoretical: number;
  /** Dense median time / this execution's median time (whole model, on the active backend). */
  measured: number;
  /** Dense and sparse median milliseconds. */
  denseMs: number;
  sparseMs: number;
}

/**
 * Prunes each run's dense model with `variant.options` and times the whole model dense vs its
 * sparse format (and/or shrunk), via the sparse core's `speedup`. Timings are medians of
 * `repeats` runs: measurements, never asserted on.
 */
export function speedupRows(
  runs: readonly DenseRun[],
  variant: PruneVariant,
  execution: ExecutionVariant,
  o: { batchSizes: number[]; repeats: number; warmup?: number },
): SpeedupResultRow[] {
  const rows: SpeedupResultRow[] = [];
  for (const run of runs) {
    resetToDense(run);
    prune(run.model, variant.options);
    const report = speedup(run.model, {
      formats: execution.format ? [execution.format] : [], shrunk: !!execution.shrunk, batchSizes: o.batchSizes,
      repeats: o.repeats, warmup: o.warmup ?? 3, breakEvenSparsities: [], blockShape: execution.blockShape, n: execution.n, m: execution.m,
    });
    for (const r of report.rows.filter((x) => x.kind === 'model')) {
      rows.push({
        method: variant.method, execution: r.variant, seed: run.seed, batch: r.batch, sparsity: r.sparsity,
        compression: r.denseBytes / r.variantBytes, theoretical: r.theoretical, measured: r.measured,
        denseMs: r.dense.median, sparseMs: r.sparse.median,
      });
    }
  }
  return rows;
}

/**
 * Break-even sweep: for each layer shape, format and batch size, measured speedup of random
 * unstructured masks over sparsities, one mask seed per `seeds` entry.
 *
 * @returns rows `{shape, format, batch, seed, sparsity, measured, theoretical}` and the break-even
 *   sparsity of each (shape, format, batch) computed on the mean over seeds.
 */
export function breakEvenSweep(
  shapes: [number, number][],
  o: { sparsities: number[]; formats: SparseFormat[]; batchSizes: number[]; seeds: number[]; repeats: number },
): { rows: Record<string, string | number>[]; breakEven: { shape: string; format: string; batch: number; sparsity: number | null }[] } {
  const rows: Record<string, string | number>[] = [];
  const points: SweepPoint[] = [];
  for (const shape of shapes) {
    for (const s of o.sparsities) {
      const perSeed = o.seeds.map((seed) => speedupSweepPoint(shape, s, { formats: o.formats, batchSizes: o.batchSizes, seed, warmup: 1, repeats: o.repeats }));
      perSeed.forEach((pts, i) => pts.forEach((p) => rows.push({
        shape: `${p.shape[0]}×${p.shape[1]}`, format: p.format, batch: p.batch, seed: o.seeds[i], sparsity: p.sparsity, measured: p.measured, theoretical: p.theoretical,
      })));
      // mean over seeds per (format, batch), for the break-even interpolation
      for (const p of perSeed[0]) {
        const same = perSeed.map((pts) => pts.find((q) => q.format === p.format && q.batch === p.batch)!).filter(Boolean);
        points.push({ ...p, measured: same.reduce((a, q) => a + q.measured, 0) / same.length });
      }
    }
  }
  const breakEven = breakEvenFromSweep(points).map((b) => ({ shape: `${b.shape[0]}×${b.shape[1]}`, format: b.format, batch: b.batch, sparsity: b.sparsity }));
  return { rows, breakEven };
}

/**
 * Shrinks a pruned model structurally and checks it computes the same function.
 *
 * @param model a pruned chain model (its kernels' zeros are the pruned weights).
 * @param examples inputs to compare on (the first `count`, default 256).
 * @returns parameters before/after and the largest absolute output difference.
 */
export function shrinkCheck(model: tf.LayersModel, examples: Examples, count = 256): { paramsBefore: number; paramsAfter: number; maxAbsDiff: number } {
  MaskedModel.existing(model)?.apply();
  const res = shrinkModel(model);
  try {
    const n = Math.min(count, examples.count);
    const size = examples.x.length / examples.count;
    const diff = tf.tidy(() => {
      const x = tf.tensor(examples.x.subarray(0, n * size), [n, ...examples.featureShape]);
      const a = model.predict(x) as tf.Tensor;
      const b = res.model.predict(x) as tf.Tensor;
      return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    });
    return { paramsBefore: res.paramsBefore, paramsAfter: res.paramsAfter, maxAbsDiff: diff };
  } finally {
    res.model.dispose();
  }
}
