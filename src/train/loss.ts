/** Training loss and accuracy from a model's output. */
import * as tf from '@tensorflow/tfjs';

/** What the model's output holds: raw logits (usual) or softmax probabilities. */
export type OutputKind = 'logits' | 'probabilities';

/** Clipping used for log(p) on probability outputs, as Keras does. */
const PROB_EPSILON = 1e-7;

/**
 * Detects whether the model's last layer ends in a softmax (a Dense/Activation layer with
 * `activation: 'softmax'` or a Softmax layer).
 *
 * @param model the model.
 * @returns `probabilities` for a softmax output, else `logits`.
 */
export function outputKind(model: tf.LayersModel): OutputKind {
  const last = model.layers[model.layers.length - 1];
  if (!last) return 'logits';
  if (last.getClassName() === 'Softmax') return 'probabilities';
  const config = last.getConfig() as { activation?: unknown };
  return config.activation === 'softmax' ? 'probabilities' : 'logits';
}

/**
 * Mean cross-entropy of a batch: softmax cross-entropy on logits, or categorical cross-entropy on
 * (clipped) probabilities.
 *
 * @param kind what `output` holds.
 * @param output model output `[batch, classes]`.
 * @param labels one-hot labels `[batch, classes]`.
 * @returns the mean loss (scalar).
 */
export function crossEntropy(kind: OutputKind, output: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  if (kind === 'logits') {
    return tf.losses.softmaxCrossEntropy(labels, output, undefined, 0, tf.Reduction.MEAN) as tf.Scalar;
  }
  return tf.tidy(() => {
    const logp = tf.log(tf.clipByValue(output, PROB_EPSILON, 1 - PROB_EPSILON));
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, logp), -1))) as tf.Scalar;
  });
}

/**
 * Number of examples whose arg-max output equals the arg-max label.
 *
 * @param output model output `[batch, classes]`.
 * @param labels one-hot labels.
 * @returns a float32 scalar count.
 */
export function correctCount(output: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(output, -1), tf.argMax(labels, -1)), 'float32')));
}
