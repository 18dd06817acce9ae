/**
 * `prune(model, options)`: the one entry point every method and the `%prune` magic go through.
 * Pipeline: select targets → partition by granularity → criterion scores → group scores →
 * allocation → compose with existing masks → optional updates → commit. Everything is computed
 * before anything is written, so a failing call leaves the model exactly as it was.
 * What succeeds but is probably not what the caller meant (a layer left with no weights) is
 * reported as a {@link PruneWarning}: printed to stderr (or given to `onWarning`) and kept in
 * the history record (`details.warnings`).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, UserError } from '../errors';
import { Registry, type RegisterOptions, type RegistryEntry } from '../registry';
import { checkSparsity, layerwiseAllocation, resolveAllocation, type AllocationItem, type ScopeSpec, type SparsityBase } from './allocation';
import { createContext, type CriterionContext, type HvpMethod, type PruneData, type PruneLoss } from './context';
import { getCriterion, type Criterion, type CriterionLike } from './criteria';
import { findMethod, getMethod, reserveOptionNames, type PruningMethod } from './method';
import { resolveOptionValues, type OptionValues } from './method-options';
import {
  expandGroups, GROUP_REDUCES, groupScores, keepBestPerGroup, resolveGranularity,
  type Granularity, type GranularitySpec, type GroupReduce, type Partition,
} from './granularity';
import { MaskedModel, type MaskEdit } from './masked-model';
import { selectTargets, type PrunableWeight, type TargetOptions } from './targets';

/** Something a method does beyond zeroing, run inside the same all-or-nothing edit. */
export interface PruneUpdate {
  /** Registry/display name. */
  name: string;
  /** One line for listings (optional). */
  description?: string;
  /**
   * Called after the new masks are staged (read them with `edit.mask(name)`); may stage more
   * changes: new values for remaining weights, neighbouring layers, regrowth.
   */
  apply(edit: MaskEdit, ctx: CriterionContext, targets: readonly PrunableWeight[]): void;
}

const updates = new Registry<PruneUpdate>({
  kind: 'update',
  validate: (u) => (typeof u?.apply === 'function' ? undefined : 'an update needs an apply(edit, ctx, targets) function'),
  hint: 'Register one with pl.registerUpdate(update).',
});

/**
 * Registers an update by name (for `prune(..., { update: name })`): `registerUpdate(update)`
 * registers it under `update.name`, `registerUpdate(name, update)` under another name.
 *
 * @param options `replace: true` to overwrite an update of the same name; `description`, one
 *   line for listings (default: the update's own).
 * @throws OptionError for a bad name or an object without `apply`; UserError when the name is
 *   taken and `replace` is not set.
 */
export function registerUpdate(update: PruneUpdate, options?: RegisterOptions): void;
export function registerUpdate(name: string, update: PruneUpdate, options?: RegisterOptions): void;
export function registerUpdate(nameOrUpdate: string | PruneUpdate, updateOrOptions?: PruneUpdate | RegisterOptions, options?: RegisterOptions): void {
  if (typeof nameOrUpdate === 'string') updates.register(nameOrUpdate, updateOrOptions as PruneUpdate, options);
  else updates.register(nameOrUpdate?.name, nameOrUpdate, updateOrOptions as RegisterOptions | undefined);
}

/** Removes a registered update. @returns whether it existed. */
export function unregisterUpdate(name: string): boolean {
  return updates.unregister(name);
}

/** Names of the registered updates, sorted. */
export function updateNames(): string[] {
  return updates.names();
}

/** The registered updates with their one-line descriptions, sorted by name. */
export function listUpdates(): RegistryEntry<PruneUpdate>[] {
  return updates.list();
}

/**
 * Looks an update up.
 *
 * @param u a registered name, or an update (returned as is).
 * @throws UnknownNameError for unknown names, listing the known ones.
 */
export function getUpdate(u: string | PruneUpdate): PruneUpdate {
  return typeof u === 'string' ? updates.get(u) : u;
}

/** Options of {@link prune}. */
export interface PruneOptions extends TargetOptions {
  /**
   * A registered pruning method (`listMethods()`): its scores, its update and its own options
   * (`methodOptions`). Give `method` or `criterion`, not both.
   */
  method?: string;
  /** The method's own options, as it declares them (`describeMethod(name)` lists them). */
  methodOptions?: Record<string, unknown>;
  /** Criterion name or object (default `magnitude`); a method's name selects that method. */
  criterion?: string | CriterionLike;
  /**
   * Fraction of groups to remove, in [0, 1). Not needed for a full per-layer map; N:M granularity
   * fixes it at 1 − N/M (any other value is an error).
   */
  sparsity?: number;
  /**
   * Element (default), `neuron` (= `filter`: output units), `channel`, `'2:4'`, `'block:4x4'`, or an
   * object. N:M fixes the sparsity at 1 − N/M (give no other `sparsity`).
   */
  granularity?: GranularitySpec;
  /** How element scores combine into group scores: `l1`, `l2` (default), `mean`, `max`. */
  groupReduce?: GroupReduce;
  /**
   * Allocation: `layerwise`, `global`, `erk`, `er`, `{ perLayer: {...} }` or an Allocation. Default:
   * the method's own (SNIP and GraSP: `global`), else `layerwise`.
   */
  scope?: ScopeSpec;
  /** Whether `sparsity` counts all groups (`total`, default) or only those still alive (`remaining`, torch's repeated pruning). */
  relativeTo?: SparsityBase;
  /** Seed for random criteria (default 0). */
  seed?: number;
  /** Data batches for data-driven criteria and updates. */
  data?: PruneData;
  /** Loss for data-driven criteria (default: cross-entropy). */
  loss?: PruneLoss;
  /** Hessian-vector product method (default `auto`). */
  hvp?: HvpMethod;
  /** Updates run after the masks are chosen, e.g. `'reconstruct'`. */
  update?: string | PruneUpdate | (string | PruneUpdate)[];
  /** Training step, recorded in the history (schedules set it). */
  step?: number;
  /**
   * Receives what the call did that is probably not intended (e.g. layers left with no weights);
   * without it, warnings are printed to stderr. Either way they are recorded in the history.
   */
  onWarning?: (warning: PruneWarning) => void;
}

/** Something a successful `prune()` call did that the caller probably did not intend. */
export interface PruneWarning {
  /** `empty-layers`: some pruned weights have no entry left, so the network is disconnected. */
  kind: 'empty-layers';
  /** The layers concerned, in model order. */
  layers: string[];
  /** Their weight variables (masks are keyed by these). */
  weights: string[];
  /** What happened, which layers, and how to avoid it. */
  message: string;
}

/**
 * Every option of {@link PruneOptions} with one line of help. Typed by the interface, so the
 * compiler refuses an option added there but not here; unknown-option errors list these, and
 * method options may not take these names.
 */
export const PRUNE_OPTIONS: { readonly [K in keyof Required<PruneOptions>]: string } = {
  method: 'a registered pruning method (listMethods())',
  methodOptions: "the method's own options",
  criterion: 'criterion name or object (default magnitude)',
  sparsity: 'fraction of groups to remove, in [0, 1)',
  granularity: 'element, neuron/filter, channel, N:M, block:RxC',
  groupReduce: 'l1, l2, mean or max: how element scores make group scores',
  scope: 'layerwise, global, erk, { perLayer } or an Allocation',
  relativeTo: 'total or remaining: what the sparsity counts',
  seed: 'seed of random criteria',
  data: 'data batches for data-driven criteria and updates',
  loss: 'loss for data-driven criteria',
  hvp: 'Hessian-vector product method',
  update: 'updates run after the masks are chosen',
  step: 'training step recorded in the history',
  include: 'only these layers, weights or layer types',
  exclude: 'leave these layers, weights or layer types dense',
  keepFirstDense: 'leave the first prunable layer dense',
  keepLastDense: 'leave the last prunable layer dense',
  onWarning: 'receives warnings instead of stderr',
};
reserveOptionNames(Object.keys(PRUNE_OPTIONS));
const KNOWN_OPTIONS = Object.keys(PRUNE_OPTIONS);

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Prunes a model: computes new masks and applies them (composing with existing masks).
 *
 * @param model a tf.LayersModel (or its MaskedModel).
 * @param options criterion, sparsity, granularity, scope, include/exclude, ...
 * @returns the model's MaskedModel (the same object on every call for the same model).
 * @throws on bad options, unknown names, shape mismatches or NaN scores; the model is then unchanged.
 *
 * @example
 * const m = prune(net, { criterion: 'magnitude', sparsity: 0.9, scope: 'global', keepLastDense: true });
 * console.log(m.summary().text);
 */
export function prune(model: tf.LayersModel | MaskedModel, options: PruneOptions = {}): MaskedModel {
  const masked = model instanceof MaskedModel ? model : MaskedModel.of(model);
  const net = masked.model;
  const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.includes(k));
  if (unknown.length) throw new OptionError(`prune: unknown option(s) ${unknown.join(', ')}. Known options: ${KNOWN_OPTIONS.join(', ')}.`);
  const { method, methodOptions } = resolveMethod(options);
  const granularity = resolveGranularity(options.granularity ?? method?.granularity);
  if (method?.granularity !== undefined && granularity !== resolveGranularity(method.granularity)) {
    throw new OptionError(
      `prune: method '${method.name}' scores whole groups of granularity '${method.granularity}'; granularity '${granularity.name}' does not fit. ` +
        `Leave the granularity out (or pass '${method.granularity}'). The model was not changed.`, 'granularity',
    );
  }
  // a method that scores groups repeats each group's score over its entries: max reads it back
  const reduce = options.groupReduce ?? (method?.granularity !== undefined ? 'max' : 'l2');
  if (!GROUP_REDUCES.includes(reduce)) throw new OptionError(`Unknown groupReduce '${reduce}'. Known: ${GROUP_REDUCES.join(', ')}.`, 'groupReduce');
  const base = options.relativeTo ?? 'total';
  if (base !== 'total' && base !== 'remaining') throw new OptionError(`relativeTo must be 'total' or 'remaining'; got '${base}'.`, 'relativeTo');
  if (options.sparsity !== undefined) checkSparsity(options.sparsity);
  checkImpliedSparsity(granularity, options);
  const criterion: Criterion = method?.scores
    ? { description: method.description, scores: (c) => method.scores!(c, methodOptions) }
    : getCriterion(options.criterion ?? 'magnitude');
  const allocation = resolveAllocation(options.scope ?? method?.defaultScope?.(methodOptions));
  const updateList = ([] as (string | PruneUpdate)[]).concat(options.update ?? []).map(getUpdate);
  if (method?.update) updateList.push({ name: method.name, apply: (e, c, t) => method.update!(e, c, t, methodOptions) });
  const recordedAs = method?.name ?? (typeof options.criterion === 'string' || options.criterion === undefined ? (options.criterion ?? 'magnitude') : 'custom');
  const targets = selectTargets(net, options);
  if (method?.choosesOwnMasks) return pruneByUpdates(masked, targets, updateList, options, recordedAs, methodOptions);
  const parts: Partition[] = targets.map((t) => granularity.partition(t));
  const patterned = parts.map((p) => p.keepPerGroup !== undefined);
  if (patterned.some((x) => !x) && options.sparsity === undefined && !(typeof options.scope === 'object' && 'perLayer' in options.scope)) {
    throw new OptionError(`prune: give a sparsity in [0, 1) (e.g. sparsity: 0.9); only N:M granularity implies its own.`, 'sparsity');
  }

  const ctx = createContext(net, targets, { data: options.data, loss: options.loss, seed: options.seed, hvp: options.hvp, masks: masked.currentMasks() });
  const scoreTensors = new Map<string, tf.Tensor>();
  try {
    // tidy: intermediates of a user's criterion are freed; the scores themselves are kept
    tf.tidy(() => {
      for (const [k, v] of criterion.scores(ctx)) scoreTensors.set(k, tf.keep(v));
    });
    const scores = targets.map((t) => {
      const s = scoreTensors.get(t.name);
      const critName = typeof options.criterion === 'string' ? options.criterion : 'magnitude';
      if (!s) throw new UserError(`Criterion '${critName}' returned no scores for '${t.name}'.`);
      if (s.size !== t.size) throw new ShapeError(`Criterion '${critName}' returned scores of shape [${s.shape}] for '${t.name}' of shape [${t.shape}].`);
      const d = s.dataSync() as Float32Array;
      const arr = d instanceof Float32Array ? d : Float32Array.from(d);
      for (let i = 0; i < arr.length; i++) {
        if (Number.isNaN(arr[i])) {
          throw new UserError(`Criterion '${critName}' gave NaN scores for '${t.name}' (first at index ${i}); check the weights/data for NaN or Inf. The model was not changed.`);
        }
      }
      return arr;
    });
    const oldMasks = targets.map((t) => (masked.mask(t.name)?.dataSync() as Float32Array | undefined) ?? null);

    const newMasks: (Float32Array | null)[] = targets.map(() => null);
    const items: AllocationItem[] = [];
    const itemIndex: number[] = [];
    targets.forEach((t, i) => {
      if (patterned[i]) newMasks[i] = keepBestPerGroup(scores[i], parts[i], parts[i].keepPerGroup!, oldMasks[i]);
      else {
        items.push({ weight: t, groups: groupScores(scores[i], parts[i], reduce, oldMasks[i]) });
        itemIndex.push(i);
      }
    });
    if (items.length) {
      const keeps = allocation.allocate(items, { sparsity: options.sparsity, base });
      keeps.forEach((keep, j) => {
        const i = itemIndex[j];
        const m = expandGroups(keep, parts[i], targets[i].size);
        const old = oldMasks[i];
        if (old) for (let e = 0; e < m.length; e++) m[e] *= old[e];
        newMasks[i] = m;
      });
    }

    const emptied = emptyLayersWarning(targets, newMasks, parts, granularity, options, allocation === layerwiseAllocation && base === 'total');
    masked.edit((edit) => {
      targets.forEach((t, i) => edit.setMask(t.name, tf.tensor(newMasks[i]!, t.shape)));
      for (const u of updateList) u.apply(edit, ctx, targets);
      edit.record({
        method: recordedAs,
        details: {
          ...(method ? { methodOptions } : {}),
          sparsity: options.sparsity, granularity: granularity.name, scope: allocation.name, groupReduce: reduce,
          relativeTo: base, seed: options.seed ?? 0, step: options.step, targets: targets.map((t) => t.name),
          updates: updateList.map((u) => u.name),
          ...(emptied ? { warnings: [emptied.message] } : {}),
        },
      });
    });
    if (emptied) (options.onWarning ?? printWarning)(emptied);
    return masked;
  } finally {
    for (const s of scoreTensors.values()) s.dispose();
    ctx.dispose();
  }
}

/**
 * The method a call selects (`method`, or a `criterion` string naming a method) and its options,
 * validated against the method's declarations.
 */
function resolveMethod(options: PruneOptions): { method?: PruningMethod; methodOptions: OptionValues } {
  if (options.method !== undefined && options.criterion !== undefined) {
    throw new OptionError(`prune: give method or criterion, not both (method '${options.method}', criterion ${typeof options.criterion === 'string' ? `'${options.criterion}'` : 'object'}).`, 'criterion');
  }
  const name = options.method ?? (typeof options.criterion === 'string' && findMethod(options.criterion) ? options.criterion : undefined);
  if (name === undefined) {
    if (options.methodOptions !== undefined) throw new OptionError('prune: methodOptions need a method (e.g. method: \'reconstruct\').', 'methodOptions');
    return { methodOptions: {} };
  }
  const method = getMethod(name);
  if (!method.scores && !method.update) {
    throw new OptionError(
      `prune: method '${name}' acts during training, not once; use trainingPlan(model, '${name}', options, run) or %finetune --method ${name}.`, 'method',
    );
  }
  if (method.choosesOwnMasks && options.sparsity !== undefined) {
    throw new OptionError(`prune: method '${name}' chooses its own masks (${method.description}); drop the sparsity. The model was not changed.`, 'sparsity');
  }
  const given = options.methodOptions ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) throw new OptionError(`prune: methodOptions must be an object of option values; got ${JSON.stringify(given)}.`, 'methodOptions');
  return { method, methodOptions: resolveOptionValues(method.options ?? [], given, `prune (method '${name}')`) };
}

/** A call of a method that chooses its own masks: its updates run on one edit, nothing else. */
function pruneByUpdates(
  masked: MaskedModel, targets: readonly PrunableWeight[], updates: PruneUpdate[], options: PruneOptions, recordedAs: string, methodOptions: OptionValues,
): MaskedModel {
  const ctx = createContext(masked.model, targets, { data: options.data, loss: options.loss, seed: options.seed, hvp: options.hvp, masks: masked.currentMasks() });
  try {
    masked.edit((edit) => {
      for (const u of updates) u.apply(edit, ctx, targets);
      edit.record({ method: recordedAs, details: { methodOptions, seed: options.seed ?? 0, step: options.step, targets: targets.map((t) => t.name), updates: updates.map((u) => u.name) } });
    });
    return masked;
  } finally {
    ctx.dispose();
  }
}

/**
 * N:M patterns fix the sparsity at 1 − N/M: a different explicit sparsity would be silently
 * ignored, so it is an error (the same for per-layer sparsities).
 */
function checkImpliedSparsity(granularity: Granularity, options: PruneOptions): void {
  const implied = granularity.impliedSparsity;
  if (implied === undefined) return;
  // A fixed pattern has the same sparsity in every layer: an allocation across layers (global,
  // ERK, a user's) has nothing to decide, and would be silently ignored.
  const scopeName = typeof options.scope === 'string' ? options.scope : options.scope && 'name' in options.scope ? String(options.scope.name) : undefined;
  if (scopeName !== undefined && scopeName !== 'layerwise') {
    throw new OptionError(
      `prune: granularity ${granularity.name} fixes the sparsity of every layer at ${formatFraction(implied)}, so scope '${scopeName}' ` +
        `has nothing to allocate across layers. Drop the scope (or use 'layerwise'); to choose which layers, use include/exclude. The model was not changed.`,
      'scope',
    );
  }
  const given: [string, number][] = [];
  if (options.sparsity !== undefined) given.push(['sparsity', options.sparsity]);
  const scope = options.scope;
  if (scope && typeof scope === 'object' && 'perLayer' in scope) {
    for (const [k, v] of Object.entries(scope.perLayer)) given.push([`perLayer['${k}']`, v]);
  }
  const bad = given.filter(([, v]) => Math.abs(v - implied) > 1e-9);
  if (!bad.length) return;
  const shown = bad.map(([k, v]) => `${k} ${v}`).join(', ');
  const nm = /^\d+:\d+$/.test(granularity.name);
  throw new OptionError(
    `prune: granularity ${granularity.name} fixes the sparsity at ${formatFraction(implied)}` +
      `${nm ? ' (N:M keeps N of every M consecutive weights: 1 − N/M)' : ''}, but the call asks for ${shown}. ` +
      `Drop the sparsity or pass sparsity: ${formatFraction(implied)}` +
      `${nm ? '; for another sparsity choose another N:M (1:4 gives 0.75) or another granularity. A sparsity schedule cannot ramp an N:M pattern: prune it one-shot' : ''}. ` +
      `The model was not changed.`,
    'sparsity',
  );
}

function formatFraction(x: number): string {
  return String(Number(x.toFixed(6)));
}

/** Plural noun for what one group of a granularity is, for messages. */
function groupNoun(granularity: Granularity): string {
  if (granularity.name === 'element') return 'weights';
  if (granularity.name === 'neuron') return 'output units (neurons/filters)';
  if (granularity.name === 'channel') return 'input channels';
  if (granularity.name.startsWith('block')) return 'blocks';
  return `${granularity.name} groups`;
}

/**
 * The warning for weights this call leaves with no entry at all (whole layers pruned away: no
 * signal passes through them, so in a chain of layers the network predicts the same for every
 * input), or undefined when none is.
 *
 * @param layerwiseTotal true for layerwise allocation of a total sparsity, where the largest
 *   sparsity that keeps a group of an n-group layer is (n − 1)/n, so the message can name it.
 */
function emptyLayersWarning(
  targets: readonly PrunableWeight[], masks: readonly (Float32Array | null)[], parts: readonly Partition[],
  granularity: Granularity, options: PruneOptions, layerwiseTotal: boolean,
): PruneWarning | undefined {
  const empty = targets.map((t, i) => ({ t, groups: parts[i].numGroups, mask: masks[i] })).filter(({ mask }) => mask && !mask.includes(1));
  if (!empty.length) return undefined;
  const layers = [...new Set(empty.map((e) => e.t.layerName))];
  const noun = groupNoun(granularity);
  const what = empty.map((e) => `${e.t.layerName} (all ${e.groups.toLocaleString('en-US')} ${noun} of ${e.t.name} removed)`).join(', ');
  const smallest = empty.reduce((a, e) => (e.groups < a.groups ? e : a));
  const lower = layerwiseTotal && options.sparsity !== undefined && smallest.groups > 1
    ? ` (at most ${Math.floor(((smallest.groups - 1) / smallest.groups) * 1e6) / 1e6} keeps at least one of the ${smallest.groups.toLocaleString('en-US')} ${noun} of ${smallest.t.layerName})`
    : '';
  const excludeList = layers.map((l) => `'${l}'`).join(', ');
  const message =
    `prune: ${layers.length === 1 ? 'layer' : 'layers'} ${layers.join(', ')} ${layers.length === 1 ? 'has' : 'have'} no weights left: ${what}` +
    `${options.sparsity !== undefined ? ` at sparsity ${options.sparsity}` : ''}. The network is disconnected there: nothing passes through ${layers.length === 1 ? 'it' : 'them'} (${layers.length === 1 ? 'its' : 'their'} output is the bias alone). ` +
    `Exclude ${layers.length === 1 ? 'this layer' : 'these layers'} (exclude: [${excludeList}], or --exclude ${layers.join(',')}) or lower the sparsity${lower}.`;
  return { kind: 'empty-layers', layers, weights: empty.map((e) => e.t.name), message };
}

/** Default of `onWarning`: stderr, where a notebook shows it under the cell. */
function printWarning(warning: PruneWarning): void {
  console.warn(`Warning: ${warning.message}`);
}

/** Fraction of zeros of the masks of `names` (all masked weights by default). */
export function maskSparsity(masked: MaskedModel, names?: string[]): number {
  let zeros = 0, total = 0;
  for (const w of masked.prunableWeights()) {
    if (names && !names.includes(w.name)) continue;
    const m = masked.mask(w.name);
    total += sizeOf(w.shape);
    if (m) zeros += w.size - tf.tidy(() => tf.sum(m).dataSync()[0]);
  }
  return total ? zeros / total : 0;
}
