/**
 * Feature normalisation with statistics from the training split only (never from validation or
 * test data, which would leak information into model selection):
 *
 * - `unit`: maps the dataset's natural range (`featureRange`, e.g. [0, 255] for byte images) to
 *   [0, 1]; without a declared range, each feature's train min/max is mapped to [0, 1].
 * - `symmetric`: like `unit`, to [−1, 1] instead (torchvision's `Normalize((0.5,), (0.5,))` after
 *   `ToTensor`, with which many papers' checkpoints were trained).
 * - `standardize`: zero mean, unit variance. Images (rank ≥ 2 feature shapes) use one global
 *   mean/std, as is customary for MNIST-like data (per-pixel statistics blow up on always-black
 *   border pixels); vectors use per-feature statistics. A zero std is replaced by 1.
 */
import { featureSize } from './examples';
import type { Examples, Normalization } from './types';
import { OptionError, ShapeError } from '../errors';

/** The normalisation modes of `loadDataset`. */
export type NormalizeMode = 'unit' | 'symmetric' | 'standardize' | 'none';

/** The modes, for validation messages. */
export const NORMALIZE_MODES: readonly NormalizeMode[] = ['unit', 'symmetric', 'standardize', 'none'];

/**
 * Computes the normalisation of `mode` from training examples.
 *
 * @param train the training examples (statistics come from these only).
 * @param mode `unit`, `symmetric` or `standardize`.
 * @param featureRange the data's natural range, if known (used by `unit`).
 * @returns offset and scale (global or per feature); scales are never 0.
 */
export function fitNormalization(
  train: Examples,
  mode: 'unit' | 'symmetric' | 'standardize',
  featureRange?: [number, number],
): Normalization {
  if (mode === 'symmetric') {
    // [lo, hi] → [−1, 1]: the unit map's offset moved to the middle of the range, half its scale
    const u = fitNormalization(train, 'unit', featureRange);
    return { ...u, mode, offset: u.offset.map((o, i) => o + u.scale[i] / 2), scale: u.scale.map((s) => s / 2) };
  }
  const size = featureSize(train.featureShape);
  const { x, count } = train;
  if (mode === 'unit') {
    if (featureRange) {
      const [lo, hi] = featureRange;
      if (!(hi > lo)) throw new OptionError(`featureRange must have high > low; got [${lo}, ${hi}].`, 'featureRange');
      return { mode, scope: 'global', offset: [lo], scale: [hi - lo] };
    }
    const min = new Float64Array(size).fill(Infinity);
    const max = new Float64Array(size).fill(-Infinity);
    for (let i = 0; i < count; i++) {
      const base = i * size;
      for (let f = 0; f < size; f++) {
        const v = x[base + f];
        if (v < min[f]) min[f] = v;
        if (v > max[f]) max[f] = v;
      }
    }
    const offset = Array.from(min, (m) => (Number.isFinite(m) ? m : 0));
    const scale = Array.from(max, (m, f) => (m > min[f] ? m - min[f] : 1));
    return { mode, scope: 'perFeature', offset, scale };
  }
  if (train.featureShape.length >= 2) {
    // Global statistics in float64; two-pass formula for accuracy.
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += x[i];
    const mean = x.length ? sum / x.length : 0;
    let sq = 0;
    for (let i = 0; i < x.length; i++) {
      const d = x[i] - mean;
      sq += d * d;
    }
    const std = x.length ? Math.sqrt(sq / x.length) : 0;
    return { mode, scope: 'global', offset: [mean], scale: [std > 0 ? std : 1] };
  }
  const mean = new Float64Array(size);
  const sq = new Float64Array(size);
  for (let i = 0; i < count; i++) for (let f = 0; f < size; f++) mean[f] += x[i * size + f];
  for (let f = 0; f < size; f++) mean[f] = count ? mean[f] / count : 0;
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < size; f++) {
      const d = x[i * size + f] - mean[f];
      sq[f] += d * d;
    }
  }
  const scale = Array.from(sq, (s) => {
    const std = count ? Math.sqrt(s / count) : 0;
    return std > 0 ? std : 1;
  });
  return { mode, scope: 'perFeature', offset: Array.from(mean), scale };
}

/**
 * Applies a normalisation to examples **in place** (`x' = (x - offset) / scale`) and returns
 * them. Used on freshly loaded arrays; call {@link normalizeExamples} to keep the input intact.
 */
export function applyNormalizationInPlace(examples: Examples, norm: Normalization): Examples {
  const { x } = examples;
  const size = featureSize(examples.featureShape);
  if (norm.scope === 'global') {
    const offset = norm.offset[0];
    const scale = norm.scale[0];
    for (let i = 0; i < x.length; i++) x[i] = (x[i] - offset) / scale;
  } else {
    if (norm.offset.length !== size || norm.scale.length !== size) {
      throw new ShapeError(`Per-feature normalisation has ${norm.offset.length} offsets for ${size} features.`);
    }
    for (let i = 0; i < x.length; i += size) {
      for (let f = 0; f < size; f++) x[i + f] = (x[i + f] - norm.offset[f]) / norm.scale[f];
    }
  }
  return examples;
}

/**
 * Returns normalised copies of examples; the input is left unchanged.
 *
 * @param examples the examples.
 * @param norm the normalisation, e.g. from {@link fitNormalization} or `dataset.normalization`.
 */
export function normalizeExamples(examples: Examples, norm: Normalization): Examples {
  return applyNormalizationInPlace({ ...examples, x: examples.x.slice(), y: examples.y.slice() }, norm);
}
