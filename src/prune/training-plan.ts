/**
 * `trainingPlan(model, method, options, run)`: what a method adds to one training run (its
 * hooks, loss terms, and the model's masks), to spread into `train()`'s options — the API that
 * `%finetune --method` calls.
 *
 * @example
 * const plan = pl.trainingPlan(net, 'set', { dropFraction: 0.3 }, { totalSteps: 1875, stepsPerEpoch: 1875 });
 * await pl.train(net, ds.train, { epochs: 1, ...plan.trainOptions });
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import type { LossTerm, TrainHook } from '../train/types';
import { MaskedModel } from './masked-model';
import { attachMethod, getMethod, type TrainingRun } from './method';
import { resolveOptionValues, type OptionValues } from './method-options';

/** What {@link trainingPlan} returns. */
export interface TrainingPlan {
  /** The method's name. */
  method: string;
  /** Its options, validated, with defaults filled in. */
  options: OptionValues;
  /** Spread into `train(model, data, { ...trainOptions })`: hooks, extra losses and the masks. */
  trainOptions: { hooks: TrainHook[]; extraLosses: LossTerm[]; masks: MaskedModel };
}

/**
 * Prepares a training run with a method: validates its options, attaches it (parametrizations,
 * variables) when it attaches, and collects its hooks and loss terms.
 *
 * @param model the model or its MaskedModel.
 * @param method a registered method name (`pl.listMethods()`).
 * @param options the method's own options (`pl.describeMethod(name)` lists them).
 * @param run the run's length; `initialStep` and `seed` default to 0.
 * @throws UnknownNameError for an unknown method, OptionError for a bad option or a method that
 *   does nothing during training (a one-shot method: use `prune`). Nothing is attached then.
 */
export function trainingPlan(
  model: tf.LayersModel | MaskedModel, method: string, options: Record<string, unknown> = {},
  run: Partial<TrainingRun> & { totalSteps: number },
): TrainingPlan {
  const m = getMethod(method);
  if (!m.training && !m.attach) {
    throw new OptionError(`Method '${method}' acts once, not during training: use prune(model, { method: '${method}' }) (or %prune) instead.`, 'method');
  }
  const resolved = resolveOptionValues(m.options ?? [], options, `trainingPlan (method '${method}')`);
  if (!Number.isInteger(run.totalSteps) || run.totalSteps < 1) throw new OptionError(`trainingPlan: totalSteps must be a positive integer; got ${run.totalSteps}.`, 'totalSteps');
  const masked = model instanceof MaskedModel ? model : MaskedModel.of(model);
  const full: TrainingRun = { totalSteps: run.totalSteps, stepsPerEpoch: run.stepsPerEpoch ?? run.totalSteps, initialStep: run.initialStep ?? 0, seed: run.seed ?? 0 };
  if (m.attach) attachMethod(masked, method, resolved);
  const t = m.training?.(masked, resolved, full) ?? {};
  return { method, options: resolved, trainOptions: { hooks: t.hooks ?? [], extraLosses: t.extraLosses ?? [], masks: masked } };
}
