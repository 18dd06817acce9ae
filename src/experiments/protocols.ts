/**
 * Pruning protocols over training: Han et al.'s iterative prune-retrain to per-layer densities,
 * and one-shot vs iterative vs gradual (AGP) schedules at the same budget of steps.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Examples } from '../data/types';
import {
  agpSchedule, iterativeSchedule, MaskedModel, maskSparsity, oneShotSchedule, prune, PruningHook,
  type PruneOptions, type SparsitySchedule,
} from '../prune';
import { evaluate, train } from '../train';
import { pct, type Logger } from './log';
import { experimentData } from './data';
import { disposeRuns, recipeOptions, remainingParams, resetToDense, trainDenseRuns, type DenseRun, type TrainRecipe } from './runs';
import type { DenseRunsSpec, VariantRow } from './variants';
import { OptionError, UnknownNameError } from '../errors';

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
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new OptionError(`iterativePruneRetrain: rounds must be an integer ≥ 1; got ${o.rounds}.`, 'rounds');
  for (const [k, d] of Object.entries(o.density)) {
    if (!(d > 0 && d <= 1)) throw new OptionError(`iterativePruneRetrain: density['${k}'] must be in (0, 1] (fraction of weights kept); got ${d}.`, 'density');
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
  /**
   * Run only the schedules with these labels, as {@link comparedSchedules} names them
   * (`one-shot`, `iterative (k rounds)`, `gradual (AGP)`); default all. A sweep's trial runs one
   * schedule of one seed with it.
   */
  schedules?: readonly string[];
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
  if (!Number.isInteger(o.evalEvery) || o.evalEvery < 1) throw new OptionError(`scheduleComparison: evalEvery must be an integer ≥ 1; got ${o.evalEvery}.`, 'evalEvery');
  const compared = comparedSchedules(o);
  const labels = compared.map((c) => c.method);
  for (const s of o.schedules ?? []) {
    if (!labels.includes(s)) throw new UnknownNameError('schedule', s, labels, `scheduleComparison: unknown schedule '${s}'. The schedules of these options: ${labels.join(', ')}.`);
  }
  const curveSet = firstExamples(data.test, o.curveExamples ?? 1000);
  const rows: VariantRow[] = [];
  const curves: CurveRow[] = [];
  for (const { method, schedule } of compared.filter((c) => !o.schedules || o.schedules.includes(c.method))) {
    const t0 = Date.now();
    for (const run of runs) {
      resetToDense(run);
      const hook = new PruningHook(schedule, { criterion: 'magnitude', ...o.prune }, run.model);
      const point = (step: number) => curves.push({ method, seed: run.seed, step, sparsity: maskSparsity(MaskedModel.of(run.model)), accuracy: evaluate(run.model, curveSet).accuracy });
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

/** Options of {@link scheduleSweep}: the dense runs to train, and the comparison. */
export interface ScheduleSweepOptions extends DenseRunsSpec, ScheduleComparisonOptions {}

/** What {@link scheduleSweep} returns. */
export interface ScheduleSweepResult {
  /** The dataset used. */
  data: Dataset;
  /** The dense runs (pruned by the last schedule; dispose with {@link disposeRuns}). */
  runs: DenseRun[];
  /** One row per (schedule, seed), as {@link scheduleComparison} gives them. */
  rows: VariantRow[];
  /** The learning curves, as {@link scheduleComparison} gives them. */
  curves: CurveRow[];
}

/**
 * {@link scheduleComparison} from the data and the dense recipe: trains a dense model per seed,
 * then compares the schedules on them, in this process. `pl.sweeps.scheduleSweep` takes the same
 * options plus a sweep name and runs each (schedule, seed) as a trial of a resumable sweep.
 */
export async function scheduleSweep(o: ScheduleSweepOptions): Promise<ScheduleSweepResult> {
  const log = o.log ?? console.log;
  const data = await experimentData(o.data);
  const runs = await trainDenseRuns(o.model ?? 'lenet-300-100', data, o.dense, o.seeds, log);
  try {
    const { rows, curves } = await scheduleComparison(runs, data, o, log);
    return { data, runs, rows, curves };
  } catch (e) {
    disposeRuns(runs);
    throw e;
  }
}
