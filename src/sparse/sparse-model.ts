/**
 * `toSparse(model, {format})`: a model whose pruned Dense / Conv2D layers run on the sparse
 * kernels, every other layer running as in the original. Inference only.
 */
import * as tf from '@tensorflow/tfjs';
import { denseToSparse, SparseFormat, SPARSE_FORMATS, SparseMatrix, ToSparseOptions } from './formats';
import { applyLayerActivation, chainLayers, kernelLayerKind, MaskMap, maskedKernel, transpose2d } from './layer-kernels';
import { SparseConv2D, SparseImpl, SparseLinear } from './ops';
import { sparseBytes } from './bytes';
import { OptionError, ShapeError, UserError } from '../errors';

/** Options of {@link toSparse}. */
export interface ToSparseModelOptions extends Omit<ToSparseOptions, 'mask'> {
  /** Sparse format of the converted layers. Default 'csr'. */
  format?: SparseFormat;
  /** Kernel implementation. Default 'auto' (wasm on cpu/wasm/tensorflow, tfjs ops elsewhere). */
  impl?: SparseImpl;
  /** Masks by kernel variable name; default: the kernels' zeros are the pruned weights. */
  masks?: MaskMap;
  /**
   * Convert a layer only when at least this fraction of its kernel is pruned. Default: any
   * pruned weight (> 0). With masks, only layers that have a mask are candidates.
   */
  minSparsity?: number;
}

/** What became of one layer. */
export interface SparseLayerInfo {
  /** Layer name. */
  name: string;
  /** Layer class name. */
  className: string;
  /** Whether it runs on a sparse kernel. */
  sparse: boolean;
  /** Fraction of pruned kernel weights (kernel layers only). */
  sparsity?: number;
  /** Format used (sparse layers only). */
  format?: SparseFormat;
  /** Bytes of the sparse kernel (sparse layers only). */
  bytes?: number;
}

type Step =
  | { kind: 'layer'; layer: tf.layers.Layer }
  | { kind: 'dense'; layer: tf.layers.Layer; op: SparseLinear }
  | { kind: 'conv2d'; layer: tf.layers.Layer; op: SparseConv2D };

/** A model whose pruned layers run on sparse kernels. Call `dispose()` when done. */
export class SparseModel {
  /** Per-layer conversion summary. */
  readonly layers: SparseLayerInfo[];
  /** The implementation the sparse layers use. */
  readonly impl: 'wasm' | 'tfjs' | 'none';
  private readonly steps: Step[];
  private readonly inputShape: (number | null)[];

  /** @internal use {@link toSparse}. */
  constructor(steps: Step[], layers: SparseLayerInfo[], inputShape: (number | null)[]) {
    this.steps = steps;
    this.layers = layers;
    this.inputShape = inputShape;
    const s = steps.find((x) => x.kind !== 'layer') as { op: SparseLinear } | undefined;
    this.impl = s ? s.op.impl : 'none';
  }

  /**
   * Runs the model (inference).
   *
   * @param x input batch, the original model's input shape.
   * @returns the output tensor (caller disposes).
   */
  predict(x: tf.Tensor): tf.Tensor {
    if (x.rank !== this.inputShape.length || this.inputShape.some((d, i) => d !== null && d !== x.shape[i])) {
      throw new ShapeError(`SparseModel.predict: input shape [${x.shape.join(', ')}] does not match the model input [${this.inputShape.map((d) => d ?? 'batch').join(', ')}].`);
    }
    return tf.tidy(() => {
      let t = x;
      for (const s of this.steps) {
        if (s.kind === 'layer') t = s.layer.apply(t) as tf.Tensor;
        else if (s.kind === 'dense') {
          const lead = t.shape.slice(0, -1);
          const y = s.op.apply(tf.reshape(t, [-1, t.shape[t.rank - 1]]));
          t = applyLayerActivation(s.layer, lead.length === 1 ? y : tf.reshape(y, [...lead, s.op.shape[0]]));
        } else {
          t = applyLayerActivation(s.layer, s.op.apply(t));
        }
      }
      return t;
    });
  }

  /** Frees the sparse kernels. */
  dispose(): void {
    for (const s of this.steps) if (s.kind !== 'layer') s.op.dispose();
  }
}

/**
 * Converts the pruned layers of a chain model to sparse kernels.
 *
 * @param model a Sequential or chain functional model (Dense / Conv2D layers are converted).
 * @param opts format, implementation, masks, threshold.
 * @returns a {@link SparseModel} whose `predict` equals the masked dense model.
 * @throws for non-chain models, unknown formats, masks that do not fit, or a pattern that is not N:M.
 */
export function toSparse(model: tf.LayersModel, opts: ToSparseModelOptions = {}): SparseModel {
  const format = opts.format ?? 'csr';
  if (!SPARSE_FORMATS.includes(format)) throw new OptionError(`Unknown sparse format '${format}'. Known formats: ${SPARSE_FORMATS.join(', ')}.`, 'format');
  const minSparsity = opts.minSparsity ?? 0;
  const layers = chainLayers(model);
  const steps: Step[] = [];
  const info: SparseLayerInfo[] = [];
  try {
    for (const layer of layers) {
      const kind = kernelLayerKind(layer);
      const base = { name: layer.name, className: layer.getClassName() };
      if (!kind) {
        steps.push({ kind: 'layer', layer });
        info.push({ ...base, sparse: false });
        continue;
      }
      const mk = maskedKernel(layer, opts.masks);
      const candidate = opts.masks ? mk.mask !== undefined : true;
      if (!candidate || mk.sparsity <= 0 || mk.sparsity < minSparsity) {
        steps.push({ kind: 'layer', layer });
        info.push({ ...base, sparse: false, sparsity: mk.sparsity });
        continue;
      }
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const cfg = layer.getConfig() as any;
      const out = mk.shape[mk.shape.length - 1];
      const inner = mk.values.length / out;
      const at = transpose2d(mk.values, inner, out);
      const mt = mk.mask ? transpose2d(tf.tidy(() => tf.cast(mk.mask!, 'float32').dataSync() as Float32Array), inner, out) : undefined;
      const a: SparseMatrix = denseToSparse(at, [out, inner], format, { blockShape: opts.blockShape, n: opts.n, m: opts.m, mask: mt });
      const opOpts = { bias: mk.bias, impl: opts.impl };
      if (kind === 'dense') {
        steps.push({ kind, layer, op: new SparseLinear(a, opOpts) });
      } else {
        if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') {
          throw new UserError(`toSparse: Conv2D layer '${layer.name}' uses ${cfg.dataFormat}; only channelsLast is supported.`);
        }
        if (cfg.padding !== 'same' && cfg.padding !== 'valid') throw new UserError(`toSparse: Conv2D layer '${layer.name}' uses padding '${cfg.padding}'; only 'same' and 'valid' are supported.`);
        const pair = (v: number | number[]): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v]);
        const geom = { kernelSize: [mk.shape[0], mk.shape[1]] as [number, number], strides: pair(cfg.strides ?? 1), dilations: pair(cfg.dilationRate ?? 1), padding: cfg.padding };
        steps.push({ kind, layer, op: new SparseConv2D(a, geom, opOpts) });
      }
      info.push({ ...base, sparse: true, sparsity: mk.sparsity, format, bytes: sparseBytes(a).total });
    }
  } catch (e) {
    for (const s of steps) if (s.kind !== 'layer') s.op.dispose();
    throw e;
  }
  return new SparseModel(steps, info, model.inputs[0].shape);
}
