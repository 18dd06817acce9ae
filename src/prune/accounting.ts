/**
 * Sparsity accounting: parameters, non-zeros, sparsity, compression ratio (original/remaining,
 * as papers report it) and FLOPs per prunable weight and in total.
 * FLOPs are counted as multiply-accumulates of the kernels (bias adds, activations and
 * normalisation are ignored, as in most pruning papers): Dense `in·out` per example (times any
 * extra leading positions), Conv `kernel size · output positions`; remaining FLOPs use the
 * non-zeros of the mask.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaskedModel } from './masked-model';

/** One row of the summary. */
export interface SparsityRow {
  /** Layer name (`total` for the last row). */
  layer: string;
  /** Weight variable name (`` for the total). */
  weight: string;
  /** Layer class name. */
  type: string;
  /** Shape as text, e.g. `784x300`. */
  shape: string;
  /** Number of parameters. */
  params: number;
  /** Parameters left (mask ones; unmasked weights count fully). */
  nonzeros: number;
  /** 1 − nonzeros/params. */
  sparsity: number;
  /** params / nonzeros (Infinity when nothing is left). */
  compression: number;
  /** Dense multiply-accumulates per example. */
  flops: number;
  /** Multiply-accumulates left per example. */
  remainingFlops: number;
  /** flops / remainingFlops: theoretical speed-up. */
  speedup: number;
}

/** The summary: rows per prunable weight plus a total over the whole model. */
export interface SparsitySummary {
  /** Per prunable weight. */
  rows: SparsityRow[];
  /** Whole model: all parameters (biases etc. counted as dense), FLOPs of the prunable layers. */
  total: SparsityRow;
  /** Plain-text table. */
  text: string;
}

function positions(layer: tf.layers.Layer): number {
  const s = layer.outputShape;
  const shape = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
  return shape.slice(1, -1).reduce((a: number, b) => a * (b ?? 1), 1);
}

function ratio(a: number, b: number): number {
  return b === 0 ? (a === 0 ? 1 : Infinity) : a / b;
}

/**
 * Computes the summary of a masked model.
 *
 * @param masked the model with its masks.
 */
export function sparsitySummary(masked: MaskedModel): SparsitySummary {
  const rows: SparsityRow[] = [];
  for (const w of masked.prunableWeights()) {
    const m = masked.mask(w.name);
    const nz = m ? Math.round(tf.tidy(() => tf.sum(m).dataSync()[0])) : w.size;
    const pos = positions(w.layer);
    rows.push({
      layer: w.layerName, weight: w.name, type: w.layerType, shape: w.shape.join('x'), params: w.size, nonzeros: nz,
      sparsity: 1 - nz / w.size, compression: ratio(w.size, nz), flops: w.size * pos, remainingFlops: nz * pos,
      speedup: ratio(w.size * pos, nz * pos),
    });
  }
  const allParams = masked.model.weights.reduce((a, v) => a + v.shape.reduce((x: number, y) => x * (y as number), 1), 0);
  const pruned = rows.reduce((a, r) => a + (r.params - r.nonzeros), 0);
  const flops = rows.reduce((a, r) => a + r.flops, 0);
  const rem = rows.reduce((a, r) => a + r.remainingFlops, 0);
  const nz = allParams - pruned;
  const total: SparsityRow = {
    layer: 'total', weight: '', type: '', shape: '', params: allParams, nonzeros: nz, sparsity: 1 - nz / allParams,
    compression: ratio(allParams, nz), flops, remainingFlops: rem, speedup: ratio(flops, rem),
  };
  return { rows, total, text: renderSummary(rows, total) };
}

function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return '∞';
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(digits);
}

/** Renders rows as an aligned text table. */
export function renderSummary(rows: SparsityRow[], total: SparsityRow): string {
  const head = ['layer', 'type', 'shape', 'params', 'nonzeros', 'sparsity', 'compression', 'FLOPs', 'FLOPs left', 'speedup'];
  const cells = [...rows, total].map((r) => [
    r.layer + (r.weight.endsWith('pointwise_kernel') ? ' (pw)' : r.weight.endsWith('depthwise_kernel') ? ' (dw)' : ''),
    r.type, r.shape, fmt(r.params), fmt(r.nonzeros), `${(100 * r.sparsity).toFixed(2)}%`, `${fmt(r.compression)}x`,
    fmt(r.flops), fmt(r.remainingFlops), `${fmt(r.speedup)}x`,
  ]);
  const width = head.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  const line = (c: string[]) => c.map((x, j) => (j < 3 ? x.padEnd(width[j]) : x.padStart(width[j]))).join('  ');
  const sep = width.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), sep, ...cells.slice(0, -1).map(line), sep, line(cells[cells.length - 1])].join('\n');
}
