import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { batchCount, batches, batchOrder, type Examples } from '../../src/data';

/** 103 examples of shape [2, 2, 1]: value 0 of row i is i, label i % 4. */
function traced(count = 103): Examples {
  const x = new Float32Array(count * 4);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    x.set([i, i + 0.25, i + 0.5, i + 0.75], i * 4);
    y[i] = i % 4;
  }
  return { x, y, count, featureShape: [2, 2, 1], numClasses: 4 };
}

/** Runs one epoch and returns the visited example ids (checking each batch on the way). */
function epochIds(e: Examples, opts: Parameters<typeof batches>[1]): number[] {
  const ids: number[] = [];
  for (const b of batches(e, opts)) {
    const xs = b.xs.dataSync();
    const ys = b.ys.arraySync();
    assert.deepEqual(b.xs.shape, [b.size, 2, 2, 1]);
    assert.deepEqual(b.ys.shape, [b.size, 4]);
    assert.equal(b.xs.dtype, 'float32');
    for (let r = 0; r < b.size; r++) {
      const id = xs[r * 4];
      assert.deepEqual(Array.from(xs.subarray(r * 4, r * 4 + 4)), [id, id + 0.25, id + 0.5, id + 0.75]);
      const oneHot = [0, 0, 0, 0];
      oneHot[id % 4] = 1;
      assert.deepEqual(ys[r], oneHot, `one-hot label of example ${id}`);
      ids.push(id);
    }
    tf.dispose([b.xs, b.ys]);
  }
  return ids;
}

describe('data/batches: mini-batch tensors', () => {
  it('an epoch visits every example exactly once, with correct shapes and one-hot labels', () => {
    const e = traced();
    const ids = epochIds(e, { batchSize: 10, seed: 1 });
    assert.equal(ids.length, 103);
    assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
    assert.notDeepEqual(ids, Array.from({ length: 103 }, (_, i) => i), 'shuffled by default');
    assert.equal(batchCount(103, 10), 11);
  });

  it('shuffle: false keeps the order; dropRemainder drops the short batch', () => {
    const e = traced();
    assert.deepEqual(epochIds(e, { batchSize: 10, shuffle: false }), Array.from({ length: 103 }, (_, i) => i));
    const sizes = [...batches(e, { batchSize: 10, dropRemainder: true })].map((b) => {
      tf.dispose([b.xs, b.ys]);
      return b.size;
    });
    assert.deepEqual(sizes, new Array(10).fill(10));
    assert.equal(batchCount(103, 10, true), 10);
  });

  it('same (seed, epoch) gives the same order; another epoch or seed a different one', () => {
    const e = traced();
    const a = epochIds(e, { batchSize: 16, seed: 3, epoch: 2 });
    assert.deepEqual(epochIds(e, { batchSize: 16, seed: 3, epoch: 2 }), a);
    assert.notDeepEqual(epochIds(e, { batchSize: 16, seed: 3, epoch: 3 }), a);
    assert.notDeepEqual(epochIds(e, { batchSize: 16, seed: 4, epoch: 2 }), a);
    assert.deepEqual(Array.from(batchOrder(103, { seed: 3, epoch: 2 })), a, 'batchOrder predicts the visiting order');
  });

  it('creates no tensors beyond the batches it yields, also when a loop stops early', () => {
    const e = traced();
    const before = tf.memory().numTensors;
    for (const b of batches(e, { batchSize: 8 })) tf.dispose([b.xs, b.ys]);
    assert.equal(tf.memory().numTensors, before);
    for (const b of batches(e, { batchSize: 8 })) {
      tf.dispose([b.xs, b.ys]);
      break;
    }
    assert.equal(tf.memory().numTensors, before);
    const gen = batches(e, { batchSize: 8 });
    const first = gen.next();
    assert.equal(tf.memory().numTensors, before + 2, 'exactly xs and ys per batch');
    if (!first.done) tf.dispose([first.value.xs, first.value.ys]);
    gen.return(undefined);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects bad options and bad labels without leaking tensors', () => {
    const e = traced(5);
    assert.throws(() => batches(e, { batchSize: 0 }).next(), /batchSize must be a positive integer; got 0/);
    const before = tf.memory().numTensors;
    const bad = { ...e, y: Int32Array.from([0, 1, 9, 0, 1]) };
    assert.throws(() => [...batches(bad, { batchSize: 5, shuffle: false })], /label 9 of example 2 is outside \[0, 4\)/);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => batches({ ...e, count: 6 }, { batchSize: 2 }).next(), /examples are inconsistent/);
  });
});
