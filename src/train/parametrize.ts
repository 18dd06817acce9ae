/**
 * Weight parametrizations: what the forward pass sees instead of a stored weight (torch's
 * `parametrize`/pre-hook idea). A method declares that a layer's weight, as the layers compute
 * with it, is a differentiable function of the stored weight and the method's own variables:
 * `w ⊙ σ((w² − τ)/T)` (soft threshold), `w ⊙ z` with sampled gates, `θ + σ·ε` (noise), a
 * straight-through estimator. Because the function is evaluated inside the training loop's
 * gradient tape, both the stored weight and the method's variables get gradients.
 *
 * How it reaches every model: tfjs layers read their weights through `LayerVariable.read()`
 * inside `call()`. For the duration of one forward pass, {@link withParametrizedWeights}
 * shadows `read()` of each parametrized weight with the effective tensor, then removes the
 * shadow. This works for any layer that reads its weights that way (Dense, Conv*, Depthwise,
 * BatchNorm, ...), in Sequential and functional (branched) models and in loaded models alike,
 * and costs nothing for models without parametrizations: plain hard masks stay in the stored
 * weights (see `MaskedModel`), not here.
 *
 * Who uses the effective weights: `train`, `evaluate` and the data passes of pruning criteria.
 * Code that calls `model.predict` directly sees the stored weights; wrap it in
 * `withParametrizedWeights(model, () => model.predict(x))`, or `finalize` the model (prune's
 * `finalize()` turns parametrizations into plain masked weights).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, UnknownNameError, UserError } from '../errors';

/** When a parametrization is evaluated. */
export interface ForwardMode {
  /** True in a training step (sample gates, add noise); false for evaluation (deterministic). */
  training: boolean;
  /** Global training step (evaluation outside training: the last step seen, or 0). */
  step: number;
}

/** What the forward pass sees instead of one stored weight. */
export interface WeightParametrization {
  /** Owner shown in listings and histories, usually the method's name (e.g. `ltp`). */
  readonly name: string;
  /**
   * The effective weight, of the stored weight's shape, as a differentiable function of the
   * stored weight `weight` and the method's own variables. Runs inside a tidy scope (and the
   * gradient tape when training): create tensors freely, do not keep them.
   */
  forward(weight: tf.Tensor, mode: ForwardMode): tf.Tensor;
  /**
   * The method's own trainable variables (thresholds, gate log α, log σ²), trained by `train()`
   * with the model's weights. Several parametrizations may share a variable; it is trained once.
   */
  readonly variables?: readonly tf.Variable[];
  /**
   * A scalar added to the training loss at every step (expected L0, KL, soft-L0), shown in the
   * history under `terms[name]` (the penalties of all weights with the same `name` are summed
   * into one term). Runs inside the gradient tape.
   */
  penalty?(mode: ForwardMode): tf.Scalar;
  /**
   * What the weight becomes when the model is finalized (`finalize(model)`): its new stored
   * value and 0/1 mask (new tensors, owned by the caller). Default: the effective weight in
   * evaluation mode, masked where it is 0. LTP overrides it with the hard threshold, gates with
   * their deterministic test-time value.
   */
  finalize?(weight: tf.Tensor): { value: tf.Tensor; mask: tf.Tensor };
  /**
   * Replaces the call of the layer that owns the weight, for this forward pass (the weight reads
   * already see the effective tensor). For what no weight function can express: noise on the
   * pre-activations (sparse variational dropout's local reparameterisation), per-example gates.
   * `original(inputs)` is the layer's own call; `ctx.layer` the layer (its `activation` and
   * weights may be swapped inside the call if they are restored before it returns).
   * Runs inside the forward pass's tidy scope and gradient tape.
   */
  layerCall?(inputs: tf.Tensor | tf.Tensor[], original: (inputs: tf.Tensor | tf.Tensor[]) => tf.Tensor, ctx: LayerCallContext): tf.Tensor;
  /** Frees what the parametrization owns (called when it is removed); variables included. */
  dispose?(): void;
}

/** What {@link WeightParametrization.layerCall} sees besides the inputs. */
export interface LayerCallContext {
  /** The layer whose call is replaced. */
  layer: tf.layers.Layer;
  /** Training or evaluation, and the step. */
  mode: ForwardMode;
}

/** A parametrization attached to one weight of a model. */
export interface ParametrizedWeight {
  /** The weight's variable name (e.g. `fc1/kernel`), as masks are keyed. */
  readonly weightName: string;
  /** The layer variable whose reads are redirected. */
  readonly variable: tf.LayerVariable;
  /** What the forward pass sees instead. */
  readonly parametrization: WeightParametrization;
}

/** Parametrizations by model, then by weight name; a model without any has no entry. */
const byModel = new WeakMap<tf.LayersModel, Map<string, ParametrizedWeight>>();

function variableOf(model: tf.LayersModel, name: string): tf.LayerVariable {
  const all = model.weights;
  const exact = all.filter((v) => v.name === name);
  const found = exact.length ? exact : all.filter((v) => (v as unknown as { originalName?: string }).originalName === name);
  if (found.length !== 1) {
    const why = found.length ? `matches ${found.length} weights; use the full name` : 'is not a weight of the model';
    throw new UnknownNameError('weight', name, all.map((v) => v.name), `parametrize: '${name}' ${why}. Weights of '${model.name}': ${all.map((v) => v.name).join(', ')}.`);
  }
  return found[0];
}

/**
 * Attaches a parametrization to one weight: from now on `train`, `evaluate` and criteria see
 * `parametrization.forward(stored weight)` in its place. A weight has at most one.
 *
 * @param model the model.
 * @param weightName the weight's variable name (`fc1/kernel`), or its unsuffixed original name.
 * @param parametrization what the forward pass sees.
 * @throws for an unknown weight, a weight that already has one (remove it first), or a
 *   `forward` whose result has another shape than the weight (checked once, here).
 */
export function parametrize(model: tf.LayersModel, weightName: string, parametrization: WeightParametrization): ParametrizedWeight {
  if (!parametrization || typeof parametrization.forward !== 'function' || !parametrization.name) {
    throw new OptionError('parametrize: a parametrization needs a name and a forward(weight, mode) function.');
  }
  const variable = variableOf(model, weightName);
  const map = byModel.get(model) ?? new Map<string, ParametrizedWeight>();
  const existing = map.get(variable.name);
  if (existing) {
    throw new UserError(
      `parametrize: '${variable.name}' is already parametrized by '${existing.parametrization.name}'; ` +
        `remove it first (unparametrize(model, '${variable.name}')) or finalize the model.`,
    );
  }
  const shape = tf.tidy(() => parametrization.forward(variable.read(), { training: false, step: 0 }).shape);
  if (!tf.util.arraysEqual(shape, variable.shape as number[])) {
    throw new ShapeError(`parametrize: '${parametrization.name}' turns '${variable.name}' of shape [${variable.shape}] into shape [${shape}]; forward() must keep the shape.`);
  }
  const entry: ParametrizedWeight = { weightName: variable.name, variable, parametrization };
  map.set(variable.name, entry);
  byModel.set(model, map);
  return entry;
}

/**
 * Removes a weight's parametrization (disposing it): the forward pass sees the stored weight
 * again, unchanged. @returns the removed entry's owner name, or undefined when there was none.
 */
export function unparametrize(model: tf.LayersModel, weightName: string): string | undefined {
  const map = byModel.get(model);
  const entry = map?.get(weightName) ?? [...(map?.values() ?? [])].find((e) => (e.variable as unknown as { originalName?: string }).originalName === weightName);
  if (!map || !entry) return undefined;
  map.delete(entry.weightName);
  if (!map.size) byModel.delete(model);
  entry.parametrization.dispose?.();
  return entry.parametrization.name;
}

/** The model's parametrized weights, in the model's weight order (empty for a plain model). */
export function parametrizedWeights(model: tf.LayersModel): ParametrizedWeight[] {
  const map = byModel.get(model);
  if (!map) return [];
  const order = new Map(model.weights.map((v, i) => [v.name, i]));
  return [...map.values()].sort((a, b) => (order.get(a.weightName) ?? 0) - (order.get(b.weightName) ?? 0));
}

/** True when the forward pass of `model` sees at least one parametrized weight. */
export function hasParametrizations(model: tf.LayersModel): boolean {
  return (byModel.get(model)?.size ?? 0) > 0;
}

/** Distinct trainable variables of the model's parametrizations. */
export function parametrizationVariables(model: tf.LayersModel): tf.Variable[] {
  const seen = new Set<tf.Variable>();
  for (const e of parametrizedWeights(model)) for (const v of e.parametrization.variables ?? []) if (v.trainable) seen.add(v);
  return [...seen];
}

/** Last training step seen per model, so that evaluation between steps uses it. */
const lastStep = new WeakMap<tf.LayersModel, number>();

/**
 * Runs `fn` (synchronous) with the layers of `model` seeing their effective weights. The
 * effective tensors are created in the caller's tidy scope (inside the gradient tape when
 * training), so gradients reach the stored weights and the methods' variables; wrap the call
 * in `tf.tidy` when not training. Without parametrizations this is just `fn()`.
 *
 * @param mode training or evaluation, and the step (default: evaluation at the last step trained).
 */
export function withParametrizedWeights<T>(model: tf.LayersModel, fn: () => T, mode?: Partial<ForwardMode>): T {
  const entries = parametrizedWeights(model);
  if (!entries.length) return fn();
  const m: ForwardMode = { training: mode?.training ?? false, step: mode?.step ?? lastStep.get(model) ?? 0 };
  if (m.training) lastStep.set(model, m.step);
  const shadowed: tf.LayerVariable[] = [];
  const wrapped: tf.layers.Layer[] = [];
  try {
    for (const e of entries) {
      const effective = e.parametrization.forward(e.variable.read(), m);
      // An own property shadows LayerVariable.prototype.read for this forward pass only.
      (e.variable as unknown as { read: () => tf.Tensor }).read = () => effective;
      shadowed.push(e.variable);
    }
    for (const e of entries) {
      const wrap = e.parametrization.layerCall;
      if (!wrap) continue;
      const layer = owningLayer(model, e.variable);
      const own = layer as unknown as { call: (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor };
      if (Object.prototype.hasOwnProperty.call(layer, 'call')) {
        throw new UserError(`parametrize: layer '${layer.name}' has two parametrizations that replace its call; one layer call can be replaced once.`);
      }
      const original = own.call.bind(layer);
      // An own property shadows the class's call for this forward pass only, as for read().
      own.call = (inputs, kwargs) => wrap.call(e.parametrization, inputs, (x) => original(x, kwargs), { layer, mode: m });
      wrapped.push(layer);
    }
    return fn();
  } finally {
    for (const v of shadowed) delete (v as unknown as { read?: unknown }).read;
    for (const l of wrapped) delete (l as unknown as { call?: unknown }).call;
  }
}

/** The layer of `model` that owns `variable` (nested models searched too). */
function owningLayer(model: tf.LayersModel, variable: tf.LayerVariable): tf.layers.Layer {
  const search = (layers: tf.layers.Layer[]): tf.layers.Layer | undefined => {
    for (const l of layers) {
      if (l.weights.includes(variable)) {
        const inner = (l as unknown as { layers?: tf.layers.Layer[] }).layers;
        return (inner && search(inner)) || l;
      }
    }
    return undefined;
  };
  const found = search(model.layers);
  if (!found) throw new UserError(`parametrize: no layer of '${model.name}' owns '${variable.name}'.`);
  return found;
}

/** The effective weights (evaluation mode) by weight name; the caller disposes them. */
export function effectiveWeights(model: tf.LayersModel, mode?: Partial<ForwardMode>): Map<string, tf.Tensor> {
  const m: ForwardMode = { training: mode?.training ?? false, step: mode?.step ?? lastStep.get(model) ?? 0 };
  return new Map(
    parametrizedWeights(model).map((e) => {
      const stored = e.variable.read();
      // clone: an identity forward returns the variable itself, which the caller must not dispose
      return [e.weightName, tf.tidy(() => tf.clone(e.parametrization.forward(stored, m)))];
    }),
  );
}

/** The penalties of the model's parametrizations (those that have one), for the training loss. */
export function parametrizationPenalties(model: tf.LayersModel): { name: string; penalty: (mode: ForwardMode) => tf.Scalar }[] {
  return parametrizedWeights(model)
    .filter((e) => typeof e.parametrization.penalty === 'function')
    .map((e) => ({ name: e.parametrization.name, penalty: (mode: ForwardMode) => e.parametrization.penalty!(mode) }));
}
