/**
 * What the data-driven neuron methods share: per-unit scores as kernel-shaped tensors (the
 * score of unit j repeated over its kernel column, which `prune()` reads back with group
 * reduction `max` at `neuron` granularity), statistics cached per pruning call, and the update
 * that folds or drops the units a call removed.
 */
import * as tf from '@tensorflow/tfjs';
import type { CriterionContext } from '../context';
import { MaskedModel, type MaskEdit } from '../masked-model';
import { variableName as variableNameOf, type PrunableWeight } from '../targets';
import { ConsumerEdit, removedUnits } from './consumer-edit';
import { findLink, linksOf, type UnitLink } from './links';
import { foldMeanPerRow, linkStatistics, type UnitStatistics } from './statistics';

/** A kernel-shaped tensor whose column j (output unit j) holds `unitScores[j]`. */
export function unitScoreTensor(t: PrunableWeight, unitScores: ArrayLike<number>): tf.Tensor {
  const U = t.shape[t.shape.length - 1];
  const out = new Float32Array(t.size);
  for (let i = 0; i < t.size; i++) out[i] = unitScores[i % U];
  return tf.tensor(out, t.shape);
}

const statsCache = new WeakMap<CriterionContext, Map<string, UnitStatistics>>();

/** Statistics of a link's units on the call's data, computed once per call (scores and update share them). */
export function cachedStatistics(ctx: CriterionContext, link: UnitLink, zeroTolerance = 0): UnitStatistics {
  let m = statsCache.get(ctx);
  if (!m) statsCache.set(ctx, (m = new Map()));
  const key = `${link.producer.name}@${zeroTolerance}`;
  let st = m.get(key);
  if (!st) {
    // one forward pass for every link of the call: capture all the consumers' inputs at once
    if (!m.size) ctx.capture([...new Set(ctx.targets.map((t) => findLink(MaskedModel.of(ctx.model), t)).flatMap((l) => (typeof l === 'string' ? [] : [l.consumer.layerName])))]);
    m.set(key, (st = linkStatistics(ctx, link, zeroTolerance)));
  }
  return st;
}

/** The links of a call's targets (the context's model). */
export function contextLinks(ctx: CriterionContext, method: string, targets: readonly PrunableWeight[] = ctx.targets): UnitLink[] {
  return linksOf(MaskedModel.of(ctx.model), targets, method);
}

/**
 * The consumer's weights as the forward pass sees them (value × current mask), `[inner, out]`
 * row-major: the fan-outs of the producer's units before the call.
 */
export function consumerWeights(ctx: CriterionContext, link: UnitLink): Float32Array {
  const v = link.consumer.variable.read().dataSync();
  const m = ctx.mask(link.consumer.name)?.dataSync();
  return Float32Array.from(v, (x, i) => (m ? x * m[i] : x));
}

/** Squared norm of each unit's fan-out (all consumer rows that read it), before the call. */
export function fanOutNormsSquared(ctx: CriterionContext, link: UnitLink): Float64Array {
  const w = consumerWeights(ctx, link);
  const out = new Float64Array(link.units);
  for (let r = 0; r < w.length / link.outputs; r++) {
    let s = 0;
    for (let o = 0; o < link.outputs; o++) s += w[r * link.outputs + o] ** 2;
    out[r % link.units] += s;
  }
  return out;
}

/**
 * Each unit's fan-in as the forward pass sees it before the call: its kernel column (value ×
 * mask), followed by its bias when `withBias` (Neuron Merging and the data-free merge compare
 * units by these vectors).
 */
export function producerFanIns(ctx: CriterionContext, link: UnitLink, withBias: boolean): Float64Array[] {
  const p = link.producer;
  const U = link.units;
  const inner = p.size / U;
  const w = p.variable.read().dataSync();
  const m = ctx.mask(p.name)?.dataSync();
  const b = withBias && link.producerBias ? MaskedModel.of(ctx.model).model.weights.find((v) => variableNameOf(v) === link.producerBias)!.read().dataSync() : undefined;
  return Array.from({ length: U }, (_, j) => {
    const out = new Float64Array(inner + (b ? 1 : 0));
    for (let r = 0; r < inner; r++) out[r] = m ? w[r * U + j] * m[r * U + j] : w[r * U + j];
    if (b) out[inner] = b[j];
    return out;
  });
}

/** A detached copy of the consumer before the call, to simulate merges on (scores). */
export function detachedConsumer(ctx: CriterionContext, link: UnitLink): ConsumerEdit {
  const w = consumerWeights(ctx, link);
  const m = ctx.mask(link.consumer.name)?.dataSync();
  return new ConsumerEdit(link, Float64Array.from(w), m ? Float32Array.from(m) : new Float32Array(w.length).fill(1), undefined);
}

/** Per-target unit scores → kernel-shaped score tensors, keyed by weight name. */
export function scoreMap(links: readonly UnitLink[], perLink: (link: UnitLink) => ArrayLike<number>): Map<string, tf.Tensor> {
  return new Map(links.map((l) => [l.producer.name, unitScoreTensor(l.producer, perLink(l))]));
}

/**
 * The update of the score-based neuron methods: every unit the call removed is taken out of its
 * consumer, either folded (its mean into the consumer's bias) or dropped (its output counts as 0).
 * @returns per link, the units removed.
 */
export function foldOrDropRemoved(edit: MaskEdit, ctx: CriterionContext, targets: readonly PrunableWeight[], fold: boolean, method: string): void {
  forEachRemoved(edit, ctx, targets, method, (link, units, c) => {
    if (fold) {
      const means = foldMeanPerRow(link, cachedStatistics(ctx, link));
      for (const j of units) c.fold(j, means, method);
    } else for (const j of units) c.drop(j);
  });
}

/**
 * Runs `move` on every link with units this call removed, with the consumer to move them into,
 * stages the consumers, and records the moves in the history (`<method> moves`: per layer, what
 * became of each removed unit), which notebooks read to show merge pairs.
 */
export function forEachRemoved(
  edit: MaskEdit, ctx: CriterionContext, targets: readonly PrunableWeight[], method: string,
  move: (link: UnitLink, removed: number[], consumer: ConsumerEdit) => void,
): void {
  const layers: ReturnType<ConsumerEdit['summary']>[] = [];
  for (const link of contextLinks(ctx, method, targets)) {
    const units = removedUnits(edit, ctx, link);
    if (!units.length) continue;
    const c = ConsumerEdit.of(edit, link);
    move(link, units, c);
    c.commit();
    layers.push(c.summary());
  }
  edit.record({ method: `${method} moves`, details: { layers } });
}
