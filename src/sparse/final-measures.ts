/**
 * What the comparison measures on a method's final model, the same way for every method, so no
 * number comes from a method's configuration:
 *
 * - **weights left**: the model is shrunk first (`shrinkModel`: units that nothing feeds or
 *   nothing reads go, their constants folded into the next bias), then the non-zero kernel
 *   entries of every Dense / Conv2D layer are counted, the output layer included. A structured
 *   method's removed neuron thus counts its incoming *and* outgoing weights, and an unstructured
 *   method that happens to kill a whole unit gets the same credit. Biases are counted apart
 *   (`biasesLeft`), for every method alike.
 * - **FLOPs**: multiply-accumulates per example of those non-zero kernel entries (Dense: one per
 *   entry; Conv2D: one per entry and output position), as in `summary()`.
 * - **latency**: the median time of one forward pass at each batch size, for the model as it is
 *   (dense kernels with zeros), on the sparse kernels (`toSparse`, CSR), and shrunk; the fastest
 *   of the three is what a user would deploy, so it is the method's latency.
 */
import * as tf from '@tensorflow/tfjs';
import { chainLayers, kernelLayerKind } from './layer-kernels';
import { shrinkModel } from './shrink';
import { toSparse, type SparseModel } from './sparse-model';
import { timeIt } from './speedup';

/** Weights, biases and FLOPs of a model's Dense / Conv2D layers (non-zeros, or all entries). */
export interface KernelCounts {
  /** Kernel entries (non-zero ones when counting non-zeros). */
  weights: number;
  /** Bias entries (non-zero ones when counting non-zeros). */
  biases: number;
  /** Multiply-accumulates per example of those kernel entries. */
  flops: number;
}

/** The latency of one forward pass at one batch size. */
export interface LatencyMeasure {
  /** Examples per forward pass. */
  batch: number;
  /** Median milliseconds of the model as it is (dense kernels holding zeros). */
  denseMs: number;
  /** Median milliseconds on the CSR kernels (NaN when no layer could convert). */
  sparseMs: number;
  /** Median milliseconds of the shrunk model. */
  shrunkMs: number;
  /** The fastest of the three: what the method's model costs to run. */
  bestMs: number;
  /** Which one that is: `dense`, `csr` or `shrunk`. */
  best: 'dense' | 'csr' | 'shrunk';
}

/** Everything {@link measureFinalModel} measures. */
export interface FinalModelMeasures {
  /** The dense architecture's counts (every kernel and bias entry). */
  dense: KernelCounts;
  /** What is left after shrinking, non-zeros only. */
  left: KernelCounts;
  /** 1 − left.weights / dense.weights: the sparsity every table reports. */
  sparsity: number;
  /** 1 − left.flops / dense.flops. */
  flopsSparsity: number;
  /** Output units per kernel layer after shrinking, e.g. `[300, 100, 10] → [41, 37, 10]` as `41-37-10`. */
  architecture: string;
  /** One entry per batch size asked for. */
  latency: LatencyMeasure[];
}

/** Options of {@link measureFinalModel}. */
export interface MeasureOptions {
  /** Batch sizes of the latency measurements (default [1, 64]; none: []). */
  batchSizes?: readonly number[];
  /** Timed runs per measurement (default 15) after `warmup` untimed ones (default 3). */
  repeats?: number;
  warmup?: number;
}

/** Output positions per example of a layer (1 for Dense). */
function positions(layer: tf.layers.Layer): number {
  const s = layer.outputShape;
  const shape = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
  return shape.slice(1, -1).reduce((a: number, b) => a * (b ?? 1), 1);
}

/**
 * Counts a chain model's Dense / Conv2D kernel and bias entries and their FLOPs.
 * @param nonZerosOnly count only non-zero entries (default true).
 */
export function kernelCounts(model: tf.LayersModel, nonZerosOnly = true): KernelCounts {
  const out: KernelCounts = { weights: 0, biases: 0, flops: 0 };
  for (const layer of chainLayers(model)) {
    if (!kernelLayerKind(layer)) continue;
    const [kernel, bias] = layer.getWeights();
    const count = (t: tf.Tensor) => (nonZerosOnly ? tf.tidy(() => tf.sum(tf.cast(tf.notEqual(t, 0), 'float32')).dataSync()[0]) : t.size);
    const w = count(kernel);
    out.weights += w;
    out.flops += w * positions(layer);
    if (bias) out.biases += count(bias);
  }
  return out;
}

/** Median milliseconds of `predict` on a fixed random input. */
function medianMs(run: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, o: MeasureOptions): number {
  return timeIt(() => {
    const y = run(x);
    y.dataSync();
    y.dispose();
  }, { repeats: o.repeats ?? 15, warmup: o.warmup ?? 3 }).median;
}

/**
 * Measures a method's final model (see the module comment).
 *
 * @param model the final model as plain weights: masks applied and stripped, no method
 *   attached (`finalize`, then `MaskedModel.of(model).strip()`). Its pruned weights are zeros.
 * @param o.dense the counts of the architecture the method started from (`kernelCounts(model,
 *   false)` before pruning: the 100%); default: `model` itself, counting every entry.
 */
export function measurePlainModel(model: tf.LayersModel, o: MeasureOptions & { dense?: KernelCounts } = {}): FinalModelMeasures {
  const dense = o.dense ?? kernelCounts(model, false);
  const shrunk = shrinkModel(model);
  try {
    const left = kernelCounts(shrunk.model, true);
    const architecture = shrunk.layers.map((l) => l.unitsAfter).join('-');
    const latency: LatencyMeasure[] = [];
    for (const batch of o.batchSizes ?? [1, 64]) {
      const shape = [batch, ...(model.inputs[0].shape.slice(1) as number[])];
      const x = tf.randomUniform(shape, 0, 1, 'float32', batch);
      try {
        const denseMs = medianMs((t) => model.predict(t) as tf.Tensor, x, o);
        const shrunkMs = medianMs((t) => shrunk.model.predict(t) as tf.Tensor, x, o);
        let sparseMs = NaN;
        let sm: SparseModel | undefined;
        try {
          sm = toSparse(model, { format: 'csr' });
        } catch {
          sm = undefined; // no layer converts (e.g. nothing pruned): the dense and shrunk times stand
        }
        if (sm && sm.layers.some((l) => l.sparse)) sparseMs = medianMs((t) => sm!.predict(t), x, o);
        sm?.dispose();
        const options = [['dense', denseMs], ['csr', sparseMs], ['shrunk', shrunkMs]] as const;
        const [best, bestMs] = options.filter(([, ms]) => Number.isFinite(ms)).reduce((a, b) => (b[1] < a[1] ? b : a));
        latency.push({ batch, denseMs, sparseMs, shrunkMs, bestMs, best });
      } finally {
        x.dispose();
      }
    }
    return {
      dense, left, architecture, latency,
      sparsity: dense.weights ? 1 - left.weights / dense.weights : 0,
      flopsSparsity: dense.flops ? 1 - left.flops / dense.flops : 0,
    };
  } finally {
    shrunk.model.dispose();
  }
}
