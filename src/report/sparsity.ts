/** Per-layer sparsity tables (what `%sparsity` shows), from the pruning API's accounting. */
import type * as tf from '@tensorflow/tfjs';
import type * as Danfo from 'danfojs-node';
import { MaskedModel, sparsitySummary, type SparsityRow, type SparsitySummary } from '../prune';
import { toDataFrame } from './frames';
import { setColumnFormats, type ColumnFormat } from './table';

/** A model as the reports accept it: a `tf.LayersModel` or its `MaskedModel`. */
export type ModelLike = tf.LayersModel | MaskedModel;

/** The MaskedModel of a model (an unpruned model gets an empty one, which changes nothing). */
export function maskedOf(model: ModelLike): MaskedModel {
  return model instanceof MaskedModel ? model : MaskedModel.existing(model) ?? MaskedModel.of(model);
}

/** The pruning API's sparsity summary of a model (pruned or not). */
export function summaryOf(model: ModelLike): SparsitySummary {
  return sparsitySummary(maskedOf(model));
}

/** Columns of {@link sparsityTable}, in order. */
export const SPARSITY_COLUMNS = ['layer', 'type', 'weight_shape', 'params', 'nonzeros', 'sparsity', 'compression', 'flops', 'remaining_flops', 'speedup'] as const;

function row(r: SparsityRow): Record<string, unknown> {
  return {
    layer: r.layer + (r.weight.endsWith('pointwise_kernel') ? ' (pw)' : r.weight.endsWith('depthwise_kernel') ? ' (dw)' : ''),
    type: r.type,
    weight_shape: r.shape, // not 'shape': a danfojs column of that name shadows DataFrame.shape
    params: r.params,
    nonzeros: r.nonzeros,
    sparsity: r.sparsity,
    compression: Number.isFinite(r.compression) ? r.compression : NaN,
    flops: r.flops,
    remaining_flops: r.remainingFlops,
    speedup: Number.isFinite(r.speedup) ? r.speedup : NaN,
  };
}

/** How {@link sparsityTable} shows its columns: the DataFrame keeps fractions and factors as numbers. */
export const SPARSITY_FORMATS: Readonly<Record<string, ColumnFormat>> = {
  params: 'integer',
  nonzeros: 'integer',
  sparsity: 'percent',
  compression: 'ratio',
  flops: 'integer',
  remaining_flops: 'integer',
  speedup: 'ratio',
};

/**
 * The per-layer sparsity table: one row per prunable weight plus a `total` row (all parameters
 * of the model, biases counted as dense).
 *
 * @param model a model or its MaskedModel.
 * @returns a danfojs DataFrame with {@link SPARSITY_COLUMNS}; its values are raw numbers
 *   (`sparsity` a fraction, `compression` and `speedup` factors), displayed as `94.1%`, `17.0×`.
 */
export function sparsityTable(model: ModelLike): Danfo.DataFrame {
  const s = summaryOf(model);
  return setColumnFormats(toDataFrame([...s.rows.map(row), row(s.total)], [...SPARSITY_COLUMNS]), SPARSITY_FORMATS);
}
