/**
 * A `tf.LayersModel` with 0/1 masks on its prunable kernels, like torch's `weight_orig` +
 * `weight_mask`: the variable always holds `value * mask`, and the values at pruned positions
 * are kept aside so pruning can be undone. Every change goes through an all-or-nothing
 * {@link MaskEdit}: a failing pruning call leaves the model exactly as it was.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaskSource, SlotOptimizer } from '../train/types';
import { prunableWeights, weightsNamed, variableName, type PrunableWeight } from './targets';
import { sparsitySummary, type SparsitySummary } from './accounting';
import { applyMaskState, writeMaskState, type LoadMasksOptions, type MaskStateFile } from './persistence';
import { saveModelToDir } from './model-io';
import { ShapeError, UnknownNameError, UserError } from '../errors';

/** One masked weight. */
interface MaskEntry {
  weight: PrunableWeight;
  /** float32 0/1, same shape as the weight. */
  mask: tf.Tensor;
  /** Values at pruned positions (and latest known values elsewhere) for undo. */
  orig: tf.Tensor;
}

/** A record of one pruning operation, kept for reports and saved with the masks. */
export interface PruneRecord {
  /** What was done, e.g. `magnitude` or `fold-constant-neurons`. */
  method: string;
  /** Options that matter for reproducing it (sparsity, granularity, scope, seed, step...). */
  details: Record<string, unknown>;
}

const registry = new WeakMap<tf.LayersModel, MaskedModel>();

function findVariable(model: tf.LayersModel, name: string): tf.LayerVariable {
  const v = model.weights.find((w) => variableName(w) === name || w.name === name);
  if (!v) {
    const names = model.weights.map((w) => w.name);
    throw new UnknownNameError('weight', name, names, `Model '${model.name}' has no weight '${name}'. Its weights are: ${names.join(', ')}.`);
  }
  return v;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Stages changes to masks, weight values and optimizer slots, and applies them all at once in
 * {@link MaskEdit.commit}. Each method validates its input immediately, so errors surface before
 * anything is written. Tensors passed in are owned by the edit afterwards.
 */
export class MaskEdit {
  private readonly masks = new Map<string, tf.Tensor>();
  private readonly values = new Map<string, { variable: tf.LayerVariable; value: tf.Tensor }>();
  private readonly resets: { optimizer: SlotOptimizer; name: string; where: tf.Tensor }[] = [];
  private readonly records: PruneRecord[] = [];
  private done = false;

  constructor(private readonly owner: MaskedModel) {}

  /** The model being edited. */
  get model(): tf.LayersModel {
    return this.owner.model;
  }

  private live(): void {
    if (this.done) throw new UserError('This MaskEdit was already committed or discarded.');
  }

  /**
   * Stages a new mask for a prunable weight (replaces, not composes: compose with
   * `tf.mul(edit.mask(name), newMask)` when that is what you want).
   *
   * @param name weight variable name.
   * @param mask float 0/1 tensor of the weight's shape; owned by the edit afterwards.
   * @throws when the name is not a prunable weight, the shape differs, or values are not 0/1.
   */
  setMask(name: string, mask: tf.Tensor): void {
    this.live();
    const w = this.owner.prunable(name);
    name = w.name;
    if (!sameShape(mask.shape, w.shape)) {
      throw new ShapeError(`Mask for '${name}' has shape [${mask.shape}] but the weight has shape [${w.shape}].`);
    }
    const bad = tf.tidy(() => {
      const m = mask.toFloat();
      return tf.sum(tf.abs(tf.mul(m, tf.sub(1, m)))).add(tf.sum(tf.isNaN(m).toFloat())).dataSync()[0];
    });
    if (bad !== 0) throw new UserError(`Mask for '${name}' must contain only 0 and 1.`);
    const m = mask.dtype === 'float32' ? mask : tf.tidy(() => mask.toFloat());
    if (m !== mask) mask.dispose();
    this.masks.get(name)?.dispose();
    // keep: edits also run inside a tidy scope (a training hook's step), and the mask outlives it
    this.masks.set(name, tf.keep(m));
  }

  /** The mask as staged so far (the committed one, or all ones when the weight is unmasked). Caller must not dispose it. */
  mask(name: string): tf.Tensor {
    this.live();
    name = this.owner.prunable(name).name;
    const staged = this.masks.get(name);
    if (staged) return staged;
    const cur = this.owner.mask(name);
    if (cur) return cur;
    const w = this.owner.prunable(name);
    const ones = tf.keep(tf.ones(w.shape)); // keep: may be called inside a caller's tidy
    this.scratch.push(ones);
    return ones;
  }
  private readonly scratch: tf.Tensor[] = [];

  /**
   * Stages new values for any weight of the model (a kernel whose remaining weights a method
   * compensates, the next layer's bias when folding a neuron, ...). For a masked weight the
   * committed value is `value * mask`.
   *
   * @param name weight variable name.
   * @param value tensor of the weight's shape; owned by the edit afterwards.
   */
  setValue(name: string, value: tf.Tensor): void {
    this.live();
    const variable = findVariable(this.owner.model, name);
    if (!sameShape(value.shape, variable.shape as number[])) {
      throw new ShapeError(`New value for '${name}' has shape [${value.shape}] but the weight has shape [${variable.shape}].`);
    }
    if (tf.tidy(() => tf.any(tf.isNaN(value)).dataSync()[0])) throw new UserError(`New value for '${name}' contains NaN.`);
    const key = variableName(variable);
    this.values.get(key)?.value.dispose();
    const v = value.dtype === 'float32' ? value : tf.tidy(() => value.toFloat());
    if (v !== value) value.dispose();
    this.values.set(key, { variable, value: tf.keep(v) });
  }

  /** The value as staged so far (or the current one). Caller must not dispose it. */
  value(name: string): tf.Tensor {
    this.live();
    const variable = findVariable(this.owner.model, name);
    return this.values.get(variableName(variable))?.value ?? variable.read();
  }

  /**
   * Regrows pruned weights: sets the mask to 1 at `where`, the weight there to `init` (0 by
   * default, as in RigL/SET), and resets the optimizer's slots there so that regrown weights
   * start without stale momentum.
   *
   * @param name prunable weight name.
   * @param where 0/1 tensor of the weight's shape; 1 = regrow. Owned by the edit afterwards.
   * @param opts `init`: value(s) for regrown weights; `optimizer`: whose slots to reset.
   */
  regrow(name: string, where: tf.Tensor, opts: { init?: number | tf.Tensor; optimizer?: SlotOptimizer } = {}): void {
    this.live();
    const w = this.owner.prunable(name);
    name = w.name;
    if (!sameShape(where.shape, w.shape)) {
      throw new ShapeError(`Regrowth positions for '${name}' have shape [${where.shape}] but the weight has shape [${w.shape}].`);
    }
    const init = opts.init ?? 0;
    const [newMask, newValue] = tf.tidy(() => {
      const wh = where.toFloat();
      const m = tf.maximum(this.mask(name), wh);
      const iv = typeof init === 'number' ? tf.fill(w.shape, init) : init;
      return [m, tf.add(tf.mul(this.value(name), tf.sub(1, wh)), tf.mul(iv, wh))];
    });
    this.setMask(name, newMask);
    this.setValue(name, newValue);
    if (opts.optimizer) this.resets.push({ optimizer: opts.optimizer, name: w.name, where: tf.keep(where.toFloat()) });
    if (where.dtype !== 'float32') where.dispose();
  }

  /** Adds a history record saved with the mask state. */
  record(rec: PruneRecord): void {
    this.records.push(rec);
  }

  /** Names of the weights whose masks this edit changes. */
  changedMasks(): string[] {
    return [...this.masks.keys()];
  }

  /** Drops everything staged; the model is untouched. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    for (const m of this.masks.values()) m.dispose();
    for (const v of this.values.values()) v.value.dispose();
    for (const r of this.resets) r.where.dispose();
    for (const s of this.scratch) s.dispose();
  }

  /** Writes everything staged to the model. Called by {@link MaskedModel.edit}. */
  commit(): void {
    this.live();
    this.owner.applyEdit(this.masks, this.values, this.records);
    for (const r of this.resets) r.optimizer.resetSlots(r.name, r.where);
    for (const r of this.resets) r.where.dispose();
    for (const s of this.scratch) s.dispose();
    this.done = true;
  }
}

/**
 * A model with masks on some of its prunable kernels. Get one with {@link MaskedModel.of} (one
 * per model: pruning the same model twice composes into the same MaskedModel) or from `prune`.
 * Implements the training loop's `MaskSource`.
 */
export class MaskedModel implements MaskSource {
  private readonly entries = new Map<string, MaskEntry>();
  private readonly methodVars = new Map<string, Map<string, tf.Variable>>();
  private readonly prunableByName = new Map<string, PrunableWeight>();
  /** Values of weights a method changed by value (neighbouring biases, consumer kernels) before it first did, for a full undo. */
  private readonly touched = new Map<string, { variable: tf.LayerVariable; value: tf.Tensor }>();
  /** Pruning operations applied so far, oldest first. */
  readonly history: PruneRecord[] = [];
  /** Methods attached to the model (parametrizations, variables) with their resolved options. */
  private readonly attached = new Map<string, Record<string, unknown>>();

  private constructor(readonly model: tf.LayersModel) {
    for (const w of prunableWeights(model)) this.prunableByName.set(w.name, w);
  }

  /** The MaskedModel of a model, created (with no masks) on first use. */
  static of(model: tf.LayersModel): MaskedModel {
    let m = registry.get(model);
    if (!m) {
      m = new MaskedModel(model);
      registry.set(model, m);
    }
    return m;
  }

  /** The MaskedModel of a model if one exists. */
  static existing(model: tf.LayersModel): MaskedModel | undefined {
    return registry.get(model);
  }

  /** Every prunable weight of the model (masked or not), in layer order. */
  prunableWeights(): PrunableWeight[] {
    return [...this.prunableByName.values()];
  }

  /**
   * The prunable weight called `name`, seeing through the `_<n>` suffixes tfjs adds to keep
   * variable names unique in a process: `fc1/kernel` finds `fc1/kernel_3` when that is the only
   * weight it can mean. @throws listing the prunable names when unknown or ambiguous.
   */
  prunable(name: string): PrunableWeight {
    const exact = this.prunableByName.get(name);
    if (exact) return exact;
    const candidates = weightsNamed([...this.prunableByName.values()], name);
    if (candidates.length > 1) {
      throw new UserError(`'${name}' is ambiguous in model '${this.model.name}': it matches ${candidates.map((c) => `'${c.name}'`).join(' and ')}; use the full name.`);
    }
    const w = candidates[0];
    if (!w) {
      throw new UnknownNameError('weight', name, [...this.prunableByName.keys()], `'${name}' is not a prunable weight of model '${this.model.name}'. Prunable weights: ${[...this.prunableByName.keys()].join(', ') || 'none'}.`);
    }
    return w;
  }

  /** `MaskSource`: the current masks by weight name. Tensors are owned by this object. */
  currentMasks(): ReadonlyMap<string, tf.Tensor> {
    return this.masks();
  }

  /** The current masks by weight name (float32 0/1). Owned by this object: do not dispose. */
  masks(): Map<string, tf.Tensor> {
    return new Map([...this.entries].map(([k, e]) => [k, e.mask]));
  }

  /** The mask of one weight, or undefined when it is not masked. */
  mask(name: string): tf.Tensor | undefined {
    return this.entries.get(name)?.mask;
  }

  /**
   * Runs `fn` with a fresh {@link MaskEdit} and commits it; if `fn` throws, nothing is written
   * and the error propagates.
   */
  edit<T>(fn: (e: MaskEdit) => T): T {
    const e = new MaskEdit(this);
    let out: T;
    try {
      out = fn(e);
    } catch (err) {
      e.discard();
      throw err;
    }
    e.commit();
    return out;
  }

  /** @internal Writes a committed edit (called by MaskEdit.commit). */
  applyEdit(
    masks: Map<string, tf.Tensor>,
    values: Map<string, { variable: tf.LayerVariable; value: tf.Tensor }>,
    records: PruneRecord[],
  ): void {
    const names = new Set<string>([...masks.keys()]);
    for (const k of values.keys()) if (this.prunableByName.has(k)) names.add(k);
    // masked weights: new value = value * mask; originals refreshed at positions that were alive
    for (const name of names) {
      const w = this.prunableByName.get(name)!;
      const old = this.entries.get(name);
      const newMask = masks.get(name) ?? old?.mask ?? null;
      const staged = values.get(name)?.value;
      const cur = w.variable.read();
      // a method that changes a prunable weight's values (a consumer whose rows absorbed a folded
      // or merged unit) changes kept positions too, which the originals do not cover: keep the
      // values from before the first such change, for a full undo
      if (staged && !this.touched.has(name)) this.touched.set(name, { variable: w.variable, value: tf.keep(cur.clone()) });
      const [orig, written] = tf.tidy(() => {
        const v = staged ?? cur;
        const o = old ? tf.where(old.mask.cast('bool'), v, old.orig) : v.clone();
        return [tf.keep(o), tf.keep(newMask ? tf.mul(v, newMask) : v.clone())];
      });
      w.variable.write(written);
      written.dispose();
      if (old) {
        old.orig.dispose();
        if (newMask !== old.mask) old.mask.dispose();
      }
      if (newMask) this.entries.set(name, { weight: w, mask: newMask, orig });
      else orig.dispose();
      staged?.dispose();
      values.delete(name);
    }
    for (const [name, { variable, value }] of values) {
      if (!this.touched.has(name)) this.touched.set(name, { variable, value: tf.keep(variable.read().clone()) });
      variable.write(value);
      value.dispose();
    }
    this.history.push(...records);
  }

  /** Re-imposes the masks on the variables (`w ← w ⊙ m`), e.g. after an optimizer step that ignored them. */
  apply(): void {
    for (const e of this.entries.values()) {
      const v = tf.tidy(() => tf.mul(e.weight.variable.read(), e.mask));
      e.weight.variable.write(v);
      v.dispose();
    }
  }

  /**
   * Undoes pruning: pruned positions get back their values from before they were pruned, kept
   * positions keep their current (possibly trained) values, and all masks are removed. A full
   * undo also restores every weight a method changed by value (a bias that absorbed a folded
   * neuron, the next layer's kernel that absorbed a merged one) to its value before that change.
   *
   * @param names only these weights (default: all masked weights).
   */
  undo(names?: string[]): void {
    for (const name of names ?? [...this.entries.keys()]) {
      const e = this.entries.get(name);
      if (!e) throw new UserError(`'${name}' is not masked; masked weights: ${[...this.entries.keys()].join(', ') || 'none'}.`);
    }
    for (const name of names ?? [...this.entries.keys()]) {
      const e = this.entries.get(name)!;
      const v = tf.tidy(() => tf.where(e.mask.cast('bool'), e.weight.variable.read(), e.orig));
      e.weight.variable.write(v);
      v.dispose();
      e.mask.dispose();
      e.orig.dispose();
      this.entries.delete(name);
    }
    if (!names) {
      for (const { variable, value } of this.touched.values()) {
        variable.write(value);
        value.dispose();
      }
      this.touched.clear();
      this.history.length = 0;
    }
  }

  /**
   * Makes pruning permanent (torch's `prune.remove`): weights keep their zeros, masks and kept
   * originals are dropped, and the model is detached from this MaskedModel.
   *
   * @returns the plain model.
   */
  strip(): tf.LayersModel {
    if (this.attached.size) {
      throw new UserError(
        `strip: model '${this.model.name}' still has method(s) ${[...this.attached.keys()].join(', ')} attached (parametrizations in the forward pass); ` +
          'call finalize(model) first, which turns them into plain masks.',
      );
    }
    this.apply();
    for (const e of this.entries.values()) {
      e.mask.dispose();
      e.orig.dispose();
    }
    this.entries.clear();
    for (const t of this.touched.values()) t.value.dispose();
    this.touched.clear();
    this.disposeVariables();
    registry.delete(this.model);
    return this.model;
  }

  /**
   * Registers trainable variables that a pruning method carries (gates, thresholds, log σ²).
   * They are saved and loaded with the mask state and disposed by `strip()`.
   *
   * @param owner method name, e.g. `learned-threshold`.
   * @param vars variables by a name unique within the owner.
   */
  addVariables(owner: string, vars: Record<string, tf.Variable>): void {
    const m = this.methodVars.get(owner) ?? new Map<string, tf.Variable>();
    for (const [k, v] of Object.entries(vars)) {
      const old = m.get(k);
      if (old && old !== v) old.dispose(); // re-adding the same variable (an attach after a load) keeps it
      m.set(k, v);
    }
    this.methodVars.set(owner, m);
  }

  /** Disposes and forgets the variables of `owner` (a method that ended). @returns how many there were. */
  removeVariables(owner: string): number {
    const m = this.methodVars.get(owner);
    if (!m) return 0;
    for (const v of m.values()) v.dispose();
    this.methodVars.delete(owner);
    return m.size;
  }

  /** The variables registered by `owner` (or all owners) via {@link addVariables}. */
  variables(owner?: string): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [o, m] of this.methodVars) {
      if (owner !== undefined && o !== owner) continue;
      for (const [k, v] of m) out.set(owner === undefined ? `${o}/${k}` : k, v);
    }
    return out;
  }

  /** Methods attached with `attachMethod` (saved with the mask state, re-attached on load), with their options. */
  attachedMethods(): ReadonlyMap<string, Record<string, unknown>> {
    return this.attached;
  }

  /** @internal Records that a method was attached (by `attachMethod`), or detached (`options` undefined, by `finalize`). */
  markAttached(name: string, options: Record<string, unknown> | undefined): void {
    if (options === undefined) this.attached.delete(name);
    else this.attached.set(name, options);
  }

  /** Trainable method variables of all owners, for the training loop's `LossTerm.trainableVariables`. */
  trainableVariables(): tf.Variable[] {
    return [...this.variables().values()].filter((v) => v.trainable);
  }

  /** Parameters, non-zeros, sparsity, compression and FLOPs per prunable weight and in total (`.text` renders a table). */
  summary(): SparsitySummary {
    return sparsitySummary(this);
  }

  /**
   * Saves the mask state (bit-packed masks, method variables, history) to a JSON file; missing
   * directories are created and the file is replaced atomically.
   * @throws Error naming the path when it cannot be written (never hangs, e.g. under /proc).
   */
  save(file: string): void {
    writeMaskState(this, file);
  }

  /**
   * Loads a saved mask state onto a model. Names match through tfjs's uniquifying suffixes
   * (`fc1/kernel` ↔ `fc1/kernel_1`, e.g. for a model reloaded with `loadModelFromDir`).
   * @throws naming the file and the problem when it is unreadable or corrupt, or with the
   *   mismatches when shapes or names differ; the model is then unchanged.
   */
  static load(model: tf.LayersModel, source: string | MaskStateFile, opts?: LoadMasksOptions): MaskedModel {
    return loadMasks(model, source, opts);
  }

  /**
   * Exports the model with its zeros in tfjs's format (model.json + weights.bin) to a
   * directory; load it with `loadModelFromDir` or `tf.loadLayersModel`. The masks stay attached.
   */
  async exportModel(dir: string): Promise<void> {
    this.apply();
    await saveModelToDir(this.model, dir);
  }

  private disposeVariables(): void {
    for (const m of this.methodVars.values()) for (const v of m.values()) v.dispose();
    this.methodVars.clear();
  }
}

/**
 * Saves a model's mask state (bit-packed masks, method variables, history) to a JSON file;
 * missing directories are created and the file is replaced atomically.
 *
 * @param model the pruned model (or its MaskedModel).
 * @param file path of the JSON file (in the browser edition: a name in the browser's storage).
 * @throws UserError when `model` is not a model, or a model that was never pruned (nothing to
 *   save: the message says to prune it first, or to save its weights instead); Error naming the
 *   path when it cannot be written.
 */
export function saveMasks(model: tf.LayersModel | MaskedModel, file: string): void {
  if (model instanceof MaskedModel) return writeMaskState(model, file);
  if (!(model instanceof tf.LayersModel)) {
    throw new UserError(`saveMasks: the first argument must be a tf.LayersModel (or its MaskedModel); got ${model === null || model === undefined ? String(model) : typeof model === 'object' ? `an object that is not a model (${Object.keys(model).slice(0, 4).join(', ') || 'no keys'})` : `a ${typeof model}`}.`);
  }
  const masked = MaskedModel.existing(model);
  if (!masked || (masked.masks().size === 0 && masked.history.length === 0)) {
    throw new UserError(`saveMasks: model '${model.name}' has no masks to save: prune it first (pl.prune(${model.name}, { sparsity: 0.9 }) or %prune), or save its weights with pl.exportModel.`);
  }
  writeMaskState(masked, file);
}

/**
 * Applies saved masks to a model (weights are multiplied by them) and restores method variables.
 * The whole file is checked first: on any problem nothing is applied.
 *
 * @param model the model (or its MaskedModel).
 * @param source a file path or a parsed {@link MaskStateFile}.
 * @param opts how saved masks are matched to the model's weights.
 * @returns the model's MaskedModel.
 * @throws Error naming the file and what is wrong with it (unreadable, empty, not JSON, not a
 *   mask file, a malformed or inconsistent entry), or the weights that do not match (missing,
 *   ambiguous, other shape); the model, its masks and its history are then unchanged.
 */
export function loadMasks(model: tf.LayersModel | MaskedModel, source: string | MaskStateFile, opts: LoadMasksOptions = {}): MaskedModel {
  return applyMaskState(model instanceof MaskedModel ? model : MaskedModel.of(model), source, opts);
}
