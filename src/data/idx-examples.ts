/** An IDX dataset's decoded image and label arrays as {@link Examples} (shared by the Node and browser loaders). */
import { IdxFormatError } from './errors';
import type { IdxArray } from './idx-parse';
import type { IdxDatasetManifest } from './manifest-check';
import type { Examples } from './types';

/**
 * One split's examples: raw pixel values as float32 (in [0, 255]), labels as int32.
 * @param labelsSource the labels file's name, for the error about a label out of range.
 * @throws IdxFormatError when a label is not a class of the manifest.
 */
export function idxExamples(images: IdxArray, labels: IdxArray, labelsSource: string, m: IdxDatasetManifest, split: string): Examples {
  const count = images.shape[0];
  // The Float32Array/Int32Array constructors convert the bytes natively (no per-pixel JS loop).
  const x = new Float32Array(images.data);
  const y = new Int32Array(labels.data);
  const numClasses = m.classNames.length;
  for (let i = 0; i < count; i++) {
    if (y[i] >= numClasses) {
      throw new IdxFormatError(labelsSource, `label ${y[i]} of ${split} example ${i} is outside [0, ${numClasses}) (${m.name} has ${numClasses} classes).`);
    }
  }
  return { x, y, count, featureShape: [...m.imageShape], numClasses };
}
