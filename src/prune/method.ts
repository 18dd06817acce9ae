/**
 * Pruning methods: one object per method, registered by name, that says what the method needs
 * from the core. A method file (`src/prune/methods/<name>.ts`) registers one; the guide is
 * `src/prune/methods/README.md`.
 *
 * What a method can plug in, each optional:
 * - `scores` (one-shot: the criterion): the core does granularity, allocation and masking;
 * - `update`: changes beyond zeroing in the same all-or-nothing edit (compensate the remaining
 *   weights, fold a neuron into the next bias, regrow);
 * - `attach`: weight parametrizations in the forward pass (soft masks, gates, noise) and the
 *   method's own variables — re-run when a saved model is loaded, so state survives save/load;
 * - `training`: hooks (which see the batch and the dense gradients) and loss terms for one
 *   training run (`trainingPlan`, `%finetune --method`).
 * Options are declared once in `options`; `prune()`, `trainingPlan()`, the magics' flags and
 * help, and the sweep runner all read them.
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionError, UnknownNameError, UserError } from '../errors';
import { Registry } from '../registry';
import type { LossTerm, TrainHook } from '../train/types';
import type { ScopeSpec } from './allocation';
import type { CriterionContext } from './context';
import { criterionNames, registerCriterion, unregisterCriterion } from './criteria';
import type { MaskEdit, MaskedModel } from './masked-model';
import { optionSpecProblem, resolveOptionValues, type OptionSpec, type OptionValues } from './method-options';
import type { PrunableWeight } from './targets';

/** What a training run looks like, for methods that schedule things over it. */
export interface TrainingRun {
  /** Optimizer steps of the run. */
  totalSteps: number;
  /** Steps per epoch. */
  stepsPerEpoch: number;
  /** Global step of the run's first step. */
  initialStep: number;
  /** The run's seed (methods derive their random streams from it). */
  seed: number;
}

/** What a method adds to one training run. */
export interface MethodTraining {
  /** Hooks, called in order after the caller's. */
  hooks?: TrainHook[];
  /** Extra loss terms (with their variables). Parametrization penalties are added by the loop itself. */
  extraLosses?: LossTerm[];
}

/** A pruning method; see the module comment. `O` types the resolved options. */
export interface PruningMethod<O extends OptionValues = OptionValues> {
  /** Registry name: `prune(net, { method: name })`, `%prune net <name>`, `%finetune --method <name>`. */
  name: string;
  /** One line for listings and `%prune?`. */
  description: string;
  /** The paper or code it follows, e.g. `Mocanu et al. 2018`. */
  reference?: string;
  /** Options, declared once (API validation, magic flags, help, completion, sweep grid fields). */
  options?: readonly OptionSpec[];
  /**
   * The granularity the method's scores are meant for (e.g. `neuron` for a method that scores
   * whole output units): `prune()` uses it when the call names none, and refuses another one.
   * Such scores hold one value per group, repeated over its entries, so the group score is
   * that value (`groupReduce` defaults to `max` for these methods).
   */
  granularity?: string;
  /**
   * One-shot: importance scores per target weight (higher = keep, same shape as the weight).
   * Returned tensors are disposed by the caller.
   */
  scores?(ctx: CriterionContext, options: O): Map<string, tf.Tensor>;
  /**
   * One-shot, after the masks are staged: further changes staged on the same edit (committed
   * together, or not at all). May change masks itself (`edit.setMask`).
   */
  update?(edit: MaskEdit, ctx: CriterionContext, targets: readonly PrunableWeight[], options: O): void;
  /**
   * True when `update` chooses what to remove by itself (a tolerance, not a sparsity): `prune()`
   * then needs no sparsity and computes no scores for this method.
   */
  choosesOwnMasks?: boolean;
  /**
   * The allocation when the caller gives no `scope` (default layerwise): SNIP and GraSP rank all
   * weights globally, a static random mask takes its distribution from an option.
   */
  defaultScope?(options: O): ScopeSpec;
  /**
   * Puts the method into the model: weight parametrizations and the method's variables, which
   * it registers with `masked.addVariables(name, ...)` and reuses when present (after a load).
   * Called by {@link attachMethod}, by `trainingPlan` before training, and by `loadMasks` for a
   * method saved while attached.
   */
  attach?(masked: MaskedModel, options: O): void;
  /** Hooks and loss terms for one training run (the method is attached first, if it attaches). */
  training?(masked: MaskedModel, options: O, run: TrainingRun): MethodTraining;
}

const methods = new Registry<PruningMethod>({
  kind: 'pruning method',
  validate: (m, name) => {
    if (!m || typeof m !== 'object') return 'a method is an object { name, description, ... }';
    if (m.name !== name) return `its name field is '${m.name}'`;
    if (typeof m.description !== 'string' || !m.description.trim()) return 'it needs a one-line description';
    if (!m.scores && !m.update && !m.attach && !m.training) return 'it does nothing: give scores, update, attach or training';
    if (m.choosesOwnMasks && !m.update) return 'choosesOwnMasks needs an update that sets the masks';
    if (m.granularity !== undefined && (typeof m.granularity !== 'string' || !m.granularity.trim())) return 'granularity must be a granularity name such as neuron';
    const names = new Set<string>();
    for (const o of m.options ?? []) {
      const problem = optionSpecProblem(o);
      if (problem) return problem;
      if (names.has(o.name)) return `option '${o.name}' is declared twice`;
      if (RESERVED_OPTION_NAMES.has(o.name)) return `option '${o.name}' would shadow the core option of the same name; choose another name`;
      names.add(o.name);
    }
    return undefined;
  },
  hint: 'Add one with pl.registerMethod({ name, description, scores | update | attach | training }); see src/prune/methods/README.md.',
});

/**
 * Names a method option may not take, because `prune()` and `train()` already use them.
 * Filled by those modules (prune's and the training plan's declared options).
 */
const RESERVED_OPTION_NAMES = new Set<string>();

/** @internal Reserves core option names (called by the modules that declare them). */
export function reserveOptionNames(names: Iterable<string>): void {
  for (const n of names) RESERVED_OPTION_NAMES.add(n);
}

/**
 * Registers a pruning method.
 * @param options `replace: true` to overwrite a method of the same name.
 * @throws OptionError when malformed (message names the problem); UserError when the name is taken.
 */
export function registerMethod<O extends OptionValues>(method: PruningMethod<O>, options: { replace?: boolean } = {}): PruningMethod<O> {
  const m = method as unknown as PruningMethod;
  if (m?.scores && m.name && !methods.has(m.name) && !options.replace && criterionNames().includes(m.name)) {
    throw new UserError(`A criterion named '${m.name}' is already registered; a method that scores registers its criterion under its own name. Choose another name, or unregister the criterion first.`);
  }
  const previous = m?.name ? methods.find(m.name) : undefined;
  methods.register(m?.name, m, { replace: options.replace, description: m?.description });
  // A method that scores is also a criterion of the same name (with its default options), so
  // `criterion: name`, criterion listings and everything that takes a criterion accept it.
  if (m.scores) {
    const defaults = resolveOptionValues(m.options ?? [], {}, `method '${m.name}'`);
    registerCriterion(m.name, { description: m.description, scores: (ctx) => m.scores!(ctx, defaults) }, { replace: true });
  } else if (previous?.scores) unregisterCriterion(m.name); // the replaced method's criterion
  return method;
}

/** Removes a method (and the criterion it registered). @returns whether it existed. */
export function unregisterMethod(name: string): boolean {
  const m = methods.find(name);
  if (m?.scores) unregisterCriterion(name);
  return methods.unregister(name);
}

/** Names of methods that were replaced, with the message that names the replacement. */
const retiredNames = new Map<string, string>();

/**
 * Marks a method name as replaced: looking it up (while no method of that name is registered)
 * throws an UnknownNameError with `message`, which should name the replacement.
 */
export function retireMethodName(name: string, message: string): void {
  retiredNames.set(name, message);
}

/** The method registered under `name`. @throws UnknownNameError listing the known ones (or naming a retired name's replacement). */
export function getMethod(name: string): PruningMethod {
  const retired = retiredNames.get(name);
  if (retired && !methods.has(name)) throw new UnknownNameError('pruning method', name, methods.names(), retired);
  return methods.get(name);
}

/** The method registered under `name`, or undefined. */
export function findMethod(name: string): PruningMethod | undefined {
  return methods.find(name);
}

/** Registered methods with descriptions, sorted by name. */
export function listMethods(): { name: string; description: string; options: readonly OptionSpec[]; oneShot: boolean; training: boolean }[] {
  return methods.list().map(({ item }) => ({
    name: item.name,
    description: item.description,
    options: item.options ?? [],
    oneShot: Boolean(item.scores || item.update),
    training: Boolean(item.training || item.attach),
  }));
}

/** Names of the registered methods (sorted). */
export function methodNames(): string[] {
  return methods.names();
}

/**
 * A method's options from a bag of options that also holds core ones: the keys the method
 * declares are taken and validated, core keys (`coreKeys`) are left alone, anything else is an
 * error naming the method's options.
 */
export function methodOptionsFrom(method: PruningMethod, bag: Record<string, unknown>, coreKeys: ReadonlySet<string>, where: string): OptionValues {
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(bag)) if (!coreKeys.has(k)) own[k] = v;
  try {
    return resolveOptionValues(method.options ?? [], own, `${where} (method '${method.name}')`);
  } catch (e) {
    if (e instanceof OptionError) {
      throw new OptionError(`${e.message} Core options: ${[...coreKeys].sort().join(', ')}.`, e.option);
    }
    throw e;
  }
}

/**
 * Attaches a method to a model (its parametrizations and variables) and remembers it with its
 * options, so that `saveMasks`/`loadMasks` carry it and `finalize` can end it.
 *
 * @returns the resolved options.
 */
export function attachMethod(masked: MaskedModel, name: string, options: Record<string, unknown> = {}): OptionValues {
  const method = getMethod(name);
  if (!method.attach) throw new OptionError(`Method '${name}' has nothing to attach (no parametrizations or variables); use it with prune() or trainingPlan().`);
  const resolved = resolveOptionValues(method.options ?? [], options, `attach (method '${name}')`);
  const current = masked.attachedMethods().get(name);
  if (current) {
    if (JSON.stringify(current) === JSON.stringify(resolved)) return resolved;
    throw new UserError(
      `Method '${name}' is already attached to model '${masked.model.name}' with options ${JSON.stringify(current)}; ` +
        `finalize(model) first to attach it with ${JSON.stringify(resolved)}.`,
    );
  }
  method.attach(masked, resolved);
  masked.markAttached(name, resolved);
  return resolved;
}
