/**
 * Criterion registry. A criterion only computes importance scores (higher = keep); granularity,
 * allocation and masking are the core's job, so a new method is a few lines:
 *
 * ```ts
 * registerCriterion('my-snip', (ctx) => new Map(ctx.targets.map((t) =>
 *   [t.name, tf.abs(tf.mul(ctx.weights().get(t.name)!, ctx.gradients().get(t.name)!))])));
 * ```
 */
import * as tf from '@tensorflow/tfjs';
import { Registry, type RegisterOptions, type RegistryEntry } from '../registry';
import type { CriterionContext } from './context';

/** A pruning criterion. */
export interface Criterion {
  /** One line shown by help listings. */
  description?: string;
  /**
   * Importance scores per target weight (same shape as the weight, higher = more important).
   * Returned tensors are disposed by the caller.
   */
  scores(ctx: CriterionContext): Map<string, tf.Tensor>;
}

/** A criterion or just its `scores` function. */
export type CriterionLike = Criterion | ((ctx: CriterionContext) => Map<string, tf.Tensor>);

function asCriterion(c: CriterionLike): Criterion {
  return typeof c === 'function' ? { scores: c } : c;
}

const criteria = new Registry<Criterion>({
  kind: 'criterion',
  plural: 'criteria',
  validate: (c) => (typeof c?.scores === 'function' ? undefined : 'the criterion needs a scores(ctx) function'),
  hint: 'Register one with pl.registerCriterion(name, scores).',
});

/**
 * Registers a criterion by name.
 *
 * @param name registry name used by `prune(..., { criterion: name })` and `%prune`.
 * @param criterion a {@link Criterion} or a bare scores function.
 * @param options `replace: true` to overwrite a criterion of the same name (e.g. when a notebook
 *   cell is run again); `description`, one line for listings (default: the criterion's own).
 * @throws OptionError for a bad name or a criterion without `scores`; UserError when the name
 *   is taken and `replace` is not set.
 */
export function registerCriterion(name: string, criterion: CriterionLike, options: RegisterOptions = {}): void {
  criteria.register(name, asCriterion(criterion), options);
}

/** Removes a registered criterion. @returns whether it existed. */
export function unregisterCriterion(name: string): boolean {
  return criteria.unregister(name);
}

/** Names of the registered criteria, sorted. */
export function criterionNames(): string[] {
  return criteria.names();
}

/** The registered criteria with their one-line descriptions, sorted by name. */
export function listCriteria(): RegistryEntry<Criterion>[] {
  return criteria.list();
}

/**
 * Looks a criterion up.
 *
 * @param nameOrCriterion a registered name, or a criterion object/function (returned as is).
 * @throws UnknownNameError for unknown names, listing the known ones.
 */
export function getCriterion(nameOrCriterion: string | CriterionLike): Criterion {
  if (typeof nameOrCriterion !== 'string') return asCriterion(nameOrCriterion);
  return criteria.get(nameOrCriterion);
}

/** Helper for criteria: maps each target weight's current value to a score tensor. */
export function scoreEachWeight(ctx: CriterionContext, fn: (w: tf.Tensor, name: string) => tf.Tensor): Map<string, tf.Tensor> {
  const ws = ctx.weights();
  return new Map(ctx.targets.map((t) => [t.name, tf.tidy(() => fn(ws.get(t.name)!, t.name))]));
}
