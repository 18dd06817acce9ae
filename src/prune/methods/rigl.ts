/**
 * RigL (Evci, Gale, Menick, Castro, Elsen, ICML 2020: "Rigging the Lottery"): SET's drop and
 * grow with two changes — it grows where the *dense* gradient of the training step's own batch
 * is largest, and the drop fraction decays with a cosine, α(t) = α₀·½(1 + cos(πt/T_end)), with
 * updates every ΔT steps from step 0 until T_end (75% of training by default).
 *
 * Per weight and update (`google-research/rigl`, `sparse_optimizers.py: generic_mask_update`):
 * drop the `⌊α(t)·n_active⌋` active weights with the smallest |w| (plus N(0, 1e-5²) noise, the
 * code's tie-breaker), then grow as many among all positions not kept — just-dropped ones
 * included — where |∂L/∂(W⊙M)| is largest. New connections start at 0 with zeroed momentum; a
 * weight dropped and grown back keeps its value. On an update step the code applies no
 * optimizer update (`skipUpdate`, default on). The shared machinery is `../dynamic-sparse.ts`:
 * this file only says how RigL scores and counts.
 *
 * The gradient is the loop's dense gradient with respect to the masked weight (the variable
 * holds W⊙M and the forward uses it), which is what the paper grows by.
 *
 * `%prune net static --sparsity 0.95 --distribution erk` then
 * `%finetune net --data ds --method rigl --interval 100`.
 */
import { scalarSchedule, type ScalarScheduleSpec } from '../../train/scalar-schedule';
import { deriveSeed, seededRandom } from '../rng';
import { baseWeightName } from '../targets'; // draws keyed by the unsuffixed name: the same in a rebuilt model
import { SHARED_HELP } from './set';
import { absValues, dropGrowHook, normalDraws, updateTimes, type DropGrowRequest } from '../dynamic-sparse';
import { registerMethod } from '../method';

/** Options of `rigl`, as declared below. */
export type RiglOptions = { dropFraction: ScalarScheduleSpec; decay: string; interval: number; stopAt: number; skipUpdate: boolean; noise: number };

/**
 * RigL's drop fraction at a step of the run: `α₀·½(1 + cos(π·t/T_end))` (cosine) or α₀
 * (constant), with `t` the steps since the run began and `T_end` the steps over which masks change.
 */
export function riglDropFraction(alpha0: number, decay: string, t: number, tEnd: number): number {
  if (decay === 'constant') return alpha0;
  return (alpha0 / 2) * (1 + Math.cos((Math.PI * Math.min(t, tEnd)) / tEnd));
}

registerMethod<RiglOptions>({
  name: 'rigl',
  description: 'RigL: every ΔT steps drop the smallest |w| and grow where the dense gradient is largest (cosine drop fraction, until 75% of training)',
  reference: 'Evci et al. 2020, ICML (Rigging the Lottery); code: google-research/rigl',
  options: [
    { name: 'dropFraction', type: 'schedule', default: 0.3, help: SHARED_HELP.dropFraction },
    { name: 'decay', type: 'string', choices: ['cosine', 'constant'], default: 'cosine', help: 'schedule of a numeric drop fraction α₀: cosine α₀·½(1+cos(πt/T_end)) (the paper) or constant' },
    { name: 'interval', type: 'int', min: 1, default: 100, help: SHARED_HELP.interval },
    { name: 'stopAt', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.75, help: SHARED_HELP.stopAt },
    { name: 'skipUpdate', type: 'boolean', default: true, help: 'apply no optimizer update on a mask-update step (as the reference code)' },
    { name: 'noise', type: 'number', min: 0, default: 1e-5, help: "std of the N(0, σ²) noise added to |w| before dropping (the code's tie-breaker; 0 = by index)" },
  ],
  training(masked, o, run) {
    const times = updateTimes(run, o.interval, 0, o.stopAt);
    const tEnd = Math.max(1, times.end - run.initialStep);
    // a number is α₀ under the decay option; a schedule (text or object) is used as given
    const given = typeof o.dropFraction === 'number' ? undefined : scalarSchedule(o.dropFraction, 'rigl: dropFraction');
    const alpha = (step: number) => Math.min(1, Math.max(0, given ? given(step) : riglDropFraction(o.dropFraction as number, o.decay, step - run.initialStep, tEnd)));
    const hook = dropGrowHook(masked, 'rigl', times, (info) => {
      const requests = new Map<string, DropGrowRequest>();
      for (const [name, m] of masked.masks()) {
        const mask = m.dataSync();
        let active = 0;
        for (let i = 0; i < mask.length; i++) active += mask[i];
        const dropScore = absValues(masked.prunable(name).variable.read());
        if (o.noise > 0) {
          const noise = normalDraws(dropScore.length, seededRandom(deriveSeed(run.seed, `rigl@${info.step}/${baseWeightName(name)}`)), o.noise);
          for (let i = 0; i < dropScore.length; i++) dropScore[i] += noise[i];
        }
        const g = info.gradient(name);
        if (!g) throw new Error(`rigl: no gradient for '${name}' at step ${info.step}`);
        requests.set(name, { dropScore, growScore: absValues(g), count: Math.floor(alpha(info.step) * active), init: 0 });
      }
      return requests;
    }, { skipUpdate: o.skipUpdate, details: (step) => ({ dropFraction: alpha(step) }) });
    return { hooks: [hook] };
  },
});
