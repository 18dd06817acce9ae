import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { methodStepTimes } from '../../src/experiments';
import { images } from '../train/fixtures/data';

describe('experiments: methodStepTimes', () => {
  it('times each training method next to plain training, interleaved, and leaves nothing behind', async () => {
    const data = images(40, [28, 28, 1], 10, 3);
    const before = tf.memory().numTensors;
    const rows = await methodStepTimes('lenet-300-100', data, [
      { label: 'dense', method: 'none' }, { label: 'vd', method: 'sparse-vd' }, { label: 'l1', method: 'penalty', optimizer: 'sgd' },
    ], { steps: 2, batchSize: 20, rounds: 2, epochExamples: 100 });
    assert.deepEqual(rows.map((r) => r.label), ['dense', 'vd', 'l1']);
    assert.equal(rows[0].vsDense, 1);
    for (const r of rows) {
      assert.ok(r.secondsPerStep > 0 && Number.isFinite(r.secondsPerStep));
      assert.ok(Math.abs(r.secondsPerEpoch - r.secondsPerStep * 5) < 1e-12, 'epochExamples / batchSize steps');
      assert.ok(Math.abs(r.vsDense - r.secondsPerStep / rows[0].secondsPerStep) < 1e-12);
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor left');
  });
});
