/**
 * Adam (Kingma & Ba 2015) with bias correction, PyTorch semantics (`torch.optim.Adam`, amsgrad off):
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
 * Note ε is added after dividing √v by √(1−β₂ᵗ), as PyTorch does (Keras adds it before).
 * Decoupled weight decay (AdamW) is applied by the loop through `ParamUpdate.decayFactor`.
 */
import * as tf from '@tensorflow/tfjs';
import { checkRange, SlotOptimizerBase } from './base';
import { OptionError } from '../../errors';

/** Options of {@link Adam}. */
export interface AdamOptions {
  /** β₁, decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** β₂, decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** ε > 0 added to the denominator. Default 1e-8. */
  epsilon?: number;
}

/** Adam; slots `m` (first moment) and `v` (second moment). */
export class Adam extends SlotOptimizerBase {
  readonly name = 'adam';
  protected readonly slotNames = ['m', 'v'] as const;
  /** β₁. */
  readonly beta1: number;
  /** β₂. */
  readonly beta2: number;
  /** ε. */
  readonly epsilon: number;

  /** @param options beta1 (0.9), beta2 (0.999), epsilon (1e-8). */
  constructor(options: AdamOptions = {}) {
    super();
    this.beta1 = checkRange('Adam', 'beta1', options.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkRange('Adam', 'beta2', options.beta2 ?? 0.999, 0, 1);
    this.epsilon = options.epsilon ?? 1e-8;
    if (!(this.epsilon > 0) || !Number.isFinite(this.epsilon)) {
      throw new OptionError(`Adam: epsilon must be a finite number > 0, got ${options.epsilon}.`, 'epsilon');
    }
  }

  protected computeStep(gradient: tf.Tensor, slots: Map<string, tf.Variable>, learningRate: number, step: number): tf.Tensor {
    const m = slots.get('m')!;
    const v = slots.get('v')!;
    m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1)));
    v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2)));
    const bc1 = 1 - Math.pow(this.beta1, step);
    const bc2 = 1 - Math.pow(this.beta2, step);
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.epsilon);
    return tf.mul(tf.div(m, denom), learningRate / bc1);
  }
}
