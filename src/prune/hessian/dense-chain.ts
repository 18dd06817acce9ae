/**
 * Per-example quantities of a chain of Dense layers in one batched pass: each Dense layer's
 * input X [B, in], pre-activation Z [B, out] and per-example back-propagated error
 * Δ = ∂(Σ_n ℓ_n)/∂Z [B, out]. Per-example gradients of a Dense kernel are rank one,
 * g_n = x_n δ_nᵀ, so storing (X, Δ) replaces storing N full gradients, and the diagonal of the
 * empirical Fisher is one matmul, (X²)ᵀ(Δ²). Δ comes from one backward pass: a zero "probe"
 * is added to every pre-activation and the summed loss is differentiated with respect to it.
 *
 * Only Sequential-like models made of Dense layers and shape-only layers (Flatten, Dropout,
 * Reshape, Activation, InputLayer) qualify; {@link denseChainLayers} says whether a model does,
 * and callers fall back to a loop of single-example gradients otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { withParametrizedWeights } from '../../train/parametrize';
import type { PruneBatch, PruneLoss } from '../context';

/** Layers that pass data through without weights (inference mode). */
const SHAPE_ONLY = new Set(['Flatten', 'Dropout', 'Reshape', 'Activation', 'InputLayer', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/** Activations whose derivative {@link activationDerivative} knows (for the Gauss–Newton recursion). */
const KNOWN_ACTIVATIONS = new Set(['linear', 'relu', 'tanh', 'sigmoid', 'softmax']);

/** One Dense layer of a chain. */
export interface ChainLayer {
  /** The layer. */
  layer: tf.layers.Layer;
  /** Its activation's name (`relu`, `linear`, ...). */
  activation: string;
  /** Its kernel variable. */
  kernel: tf.LayerVariable;
  /** Its bias variable, if any. */
  bias?: tf.LayerVariable;
}

/** What one batched pass gives for one Dense layer (tensors owned by the caller). */
export interface ChainLayerPass {
  /** Input X, [B, in]. */
  x: tf.Tensor2D;
  /** Pre-activation Z = X W + b, [B, out]. */
  z: tf.Tensor2D;
  /** Per-example error Δ = ∂(Σ_n ℓ_n)/∂Z, [B, out] (present when asked for). */
  delta?: tf.Tensor2D;
}

function activationName(layer: tf.layers.Layer): string {
  const a = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : 'linear';
}

/**
 * The Dense layers of a model, in order, when the model is a plain chain of Dense and
 * shape-only layers; undefined otherwise (convolutions, branches, recurrent layers...).
 */
export function denseChainLayers(model: tf.LayersModel): ChainLayer[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const out: ChainLayer[] = [];
  for (const l of model.layers) {
    const cls = l.getClassName();
    if (SHAPE_ONLY.has(cls)) {
      if (cls === 'Activation' && !KNOWN_ACTIVATIONS.has(activationName(l))) return undefined;
      continue;
    }
    if (cls !== 'Dense') return undefined;
    // a chain: each layer's input is the previous layer's output
    const inbound = (l as unknown as { inboundNodes: { inboundLayers: unknown[] }[] }).inboundNodes;
    if (inbound.length !== 1 || inbound[0].inboundLayers.length > 1) return undefined;
    const act = activationName(l);
    const kernel = l.weights.find((w) => /kernel/.test(w.originalName ?? w.name));
    const bias = l.weights.find((w) => /bias/.test(w.originalName ?? w.name));
    if (!kernel) return undefined;
    out.push({ layer: l, activation: act, kernel, bias });
  }
  // every layer must be a chain link: model.layers of a Sequential is; a functional model with
  // one path is too, but its layers may not be listed in path order
  if (!(model instanceof tf.Sequential)) {
    let s = model.inputs[0] as tf.SymbolicTensor;
    for (const l of model.layers) {
      const ins = ([] as tf.SymbolicTensor[]).concat(l.input as tf.SymbolicTensor | tf.SymbolicTensor[]);
      if (l.getClassName() === 'InputLayer') continue;
      if (ins.length !== 1 || ins[0] !== s) return undefined;
      s = l.output as tf.SymbolicTensor;
    }
  }
  return out.length ? out : undefined;
}

/** f'(z) of a named element-wise activation, as a tensor (softmax: not element-wise, refused). */
export function activationDerivative(name: string, z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (name) {
      case 'linear': return tf.onesLike(z);
      case 'relu': return tf.cast(tf.greater(z, 0), 'float32');
      case 'tanh': return tf.sub(1, tf.square(tf.tanh(z)));
      case 'sigmoid': {
        const s = tf.sigmoid(z);
        return tf.mul(s, tf.sub(1, s));
      }
      default:
        throw new Error(`activationDerivative: no element-wise derivative for '${name}'`);
    }
  });
}

/** Whether a hidden activation has a derivative the Gauss–Newton recursion can use. */
export function hasElementwiseDerivative(name: string): boolean {
  return ['linear', 'relu', 'tanh', 'sigmoid'].includes(name);
}

function applyActivation(layer: tf.layers.Layer, z: tf.Tensor): tf.Tensor {
  const fn = (layer as unknown as { activation?: { apply(t: tf.Tensor): tf.Tensor } }).activation;
  return fn ? fn.apply(z) : z;
}

/**
 * Runs the chain on one batch with the Dense layers computed by hand (so their pre-activations
 * and inputs are available), returning the loss `lossScale · lossFn(ys, output)`.
 */
function chainForward(model: tf.LayersModel, chain: ChainLayer[], xs: tf.Tensor, ys: tf.Tensor, loss: PruneLoss, probes: tf.Tensor[] | undefined, record?: { x: tf.Tensor[]; z: tf.Tensor[]; out?: tf.Tensor }, lossScale = 1): tf.Scalar {
  let h = xs;
  let k = 0;
  for (const l of model.layers) {
    const cls = l.getClassName();
    if (cls === 'InputLayer') continue;
    if (cls !== 'Dense') {
      h = l.apply(h, { training: false }) as tf.Tensor;
      continue;
    }
    const c = chain[k];
    let z = tf.matMul(h as tf.Tensor2D, c.kernel.read() as tf.Tensor2D);
    if (c.bias) z = tf.add(z, c.bias.read());
    if (probes) z = tf.add(z, probes[k]);
    if (record) {
      record.x.push(h);
      record.z.push(z);
    }
    h = applyActivation(c.layer, z);
    k++;
  }
  if (record) record.out = h;
  return tf.mul(loss(ys, h), lossScale) as tf.Scalar;
}

/**
 * One batched pass over a batch: per Dense layer X, Z and (when `deltas`) Δ. Uses the effective
 * (parametrized) weights, as the criteria's other data passes do.
 *
 * @returns one entry per chain layer; the caller disposes the tensors.
 */
export function denseChainPass(model: tf.LayersModel, chain: ChainLayer[], batch: PruneBatch, loss: PruneLoss, deltas: boolean): ChainLayerPass[] {
  const n = batch.xs.shape[0];
  return withParametrizedWeights(model, () => {
    if (!deltas) {
      return tf.tidy(() => {
        const rec = { x: [] as tf.Tensor[], z: [] as tf.Tensor[] };
        chainForward(model, chain, batch.xs, batch.ys, loss, undefined, rec);
        // clone: the first layer's input is the caller's batch, which the caller's disposal must not free
        return rec.x.map((x, i) => ({ x: x.clone() as tf.Tensor2D, z: rec.z[i] as tf.Tensor2D }));
      }) as ChainLayerPass[];
    }
    const probes = chain.map((c) => tf.zeros([n, c.kernel.shape[1] as number]));
    try {
      let recorded: ChainLayerPass[] = [];
      const ds = tf.tidy(() => {
        const grads = tf.grads((...ps: tf.Tensor[]) => {
          const rec = { x: [] as tf.Tensor[], z: [] as tf.Tensor[] };
          // Σ_n ℓ_n = n · mean loss, so Δ holds each example's own gradient
          const l = chainForward(model, chain, batch.xs, batch.ys, loss, ps, rec, n);
          recorded = rec.x.map((x, i) => ({ x: tf.keep(x.clone()) as tf.Tensor2D, z: tf.keep(rec.z[i].clone()) as tf.Tensor2D }));
          return l;
        })(probes);
        return grads as tf.Tensor2D[];
      });
      return recorded.map((r, i) => ({ ...r, delta: ds[i] }));
    } finally {
      probes.forEach((p) => p.dispose());
    }
  });
}

/**
 * Per-example diagonal of the loss Hessian with respect to the network output's pre-activation
 * (the last Dense layer's Z), ∂²ℓ_n/∂z_{n,k}², [B, K]: K double-backward passes through the loss
 * alone (cheap: K is the number of classes). Examples are independent, so one pass with the
 * k-th unit vector in every row gives column k for all of them. For softmax cross-entropy this is
 * p_k(1 − p_k).
 */
export function outputCurvatureDiagonal(lastLayer: ChainLayer, z: tf.Tensor2D, ys: tf.Tensor, loss: PruneLoss): tf.Tensor2D {
  const [n, k] = z.shape;
  return tf.tidy(() => {
    const f = (zz: tf.Tensor) => tf.mul(loss(ys, applyActivation(lastLayer.layer, zz)), n) as tf.Scalar;
    const cols: tf.Tensor[] = [];
    for (let j = 0; j < k; j++) {
      const v = k === 1 ? tf.ones([n, 1]) : tf.oneHot(tf.fill([n], j, 'int32'), k).toFloat();
      const hv = tf.grad((zz: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(zz), v)) as tf.Scalar)(z);
      cols.push(tf.slice(hv, [0, j], [n, 1]));
    }
    return tf.concat(cols, 1) as tf.Tensor2D;
  });
}
