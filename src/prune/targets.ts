/**
 * Which weights of a `tf.LayersModel` can be pruned, and which of them a call selects.
 * Prunable kernels: Dense `kernel`, Conv1D/Conv2D/Conv3D `kernel`, DepthwiseConv2D
 * `depthwise_kernel`, SeparableConv2D `depthwise_kernel` and `pointwise_kernel`. Biases,
 * normalisation parameters and embeddings are never masked.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../errors';

/** One prunable kernel of a model. */
export interface PrunableWeight {
  /** The weight variable's name, e.g. `dense_Dense1/kernel`; masks are keyed by it. */
  name: string;
  /** The layer holding it. */
  layer: tf.layers.Layer;
  /** The layer's name, e.g. `dense_Dense1`. */
  layerName: string;
  /** The layer's class name, e.g. `Dense`, `Conv2D`. */
  layerType: string;
  /** Which kernel of the layer: `kernel`, `depthwise_kernel` or `pointwise_kernel`. */
  role: string;
  /** Shape in tfjs layout: Dense `[in, out]`, Conv2D `[kh, kw, in, out]`, depthwise `[kh, kw, in, mult]`. */
  shape: number[];
  /** Number of entries. */
  size: number;
  /** The layer variable (read()/write()). */
  variable: tf.LayerVariable;
  /** Position among the model's prunable weights (model layer order). */
  index: number;
}

/** Layer class name → names of its prunable weights (suffix after the last `/`). */
export const PRUNABLE_KERNELS: Readonly<Record<string, readonly string[]>> = {
  Dense: ['kernel'],
  Conv1D: ['kernel'],
  Conv2D: ['kernel'],
  Conv3D: ['kernel'],
  DepthwiseConv2D: ['depthwise_kernel'],
  SeparableConv2D: ['depthwise_kernel', 'pointwise_kernel'],
};

/** Roles of prunable kernels, after which tfjs appends `_<n>` to make a variable name unique. */
const UNIQUIFIED_NAME = new RegExp(`^(.*/(?:${[...new Set(Object.values(PRUNABLE_KERNELS).flat())].join('|')}))_\\d+$`);

/**
 * A prunable weight's name without the `_<n>` suffix tfjs appends when the same name was already
 * taken in the process (e.g. `fc1/kernel_1` → `fc1/kernel`). Only a suffix right after the kernel
 * role is removed, so layer names that end in digits are left alone.
 */
export function baseWeightName(name: string): string {
  return UNIQUIFIED_NAME.exec(name)?.[1] ?? name;
}

/**
 * The prunable weights `name` can mean: the one with exactly that name, else every weight whose
 * name without tfjs's `_<n>` suffix is the same (`fc1/kernel` → `fc1/kernel_3`). More than one
 * is ambiguous, none is unknown: the caller says which.
 */
export function weightsNamed(weights: readonly PrunableWeight[], name: string): PrunableWeight[] {
  const exact = weights.find((w) => w.name === name);
  if (exact) return [exact];
  const base = baseWeightName(name);
  return weights.filter((w) => baseWeightName(w.variable.originalName ?? w.name) === base);
}

/**
 * Selects layers/weights: a string matches a layer name, a weight name or a layer class name
 * (`'Dense'`); a RegExp is tested against the layer and weight names; a function decides.
 */
export type LayerSelector = string | RegExp | ((w: PrunableWeight) => boolean);

/** The unique name of a layer weight's underlying tf.Variable (what masks are keyed by). */
export function variableName(v: tf.LayerVariable): string {
  return (v.read() as tf.Variable).name;
}

function roleOf(weightName: string): string {
  const i = weightName.lastIndexOf('/');
  return i < 0 ? weightName : weightName.slice(i + 1);
}

/** Nested models (a Sequential inside a functional model) contribute their layers in order. */
function flatLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const l of model.layers) {
    if (l instanceof tf.LayersModel) out.push(...flatLayers(l));
    else out.push(l);
  }
  return out;
}

/**
 * Lists every prunable kernel of a model in layer order.
 *
 * @param model any tf.LayersModel (Sequential or functional).
 * @returns the prunable weights; empty when the model has none.
 */
export function prunableWeights(model: tf.LayersModel): PrunableWeight[] {
  const out: PrunableWeight[] = [];
  for (const layer of flatLayers(model)) {
    const kinds = PRUNABLE_KERNELS[layer.getClassName()];
    if (!kinds) continue;
    for (const v of layer.weights) {
      const role = roleOf(v.originalName ?? v.name);
      if (!kinds.includes(role)) continue;
      const shape = v.shape.slice() as number[];
      out.push({
        name: variableName(v),
        layer,
        layerName: layer.name,
        layerType: layer.getClassName(),
        role,
        shape,
        size: shape.reduce((a, b) => a * b, 1),
        variable: v,
        index: out.length,
      });
    }
  }
  return out;
}

function describeSelector(s: LayerSelector): string {
  return typeof s === 'function' ? 'a predicate' : String(s);
}

function matches(s: LayerSelector, w: PrunableWeight): boolean {
  if (typeof s === 'function') return s(w);
  if (s instanceof RegExp) return s.test(w.layerName) || s.test(w.name);
  return s === w.layerName || s === w.name || s === w.layerType;
}

/** Options choosing which prunable weights a call touches. */
export interface TargetOptions {
  /** Only these layers/weights (default: every prunable kernel). */
  include?: LayerSelector[];
  /** Never these layers/weights. */
  exclude?: LayerSelector[];
  /** Keep the first prunable layer dense (common: it has few weights and matters most). */
  keepFirstDense?: boolean;
  /** Keep the last prunable layer (the classifier) dense. */
  keepLastDense?: boolean;
}

/**
 * Applies include/exclude/keepFirstDense/keepLastDense to a model's prunable weights.
 *
 * @throws when a string selector names a layer without a prunable kernel, or a selector matches
 *   nothing (a typo), or nothing is left to prune.
 */
export function selectTargets(model: tf.LayersModel, opts: TargetOptions = {}): PrunableWeight[] {
  const all = prunableWeights(model);
  const known = () => all.map((w) => `${w.layerName} (${w.layerType})`).join(', ') || 'none';
  if (all.length === 0) {
    throw new UserError(`Model '${model.name}' has no prunable kernel (prunable layer types: ${Object.keys(PRUNABLE_KERNELS).join(', ')}).`);
  }
  const layers = flatLayers(model);
  const check = (list: LayerSelector[] | undefined, what: string) => {
    for (const s of list ?? []) {
      if (all.some((w) => matches(s, w))) continue;
      if (typeof s === 'string') {
        const layer = layers.find((l) => l.name === s);
        if (layer) {
          throw new OptionError(`Layer '${s}' (${layer.getClassName()}) has no prunable kernel; prunable layers are: ${known()}.`, what);
        }
      }
      throw new OptionError(`${what} selector ${describeSelector(s)} matches no prunable layer; prunable layers are: ${known()}.`, what);
    }
  };
  check(opts.include, 'include');
  check(opts.exclude, 'exclude');
  const layerOrder = [...new Set(all.map((w) => w.layer))];
  const first = layerOrder[0];
  const last = layerOrder[layerOrder.length - 1];
  const chosen = all.filter(
    (w) =>
      (!opts.include || opts.include.some((s) => matches(s, w))) &&
      !(opts.exclude ?? []).some((s) => matches(s, w)) &&
      !(opts.keepFirstDense && w.layer === first) &&
      !(opts.keepLastDense && w.layer === last),
  );
  if (chosen.length === 0) {
    throw new OptionError(`The include/exclude/keepFirstDense/keepLastDense options leave no layer to prune; prunable layers are: ${known()}.`);
  }
  return chosen;
}
