/** Learning-rate schedules as functions of the global step. */
import { OptionError } from '../errors';

/**
 * A learning-rate schedule. Steps are global optimizer steps (including `initialStep`).
 * - `constant`: lr.
 * - `step`: lr · γ^⌊step / every⌋ (decay by γ every `every` steps).
 * - `cosine`: min + (lr − min)·(1 + cos(π·min(step, total)/total))/2, reaching `min` at `total`
 *   and staying there; `total` defaults to the last step of the `train` call.
 * - `multistep`: lr · γ^(number of milestones passed), milestones given as fractions of the run
 *   (PyTorch's `MultiStepLR` at epochs 100 and 150 of 200 is `at: [0.5, 0.75]`), so one recipe
 *   reads the same at any length of training.
 * - a function `(step, baseLr) => lr` for anything else.
 */
export type LrSchedule =
  | { type: 'constant' }
  | { type: 'step'; /** Steps between decays (> 0). */ every: number; /** Decay factor in (0, 1]. */ gamma: number }
  | { type: 'cosine'; /** Step at which the minimum is reached (> 0). */ total?: number; /** Final learning rate (default 0). */ min?: number }
  | { type: 'multistep'; /** Increasing fractions of the run in (0, 1) where the rate is multiplied by `gamma`. */ at: number[]; /** Decay factor in (0, 1]; default 0.1. */ gamma?: number; /** Steps of the whole run (default: the last step of the `train` call). */ total?: number }
  | ((step: number, baseLr: number) => number);

/** Known schedule types, for error messages. */
export const SCHEDULE_TYPES = ['constant', 'step', 'cosine', 'multistep'] as const;

/**
 * Validates a schedule and fills in defaults.
 *
 * @param schedule the schedule (default constant).
 * @param totalSteps the global step at which this training run ends (default for cosine `total`).
 * @returns a function from global step to learning rate, given the base rate.
 */
export function compileSchedule(
  schedule: LrSchedule | undefined,
  totalSteps: number,
): (step: number, baseLr: number) => number {
  if (schedule === undefined) return (_s, lr) => lr;
  if (typeof schedule === 'function') return schedule;
  switch (schedule.type) {
    case 'constant':
      return (_s, lr) => lr;
    case 'step': {
      const { every, gamma } = schedule;
      if (!Number.isInteger(every) || every <= 0) throw new OptionError(`lr schedule 'step': every must be a positive integer number of steps, got ${every}.`, 'every');
      if (!(gamma > 0 && gamma <= 1)) throw new OptionError(`lr schedule 'step': gamma must be in (0, 1], got ${gamma}.`, 'gamma');
      return (s, lr) => lr * Math.pow(gamma, Math.floor(s / every));
    }
    case 'cosine': {
      const total = schedule.total ?? totalSteps;
      const min = schedule.min ?? 0;
      if (!(total > 0) || !Number.isFinite(total)) throw new OptionError(`lr schedule 'cosine': total must be a positive number of steps, got ${total}.`, 'total');
      if (!(min >= 0) || !Number.isFinite(min)) throw new OptionError(`lr schedule 'cosine': min must be a finite number ≥ 0, got ${min}.`, 'min');
      return (s, lr) => min + ((lr - min) * (1 + Math.cos((Math.PI * Math.min(s, total)) / total))) / 2;
    }
    case 'multistep': {
      const total = schedule.total ?? totalSteps;
      const gamma = schedule.gamma ?? 0.1;
      const at = schedule.at;
      if (!Array.isArray(at) || at.length === 0 || at.some((f, i) => !(f > 0 && f < 1) || (i > 0 && f <= at[i - 1]))) {
        throw new OptionError(`lr schedule 'multistep': at must be increasing fractions of the run in (0, 1), e.g. [0.5, 0.75]; got ${JSON.stringify(at)}.`, 'at');
      }
      if (!(gamma > 0 && gamma <= 1)) throw new OptionError(`lr schedule 'multistep': gamma must be in (0, 1], got ${gamma}.`, 'gamma');
      if (!(total > 0) || !Number.isFinite(total)) throw new OptionError(`lr schedule 'multistep': total must be a positive number of steps, got ${total}.`, 'total');
      // a milestone at fraction f takes effect from step round(f·total) on (MultiStepLR's epoch boundary when f·total is one)
      const steps = at.map((f) => Math.round(f * total));
      return (s, lr) => lr * Math.pow(gamma, steps.filter((m) => s >= m).length);
    }
    default:
      throw new OptionError(
        `Unknown lr schedule ${JSON.stringify(schedule)}. Known types: ${SCHEDULE_TYPES.join(', ')} (or pass a function (step, baseLr) => lr).`,
        'schedule',
      );
  }
}

/**
 * The learning rate at a global step (convenience for plots and tests).
 *
 * @param schedule the schedule.
 * @param baseLr the base learning rate.
 * @param step the global step.
 * @param totalSteps default `total` of a cosine schedule.
 */
export function learningRateAt(schedule: LrSchedule | undefined, baseLr: number, step: number, totalSteps = step + 1): number {
  return compileSchedule(schedule, totalSteps)(step, baseLr);
}
