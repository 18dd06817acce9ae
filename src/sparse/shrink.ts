/**
 * Structural shrinking: a neuron / filter / channel-pruned chain model becomes a physically
 * smaller dense model with the same outputs.
 *
 * A unit j (Dense neuron or Conv2D filter) of a producer layer P can go when
 * - no weight of the next kernel layer Q reads it (its outgoing weights are all pruned), or
 * - no weight feeds it (its incoming kernel column is all pruned): it then outputs the
 *   constant c_j = act(b_j) (passed through the element-wise layers between P and Q), and
 *   c_j's contribution moves into Q's bias: b_Q[o] += c_j · Σ W_Q[rows of j, o]. That is exact
 *   when Q is Dense (after Flatten or global pooling too) and for a 'valid' Conv2D Q; with
 *   'same' padding Q sees c_j only inside the image, so such a unit goes only when c_j = 0.
 * Removing unit j removes column j of P's kernel and P's bias j, and every row of Q's kernel
 * that reads j: row j of a Dense kernel, rows s·U + j after Flatten (channels-last order,
 * U channels), input channel j of a Conv2D kernel.
 *
 * Layers allowed between P and Q: Dropout, Activation, ReLU / LeakyReLU / ELU / Softmax-free
 * element-wise layers, Max/AveragePooling2D, GlobalMax/AveragePooling2D, Flatten. Any other
 * layer keeps P's units (a barrier). The last kernel layer keeps all its outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { applyLayerActivation, chainLayers, kernelLayerKind, MaskMap, maskedKernel, MaskedKernel } from './layer-kernels';
import { UserError } from '../errors';

/** Options of {@link shrinkModel}. */
export interface ShrinkOptions {
  /** Masks by kernel variable name; default: the kernels' zeros are the pruned weights. */
  masks?: MaskMap;
}

/** What shrinking did to one kernel layer. */
export interface ShrinkLayerReport {
  /** Layer name. */
  name: string;
  /** Output units before. */
  unitsBefore: number;
  /** Output units after. */
  unitsAfter: number;
  /** Indices (in the original layer) of the removed units. */
  removed: number[];
  /** Removed units whose constant output was folded into the next layer's bias. */
  folded: number[];
}

/** The result of {@link shrinkModel}. */
export interface ShrinkResult {
  /** The smaller dense model (a new tf.Sequential; the input model is untouched). */
  model: tf.Sequential;
  /** Per kernel layer. */
  layers: ShrinkLayerReport[];
  /** model.countParams() before. */
  paramsBefore: number;
  /** model.countParams() after. */
  paramsAfter: number;
}

const ELEMENTWISE = new Set(['Dropout', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
const POOLING = new Set(['MaxPooling2D', 'AveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAveragePooling2D']);

interface KernelState {
  mk: MaskedKernel;
  /** Current kernel as [inner, out] row-major, inner = rows that read input units. */
  kernel: Float32Array;
  inner: number;
  out: number;
  bias?: Float32Array;
  /** Kept output unit indices (into the original layer). */
  keepOut: number[];
  folded: number[];
}

/**
 * Shrinks a pruned chain model by removing dead units across adjacent layers.
 *
 * @param model the model (Sequential or chain functional; Dense / Conv2D kernel layers).
 * @param opts masks (default: zeros of the kernels are the pruned weights).
 * @returns the new model, per-layer report and parameter counts.
 * @throws for non-chain models or masks that do not fit; the input model is never modified.
 */
export function shrinkModel(model: tf.LayersModel, opts: ShrinkOptions = {}): ShrinkResult {
  const layers = chainLayers(model);
  const states = new Map<tf.layers.Layer, KernelState>();
  for (const l of layers) {
    if (!kernelLayerKind(l)) continue;
    const mk = maskedKernel(l, opts.masks);
    const out = mk.shape[mk.shape.length - 1];
    states.set(l, {
      mk,
      kernel: mk.values.slice(),
      inner: mk.values.length / out,
      out,
      bias: mk.bias?.slice(),
      keepOut: Array.from({ length: out }, (_, i) => i),
      folded: [],
    });
  }

  // Pairs (P, between-layers, Q) of consecutive kernel layers.
  let producer: tf.layers.Layer | undefined;
  let between: tf.layers.Layer[] = [];
  for (const l of layers) {
    if (kernelLayerKind(l)) {
      if (producer) shrinkPair(states.get(producer)!, between, states.get(l)!);
      producer = l;
      between = [];
    } else if (producer) {
      between.push(l);
    }
  }

  const built = rebuild(model, layers, states);
  const report: ShrinkLayerReport[] = [...states.values()].map((s) => {
    const kept = new Set(s.keepOut);
    const before = s.mk.shape[s.mk.shape.length - 1];
    return {
      name: s.mk.layer.name,
      unitsBefore: before,
      unitsAfter: s.keepOut.length,
      removed: Array.from({ length: before }, (_, i) => i).filter((i) => !kept.has(i)),
      folded: s.folded,
    };
  });
  return { model: built, layers: report, paramsBefore: model.countParams(), paramsAfter: built.countParams() };
}

function shrinkPair(P: KernelState, between: tf.layers.Layer[], Q: KernelState): void {
  for (const l of between) {
    const c = l.getClassName();
    if (!ELEMENTWISE.has(c) && !POOLING.has(c) && c !== 'Flatten') return; // barrier: keep P's units
  }
  const U = P.out;
  // Q's kernel rows that read unit j: r with r % U === j (Dense: r = j; Flatten: s·U + j;
  // Conv2D [kh, kw, U, out] flattened: (ky·kw + kx)·U + j).
  if (Q.inner % U !== 0) return; // not a layout we understand: keep everything
  const perUnit = Q.inner / U;
  const qConv = Q.mk.kind === 'conv2d';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const qPadding = (Q.mk.layer.getConfig() as any).padding;
  // Constant outputs of units with no incoming weight: act_P(b) through the element-wise layers.
  const constants = tf.tidy(() => {
    let t: tf.Tensor = tf.tensor2d(P.bias ?? new Float32Array(U), [1, U]);
    t = applyLayerActivation(P.mk.layer, t);
    for (const l of between) if (ELEMENTWISE.has(l.getClassName())) t = l.apply(t, { training: false }) as tf.Tensor;
    return t.dataSync().slice() as Float32Array;
  });
  const remove = new Set<number>();
  const fold: number[] = [];
  for (let j = 0; j < U; j++) {
    let outDead = true;
    for (let s = 0; s < perUnit && outDead; s++) {
      const row = (s * U + j) * Q.out;
      for (let o = 0; o < Q.out; o++) if (Q.kernel[row + o] !== 0) { outDead = false; break; }
    }
    if (outDead) {
      remove.add(j);
      continue;
    }
    let inDead = true;
    for (let r = 0; r < P.inner && inDead; r++) if (P.kernel[r * U + j] !== 0) inDead = false;
    if (!inDead) continue;
    const c = constants[j];
    if (c === 0) remove.add(j);
    else if (Q.bias && (!qConv || qPadding === 'valid')) {
      remove.add(j);
      fold.push(j);
    }
  }
  if (remove.size === 0) return;
  // Fold constants into Q's bias.
  for (const j of fold) {
    const c = constants[j];
    for (let s = 0; s < perUnit; s++) {
      const row = (s * U + j) * Q.out;
      for (let o = 0; o < Q.out; o++) Q.bias![o] += c * Q.kernel[row + o];
    }
  }
  const keep = Array.from({ length: U }, (_, i) => i).filter((j) => !remove.has(j));
  // P: keep columns.
  const pk = new Float32Array(P.inner * keep.length);
  for (let r = 0; r < P.inner; r++) for (let k = 0; k < keep.length; k++) pk[r * keep.length + k] = P.kernel[r * U + keep[k]];
  P.kernel = pk;
  if (P.bias) P.bias = Float32Array.from(keep, (j) => P.bias![j]);
  P.folded.push(...fold.map((j) => P.keepOut[j]));
  P.keepOut = keep.map((j) => P.keepOut[j]);
  P.out = keep.length;
  // Q: keep rows.
  const qk = new Float32Array(perUnit * keep.length * Q.out);
  for (let s = 0; s < perUnit; s++) {
    for (let k = 0; k < keep.length; k++) {
      qk.set(Q.kernel.subarray((s * U + keep[k]) * Q.out, (s * U + keep[k] + 1) * Q.out), (s * keep.length + k) * Q.out);
    }
  }
  Q.kernel = qk;
  Q.inner = perUnit * keep.length;
}

function rebuild(model: tf.LayersModel, layers: tf.layers.Layer[], states: Map<tf.layers.Layer, KernelState>): tf.Sequential {
  const classMap = tf.serialization.SerializationMap.getMap().classNameMap;
  const seq = tf.sequential();
  const copyWeights: Array<[tf.layers.Layer, tf.layers.Layer]> = [];
  try {
    layers.forEach((l, i) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const cfg = { ...(l.getConfig() as any) };
      if (i === 0) cfg.batchInputShape = model.inputs[0].shape;
      else delete cfg.batchInputShape;
      delete cfg.inputShape;
      const st = states.get(l);
      if (st) {
        if (st.mk.kind === 'dense') cfg.units = st.out;
        else cfg.filters = st.out;
      }
      const entry = classMap[l.getClassName()];
      if (!entry) throw new UserError(`shrinkModel: cannot rebuild layer class '${l.getClassName()}' (not registered with tf.serialization).`);
      const [cls, fromConfig] = entry;
      const nl = fromConfig(cls, cfg) as tf.layers.Layer;
      seq.add(nl);
      if (!st && l.weights.length) copyWeights.push([l, nl]);
      else if (st) {
        const kShape = [...st.mk.shape];
        kShape[kShape.length - 1] = st.out;
        if (st.mk.kind === 'conv2d') kShape[2] = st.inner / (kShape[0] * kShape[1]);
        else kShape[0] = st.inner;
        const ws = [tf.tensor(st.kernel, kShape)];
        if (st.bias) ws.push(tf.tensor1d(st.bias));
        nl.setWeights(ws);
        ws.forEach((w) => w.dispose());
      }
    });
    for (const [from, to] of copyWeights) to.setWeights(from.getWeights());
  } catch (e) {
    seq.dispose();
    throw e;
  }
  return seq;
}
