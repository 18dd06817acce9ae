/**
 * Looking at units, for notebooks and reports: how many units each layer has left, and the
 * output statistics (mean, variance, APoZ) of every unit where the next layer reads it.
 */
import type * as tf from '@tensorflow/tfjs';
import { createContext, type PruneData } from '../context';
import { MaskedModel } from '../masked-model';
import { selectTargets, type TargetOptions } from '../targets';
import { liveUnitsBefore } from './consumer-edit';
import { findLink, type LinkKind, type UnitLink } from './links';
import { linkStatistics } from './statistics';

/**
 * Units left per layer: output units with a live kernel weight that the next kernel layer still
 * reads (a layer without a next kernel layer counts its units with a live weight).
 */
export function liveUnitCounts(model: tf.LayersModel | MaskedModel, targets: TargetOptions = {}): Record<string, number> {
  const masked = model instanceof MaskedModel ? model : MaskedModel.of(model);
  const out: Record<string, number> = {};
  const masks = masked.currentMasks();
  const ctx = createContext(masked.model, [], { masks });
  try {
    for (const t of selectTargets(masked.model, targets)) {
      const link = findLink(masked, t);
      if (typeof link !== 'string') out[t.layerName] = liveUnitsBefore(ctx, link).filter(Boolean).length;
      else {
        const U = t.shape[t.shape.length - 1];
        const m = masks.get(t.name)?.dataSync();
        out[t.layerName] = m ? Array.from({ length: U }, (_, j) => j).filter((j) => m.some((v, i) => i % U === j && v !== 0)).length : U;
      }
    }
  } finally {
    ctx.dispose();
  }
  return out;
}

/** Output statistics of one layer's units (see {@link neuronStatistics}). */
export interface NeuronLayerStatistics {
  /** The layer whose units these are. */
  layer: string;
  /** The kernel layer that reads them. */
  into: string;
  /** How it reads them (Dense, through a Conv2D, after Flatten). */
  kind: LinkKind;
  /** Mean output per unit (the mean activation). */
  mean: number[];
  /** Variance per unit over examples and positions. */
  variance: number[];
  /** APoZ per unit: fraction of outputs with |x| ≤ the zero tolerance. */
  zeroFraction: number[];
}

/**
 * Statistics of the units of every Dense/Conv2D layer that feeds another kernel layer, measured
 * on `data` where that layer reads them (after activation and pooling).
 *
 * @param opts `include`/`exclude` as in prune(); `zeroTolerance` for APoZ (default 0).
 */
export function neuronStatistics(model: tf.LayersModel, data: PruneData, opts: TargetOptions & { zeroTolerance?: number } = {}): NeuronLayerStatistics[] {
  const masked = MaskedModel.of(model);
  const { zeroTolerance, ...targetOpts } = opts;
  const links = selectTargets(model, targetOpts).map((t) => findLink(masked, t)).filter((l): l is UnitLink => typeof l !== 'string');
  const ctx = createContext(model, links.map((l) => l.producer), { data, masks: masked.currentMasks() });
  try {
    return links.map((link) => {
      const st = linkStatistics(ctx, link, zeroTolerance ?? 0);
      return {
        layer: link.producer.layerName, into: link.consumer.layerName, kind: link.kind,
        mean: Array.from(st.mean), variance: Array.from(st.variance), zeroFraction: Array.from(st.zeroFraction),
      };
    });
  } finally {
    ctx.dispose();
  }
}
