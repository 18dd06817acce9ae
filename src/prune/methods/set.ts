/**
 * SET (Mocanu et al. 2018, sparse evolutionary training) and the free `dropAndGrow` step.
 *
 * `dropAndGrow(masked, opts)`: each masked weight drops the fraction ζ of its alive weights with
 * the smallest magnitude and regrows as many among the positions pruned *before* the step — at
 * random, or where given grow scores are largest. Regrown weights start at 0 with fresh
 * optimizer slots; the sparsity of every layer stays what it was.
 *
 * The `set` training method below follows the paper and its code instead (drop ζ of the positive
 * and ζ of the negative weights closest to zero, regrow at random among all empty positions,
 * just-dropped ones included) through the shared drop-then-grow machinery of
 * `../dynamic-sparse.ts`; RigL (`rigl.ts`) is the same with a gradient grow score.
 *
 * `%prune net static --sparsity 0.9 --distribution er` then `%finetune net --data ds --method set`.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../../errors';
import { keepAllButLowest, roundHalfEven } from '../../sparse/mask-select';
import { scalarSchedule, type ScalarScheduleSpec } from '../../train/scalar-schedule';
import type { SlotOptimizer } from '../../train/types';
import { dropGrowHook, normalDraws, updateTimes, type DropGrowRequest } from '../dynamic-sparse';
import type { MaskedModel } from '../masked-model';
import { registerMethod } from '../method';
import { deriveSeed, seededRandom } from '../rng';
import { baseWeightName } from '../targets'; // draws keyed by the unsuffixed name: the same in a rebuilt model

/** Options of {@link dropAndGrow}. */
export interface DropAndGrowOptions {
  /** Fraction of each weight's alive weights to replace, in [0, 1]. */
  fraction: number;
  /** Seed of the random growth (default 0). */
  seed?: number;
  /** Optimizer whose slots are reset where weights regrow (the training loop's own are reset anyway). */
  optimizer?: SlotOptimizer;
  /** Only these weights (default: every masked weight). */
  names?: string[];
  /**
   * Growth scores by weight name (e.g. the dense gradient): the pruned positions with the largest
   * |score| regrow. Weights without one regrow at random.
   */
  growScores?: ReadonlyMap<string, tf.Tensor>;
}

/**
 * One drop-and-grow step on a masked model (see the module comment).
 * @returns per weight name, the number of weights replaced.
 * @throws for a fraction outside [0, 1] or a model without masks; nothing changes then.
 */
export function dropAndGrow(masked: MaskedModel, opts: DropAndGrowOptions): Map<string, number> {
  if (!(opts.fraction >= 0 && opts.fraction <= 1)) throw new OptionError(`dropAndGrow: fraction must be in [0, 1]; got ${opts.fraction}.`, 'fraction');
  const names = opts.names ?? [...masked.masks().keys()];
  if (!names.length) throw new UserError('dropAndGrow: the model has no masks yet; prune it first (e.g. %prune net random --sparsity 0.9 --scope erk).');
  const counts = new Map<string, number>();
  masked.edit((edit) => {
    for (const name of names) {
      const w = masked.prunable(name);
      const m = edit.mask(name).dataSync();
      const v = edit.value(name).dataSync();
      const alive: number[] = [], dead: number[] = [];
      for (let i = 0; i < m.length; i++) (m[i] ? alive : dead).push(i);
      const k = Math.min(roundHalfEven(opts.fraction * alive.length), dead.length);
      const keep = keepAllButLowest(Float32Array.from(alive, (i) => Math.abs(v[i])), k);
      const mask = Float32Array.from(m);
      alive.forEach((i, j) => {
        if (!keep[j]) mask[i] = 0;
      });
      const grow = new Float32Array(m.length);
      const score = opts.growScores?.get(w.name);
      if (score) {
        // the k previously dead positions with the largest |score| (ties: lower index first)
        const s = score.dataSync();
        const keepDead = keepAllButLowest(Float32Array.from(dead, (i) => Math.abs(s[i])), dead.length - k);
        dead.forEach((i, j) => {
          if (keepDead[j]) grow[i] = 1;
        });
      } else {
        // partial Fisher-Yates: k distinct random positions among the previously dead
        const rnd = seededRandom(deriveSeed(opts.seed ?? 0, name));
        for (let j = 0; j < k; j++) {
          const r = j + Math.floor(rnd() * (dead.length - j));
          [dead[j], dead[r]] = [dead[r], dead[j]];
          grow[dead[j]] = 1;
        }
      }
      edit.setMask(name, tf.tensor(mask, w.shape));
      edit.regrow(name, tf.tensor(grow, w.shape), { init: 0, optimizer: opts.optimizer });
      counts.set(name, k);
    }
    edit.record({ method: 'set-drop-grow', details: { fraction: opts.fraction, seed: opts.seed ?? 0, grow: opts.growScores ? 'scores' : 'random' } });
  });
  return counts;
}

/** Options of the `set` training method, as declared below. */
export type SetOptions = { dropFraction: ScalarScheduleSpec; interval?: number; dropBy: string; growInit: string; growStd: number; stopAt: number };

/**
 * Help of the options `set` and `rigl` share: a magic shows one flag for both, with one text.
 */
export const SHARED_HELP = {
  dropFraction: 'fraction ζ of active weights replaced at each update: a number (set: constant, default 0.3; rigl: α₀, decayed by --decay) or a schedule, e.g. cosine:0.3:0:0:7500',
  interval: 'steps between mask updates (set: default one epoch, at its end; rigl: ΔT, default 100, the first at step 0)',
  stopAt: 'fraction of the run after which the masks stop changing (set: default 1; rigl: T_end, default 0.75)',
};

/** The option declarations of `set`. */
export const SET_OPTIONS = [
  { name: 'dropFraction', type: 'schedule', default: 0.3, help: SHARED_HELP.dropFraction },
  { name: 'interval', type: 'int', min: 1, help: SHARED_HELP.interval },
  { name: 'dropBy', type: 'string', choices: ['signed', 'magnitude'], default: 'signed', help: 'signed: ζ of the positive and ζ of the negative weights closest to zero (the paper); magnitude: ζ of all by |w|' },
  { name: 'growInit', type: 'string', choices: ['zero', 'normal'], default: 'zero', help: "value of new connections: zero (the paper's Keras code) or normal N(0, growStd²) (its sparse-data-structures code)" },
  { name: 'growStd', type: 'number', min: 0, default: 0.1, help: 'standard deviation of new connections with --grow-init normal' },
  { name: 'stopAt', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 1, help: SHARED_HELP.stopAt },
] as const;

/**
 * The entries SET drops in one weight: ζ of the active non-negative weights closest to zero and
 * ζ of the active negative ones closest to zero (`signed`), or ζ of all active by |w|.
 * @returns a drop score (0 = drop, 1 = keep) and the number dropped.
 */
export function setDropScore(mask: ArrayLike<number>, value: ArrayLike<number>, fraction: number, dropBy: 'signed' | 'magnitude'): { score: Float32Array; count: number } {
  const score = new Float32Array(mask.length).fill(1);
  const pools: number[][] = dropBy === 'signed' ? [[], []] : [[]];
  for (let i = 0; i < mask.length; i++) if (mask[i]) pools[dropBy === 'signed' && value[i] < 0 ? 1 : 0].push(i);
  let count = 0;
  for (const pool of pools) {
    const k = roundHalfEven(fraction * pool.length);
    const keep = keepAllButLowest(Float32Array.from(pool, (i) => Math.abs(value[i])), k);
    pool.forEach((i, j) => {
      if (!keep[j]) score[i] = 0;
    });
    count += k;
  }
  return { score, count };
}

registerMethod<SetOptions>({
  name: 'set',
  description: 'SET: every epoch drop the fraction ζ of weights closest to zero in each layer and regrow as many at random',
  reference: 'Mocanu et al. 2018, Nature Communications (sparse evolutionary training); code: dcmocanu/sparse-evolutionary-artificial-neural-networks',
  options: SET_OPTIONS,
  training(masked, o, run) {
    const drop = scalarSchedule(o.dropFraction, 'set: dropFraction');
    const interval = o.interval ?? run.stepsPerEpoch;
    // at the end of each interval (SET: after every epoch), never on the run's last step
    const times = updateTimes(run, interval, interval - 1, o.stopAt);
    times.end = Math.min(times.end, run.initialStep + run.totalSteps - 1);
    const hook = dropGrowHook(masked, 'set', times, (info) => {
      const fraction = Math.min(1, Math.max(0, drop(info.step)));
      const requests = new Map<string, DropGrowRequest>();
      for (const [name, m] of masked.masks()) {
        const mask = m.dataSync();
        const value = masked.prunable(name).variable.read().dataSync();
        const { score, count } = setDropScore(mask, value, fraction, o.dropBy as 'signed' | 'magnitude');
        const rnd = seededRandom(deriveSeed(run.seed, `set@${info.step}/${baseWeightName(name)}`));
        const growScore = Float32Array.from({ length: mask.length }, () => rnd());
        const init = o.growInit === 'normal'
          ? () => normalDraws(mask.length, seededRandom(deriveSeed(run.seed, `set-init@${info.step}/${baseWeightName(name)}`)), o.growStd)
          : 0;
        requests.set(name, { dropScore: score, growScore, count, init });
      }
      return requests;
    }, { details: (step) => ({ dropFraction: drop(step) }) });
    return { hooks: [hook] };
  },
});
