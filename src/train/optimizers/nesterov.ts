/**
 * SGD with Nesterov momentum, PyTorch semantics (`torch.optim.SGD(momentum=μ, nesterov=True)`):
 * b_t as for heavy-ball momentum, then w ← w − lr·(g_t + μ·b_t).
 */
import * as tf from '@tensorflow/tfjs';
import { Momentum, type MomentumOptions } from './momentum';
import { OptionError } from '../../errors';

/** Nesterov momentum; slot `momentum` holds the buffer b. PyTorch requires dampening 0. */
export class Nesterov extends Momentum {
  override readonly name: string = 'nesterov';

  /** @param options momentum (default 0.9, must be > 0); dampening must be 0. */
  constructor(options: MomentumOptions = {}) {
    super(options);
    if (this.momentum <= 0 || this.dampening !== 0) {
      throw new OptionError(`Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}.`, 'momentum');
    }
  }

  protected override computeStep(gradient: tf.Tensor, slots: Map<string, tf.Variable>, learningRate: number, step: number): tf.Tensor {
    const buf = this.updateBuffer(gradient, slots, step);
    return tf.mul(tf.add(gradient, tf.mul(buf, this.momentum)), learningRate);
  }
}
