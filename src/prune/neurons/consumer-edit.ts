/**
 * Moving what removed units carried into the consumer layer, staged on a `MaskEdit` (so a
 * failing call changes nothing). Three moves, all on the consumer's rows that read the unit:
 * - drop: the rows are masked (the unit's output counts as 0 downstream);
 * - fold: `b_Q += Σ_rows μ_r · W_Q[r, :]`, then drop (the unit counts as its mean);
 * - merge into a kept unit i: `W_Q[rows(i), :] += α · W_Q[rows(j), :]` and
 *   `b_Q += Σ_rows β_r · W_Q[r, :]`, then drop (the unit counts as `α h_i + β`).
 * Weights are read as the forward pass sees them (value × mask).
 */
import * as tf from '@tensorflow/tfjs';
import { InternalError, OptionError } from '../../errors';
import type { CriterionContext } from '../context';
import type { MaskEdit } from '../masked-model';
import type { UnitLink } from './links';

/** The consumer's kernel, mask and bias, edited in float64 and staged at the end. */
/** What became of one removed unit. */
export interface UnitMove {
  /** The removed unit. */
  unit: number;
  /** `drop`: its output counts as 0; `fold`: as its mean; `merge`: as α·h_into (+ β). */
  action: 'drop' | 'fold' | 'merge';
  /** The unit it was merged into (merges). */
  into?: number;
  /** The factor α its outgoing weights were added with (merges). */
  alpha?: number;
}

export class ConsumerEdit {
  private biasChanged = false;
  /** The moves made, in order (recorded in the model's history by the methods). */
  readonly moves: UnitMove[] = [];

  /**
   * @param link the link whose consumer is edited.
   * @param kernel effective kernel `[inner, out]` (value × mask), edited in place.
   * @param mask mask `[inner, out]`, edited in place.
   * @param bias the consumer's bias (edited in place), undefined when it has none.
   * @param edit where {@link commit} stages the result (none: a detached working copy, for simulations).
   */
  constructor(
    readonly link: UnitLink,
    readonly kernel: Float64Array,
    readonly mask: Float32Array,
    readonly bias: Float64Array | undefined,
    private readonly edit?: MaskEdit,
  ) {}

  /** The consumer as the edit holds it (staged values and masks). */
  static of(edit: MaskEdit, link: UnitLink): ConsumerEdit {
    const v = edit.value(link.consumer.name).dataSync();
    const mask = Float32Array.from(edit.mask(link.consumer.name).dataSync());
    const bias = link.consumerBias ? Float64Array.from(edit.value(link.consumerBias).dataSync()) : undefined;
    return new ConsumerEdit(link, Float64Array.from(v, (x, i) => x * mask[i]), mask, bias, edit);
  }

  private row(s: number, j: number): number {
    return (s * this.link.units + j) * this.link.outputs;
  }

  /** The fan-out of unit j: its rows of the kernel, concatenated (`rowsPerUnit × out`). */
  fanOut(j: number): Float64Array {
    const { rowsPerUnit, outputs } = this.link;
    const out = new Float64Array(rowsPerUnit * outputs);
    for (let s = 0; s < rowsPerUnit; s++) out.set(this.kernel.subarray(this.row(s, j), this.row(s, j) + outputs), s * outputs);
    return out;
  }

  /** Whether any of unit j's rows is still unmasked. */
  reads(j: number): boolean {
    const { rowsPerUnit, outputs } = this.link;
    for (let s = 0; s < rowsPerUnit; s++) {
      const r = this.row(s, j);
      for (let o = 0; o < outputs; o++) if (this.mask[r + o]) return true;
    }
    return false;
  }

  private needBias(what: string): Float64Array {
    if (!this.bias) {
      throw new OptionError(
        `${what}: ${this.link.consumer.layerName} has no bias to take the removed units' means; use a consumer with a bias or turn folding off. The model was not changed.`, 'fold',
      );
    }
    return this.bias;
  }

  /** Adds `Σ_s β[s·U + j]·W[rows(j)]` to the bias (β per consumer row of unit j). */
  addToBias(j: number, beta: Float64Array | number, what: string): void {
    const b = this.needBias(what);
    const { rowsPerUnit, outputs, units } = this.link;
    for (let s = 0; s < rowsPerUnit; s++) {
      const c = typeof beta === 'number' ? beta : beta[s * units + j];
      if (c === 0) continue;
      const r = this.row(s, j);
      for (let o = 0; o < outputs; o++) b[o] += c * this.kernel[r + o];
    }
    this.biasChanged = true;
  }

  /** Masks unit j's rows: its output counts as 0 downstream. */
  drop(j: number): void {
    this.dropRows(j);
    this.moves.push({ unit: j, action: 'drop' });
  }

  /** Masks unit j's rows (and zeroes them in the working copy, so later merges see them gone). */
  private dropRows(j: number): void {
    const { rowsPerUnit, outputs } = this.link;
    for (let s = 0; s < rowsPerUnit; s++) {
      const r = this.row(s, j);
      this.mask.fill(0, r, r + outputs);
      this.kernel.fill(0, r, r + outputs);
    }
  }

  /** Folds unit j's means (one per consumer row, `rowsPerUnit × U`) into the bias and drops it. */
  fold(j: number, rowMeans: Float64Array, what: string): void {
    this.addToBias(j, rowMeans, what);
    this.dropRows(j);
    this.moves.push({ unit: j, action: 'fold' });
  }

  /** Merges unit j into unit i: i's rows += α·j's rows, the bias takes β·j's rows, j is dropped. */
  merge(j: number, i: number, alpha: number, beta: Float64Array | number | undefined, what: string): void {
    if (beta !== undefined && beta !== 0) this.addToBias(j, beta, what);
    const { rowsPerUnit, outputs } = this.link;
    for (let s = 0; s < rowsPerUnit; s++) {
      const rj = this.row(s, j), ri = this.row(s, i);
      for (let o = 0; o < outputs; o++) this.kernel[ri + o] += alpha * this.kernel[rj + o];
    }
    this.dropRows(j);
    this.moves.push({ unit: j, action: 'merge', into: i, alpha });
  }

  /** What to record in the history about this consumer's moves. */
  summary(): { layer: string; into: string; moves: UnitMove[] } {
    return { layer: this.link.producer.layerName, into: this.link.consumer.layerName, moves: this.moves };
  }

  /** Stages kernel, mask and bias on the edit. */
  commit(): void {
    if (!this.edit) throw new InternalError('a detached ConsumerEdit (a simulation copy) has nothing to commit to');
    const { consumer, consumerBias } = this.link;
    this.edit.setValue(consumer.name, tf.tensor(Float32Array.from(this.kernel), consumer.shape));
    this.edit.setMask(consumer.name, tf.tensor(this.mask, consumer.shape));
    if (this.biasChanged && consumerBias) this.edit.setValue(consumerBias, tf.tensor(Float32Array.from(this.bias!), [this.bias!.length]));
  }
}

/**
 * Units of the link's producer that this edit removes: every weight of the unit's kernel
 * column is masked in the staged mask, while before the call the unit had a live weight and was
 * still read by the consumer (units removed earlier have nothing left to move).
 */
export function removedUnits(edit: MaskEdit, ctx: CriterionContext, link: UnitLink): number[] {
  const U = link.units;
  const staged = edit.mask(link.producer.name).dataSync();
  const inner = link.producer.size / U;
  const live = liveUnitsBefore(ctx, link);
  const out: number[] = [];
  for (let j = 0; j < U; j++) {
    if (!live[j]) continue;
    let liveNow = false;
    for (let r = 0; r < inner && !liveNow; r++) if (staged[r * U + j]) liveNow = true;
    if (!liveNow) out.push(j);
  }
  return out;
}

/**
 * Units alive before the call: read by the consumer and, unless `requireFanIn` is false, with a
 * live kernel weight (a unit whose column is all masked still outputs the constant act(b)).
 */
export function liveUnitsBefore(ctx: CriterionContext, link: UnitLink, requireFanIn = true): boolean[] {
  const U = link.units;
  const before = ctx.mask(link.producer.name)?.dataSync();
  const consumerBefore = ctx.mask(link.consumer.name)?.dataSync();
  const inner = link.producer.size / U;
  return Array.from({ length: U }, (_, j) => {
    let live = !before || !requireFanIn;
    for (let r = 0; r < inner && !live; r++) if (before![r * U + j]) live = true;
    let read = !consumerBefore;
    for (let s = 0; s < link.rowsPerUnit && !read; s++) {
      const r = (s * U + j) * link.outputs;
      for (let o = 0; o < link.outputs; o++) if (consumerBefore![r + o]) { read = true; break; }
    }
    return live && read;
  });
}
