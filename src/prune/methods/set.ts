/**
 * Drop and grow (SET, Mocanu et al. 2018): during training, every `interval` steps each masked
 * weight drops the fraction ζ of its alive weights with the smallest magnitude and regrows as
 * many among the pruned positions — at random (SET), or where the step's dense gradient is
 * largest (`grow: 'gradient'`, RigL's growth rule, Evci et al. 2020). Regrown weights start at
 * 0 with fresh optimizer slots; the sparsity of every layer stays what it was.
 *
 * It runs in an `onGradients` hook, so the gradient rule uses the training step's own batch and
 * gradients (no extra forward/backward pass), and the new masks apply to that step's update.
 *
 * `%prune net random --sparsity 0.9 --scope erk` then `%finetune net --data ds --method set`.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../../errors';
import { keepAllButLowest, roundHalfEven } from '../../sparse/mask-select';
import { scalarSchedule, type ScalarScheduleSpec } from '../../train/scalar-schedule';
import type { SlotOptimizer, TrainHook } from '../../train/types';
import type { MaskedModel } from '../masked-model';
import { registerMethod } from '../method';
import { deriveSeed, seededRandom } from '../rng';

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
type SetOptions = { dropFraction: ScalarScheduleSpec; interval?: number; grow: string; stopAt: number };

registerMethod<SetOptions>({
  name: 'set',
  description: 'drop the smallest alive weights and regrow as many (at random, or by gradient) during training',
  reference: 'Mocanu et al. 2018 (SET); gradient growth as in Evci et al. 2020 (RigL)',
  options: [
    { name: 'dropFraction', type: 'schedule', default: 0.3, help: 'fraction ζ of alive weights replaced at each update (a number or a schedule, e.g. cosine:0.3:0:0:7500)' },
    { name: 'interval', type: 'int', min: 1, help: 'steps between updates (default: one epoch)' },
    { name: 'grow', type: 'string', choices: ['random', 'gradient'], default: 'random', help: 'where weights regrow: random (SET) or largest |dense gradient| (RigL)' },
    { name: 'stopAt', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 1, help: 'fraction of the run after which the masks stop changing' },
  ],
  training(masked, o, run) {
    if (!masked.masks().size) throw new UserError("set: the model has no masks yet; prune it first (e.g. %prune net random --sparsity 0.9 --scope erk), then train with --method set.");
    const drop = scalarSchedule(o.dropFraction, 'set: dropFraction');
    const interval = o.interval ?? run.stepsPerEpoch;
    const stop = run.initialStep + Math.floor(o.stopAt * run.totalSteps);
    const hook: TrainHook = {
      onGradients(info) {
        const t = info.step - run.initialStep;
        // updates at the end of each interval (SET: after every epoch), never at the very first step
        if ((t + 1) % interval !== 0 || info.step >= stop) return;
        const fraction = Math.min(1, Math.max(0, drop(info.step)));
        dropAndGrow(masked, {
          fraction, seed: deriveSeed(run.seed, `set@${info.step}`), optimizer: info.optimizer,
          ...(o.grow === 'gradient' ? { growScores: info.gradients } : {}),
        });
      },
    };
    return { hooks: [hook] };
  },
});
