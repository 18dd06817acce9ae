/**
 * Criterion registry. A criterion only computes importance scores (higher = keep); granularity,
 * allocation and masking are the core's job, so a new method is a few lines:
 *
 * ```ts
 * registerCriterion('snip', (ctx) => new Map(ctx.targets.map((t) =>
 *   [t.name, tf.abs(tf.mul(ctx.weights().get(t.name)!, ctx.gradients().get(t.name)!))])));
 * ```
 */
import * as tf from '@tensorflow/tfjs';
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

const registry = new Map<string, Criterion>();

function asCriterion(c: CriterionLike): Criterion {
  return typeof c === 'function' ? { scores: c } : c;
}

/**
 * Registers (or replaces) a criterion by name.
 *
 * @param name registry name used by `prune(..., { criterion: name })` and `%prune`.
 * @param criterion a {@link Criterion} or a bare scores function.
 */
export function registerCriterion(name: string, criterion: CriterionLike, _options: { replace?: boolean } = {}): void {
  if (!name || typeof name !== 'string') throw new Error('registerCriterion: name must be a non-empty string.');
  const c = asCriterion(criterion);
  if (typeof c.scores !== 'function') throw new Error(`registerCriterion('${name}'): the criterion needs a scores(ctx) function.`);
  registry.set(name, c);
}

/** TEMPORARY until i11-registry lands. */
export function unregisterCriterion(name: string): boolean {
  return registry.delete(name);
}

/** Names of the registered criteria, sorted. */
export function criterionNames(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Looks a criterion up.
 *
 * @param nameOrCriterion a registered name, or a criterion object/function (returned as is).
 * @throws for unknown names, listing the known ones.
 */
export function getCriterion(nameOrCriterion: string | CriterionLike): Criterion {
  if (typeof nameOrCriterion !== 'string') return asCriterion(nameOrCriterion);
  const c = registry.get(nameOrCriterion);
  if (!c) throw new Error(`Unknown criterion '${nameOrCriterion}'. Known criteria: ${criterionNames().join(', ')}.`);
  return c;
}

/** Helper for criteria: maps each target weight's current value to a score tensor. */
export function scoreEachWeight(ctx: CriterionContext, fn: (w: tf.Tensor, name: string) => tf.Tensor): Map<string, tf.Tensor> {
  const ws = ctx.weights();
  return new Map(ctx.targets.map((t) => [t.name, tf.tidy(() => fn(ws.get(t.name)!, t.name))]));
}
