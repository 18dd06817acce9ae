/**
 * Layer-wise Hessians from captured layer inputs: for a Dense or Conv2D layer with pre-activation
 * z = Wᵀŷ (ŷ = [y; 1] with a bias), the Hessian of the layer's reconstruction error
 * (1/2n) Σ ‖ẑ − z‖² with respect to the fan-in of any output unit is Ψ = (1/n) Σ ŷ ŷᵀ — the same
 * matrix for every unit (L-OBS, Dong et al. 2017; OBC's H = 2XXᵀ/n up to the factor 2).
 * Convolutions are unfolded: every output position contributes its input patch.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import type { CriterionContext } from '../context';
import type { PrunableWeight } from '../targets';
import { variableName } from '../targets';
import { gram } from './linalg';

/** Layer types whose kernels L-OBS / OBC handle. */
export const LAYERWISE_TYPES = ['Dense', 'Conv2D'];

/** The rows ŷ of a layer: its (unfolded) inputs, one row per example (and output position). */
export function unfoldedInputs(t: PrunableWeight, input: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    if (t.layerType === 'Dense') {
      if (input.rank !== 2) throw new OptionError(`Layer '${t.layerName}': Dense on inputs of rank ${input.rank} is not supported by layer-wise OBS; exclude it (--exclude ${t.layerName}).`, 'exclude');
      return input as tf.Tensor2D;
    }
    if (t.layerType !== 'Conv2D') {
      throw new OptionError(`Layer '${t.layerName}' (${t.layerType}): layer-wise OBS handles ${LAYERWISE_TYPES.join(' and ')} layers; exclude it (--exclude ${t.layerName}).`, 'exclude');
    }
    const cfg = t.layer.getConfig() as { strides?: number | number[]; padding?: string; dilationRate?: number | number[]; dataFormat?: string };
    if (cfg.dataFormat === 'channelsFirst') throw new OptionError(`Layer '${t.layerName}': channelsFirst convolutions are not supported by layer-wise OBS.`, 'exclude');
    const [kh, kw, cin] = t.shape;
    const f = kh * kw * cin;
    // a convolution with the identity kernel [kh, kw, cin, f] copies each patch into the channels,
    // in the kernel's own (kh, kw, cin) order, with the layer's strides, padding and dilation
    const eye = tf.reshape(tf.eye(f), [kh, kw, cin, f]) as tf.Tensor4D;
    const pair = (v: number | number[] | undefined): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v ?? 1, v ?? 1]);
    const patches = tf.conv2d(input as tf.Tensor4D, eye, pair(cfg.strides), (cfg.padding ?? 'valid') as 'valid' | 'same', 'NHWC', pair(cfg.dilationRate));
    return tf.reshape(patches, [-1, f]) as tf.Tensor2D;
  });
}

/** A layer's Ψ and what goes with it. */
export interface LayerHessian {
  /** The target. */
  target: PrunableWeight;
  /** Fan-in m of one output unit (rows of the kernel reshaped to [m, out]). */
  fanIn: number;
  /** Output units. */
  fanOut: number;
  /** The layer's bias variable name, if it has one (Ψ then has a last row/column for it). */
  biasName?: string;
  /** Side of Ψ: m + 1 with a bias, m without. */
  dim: number;
  /** Ψ = (1/n) Σ ŷŷᵀ, undamped, float64. */
  psi: Float64Array;
  /** Number of rows n (examples × output positions). */
  rows: number;
}

/**
 * Ψ of each target's layer from the context's data, accumulated in float64 (zero inputs, common
 * after ReLU and on image borders, are skipped).
 */
export function layerHessians(ctx: CriterionContext, targets: readonly PrunableWeight[]): LayerHessian[] {
  const cap = ctx.capture([...new Set(targets.map((t) => t.layerName))]);
  return targets.map((t) => {
    const biasVar = t.layer.weights.find((w) => /bias/.test(w.originalName ?? w.name));
    const y = unfoldedInputs(t, cap.get(t.layerName)!.inputs[0]);
    const [rows, m] = y.shape;
    const dim = biasVar ? m + 1 : m;
    // float64 throughout: Ψ is rank-deficient (dead pixels, fewer examples than inputs) and the
    // repo's damping is 1e-6, below float32 round-off of a Gram matrix of this size
    const yv = y.dataSync();
    y.dispose();
    let rowsData: ArrayLike<number> = yv;
    if (biasVar) {
      const aug = new Float32Array(rows * dim);
      for (let r = 0; r < rows; r++) {
        aug.set(yv.subarray(r * m, (r + 1) * m), r * dim);
        aug[r * dim + m] = 1;
      }
      rowsData = aug;
    }
    const psi = gram(rowsData, rows, dim);
    return { target: t, fanIn: m, fanOut: t.shape[t.shape.length - 1], biasName: biasVar ? variableName(biasVar) : undefined, dim, psi, rows };
  });
}

/**
 * The layer-wise error ε = (1/2n) Σ ‖ŷᵀ(Ŵ − W)‖² = ½ Σ_o Δ_oᵀ Ψ Δ_o of a change of the kernel
 * (and bias), with Δ_o the change of output unit o's fan-in column (bias last).
 *
 * @param before, after kernel values reshaped [m, out] row-major, with the bias as a last row when present.
 */
export function layerError(h: LayerHessian, before: ArrayLike<number>, after: ArrayLike<number>): number {
  const { dim, fanOut, psi } = h;
  let total = 0;
  const d = new Float64Array(dim);
  const nz: number[] = [];
  for (let o = 0; o < fanOut; o++) {
    nz.length = 0;
    for (let i = 0; i < dim; i++) {
      d[i] = after[i * fanOut + o] - before[i * fanOut + o];
      if (d[i] !== 0) nz.push(i);
    }
    // Δᵀ Ψ Δ over the changed entries only (Ψ symmetric: its row i is contiguous)
    for (const i of nz) {
      const row = i * dim;
      let s = 0;
      for (const j of nz) s += psi[row + j] * d[j];
      total += d[i] * s;
    }
  }
  return total / 2;
}
