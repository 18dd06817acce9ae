/**
 * Session defaults shared by the magics: the seed set by `%seed`, which `%data`, `%model`,
 * `%prune` and `%finetune` use when no `--seed` is given. (In TypeScript, pass `seed` to each
 * call instead; the API has no hidden global state.)
 */
import { OptionError } from '../errors';

let seed = 0;

/** Sets the magics' default seed (what `%seed N` does). @throws for a non-integer. */
export function setMagicSeed(n: number): void {
  if (!Number.isInteger(n)) throw new OptionError(`The seed must be an integer, got ${n}.`, 'seed');
  seed = n;
}

/** The magics' default seed (0 until `%seed` sets it). */
export function magicSeed(): number {
  return seed;
}

/** A gradual-pruning plan set by `%prune --schedule agp|iterative`, run by the next `%finetune`. */
export interface PendingSchedule {
  /** `agp` (Zhu & Gupta cubic) or `iterative` (equal rounds). */
  kind: 'agp' | 'iterative';
  /** Final sparsity. */
  sparsity: number;
  /** Rounds, for `iterative`. */
  rounds: number;
  /** Everything else `prune` takes (criterion, granularity, scope, include/exclude, seed, data). */
  options: Record<string, unknown>;
}

const pending = new WeakMap<object, PendingSchedule>();

/** Stores the plan for a model (replacing an earlier one). */
export function setPendingSchedule(model: object, plan: PendingSchedule): void {
  pending.set(model, plan);
}

/** Takes (and removes) the plan for a model. */
export function takePendingSchedule(model: object): PendingSchedule | undefined {
  const p = pending.get(model);
  pending.delete(model);
  return p;
}
