/**
 * Sparsity schedules (target sparsity as a function of the training step) and the training-loop
 * hook that prunes on schedule, so that pruning and fine-tuning interleave.
 * Semantics follow TF-MOT: a schedule says at each step whether to prune and to what sparsity.
 */
import type * as tf from '@tensorflow/tfjs';
import { scalarSchedule } from '../train/scalar-schedule';
import type { MaskSource, StepInfo, TrainHook } from '../train/types';
import { checkSparsity } from './allocation';
import { MaskedModel } from './masked-model';
import { prune, type PruneOptions } from './prune';
import { OptionError } from '../errors';

/** A schedule's decision for one step. */
export interface ScheduleDecision {
  /** Whether this step is a pruning step. */
  prune: boolean;
  /** Target sparsity at this step. */
  sparsity: number;
}

/** Target sparsity over training steps. */
export interface SparsitySchedule {
  /** Display name with parameters. */
  name: string;
  /** The decision at a (0-based, global) step. */
  at(step: number): ScheduleDecision;
}

function checkStep(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0) throw new OptionError(`${what} must be an integer ≥ 0; got ${v}.`, what);
  return v;
}

/** Prune once, at `step` (default 0), to `sparsity`. */
export function oneShotSchedule(o: { sparsity: number; step?: number }): SparsitySchedule {
  checkSparsity(o.sparsity);
  const at = checkStep(o.step ?? 0, 'step');
  return { name: `one-shot(${o.sparsity} @ ${at})`, at: (s) => ({ prune: s === at, sparsity: s >= at ? o.sparsity : 0 }) };
}

/**
 * Iterative pruning in `rounds` equal rounds, one every `stepsPerRound` steps from `beginStep`.
 * `linear` (default): round r reaches `sparsity·r/rounds`; `geometric`: each round removes the
 * same fraction of the remaining weights (density `(1−s)^(r/rounds)`, Han et al. / lottery tickets).
 */
export function iterativeSchedule(o: {
  sparsity: number; rounds: number; stepsPerRound: number; beginStep?: number; mode?: 'linear' | 'geometric';
}): SparsitySchedule {
  checkSparsity(o.sparsity);
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new OptionError(`rounds must be an integer ≥ 1; got ${o.rounds}.`, 'rounds');
  if (!Number.isInteger(o.stepsPerRound) || o.stepsPerRound < 1) throw new OptionError(`stepsPerRound must be an integer ≥ 1; got ${o.stepsPerRound}.`, 'stepsPerRound');
  const begin = checkStep(o.beginStep ?? 0, 'beginStep');
  const mode = o.mode ?? 'linear';
  if (mode !== 'linear' && mode !== 'geometric') throw new OptionError(`mode must be 'linear' or 'geometric'; got '${mode}'.`, 'mode');
  const target = (r: number) => (mode === 'linear' ? (o.sparsity * r) / o.rounds : 1 - Math.pow(1 - o.sparsity, r / o.rounds));
  return {
    name: `iterative(${o.sparsity}, ${o.rounds} rounds, ${mode})`,
    at(step) {
      if (step < begin) return { prune: false, sparsity: 0 };
      const r = Math.min(o.rounds, Math.floor((step - begin) / o.stepsPerRound) + 1);
      return { prune: (step - begin) % o.stepsPerRound === 0 && (step - begin) / o.stepsPerRound < o.rounds, sparsity: target(r) };
    },
  };
}

/** TF-MOT's pruning-step rule: in [begin, end] (end −1: forever) and (step − begin) mod frequency = 0. */
function shouldPrune(step: number, begin: number, end: number, frequency: number): boolean {
  return step >= begin && (step <= end || end < 0) && (step - begin) % frequency === 0;
}

/** Options of {@link polynomialDecaySchedule}. */
export interface PolynomialDecayOptions {
  /** Sparsity at `beginStep` (default 0). */
  initialSparsity?: number;
  /** Sparsity reached at `endStep`. */
  finalSparsity: number;
  /** First pruning step (default 0). */
  beginStep?: number;
  /** Step where the final sparsity is reached. */
  endStep: number;
  /** Prune every `frequency` steps (default 100, as TF-MOT). */
  frequency?: number;
  /** Exponent (default 3: Zhu & Gupta's AGP). */
  power?: number;
}

/**
 * Polynomial decay / AGP (Zhu & Gupta 2017; TF-MOT `PolynomialDecay`):
 * `s_t = s_f + (s_i − s_f)(1 − p)^power`, `p = clip((t − begin)/(end − begin), 0, 1)`,
 * pruning every `frequency` steps in `[begin, end]`.
 */
export function polynomialDecaySchedule(o: PolynomialDecayOptions): SparsitySchedule {
  const si = checkSparsity(o.initialSparsity ?? 0, 'initialSparsity');
  const sf = checkSparsity(o.finalSparsity, 'finalSparsity');
  const begin = checkStep(o.beginStep ?? 0, 'beginStep');
  const end = checkStep(o.endStep, 'endStep');
  if (end <= begin) throw new OptionError(`endStep (${end}) must be greater than beginStep (${begin}).`, 'endStep');
  const freq = o.frequency ?? 100;
  if (!Number.isInteger(freq) || freq < 1) throw new OptionError(`frequency must be an integer ≥ 1; got ${freq}.`, 'frequency');
  const power = o.power ?? 3;
  const sparsityAt = scalarSchedule({ kind: 'polynomial', from: si, to: sf, begin, end, power }, 'polynomialDecaySchedule');
  return {
    name: `polynomial(${si}→${sf}, steps ${begin}..${end}/${freq}, power ${power})`,
    at: (step) => ({ prune: shouldPrune(step, begin, end, freq), sparsity: sparsityAt(step) }),
  };
}

/** Zhu & Gupta's automated gradual pruning: {@link polynomialDecaySchedule} with power 3. */
export function agpSchedule(o: Omit<PolynomialDecayOptions, 'power'>): SparsitySchedule {
  return polynomialDecaySchedule({ ...o, power: 3 });
}

/** Constant sparsity, re-applied every `frequency` steps in `[beginStep, endStep]` (TF-MOT `ConstantSparsity`; endStep −1 = forever). */
export function constantSparsitySchedule(o: { sparsity: number; beginStep?: number; endStep?: number; frequency?: number }): SparsitySchedule {
  checkSparsity(o.sparsity);
  const begin = checkStep(o.beginStep ?? 0, 'beginStep');
  const end = o.endStep ?? -1;
  if (end !== -1 && (!Number.isInteger(end) || end < begin)) throw new OptionError(`endStep must be −1 or an integer ≥ beginStep; got ${end}.`, 'endStep');
  const freq = o.frequency ?? 100;
  if (!Number.isInteger(freq) || freq < 1) throw new OptionError(`frequency must be an integer ≥ 1; got ${freq}.`, 'frequency');
  return { name: `constant(${o.sparsity})`, at: (s) => ({ prune: shouldPrune(s, begin, end, freq), sparsity: o.sparsity }) };
}

/**
 * A training-loop hook that prunes on schedule: at each step where the schedule says so, it
 * calls `prune(model, { ...options, sparsity })` (masks compose, so sparsity only grows). It is
 * also the loop's `MaskSource`, so `train(net, data, { hooks: [h], masks: h })` keeps pruned
 * weights at 0 between pruning steps.
 */
export class PruningHook implements TrainHook, MaskSource {
  private model: tf.LayersModel | undefined;
  /** Steps at which the hook pruned, with the sparsity requested. */
  readonly log: { step: number; sparsity: number }[] = [];

  /**
   * @param schedule when and how much to prune.
   * @param options everything else `prune` takes (criterion, granularity, scope, ...).
   * @param model optional: the model, so that `currentMasks()` works before training starts.
   */
  constructor(readonly schedule: SparsitySchedule, readonly options: Omit<PruneOptions, 'sparsity' | 'step'> = {}, model?: tf.LayersModel) {
    this.model = model;
  }

  /** Remembers the model. */
  onTrainBegin(info: StepInfo): void {
    this.model = info.model;
  }

  /** Prunes when the schedule says so. */
  onStepBegin(info: StepInfo): void {
    this.model = info.model;
    const d = this.schedule.at(info.step);
    if (!d.prune || d.sparsity <= 0) return;
    prune(info.model, { ...this.options, sparsity: d.sparsity, step: info.step });
    this.log.push({ step: info.step, sparsity: d.sparsity });
  }

  /** `MaskSource`: the model's current masks (empty before the first pruning step). */
  currentMasks(): ReadonlyMap<string, tf.Tensor> {
    return (this.model && MaskedModel.existing(this.model)?.currentMasks()) ?? new Map();
  }
}

/** A schedule plus pruning options; `hook()` gives the training-loop hook. */
export class Pruner {
  constructor(readonly schedule: SparsitySchedule, readonly options: Omit<PruneOptions, 'sparsity' | 'step'> = {}) {}

  /** The hook for `train(..., { hooks: [pruner.hook(net)], masks: ... })`. */
  hook(model?: tf.LayersModel): PruningHook {
    return new PruningHook(this.schedule, this.options, model);
  }
}
