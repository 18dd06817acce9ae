/**
 * `finalize(model)`: turns a model whose forward pass sees parametrized weights (soft masks,
 * gates, noise) back into a plain tfjs model with hard masks, after which sparse formats,
 * shrinking, `%speedup` and exports apply as for any pruned model.
 */
import * as tf from '@tensorflow/tfjs';
import { effectiveWeights, parametrizedWeights, unparametrize } from '../train/parametrize';
import { MaskedModel } from './masked-model';

/** What {@link finalize} did. */
export interface FinalizeReport {
  /** Methods that were attached and are now ended. */
  methods: string[];
  /** Weights whose parametrization became a stored value and a hard mask. */
  weights: { name: string; by: string; kept: number; size: number }[];
}

/**
 * Replaces every weight parametrization by its final stored value and hard mask (composed with
 * the existing mask), in one all-or-nothing edit recorded in the history, then removes the
 * parametrizations and the attached methods' variables. A model with none is returned as is.
 *
 * @param model the model or its MaskedModel.
 * @returns the MaskedModel; its last history record (`method: 'finalize'`) says what was done.
 */
export function finalize(model: tf.LayersModel | MaskedModel): MaskedModel {
  const masked = model instanceof MaskedModel ? model : MaskedModel.of(model);
  const net = masked.model;
  const entries = parametrizedWeights(net);
  const methods = [...masked.attachedMethods().keys()];
  if (!entries.length && !methods.length) return masked;
  const prunable = new Set(masked.prunableWeights().map((w) => w.name));
  // the evaluation-mode weights are the default final value: computed only if some weight needs them
  const eval0 = entries.some((e) => !e.parametrization.finalize) ? effectiveWeights(net) : new Map<string, tf.Tensor>();
  const finals = new Map<string, { value: tf.Tensor; mask: tf.Tensor }>();
  const report: FinalizeReport = { methods, weights: [] };
  try {
    for (const e of entries) {
      const stored = e.variable.read();
      const f = e.parametrization.finalize
        ? e.parametrization.finalize(stored)
        : tf.tidy(() => {
            const value = eval0.get(e.weightName)!.clone();
            return { value, mask: tf.cast(tf.notEqual(value, 0), 'float32') };
          });
      finals.set(e.weightName, f);
      const kept = tf.tidy(() => tf.sum(f.mask).dataSync()[0]);
      report.weights.push({ name: e.weightName, by: e.parametrization.name, kept, size: f.mask.size });
    }
    masked.edit((edit) => {
      for (const [name, { value, mask }] of finals) {
        if (prunable.has(name)) {
          edit.setMask(name, tf.tidy(() => tf.mul(edit.mask(name), mask)));
          edit.setValue(name, value.clone());
        } else {
          // not a prunable kernel (a bias, a BatchNorm scale): its final value carries the zeros
          edit.setValue(name, tf.tidy(() => tf.mul(value, mask)));
        }
      }
      edit.record({ method: 'finalize', details: { methods, weights: report.weights.map((w) => ({ name: w.name, by: w.by, kept: w.kept })) } });
    });
  } finally {
    for (const t of eval0.values()) t.dispose();
    for (const f of finals.values()) tf.dispose([f.value, f.mask]);
  }
  for (const e of entries) unparametrize(net, e.weightName);
  for (const m of methods) {
    masked.markAttached(m, undefined);
    masked.removeVariables(m);
  }
  return masked;
}
