/** Checks done before training or evaluation starts, so bad input fails early and clearly. */
import type * as tf from '@tensorflow/tfjs';
import { featureSize } from '../data/examples';
import { checkFiniteFeatures, checkFiniteValues, NonFiniteFeaturesError } from '../data/finite';
import type { Batch, Examples } from '../data/types';
import { ShapeError, UserError } from '../errors';

/** The input and output shapes a model expects. */
export interface ModelShapes {
  /** Shape of one input example (no batch dimension). */
  input: number[];
  /** Number of output units (classes). */
  classes: number;
}

/**
 * Reads a model's single input shape and class count.
 *
 * @param model the model.
 * @returns its shapes.
 * @throws for multi-input/-output models or outputs that are not `[batch, classes]`.
 */
export function modelShapes(model: tf.LayersModel): ModelShapes {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(`train/evaluate support models with one input and one output; '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs.`);
  }
  const input = model.inputs[0].shape.slice(1);
  const out = model.outputs[0].shape;
  if (input.some((d) => d == null) || out.length !== 2 || out[1] == null) {
    throw new ShapeError(
      `Model '${model.name}' must have a fully defined input shape and a [batch, classes] output; ` +
        `got input [${model.inputs[0].shape}] and output [${out}].`,
    );
  }
  return { input: input as number[], classes: out[1] as number };
}

/**
 * Decides how data with `featureShape` feeds a model expecting `modelInput`: unchanged when the
 * shapes match, reshaped when one of them is flat and the sizes agree (row-major flattening is
 * unambiguous), otherwise an error that says how to fix it.
 *
 * @param featureShape shape of one data example.
 * @param numClasses classes in the data.
 * @param shapes the model's shapes.
 * @param what name of the data, for messages (e.g. `training data`).
 * @returns the per-example shape to feed.
 */
export function matchData(featureShape: readonly number[], numClasses: number, shapes: ModelShapes, what: string): number[] {
  const same = featureShape.length === shapes.input.length && featureShape.every((d, i) => d === shapes.input[i]);
  const flatEither = featureShape.length === 1 || shapes.input.length === 1;
  if (!same && !(flatEither && featureSize(featureShape) === featureSize(shapes.input))) {
    throw new ShapeError(
      `Shape mismatch: the ${what} has examples of shape [${featureShape}] (${featureSize(featureShape)} values) but the model ` +
        `expects [${shapes.input}] (${featureSize(shapes.input)} values). Create the model with inputShape [${featureShape}] ` +
        `or load the data in the model's shape (e.g. the data module's flatten option).`,
    );
  }
  if (numClasses !== shapes.classes) {
    throw new ShapeError(
      `Class mismatch: the ${what} has ${numClasses} classes but the model outputs ${shapes.classes} units. ` +
        `Create the model with classes: ${numClasses}.`,
    );
  }
  return [...shapes.input];
}

/**
 * Checks the internal consistency of an `Examples` object (sizes and label range) and that its
 * features are finite (one scan per feature array, remembered: see `data/finite.ts`).
 *
 * @param ex the examples.
 * @param what name for messages.
 * @throws NonFiniteFeaturesError when features are NaN or ±Infinity, naming where and the fix.
 */
export function checkExamples(ex: Examples, what: string): void {
  if (!ex || !(ex.x instanceof Float32Array) || !(ex.y instanceof Int32Array)) {
    throw new UserError(`The ${what} must be Examples {x: Float32Array, y: Int32Array, count, featureShape, numClasses}.`);
  }
  if (!Number.isInteger(ex.count) || ex.count <= 0) throw new UserError(`The ${what} has no examples (count ${ex.count}).`);
  const d = featureSize(ex.featureShape);
  if (ex.x.length !== ex.count * d) {
    throw new UserError(`The ${what} is inconsistent: x has ${ex.x.length} values, expected count·size(featureShape) = ${ex.count}·${d}.`);
  }
  if (ex.y.length !== ex.count) throw new UserError(`The ${what} is inconsistent: y has ${ex.y.length} labels for ${ex.count} examples.`);
  for (let i = 0; i < ex.count; i++) {
    const c = ex.y[i];
    if (c < 0 || c >= ex.numClasses) {
      throw new UserError(`The ${what} has label ${c} at example ${i}, outside [0, ${ex.numClasses}).`);
    }
  }
  checkFiniteFeatures(ex, what);
}

/**
 * For a step whose loss was not finite: the error naming non-finite features in its batch, when
 * that is the cause (data from a `BatchSource`, which cannot be checked up front), else undefined.
 * Runs only after a non-finite loss, so healthy steps pay nothing.
 *
 * @param batch the step's batch (not disposed here).
 * @param step the global step.
 * @param epoch its epoch.
 */
export function nonFiniteBatchFeatures(batch: Batch, step: number, epoch: number): NonFiniteFeaturesError | undefined {
  const values = batch.xs.dataSync();
  const x = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  try {
    checkFiniteValues(x, batch.xs.shape.slice(1), `the batch of step ${step} (epoch ${epoch}) of the training data`, false);
  } catch (err) {
    if (err instanceof NonFiniteFeaturesError) return err;
    throw err;
  }
  return undefined;
}

/** True when `data` looks like in-memory `Examples` rather than a batch source. */
export function isExamples(data: unknown): data is Examples {
  return typeof data === 'object' && data !== null && 'x' in data && 'y' in data && 'count' in data;
}
