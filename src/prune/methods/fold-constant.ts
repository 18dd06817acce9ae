/**
 * Constant-neuron folding: Dense neurons whose output is (nearly) constant on the data carry no
 * information, only an offset. Each is removed and its constant folded into the next Dense
 * layer's bias, `b₂ += c_j · W₂[j, :]`, then column j of its layer and row j of the next kernel
 * are masked. The network's function changes only by the neurons' variation on the data.
 *
 * As a method it chooses its own masks (by `tolerance`, not a sparsity):
 * `prune(net, { method: 'fold-constant', data, methodOptions: { tolerance: 1e-6 } })`,
 * `%prune net fold-constant --data ds --tolerance 1e-6`. Issue 13's variance criterion with
 * bias folding generalises it to neurons that are only nearly constant.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import { createContext, type CriterionContext, type PruneData } from '../context';
import { MaskedModel, type MaskEdit } from '../masked-model';
import { registerMethod } from '../method';
import { variableName, type PrunableWeight } from '../targets';

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

/** A Dense target, the Dense target it feeds alone, and that layer's bias. */
interface FoldPair {
  t: PrunableWeight;
  next: PrunableWeight;
  bias: tf.LayerVariable;
}

function denseConsumer(model: tf.LayersModel, layer: tf.layers.Layer): tf.layers.Layer | undefined {
  const consumers = model.layers.filter((l) => {
    try {
      const ins = ([] as unknown[]).concat(l.input as unknown);
      return ins.includes(layer.output);
    } catch {
      return false;
    }
  });
  if (consumers.length !== 1) return undefined;
  const c = consumers[0];
  return c.getClassName() === 'Dense' && (c.getConfig() as { useBias?: boolean }).useBias !== false ? c : undefined;
}

/** The foldable pairs among `candidates` (Dense layers feeding exactly one Dense layer with a bias). */
function foldPairs(masked: MaskedModel, candidates: readonly PrunableWeight[]): FoldPair[] {
  const pairs: FoldPair[] = [];
  for (const t of candidates) {
    if (t.layerType !== 'Dense') continue;
    const c = denseConsumer(masked.model, t.layer);
    if (!c) continue;
    const next = masked.prunableWeights().find((w) => w.layer === c);
    const bias = c.weights.find((v) => (v.originalName ?? v.name).endsWith('/bias'));
    if (next && bias) pairs.push({ t, next, bias });
  }
  return pairs;
}

/** Stages the folds of constant neurons of `pairs` on `edit`; returns what it staged. */
function stageFolds(edit: MaskEdit, ctx: CriterionContext, pairs: readonly FoldPair[], tol: number): FoldedNeurons[] {
  const cap = ctx.capture(pairs.map((p) => p.t.layerName));
  const report: FoldedNeurons[] = [];
  for (const { t, next, bias } of pairs) {
    const y = cap.get(t.layerName)!.output;
    const [mean, std] = tf.tidy(() => {
      const flat = y.reshape([-1, y.shape[y.shape.length - 1]]);
      const mu = tf.mean(flat, 0);
      return [mu.dataSync(), tf.sqrt(tf.mean(tf.square(tf.sub(flat, mu)), 0)).dataSync()];
    });
    const nOut = t.shape[1];
    const w2 = edit.value(next.name).dataSync();
    const m2 = edit.mask(next.name).dataSync();
    const nNext = next.shape[1];
    const units: number[] = [];
    for (let j = 0; j < nOut; j++) {
      let live = false;
      for (let k = 0; k < nNext; k++) if (m2[j * nNext + k]) live = true;
      if (live && std[j] <= tol) units.push(j);
    }
    if (!units.length) continue;
    const b2 = Float32Array.from(edit.value(variableName(bias)).dataSync());
    for (const j of units) for (let k = 0; k < nNext; k++) b2[k] += mean[j] * w2[j * nNext + k] * m2[j * nNext + k];
    const col = Float32Array.from(edit.mask(t.name).dataSync());
    for (let i = 0; i < t.shape[0]; i++) for (const j of units) col[i * nOut + j] = 0;
    const row = Float32Array.from(m2);
    for (const j of units) for (let k = 0; k < nNext; k++) row[j * nNext + k] = 0;
    edit.setValue(variableName(bias), tf.tensor(b2, bias.shape as number[]));
    edit.setMask(t.name, tf.tensor(col, t.shape));
    edit.setMask(next.name, tf.tensor(row, next.shape));
    report.push({ layer: t.layerName, into: next.layerName, units, values: units.map((j) => mean[j]) });
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
  const pairs = foldPairs(masked, candidates);
  if (opts.layers) {
    const found = new Set(pairs.map((p) => p.t.layerName));
    const bad = opts.layers.filter((n) => !found.has(n));
    if (bad.length) throw new OptionError(`foldConstantNeurons: ${bad.join(', ')} is not a Dense layer feeding a Dense layer with a bias.`, 'layers');
  }
  const ctx = createContext(masked.model, pairs.map((p) => p.t), { data: opts.data });
  try {
    return masked.edit((edit) => {
      const report = stageFolds(edit, ctx, pairs, tol);
      edit.record({ method: 'fold-constant-neurons', details: { tolerance: tol, folded: report.map((r) => ({ layer: r.layer, units: r.units })) } });
      return report;
    });
  } finally {
    ctx.dispose();
  }
}

registerMethod<{ tolerance: number }>({
  name: 'fold-constant',
  description: 'removes Dense neurons constant on the data, folding them into the next bias (needs --data; no sparsity)',
  options: [{ name: 'tolerance', type: 'number', default: 1e-6, min: 0, help: 'largest output standard deviation counted as constant' }],
  choosesOwnMasks: true,
  update(edit, ctx, targets, o) {
    const masked = MaskedModel.of(edit.model);
    stageFolds(edit, ctx, foldPairs(masked, targets), checkTolerance(o.tolerance));
  },
});
