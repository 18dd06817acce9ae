/**
 * Output statistics of the units of a layer on calibration data, measured where the next
 * kernel layer reads them (after the activation and any pooling: what folding must replace).
 * Accumulated in float64 with two passes (mean, then squared deviations), as the family notes
 * ask, because `E[h²] − E[h]²` in float32 loses the small variances the criteria rank by.
 */
import * as tf from '@tensorflow/tfjs';
import { InternalError } from '../../errors';
import type { CriterionContext } from '../context';
import type { UnitLink } from './links';

/** Statistics of U units over M = examples × positions samples. */
export interface UnitStatistics {
  /** Units (U). */
  units: number;
  /** Examples the statistics are over. */
  examples: number;
  /** Positions per example and unit: 1 for Dense, H·W for maps. */
  positions: number;
  /** Mean output per unit over examples and positions (the mean activation). */
  mean: Float64Array;
  /** Variance per unit over examples and positions. */
  variance: Float64Array;
  /**
   * What folding puts in place of a removed unit, per row of the consumer that reads it
   * (`[rowsPerUnit × U]`, row `s·U + j`): the mean of that position over the examples when the
   * consumer has a weight per position (Flatten → Dense), the unit's mean otherwise.
   */
  foldMean: Float64Array;
  /**
   * Variance left by folding: the mean squared deviation from `foldMean` (equal to `variance`
   * except after Flatten, where each position has its own mean).
   */
  foldVariance: Float64Array;
  /** Fraction of samples with |output| ≤ the zero tolerance (APoZ, Hu et al. 2016). */
  zeroFraction: Float64Array;
}

/**
 * Statistics of the units of `values` seen as `[examples, positions, U]` (channels last).
 *
 * @param values the consumer's input, `[N, …, U]` (any rank; the last axis is the unit).
 * @param perPositionFold true when the consumer weighs each position separately (Flatten → Dense):
 *   the fold means are then per position. `values` is then `[N, P·U]`, positions before units.
 * @param units U.
 * @param zeroTolerance largest |x| counted as zero for APoZ (0: exact zeros, as after ReLU).
 */
export function unitStatistics(values: tf.Tensor, units: number, perPositionFold: boolean, zeroTolerance = 0): UnitStatistics {
  const x = values.dataSync();
  const examples = values.shape[0];
  const positions = values.size / (examples * units);
  const U = units;
  const mean = new Float64Array(U);
  const posMean = new Float64Array(positions * U);
  for (let n = 0; n < examples; n++) {
    const base = n * positions * U;
    for (let k = 0; k < positions * U; k++) posMean[k] += x[base + k];
  }
  for (let k = 0; k < positions * U; k++) {
    mean[k % U] += posMean[k];
    posMean[k] /= examples;
  }
  const samples = examples * positions;
  for (let j = 0; j < U; j++) mean[j] /= samples;
  const variance = new Float64Array(U);
  const foldVariance = new Float64Array(U);
  const zeroFraction = new Float64Array(U);
  for (let n = 0; n < examples; n++) {
    const base = n * positions * U;
    for (let k = 0; k < positions * U; k++) {
      const j = k % U;
      const v = x[base + k];
      const d = v - mean[j];
      variance[j] += d * d;
      const e = v - posMean[k];
      foldVariance[j] += e * e;
      if (Math.abs(v) <= zeroTolerance) zeroFraction[j]++;
    }
  }
  for (let j = 0; j < U; j++) {
    variance[j] /= samples;
    foldVariance[j] /= samples;
    zeroFraction[j] /= samples;
  }
  if (!perPositionFold) foldVariance.set(variance);
  return { units: U, examples, positions, mean, variance, foldMean: perPositionFold ? posMean : mean.slice(), foldVariance, zeroFraction };
}

/** Fold means expanded to one per consumer row (`rowsPerUnit × U`). */
export function foldMeanPerRow(link: UnitLink, st: UnitStatistics): Float64Array {
  if (st.foldMean.length === link.rowsPerUnit * link.units) return st.foldMean;
  const out = new Float64Array(link.rowsPerUnit * link.units);
  for (let s = 0; s < link.rowsPerUnit; s++) for (let j = 0; j < link.units; j++) out[s * link.units + j] = st.foldMean[j];
  return out;
}

/** The consumer's input on the context's data (inference mode), captured once per call. */
export function consumedOutputs(ctx: CriterionContext, link: UnitLink): tf.Tensor {
  return ctx.capture([link.consumer.layerName]).get(link.consumer.layerName)!.inputs[0];
}

/** Statistics of a link's producer units on the context's data. */
export function linkStatistics(ctx: CriterionContext, link: UnitLink, zeroTolerance = 0): UnitStatistics {
  const y = consumedOutputs(ctx, link);
  const perPosition = link.kind === 'flatten';
  if (perPosition && y.size / y.shape[0] !== link.rowsPerUnit * link.units) {
    throw new InternalError(`${link.consumer.layerName} reads ${y.size / y.shape[0]} values per example, expected ${link.rowsPerUnit}×${link.units}`);
  }
  return unitStatistics(y, link.units, perPosition, zeroTolerance);
}

/**
 * Covariance matrix `[U × U]` (row-major, float64) of the units' deviations from their fold
 * means, over examples × positions: what correlation merging regresses one unit on another with.
 */
export function unitCovariance(ctx: CriterionContext, link: UnitLink, st: UnitStatistics): Float64Array {
  const y = consumedOutputs(ctx, link);
  const U = link.units;
  const centre = st.foldMean; // one per unit, or one per position and unit after Flatten
  const c = tf.tidy(() => {
    // [N, P·U] − fold means, as [N·P, U]; the product in float32 on the backend (U² · N·P MACs)
    const flat = y.reshape([y.shape[0], -1]);
    const centred = tf.sub(flat, tf.tensor(Float32Array.from(tiled(centre, flat.shape[1] as number)), [1, flat.shape[1] as number]));
    const rows = centred.reshape([-1, U]);
    return tf.div(tf.matMul(rows, rows, true, false), rows.shape[0]).dataSync();
  });
  return Float64Array.from(c);
}

function tiled(a: Float64Array, length: number): Float64Array {
  if (a.length === length) return a;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = a[i % a.length];
  return out;
}
