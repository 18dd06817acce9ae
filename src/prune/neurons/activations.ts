/**
 * Ephemeral (activation) sparsity, the survey's second class of sparsity: not which weights are
 * zero, but which activations are, per example. After ReLU many are; keeping only the k largest
 * activations per example makes more of them zero (top-k activation sparsification). A layer that
 * reads a sparse activation vector needs only the rows of its kernel for the nonzero entries, so
 * its MACs shrink by the activation sparsity s (1/(1 − s) at best), if the kernel can skip them
 * at run time: `sparseActivationSpeedup` measures what prunelab's sparse kernels give.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import { denseToSparse } from '../../sparse/formats';
import { chainLayers } from '../../sparse/layer-kernels';
import { SparseLinear } from '../../sparse/ops';
import { timeIt, type TimingOptions } from '../../sparse/speedup';
import { createContext, type PruneData } from '../context';
import { MaskedModel } from '../masked-model';
import { prunableWeights } from '../targets';
import { findLink, type UnitLink } from './links';
import { consumedOutputs } from './statistics';

/** Activation sparsity of one layer's output on the data (see {@link activationSparsity}). */
export interface ActivationSparsityLayer {
  /** The layer whose output it is. */
  layer: string;
  /** The kernel layer that reads it. */
  into: string;
  /** Activations per example (units × positions). */
  size: number;
  /** Per example: the fraction of its activations with |a| ≤ the tolerance. */
  perExample: number[];
  /** Mean over the examples. */
  mean: number;
}

/** The links whose units feed another kernel layer, optionally only the named producer layers. */
function feedingLinks(masked: MaskedModel, layers?: string[]): UnitLink[] {
  const links = masked.prunableWeights().map((t) => findLink(masked, t)).filter((l): l is UnitLink => typeof l !== 'string');
  if (!layers) return links;
  const bad = layers.filter((n) => !links.some((l) => l.producer.layerName === n));
  if (bad.length) {
    throw new OptionError(`activation sparsity: ${bad.join(', ')} is not a layer whose output another Dense/Conv2D layer reads; layers: ${links.map((l) => l.producer.layerName).join(', ')}.`, 'layers');
  }
  return links.filter((l) => layers.includes(l.producer.layerName));
}

/**
 * Per-example activation sparsity of each layer whose output a kernel layer reads, measured
 * where that layer reads it (after the activation and any pooling), in inference mode.
 *
 * @param opts `layers`: only these (producer) layers; `tolerance`: largest |a| counted as zero (default 0).
 */
export function activationSparsity(model: tf.LayersModel, data: PruneData, opts: { layers?: string[]; tolerance?: number } = {}): ActivationSparsityLayer[] {
  const masked = MaskedModel.of(model);
  const links = feedingLinks(masked, opts.layers);
  const tol = opts.tolerance ?? 0;
  const ctx = createContext(model, [], { data, masks: masked.currentMasks() });
  try {
    return links.map((link) => {
      const y = consumedOutputs(ctx, link);
      const n = y.shape[0];
      const size = y.size / n;
      const v = y.dataSync();
      const perExample = Array.from({ length: n }, (_, e) => {
        let z = 0;
        for (let i = e * size; i < (e + 1) * size; i++) if (Math.abs(v[i]) <= tol) z++;
        return z / size;
      });
      return { layer: link.producer.layerName, into: link.consumer.layerName, size, perExample, mean: perExample.reduce((a, b) => a + b, 0) / n };
    });
  } finally {
    ctx.dispose();
  }
}

/** Configuration of {@link TopKActivation}. */
export interface TopKActivationArgs {
  /** Activations kept per example (the k largest; ties at the k-th value are kept too). */
  k: number;
  /** Layer name. */
  name?: string;
}

/**
 * Keeps the k largest activations of each example (over all units and positions) and sets the
 * others to 0: top-k activation sparsification.
 */
export class TopKActivation extends tf.layers.Layer {
  static className = 'TopKActivation';
  readonly k: number;

  constructor(args: TopKActivationArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.k) || args.k < 1) throw new OptionError(`TopKActivation: k must be a positive integer; got ${args.k}.`, 'k');
    this.k = args.k;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const flat = x.reshape([x.shape[0], -1]);
      const k = Math.min(this.k, flat.shape[1] as number);
      const kth = tf.topk(flat, k, true).values.slice([0, k - 1], [-1, 1]);
      return tf.mul(flat, tf.cast(tf.greaterEqual(flat, kth), 'float32')).reshape(x.shape);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), k: this.k };
  }
}
tf.serialization.registerClass(TopKActivation);

/**
 * A copy of `model` with top-k activation sparsification after the named layers: the layers are
 * rebuilt from their configurations and get the model's current weights (masked weights as the
 * forward pass sees them). `model` itself is unchanged, and the copy is independent of it
 * (dispose it when done).
 *
 * @param kPerLayer layer name → activations kept per example after it.
 * @throws OptionError for a layer that is not in the model's chain, or a bad k.
 */
export function withTopKActivations(model: tf.LayersModel, kPerLayer: Record<string, number>): tf.LayersModel {
  const layers = chainLayers(model);
  const names = new Set(layers.map((l) => l.name));
  const bad = Object.keys(kPerLayer).filter((n) => !names.has(n));
  if (bad.length) throw new OptionError(`withTopKActivations: model '${model.name}' has no layer ${bad.join(', ')}; layers: ${[...names].join(', ')}.`, 'layers');
  const topk = Object.entries(kPerLayer).map(([n, k]) => [n, new TopKActivation({ k, name: `${n}_top${k}` })] as const); // validates every k first
  const classMap = tf.serialization.SerializationMap.getMap().classNameMap;
  const seq = tf.sequential({ name: `${model.name}_topk` });
  try {
    layers.forEach((l, i) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const cfg = { ...(l.getConfig() as any) };
      delete cfg.inputShape;
      if (i === 0) cfg.batchInputShape = model.inputs[0].shape;
      else delete cfg.batchInputShape;
      const [cls, fromConfig] = classMap[l.getClassName()];
      const copy = fromConfig(cls, cfg) as tf.layers.Layer;
      seq.add(copy);
      if (l.weights.length) copy.setWeights(l.getWeights());
      const t = topk.find(([n]) => n === l.name);
      if (t) seq.add(t[1]);
    });
  } catch (e) {
    seq.dispose();
    throw e;
  }
  return seq;
}

/** What {@link sparseActivationSpeedup} measured for one layer. */
export interface ActivationSpeedup {
  /** The layer whose output is the sparse operand. */
  layer: string;
  /** The Dense layer that reads it. */
  into: string;
  /** Measured activation sparsity of the batch. */
  sparsity: number;
  /** Examples in the batch. */
  batch: number;
  /** Median ms of the dense product H·W. */
  denseMs: number;
  /** Median ms of the sparse product with H already in CSR. */
  sparseMs: number;
  /** Median ms of converting H to CSR (needed for every new batch: activations change). */
  convertMs: number;
  /** denseMs / sparseMs. */
  speedupKernel: number;
  /** denseMs / (convertMs + sparseMs). */
  speedupWithConversion: number;
  /** 1 / (1 − sparsity): the MAC reduction. */
  theoretical: number;
  /** Largest |difference| between the sparse and the dense product (a check that they agree). */
  maxError: number;
}

/**
 * Times the product of a sparse activation batch with the dense kernel of the Dense layer that
 * reads it (H [batch, in] · W [in, out]) against the dense product, with prunelab's CSR kernel
 * (computed as (W^T · H^T) so the examples are the sparse rows). Conv2D consumers are not timed.
 *
 * @param model the model (its masks apply).
 * @param data the batch (one) whose activations are the operand.
 * @param opts `layers`: producer layers to time (default all with a Dense consumer); timing options.
 */
export function sparseActivationSpeedup(model: tf.LayersModel, data: PruneData, opts: { layers?: string[] } & TimingOptions = {}): ActivationSpeedup[] {
  const masked = MaskedModel.of(model);
  const links = feedingLinks(masked, opts.layers).filter((l) => l.consumer.layerType === 'Dense');
  const ctx = createContext(model, [], { data, masks: masked.currentMasks() });
  try {
    return links.map((link) => {
      const h = consumedOutputs(ctx, link);
      const batch = h.shape[0];
      const inn = h.size / batch;
      const hv = h.dataSync();
      let zeros = 0;
      for (const v of hv) if (v === 0) zeros++;
      const w = tf.tidy(() => {
        const k = link.consumer.variable.read();
        const m = masked.mask(link.consumer.name);
        return m ? tf.mul(k, m) : k.clone();
      });
      const h2 = h.reshape([batch, inn]);
      const wt = tf.transpose(w);
      try {
        const dense = timeIt(() => tf.tidy(() => tf.matMul(h2, w).dataSync()), opts);
        const convert = timeIt(() => denseToSparse(hv, [batch, inn], 'csr'), opts);
        const op = new SparseLinear(denseToSparse(hv, [batch, inn], 'csr'));
        const maxError = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.transpose(op.apply(wt)), tf.matMul(h2, w)))).dataSync()[0]);
        const sparse = timeIt(() => {
          const y = op.apply(wt);
          y.dataSync();
          y.dispose();
        }, opts);
        op.dispose();
        const sparsity = zeros / hv.length;
        return {
          layer: link.producer.layerName, into: link.consumer.layerName, sparsity, batch,
          denseMs: dense.median, sparseMs: sparse.median, convertMs: convert.median,
          speedupKernel: dense.median / sparse.median, speedupWithConversion: dense.median / (convert.median + sparse.median),
          theoretical: 1 / Math.max(1e-9, 1 - sparsity), maxError,
        };
      } finally {
        tf.dispose([w, h2, wt]);
      }
    });
  } finally {
    ctx.dispose();
  }
}

/** Names of the layers whose output a kernel layer reads (where activation sparsity is measured). */
export function activationLayers(model: tf.LayersModel): string[] {
  const masked = MaskedModel.of(model);
  return prunableWeights(model).map((t) => findLink(masked, t)).filter((l): l is UnitLink => typeof l !== 'string').map((l) => l.producer.layerName);
}
