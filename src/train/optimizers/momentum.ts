/**
 * SGD with heavy-ball momentum, PyTorch semantics (`torch.optim.SGD(momentum=μ, dampening=d)`):
 * b₁ = g, b_t = μ·b_{t−1} + (1 − d)·g_t, w ← w − lr·b_t.
 */
import * as tf from '@tensorflow/tfjs';
import { checkRange, SlotOptimizerBase } from './base';

/** Options of {@link Momentum} and {@link Nesterov}. */
export interface MomentumOptions {
  /** Momentum factor μ in [0, 1). Default 0.9. */
  momentum?: number;
  /** Dampening d in [0, 1] (ignored on the first step, as in PyTorch). Default 0. */
  dampening?: number;
}

/** Heavy-ball momentum; slot `momentum` holds the buffer b. */
export class Momentum extends SlotOptimizerBase {
  readonly name: string = 'momentum';
  protected readonly slotNames = ['momentum'] as const;
  /** Momentum factor μ. */
  readonly momentum: number;
  /** Dampening d. */
  readonly dampening: number;

  /** @param options momentum (default 0.9), dampening (default 0). */
  constructor(options: MomentumOptions = {}) {
    super();
    this.momentum = checkRange(this.constructor.name, 'momentum', options.momentum ?? 0.9, 0, 1);
    this.dampening = checkRange(this.constructor.name, 'dampening', options.dampening ?? 0, 0, 1, false);
  }

  /** Updates the buffer in place and returns it. */
  protected updateBuffer(gradient: tf.Tensor, slots: Map<string, tf.Variable>, step: number): tf.Tensor {
    const buf = slots.get('momentum')!;
    // PyTorch initialises the buffer with the raw gradient on the first step (no dampening).
    const next = step === 1 ? gradient : tf.add(tf.mul(buf, this.momentum), tf.mul(gradient, 1 - this.dampening));
    buf.assign(next);
    return buf;
  }

  protected computeStep(gradient: tf.Tensor, slots: Map<string, tf.Variable>, learningRate: number, step: number): tf.Tensor {
    return tf.mul(this.updateBuffer(gradient, slots, step), learningRate);
  }
}
