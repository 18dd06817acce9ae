/** Weight values of a model's prunable kernels, for histograms and heatmaps. */
import * as tf from '@tensorflow/tfjs';
import { prunableWeights } from '../prune';
import { maskedOf, type ModelLike } from './sparsity';
import { UnknownNameError } from '../errors';

/** The values of some prunable kernels of a model at one moment. */
export interface WeightSnapshot {
  /** Values by weight name (copies: later training does not change them). */
  values: Map<string, Float32Array>;
  /** Shapes by weight name. */
  shapes: Map<string, number[]>;
}

function modelOf(model: ModelLike): tf.LayersModel {
  return maskedOf(model).model;
}

/** Names of the model's prunable kernels matching `layer` (a layer or weight name; all when omitted). */
export function selectWeightNames(model: ModelLike, layer?: string): string[] {
  const all = prunableWeights(modelOf(model));
  if (!layer) return all.map((w) => w.name);
  const hit = all.filter((w) => w.layerName === layer || w.name === layer);
  if (!hit.length) {
    const layers = [...new Set(all.map((w) => w.layerName))];
    throw new UnknownNameError('layer', layer, layers, `No prunable layer or weight named '${layer}'. Prunable layers: ${all.map((w) => w.layerName).join(', ')}.`);
  }
  return hit.map((w) => w.name);
}

/**
 * Copies the current values of the model's prunable kernels, e.g. before pruning, to compare
 * with afterwards (`%plot weights net --before snapshot`).
 *
 * @param layer only this layer (or weight) name.
 */
export function weightSnapshot(model: ModelLike, layer?: string): WeightSnapshot {
  const names = new Set(selectWeightNames(model, layer));
  const values = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const w of prunableWeights(modelOf(model))) {
    if (!names.has(w.name)) continue;
    values.set(w.name, Float32Array.from(w.variable.read().dataSync() as Float32Array));
    shapes.set(w.name, [...w.shape]);
  }
  return { values, shapes };
}

/** True for a {@link WeightSnapshot}. */
export function isWeightSnapshot(v: unknown): v is WeightSnapshot {
  return !!v && typeof v === 'object' && (v as WeightSnapshot).values instanceof Map && (v as WeightSnapshot).shapes instanceof Map;
}

/** All values of a snapshot (optionally of one layer) in one array. */
export function flatValues(snapshot: WeightSnapshot, names?: string[]): Float32Array {
  const parts = [...snapshot.values].filter(([n]) => !names || names.includes(n)).map(([, v]) => v);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The 0/1 mask of one prunable weight (all ones when the weight is not masked). */
export function maskValues(model: ModelLike, weightName: string): { values: Float32Array; shape: number[] } {
  const masked = maskedOf(model);
  const w = masked.prunable(weightName);
  const m = masked.mask(w.name);
  return { values: m ? Float32Array.from(m.dataSync() as Float32Array) : new Float32Array(w.size).fill(1), shape: [...w.shape] };
}
