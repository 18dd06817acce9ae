// Non-finite input features are named as the cause before training starts (not reported as a
// diverging loss with advice to lower the learning rate), cheaply: one scan per feature array.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { finiteScan, NonFiniteFeaturesError } from '../../src/data';
import type { Batch, Examples } from '../../src/data/types';
import { mlp } from '../../src/models';
import { evaluate, NonFiniteLossError, train, type BatchSource } from '../../src/train';
import { blobs } from './fixtures/data';

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

/** A copy of `ex` with the given flat feature positions set to `value`. */
function poisoned(ex: Examples, positions: number[], value = NaN): Examples {
  const x = Float32Array.from(ex.x);
  for (const p of positions) x[p] = value;
  return { ...ex, x };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.fail('expected an error'),
    (e: Error) => e,
  );
}

describe('train: non-finite input features are named before training', () => {
  const data = blobs(120, { dim: 4, classes: 3, seed: 7 });

  it('NaN in the training features: an error naming the data, the count and the first position, and the model untouched', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const before = weightsOf(model);
    const bad = poisoned(data, [4 * 37 + 2, 4 * 50 + 1, 4 * 51 + 3]);
    const err = await rejection(train(model, bad, { epochs: 1, batchSize: 16 }));
    assert.ok(err instanceof NonFiniteFeaturesError, `${err.name}: ${err.message}`);
    assert.ok(!(err instanceof NonFiniteLossError));
    assert.match(err.message, /training data/);
    assert.match(err.message, /3 of 480 feature values are not finite/);
    assert.match(err.message, /first: NaN at example 37, feature 2/);
    assert.match(err.message, /impute|remove|drop/i, 'says how to fix it');
    assert.doesNotMatch(err.message, /lower learning rate|lower the learning rate/, 'not the advice for a diverging loss');
    assert.strictEqual(err.count, 3);
    assert.strictEqual(err.firstIndex, 4 * 37 + 2);
    assert.deepStrictEqual(weightsOf(model), before, 'no step was taken');
    model.dispose();
  });

  it('±Infinity in the validation data is named as validation data', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const val = poisoned(blobs(30, { dim: 4, classes: 3, seed: 8 }), [9], -Infinity);
    const err = await rejection(train(model, data, { epochs: 1, batchSize: 16, validation: val }));
    assert.ok(err instanceof NonFiniteFeaturesError);
    assert.match(err.message, /validation data.*1 of 120 feature values.*-Infinity at example 2, feature 1/s);
    assert.throws(() => evaluate(model, val), /evaluation data.*-Infinity at example 2, feature 1/s);
    model.dispose();
  });

  it('a BatchSource whose batch holds NaN: the loss check names the batch features, not the learning rate', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const source: BatchSource = {
      featureShape: [4],
      numClasses: 3,
      batchesPerEpoch: 3,
      *batches(): Generator<Batch> {
        for (let b = 0; b < 3; b++) {
          const x = new Float32Array(8 * 4).fill(0.5);
          if (b === 2) x[4 * 5 + 3] = NaN;
          const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(new Int32Array(8), 'int32'), 3).toFloat() as tf.Tensor2D);
          yield { xs: tf.tensor2d(x, [8, 4]), ys, size: 8 };
        }
      },
    };
    const start = tf.memory().numTensors;
    const err = await rejection(train(model, source, { epochs: 1, optimizer: 'sgd' }));
    assert.ok(err instanceof NonFiniteFeaturesError, `${err.name}: ${err.message}`);
    assert.match(err.message, /batch of step 2 \(epoch 0\).*1 of 32 feature values.*NaN at example 5, feature 3/s);
    assert.ok(weightsOf(model).every((w) => w.every(Number.isFinite)), 'the bad step was not applied');
    assert.strictEqual(tf.memory().numTensors, start, 'no tensor leaked');
    model.dispose();
  });

  it('scans each feature array once, however many epochs, evaluations and trainings use it', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const val = blobs(30, { dim: 4, classes: 3, seed: 9 });
    const scanned: Float32Array[] = [];
    const original = finiteScan.scan;
    finiteScan.scan = (x) => {
      scanned.push(x);
      return original(x);
    };
    try {
      const fresh = { ...data, x: Float32Array.from(data.x) };
      await train(model, fresh, { epochs: 3, batchSize: 16, validation: val });
      await train(model, fresh, { epochs: 1, batchSize: 16, validation: val });
      evaluate(model, val);
    } finally {
      finiteScan.scan = original;
    }
    assert.strictEqual(scanned.length, 2, `scans: ${scanned.length} (one for the training array, one for the validation array)`);
    model.dispose();
  });
});
