/**
 * Practical speedup (notebook 04): compression, theoretical and measured speedup over seeds, the
 * break-even sweep, and the check that a structurally shrunk model computes the same function.
 */
import * as tf from '@tensorflow/tfjs';
import type { Examples } from '../data/types';
import { MaskedModel, prune } from '../prune';
import { breakEvenFromSweep, shrinkModel, speedup, speedupSweepPoint, type SparseFormat, type SweepPoint } from '../sparse';
import { resetToDense, type DenseRun } from './runs';
import type { PruneVariant } from './variants';

/** How a pruned model is executed in {@link speedupRows}. */
export interface ExecutionVariant {
  /** Sparse format (`csr`, `bsr`, `nm`, ...), or null to time only the structurally shrunk model. */
  format: SparseFormat | null;
  /** Also time the shrunk model (dead neurons/filters removed). */
  shrunk?: boolean;
  /** BSR block shape (default [4, 4]). */
  blockShape?: [number, number];
  /** N:M pattern (default 2:4). */
  n?: number;
  m?: number;
}

/** One row of {@link speedupRows}: one execution of one seed's pruned model at one batch size. */
export interface SpeedupResultRow {
  /** The pruning method label. */
  method: string;
  /** `csr`, `bsr`, `nm`, `shrunk`. */
  execution: string;
  /** Seed of the dense run. */
  seed: number;
  /** Batch size. */
  batch: number;
  /** Fraction of kernel weights pruned. */
  sparsity: number;
  /** Dense kernel bytes / bytes of this execution (values, indices, pointers; or the shrunk kernels). */
  compression: number;
  /** FLOP-based speedup, 1 / (1 − sparsity). */
  theoretical: number;
  /** Dense median time / this execution's median time (whole model, on the active backend). */
  measured: number;
  /** Dense and sparse median milliseconds. */
  denseMs: number;
  sparseMs: number;
}

/**
 * Prunes each run's dense model with `variant.options` and times the whole model dense vs its
 * sparse format (and/or shrunk), via the sparse core's `speedup`. Timings are medians of
 * `repeats` runs: measurements, never asserted on.
 */
export function speedupRows(
  runs: readonly DenseRun[],
  variant: PruneVariant,
  execution: ExecutionVariant,
  o: { batchSizes: number[]; repeats: number; warmup?: number },
): SpeedupResultRow[] {
  const rows: SpeedupResultRow[] = [];
  for (const run of runs) {
    resetToDense(run);
    prune(run.model, variant.options);
    const report = speedup(run.model, {
      formats: execution.format ? [execution.format] : [], shrunk: !!execution.shrunk, batchSizes: o.batchSizes,
      repeats: o.repeats, warmup: o.warmup ?? 3, breakEvenSparsities: [], blockShape: execution.blockShape, n: execution.n, m: execution.m,
    });
    for (const r of report.rows.filter((x) => x.kind === 'model')) {
      rows.push({
        method: variant.method, execution: r.variant, seed: run.seed, batch: r.batch, sparsity: r.sparsity,
        compression: r.denseBytes / r.variantBytes, theoretical: r.theoretical, measured: r.measured,
        denseMs: r.dense.median, sparseMs: r.sparse.median,
      });
    }
  }
  return rows;
}

/**
 * Break-even sweep: for each layer shape, format and batch size, measured speedup of random
 * unstructured masks over sparsities, one mask seed per `seeds` entry.
 *
 * @returns rows `{shape, format, batch, seed, sparsity, measured, theoretical}` and the break-even
 *   sparsity of each (shape, format, batch) computed on the mean over seeds.
 */
export function breakEvenSweep(
  shapes: [number, number][],
  o: { sparsities: number[]; formats: SparseFormat[]; batchSizes: number[]; seeds: number[]; repeats: number },
): { rows: Record<string, string | number>[]; breakEven: { shape: string; format: string; batch: number; sparsity: number | null }[] } {
  const rows: Record<string, string | number>[] = [];
  const points: SweepPoint[] = [];
  for (const shape of shapes) {
    for (const s of o.sparsities) {
      const perSeed = o.seeds.map((seed) => speedupSweepPoint(shape, s, { formats: o.formats, batchSizes: o.batchSizes, seed, warmup: 1, repeats: o.repeats }));
      perSeed.forEach((pts, i) => pts.forEach((p) => rows.push({
        shape: `${p.shape[0]}×${p.shape[1]}`, format: p.format, batch: p.batch, seed: o.seeds[i], sparsity: p.sparsity, measured: p.measured, theoretical: p.theoretical,
      })));
      // mean over seeds per (format, batch), for the break-even interpolation
      for (const p of perSeed[0]) {
        const same = perSeed.map((pts) => pts.find((q) => q.format === p.format && q.batch === p.batch)!).filter(Boolean);
        points.push({ ...p, measured: same.reduce((a, q) => a + q.measured, 0) / same.length });
      }
    }
  }
  const breakEven = breakEvenFromSweep(points).map((b) => ({ shape: `${b.shape[0]}×${b.shape[1]}`, format: b.format, batch: b.batch, sparsity: b.sparsity }));
  return { rows, breakEven };
}

/**
 * Shrinks a pruned model structurally and checks it computes the same function.
 *
 * @param model a pruned chain model (its kernels' zeros are the pruned weights).
 * @param examples inputs to compare on (the first `count`, default 256).
 * @returns parameters before/after and the largest absolute output difference.
 */
export function shrinkCheck(model: tf.LayersModel, examples: Examples, count = 256): { paramsBefore: number; paramsAfter: number; maxAbsDiff: number } {
  MaskedModel.existing(model)?.apply();
  const res = shrinkModel(model);
  try {
    const n = Math.min(count, examples.count);
    const size = examples.x.length / examples.count;
    const diff = tf.tidy(() => {
      const x = tf.tensor(examples.x.subarray(0, n * size), [n, ...examples.featureShape]);
      const a = model.predict(x) as tf.Tensor;
      const b = res.model.predict(x) as tf.Tensor;
      return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    });
    return { paramsBefore: res.paramsBefore, paramsAfter: res.paramsAfter, maxAbsDiff: diff };
  } finally {
    res.model.dispose();
  }
}
