import { strict as assert } from 'assert';
import { classCounts, loadDataset, makeBlobs, makeSpirals, makeXor, validateExamples } from '../../src/data';

describe('data/synthetic: generators', () => {
  it('shapes, balanced classes and valid labels', () => {
    const cases = [
      { e: makeBlobs({ count: 301, numClasses: 3 }), k: 3 },
      { e: makeXor({ count: 301 }), k: 2 },
      { e: makeSpirals({ count: 301, numClasses: 4 }), k: 4 },
    ];
    for (const { e, k } of cases) {
      validateExamples(e);
      assert.equal(e.count, 301);
      assert.deepEqual(e.featureShape, [2]);
      assert.equal(e.numClasses, k);
      const counts = classCounts(e);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `balanced: ${counts}`);
    }
  });

  it('same seed gives the same data; another seed different data', () => {
    for (const make of [makeBlobs, makeXor, makeSpirals]) {
      const a = make({ count: 50, seed: 3 });
      const b = make({ count: 50, seed: 3 });
      const c = make({ count: 50, seed: 4 });
      assert.deepEqual(a.x, b.x);
      assert.deepEqual(a.y, b.y);
      assert.notDeepEqual(a.x, c.x);
    }
  });

  it('the data has the promised geometry', () => {
    // XOR without noise: the label is exactly the sign disagreement of the two coordinates.
    const xor = makeXor({ count: 400, noise: 0 });
    for (let i = 0; i < xor.count; i++) {
      const same = Math.sign(xor.x[2 * i]) === Math.sign(xor.x[2 * i + 1]);
      assert.equal(xor.y[i], same ? 0 : 1);
      assert.ok(Math.abs(xor.x[2 * i]) <= 1 && Math.abs(xor.x[2 * i + 1]) <= 1);
    }
    // Blobs: class means sit at the centres (radius 2 circle), nearest-centre accuracy is high.
    const blobs = makeBlobs({ count: 3000, numClasses: 3, noise: 0.5, seed: 1 });
    const centers = [0, 1, 2].map((c) => [2 * Math.cos((2 * Math.PI * c) / 3), 2 * Math.sin((2 * Math.PI * c) / 3)]);
    let correct = 0;
    for (let i = 0; i < blobs.count; i++) {
      const p = [blobs.x[2 * i], blobs.x[2 * i + 1]];
      const d = centers.map((c) => (c[0] - p[0]) ** 2 + (c[1] - p[1]) ** 2);
      if (d.indexOf(Math.min(...d)) === blobs.y[i]) correct++;
    }
    assert.ok(correct / blobs.count > 0.97, `nearest-centre accuracy ${correct / blobs.count}`);
    // Spirals without noise: radius equals t ∈ [0, 1] and the angle follows the arm of the class.
    const sp = makeSpirals({ count: 200, noise: 0, turns: 1 });
    for (let i = 0; i < sp.count; i++) {
      const r = Math.hypot(sp.x[2 * i], sp.x[2 * i + 1]);
      assert.ok(r <= 1 + 1e-6);
      const expected = 2 * Math.PI * r + Math.PI * sp.y[i];
      const diff = Math.atan2(Math.sin(Math.atan2(sp.x[2 * i + 1], sp.x[2 * i]) - expected), Math.cos(Math.atan2(sp.x[2 * i + 1], sp.x[2 * i]) - expected));
      assert.ok(r < 1e-3 || Math.abs(diff) < 1e-4, `example ${i}: angle off by ${diff}`);
    }
  });

  it('dims > 2 adds distractor features; bad options are rejected', () => {
    const e = makeXor({ count: 100, dims: 5 });
    assert.deepEqual(e.featureShape, [5]);
    assert.equal(e.x.length, 500);
    const centers = [[0, 0, 0], [1, 1, 1]];
    assert.deepEqual(makeBlobs({ count: 10, dims: 3, centers }).numClasses, 2);
    assert.throws(() => makeBlobs({ dims: 1 }), /dims must be an integer ≥ 2/);
    assert.throws(() => makeBlobs({ count: 0 }), /count must be a positive integer/);
    assert.throws(() => makeSpirals({ numClasses: 1 }), /numClasses must be an integer ≥ 2/);
    assert.throws(() => makeBlobs({ dims: 2, centers }), /centers must be 2 rows of 2 numbers/);
  });

  it('loadDataset serves them by name with independent train and test streams', async () => {
    const ds = await loadDataset('spirals', { seed: 5, synthetic: { trainCount: 200, testCount: 100 } });
    assert.equal(ds.train.count, 200);
    assert.equal(ds.test.count, 100);
    assert.equal(ds.normalization, undefined, 'generated data is not normalised by default');
    assert.notDeepEqual(ds.train.x.subarray(0, 100), ds.test.x);
    const again = await loadDataset('spirals', { seed: 5, synthetic: { trainCount: 200, testCount: 100 } });
    assert.deepEqual(again.train.x, ds.train.x);
    const blobs = await loadDataset('blobs', { synthetic: { numClasses: 5, dims: 4 } });
    assert.equal(blobs.classNames.length, 5);
    assert.deepEqual(blobs.train.featureShape, [4]);
    await assert.rejects(loadDataset('xor', { synthetic: { numClasses: 3 } }), /xor has exactly 2 classes/);
  });
});
