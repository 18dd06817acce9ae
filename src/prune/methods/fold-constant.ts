/**
 * Constant-neuron folding: units (Dense neurons, Conv2D filters) whose output is (nearly)
 * constant on the data carry no information, only an offset. Each is removed and its constant
 * folded into the next kernel layer's bias, `b₂ += c_j · W₂[j, :]` (after Flatten one constant
 * per position, through a Conv2D the sum of the kernel's taps), then its kernel column and the
 * next kernel's rows that read it are masked. The network's function changes only by the units'
 * variation on the data (and, for a 'same'-padded Conv2D consumer, at the image border).
 *
 * As a method it chooses its own masks (by `tolerance`, not a sparsity):
 * `prune(net, { method: 'fold-constant', data, methodOptions: { tolerance: 1e-6 } })`,
 * `%prune net fold-constant --data ds --tolerance 1e-6`. The `variance` method generalises it to
 * units that are only nearly constant (a sparsity instead of a tolerance).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import { createContext, type CriterionContext, type PruneData } from '../context';
import { MaskedModel, type MaskEdit } from '../masked-model';
import { registerMethod } from '../method';
import type { PrunableWeight } from '../targets';
import { ConsumerEdit, liveUnitsBefore } from '../neurons/consumer-edit';
import { findLink, type UnitLink } from '../neurons/links';
import { foldMeanPerRow, linkStatistics } from '../neurons/statistics';

/** What folding did in one layer. */
export interface FoldedNeurons {
  /** The layer whose neurons were removed. */
  layer: string;
  /** The next layer, whose bias absorbed them. */
  into: string;
  /** Indices of the removed output units. */
  units: number[];
  /** Their constant outputs. */
  values: number[];
}

/** The foldable links among `candidates`: a consumer kernel layer with a bias reads their units. */
function foldLinks(masked: MaskedModel, candidates: readonly PrunableWeight[]): UnitLink[] {
  return candidates.map((t) => findLink(masked, t)).filter((l): l is UnitLink => typeof l !== 'string' && l.consumerBias !== undefined);
}

/** Stages the folds of constant units of `links` on `edit`; returns what it staged. */
function stageFolds(edit: MaskEdit, ctx: CriterionContext, links: readonly UnitLink[], tol: number): FoldedNeurons[] {
  const report: FoldedNeurons[] = [];
  for (const link of links) {
    const st = linkStatistics(ctx, link);
    const live = liveUnitsBefore(ctx, link, false);
    const units = live.flatMap((alive, j) => (alive && Math.sqrt(st.foldVariance[j]) <= tol ? [j] : []));
    if (!units.length) continue;
    const consumer = ConsumerEdit.of(edit, link);
    const means = foldMeanPerRow(link, st);
    for (const j of units) consumer.fold(j, means, 'fold-constant');
    consumer.commit();
    const U = link.units;
    const col = Float32Array.from(edit.mask(link.producer.name).dataSync());
    for (let i = 0; i < col.length; i++) if (units.includes(i % U)) col[i] = 0;
    edit.setMask(link.producer.name, tf.tensor(col, link.producer.shape));
    report.push({ layer: link.producer.layerName, into: link.consumer.layerName, units, values: units.map((j) => st.mean[j]) });
  }
  return report;
}

function checkTolerance(tol: number): number {
  if (!(tol >= 0) || !Number.isFinite(tol)) throw new OptionError(`fold-constant: tolerance must be a finite number ≥ 0; got ${tol}.`, 'tolerance');
  return tol;
}

/**
 * Removes Dense neurons whose output is (nearly) constant on the data and folds the constant
 * into the next Dense layer's bias (see the module comment).
 *
 * @param model the model or its MaskedModel.
 * @param opts `data` to measure the neurons on; `tolerance`: largest standard deviation
 *   counted as constant (default 1e-6); `layers`: only these layer names.
 * @returns per layer, the units folded.
 */
export function foldConstantNeurons(
  model: tf.LayersModel | MaskedModel,
  opts: { data: PruneData; tolerance?: number; layers?: string[] },
): FoldedNeurons[] {
  const masked = model instanceof MaskedModel ? model : MaskedModel.of(model);
  const tol = checkTolerance(opts.tolerance ?? 1e-6);
  const candidates = masked.prunableWeights().filter((t) => !opts.layers || opts.layers.includes(t.layerName));
  const links = foldLinks(masked, candidates);
  if (opts.layers) {
    const found = new Set(links.map((p) => p.producer.layerName));
    const bad = opts.layers.filter((n) => !found.has(n));
    if (bad.length) throw new OptionError(`foldConstantNeurons: ${bad.join(', ')} is not a Dense or Conv2D layer whose units a kernel layer with a bias reads.`, 'layers');
  }
  const ctx = createContext(masked.model, links.map((p) => p.producer), { data: opts.data, masks: masked.currentMasks() });
  try {
    return masked.edit((edit) => {
      const report = stageFolds(edit, ctx, links, tol);
      edit.record({ method: 'fold-constant-neurons', details: { tolerance: tol, folded: report.map((r) => ({ layer: r.layer, units: r.units })) } });
      return report;
    });
  } finally {
    ctx.dispose();
  }
}

registerMethod<{ tolerance: number }>({
  name: 'fold-constant',
  description: 'removes neurons/filters constant on the data, folding them into the next bias (needs --data; no sparsity)',
  options: [{ name: 'tolerance', type: 'number', default: 1e-6, min: 0, help: 'largest output standard deviation counted as constant' }],
  choosesOwnMasks: true,
  update(edit, ctx, targets, o) {
    const masked = MaskedModel.of(edit.model);
    stageFolds(edit, ctx, foldLinks(masked, targets), checkTolerance(o.tolerance));
  },
});
