/** Input-shape helpers shared by the model builders. */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError } from '../errors';

/**
 * Checks that a shape is a non-empty list of positive integers.
 *
 * @param shape the shape to check.
 * @param what what the shape describes, for the error message.
 * @returns the shape, copied.
 */
export function checkShape(shape: readonly number[], what: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new OptionError(`${what} must be a non-empty list of positive integers, got ${JSON.stringify(shape)}.`, what);
  }
  return [...shape];
}

/**
 * Checks a class count.
 *
 * @param classes the number of classes.
 * @returns the class count.
 */
export function checkClasses(classes: number): number {
  if (!Number.isInteger(classes) || classes < 2) {
    throw new OptionError(`classes must be an integer ≥ 2, got ${classes}.`, 'classes');
  }
  return classes;
}

/** Number of values in one example of the given shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * First layer(s) that bring an input of `inputShape` to the image shape `[h, w, c]` a CNN expects:
 * nothing extra when the shapes match, a Reshape layer named `reshape` for flat (or otherwise
 * shaped) input with the same number of values.
 *
 * @param inputShape the shape the caller feeds.
 * @param imageShape the `[h, w, c]` shape the convolutions expect.
 * @param model the model under construction.
 * @returns the input shape to declare on the first convolution, or undefined when a Reshape was added.
 */
export function addImageInput(
  inputShape: number[],
  imageShape: number[],
  model: tf.Sequential,
): number[] | undefined {
  if (inputShape.length === imageShape.length && inputShape.every((d, i) => d === imageShape[i])) {
    return inputShape;
  }
  if (sizeOf(inputShape) !== sizeOf(imageShape)) {
    throw new ShapeError(
      `This CNN needs ${imageShape.join('×')} images (${sizeOf(imageShape)} values per example); ` +
        `inputShape ${JSON.stringify(inputShape)} has ${sizeOf(inputShape)}. ` +
        `Pass inputShape: [${imageShape.join(', ')}] or [${sizeOf(imageShape)}].`,
    );
  }
  model.add(tf.layers.reshape({ name: 'reshape', inputShape, targetShape: imageShape }));
  return undefined;
}
