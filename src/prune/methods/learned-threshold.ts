/**
 * Learned per-weight thresholds, trained to a target density (kept until issue 15 brings the
 * real LTP with a soft mask in the forward pass): a threshold t_l per weight is trained so that
 * the soft density mean σ((|w| − t_l)/(τ·s_l)) reaches `density`; `commit()` then masks
 * `|w| ≤ t_l`. The thresholds are registered with the MaskedModel, so they are saved and loaded
 * with the mask state.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import type { LossTerm } from '../../train/types';
import type { MaskedModel } from '../masked-model';
import { registerMethod } from '../method';

/** Identity forward, zero gradient: the loss term trains thresholds, not the weights. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Makes tfjs variable names unique (tfjs needs that) without randomness, so runs stay reproducible. */
let thresholdVariableCount = 0;

/**
 * Learned per-weight thresholds (a method with its own trainable variables): a threshold t_l per
 * weight is trained so that the soft density mean σ((|w| − t_l)/(τ·s_l)) reaches `density`
 * (s_l = mean |w| at creation); `commit()` then masks `|w| ≤ t_l`. The thresholds are registered
 * with the MaskedModel, so they are saved and loaded with the mask state.
 */
export class LearnedThreshold {
  /** Threshold variables by weight name. */
  readonly thresholds = new Map<string, tf.Variable>();
  private readonly scales = new Map<string, number>();

  /**
   * @param masked the masked model.
   * @param opts `density`: target fraction kept in (0, 1]; `temperature` τ (default 0.1);
   *   `names`: weights (default all prunable).
   */
  constructor(readonly masked: MaskedModel, readonly opts: { density: number; temperature?: number; names?: string[] }) {
    if (!(opts.density > 0 && opts.density <= 1)) throw new OptionError(`LearnedThreshold: density must be in (0, 1]; got ${opts.density}.`);
    const names = opts.names ?? masked.prunableWeights().map((w) => w.name);
    const vars: Record<string, tf.Variable> = {};
    for (const n of names) {
      const w = masked.prunable(n).variable.read();
      this.scales.set(n, tf.tidy(() => tf.mean(tf.abs(w)).dataSync()[0]) || 1);
      const existing = masked.variables('learned-threshold').get(n);
      const v = existing ?? tf.variable(tf.scalar(0), true, `learned_threshold_${n.replace(/[^A-Za-z0-9_]/g, '_')}_${thresholdVariableCount++}`);
      this.thresholds.set(n, v);
      if (!existing) vars[n] = v;
    }
    masked.addVariables('learned-threshold', vars);
  }

  /** The loss term for the training loop: Σ_l (soft density_l − target)². */
  lossTerm(): LossTerm {
    const tau = this.opts.temperature ?? 0.1;
    return {
      name: 'learned-threshold',
      trainableVariables: [...this.thresholds.values()],
      loss: () =>
        tf.tidy(() => {
          const terms = [...this.thresholds].map(([n, t]) => {
            const w = stopGradient(tf.abs(this.masked.prunable(n).variable.read()));
            const soft = tf.mean(tf.sigmoid(tf.div(tf.sub(w, t), tau * this.scales.get(n)!)));
            return tf.square(tf.sub(soft, this.opts.density));
          });
          return tf.addN(terms) as tf.Scalar;
        }),
    };
  }

  /** Masks every weight at `|w| ≤ t` (composed with its existing mask). */
  commit(): MaskedModel {
    this.masked.edit((edit) => {
      for (const [n, t] of this.thresholds) {
        const m = tf.tidy(() => tf.mul(edit.mask(n), tf.greater(tf.abs(edit.value(n)), t).toFloat()));
        edit.setMask(n, m);
      }
      edit.record({ method: 'learned-threshold', details: { density: this.opts.density } });
    });
    return this.masked;
  }
}

registerMethod<{ density: number; temperature: number }>({
  name: 'learned-threshold',
  description: 'per-layer thresholds trained to a target density, committed as masks at the end of training',
  options: [
    { name: 'density', type: 'number', default: 0.1, min: 0, max: 1, exclusiveMin: true, help: 'fraction of weights to keep' },
    { name: 'temperature', type: 'number', default: 0.1, min: 0, exclusiveMin: true, help: 'softness τ of the sigmoid, relative to mean |w|' },
  ],
  training(masked, o) {
    const lt = new LearnedThreshold(masked, { density: o.density, temperature: o.temperature });
    return { extraLosses: [lt.lossTerm()], hooks: [{ onTrainEnd: () => void lt.commit() }] };
  },
});
