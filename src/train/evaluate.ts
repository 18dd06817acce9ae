/** Loss and accuracy of a model on a set of examples (inference mode, no weight changes). */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import { withParametrizedWeights } from './parametrize';
import type { Examples } from '../data/types';
import { batches } from '../data/batches';
import { checkExamples, matchData, modelShapes } from './checks';
import { correctCount, crossEntropy, outputKind } from './loss';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Examples per forward pass; larger is faster, up to memory. Default 512. */
  batchSize?: number;
}

/** Result of {@link evaluate}. */
export interface EvaluateResult {
  /** Mean cross-entropy over the examples. */
  loss: number;
  /** Fraction of examples whose arg-max output is the label. */
  accuracy: number;
  /** Number of examples evaluated. */
  count: number;
}

/**
 * Evaluates a model on examples: mean cross-entropy (on logits, or on probabilities for a
 * softmax output) and accuracy.
 *
 * @param model the model.
 * @param examples the examples (shape and classes are checked against the model first).
 * @param options batch size.
 * @returns loss, accuracy and count.
 */
export function evaluate(model: tf.LayersModel, examples: Examples, options: EvaluateOptions = {}): EvaluateResult {
  const batchSize = options.batchSize ?? 512;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new OptionError(`evaluate: batchSize must be a positive integer, got ${batchSize}.`);
  checkExamples(examples, 'evaluation data');
  const shape = matchData(examples.featureShape, examples.numClasses, modelShapes(model), 'evaluation data');
  const kind = outputKind(model);
  let lossSum = 0;
  let correct = 0;
  for (const batch of batches(examples, { batchSize, shuffle: false, shape })) {
    const stats = tf.tidy(() => {
      const out = withParametrizedWeights(model, () => model.apply(batch.xs, { training: false }) as tf.Tensor);
      return tf.stack([tf.mul(crossEntropy(kind, out, batch.ys), batch.size), correctCount(out, batch.ys)]);
    });
    tf.dispose([batch.xs, batch.ys]);
    const [l, c] = stats.dataSync();
    stats.dispose();
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / examples.count, accuracy: correct / examples.count, count: examples.count };
}
