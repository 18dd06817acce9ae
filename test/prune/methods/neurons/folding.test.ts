// Folding (variance method and the shared machinery): exact for constant units through Dense,
// valid Conv2D and Flatten; approximate at the border of a 'same'-padded Conv2D (measured);
// the shrunk model computes what the masked one does; errors name the problem and change nothing.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../../../src/errors';
import { MaskedModel, prune } from '../../../../src/prune';
import { shrinkModel } from '../../../../src/sparse/shrink';
import { uid, values } from '../../helpers';

function inputs(shape: number[], seed: number, positive = false): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = values(n, seed);
  return tf.tensor(positive ? v.map((x) => (x + 1) / 2) : v, shape);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** 6 → 8 relu → 5 relu → 3 with unit 2 of the first layer constant (relu(0.7)) and unit 5 dead. */
function mlpWithConstantUnits(): tf.Sequential {
  const p = uid('fold');
  const net = tf.sequential();
  net.add(tf.layers.dense({ inputShape: [6], units: 8, activation: 'relu', name: `${p}_fc1` }));
  net.add(tf.layers.dense({ units: 5, activation: 'relu', name: `${p}_fc2` }));
  net.add(tf.layers.dense({ units: 3, name: `${p}_fc3` }));
  net.layers.forEach((l, i) => {
    const [k, b] = l.getWeights();
    const kv = values(k.size, 10 + i), bv = values(b.size, 20 + i).map((x) => 0.2 * x);
    if (i === 0) {
      for (let r = 0; r < 6; r++) kv[r * 8 + 2] = 0;
      bv[2] = 0.7;
      bv[5] = -100;
    }
    const ts = [tf.tensor(kv, k.shape), tf.tensor(bv, b.shape)];
    l.setWeights(ts);
    tf.dispose(ts); // getWeights() returns the variables themselves: not disposed
  });
  return net;
}

/** 10×10×1 → conv1 4@3×3 relu → pool 2 → conv2 3@3×3 relu → flatten → fc 4, padding as given. */
function cnn(padding: 'valid' | 'same', constant: { conv1?: number; conv2?: number }): tf.Sequential {
  const p = uid('foldcnn');
  const net = tf.sequential();
  net.add(tf.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, activation: 'relu', padding, name: `${p}_conv1` }));
  net.add(tf.layers.maxPooling2d({ poolSize: 2, name: `${p}_pool1` }));
  net.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', padding, name: `${p}_conv2` }));
  net.add(tf.layers.flatten({ name: `${p}_flatten` }));
  net.add(tf.layers.dense({ units: 4, name: `${p}_fc` }));
  const kernels = net.layers.filter((l) => l.getWeights().length === 2);
  kernels.forEach((l, i) => {
    const [k, b] = l.getWeights();
    const U = k.shape[k.shape.length - 1];
    const kv = values(k.size, 30 + i).map((x) => 0.5 * x), bv = values(b.size, 40 + i).map((x) => 0.1 + 0.1 * x);
    const c = i === 0 ? constant.conv1 : i === 1 ? constant.conv2 : undefined;
    if (c !== undefined) {
      for (let e = c; e < kv.length; e += U) kv[e] = 0;
      bv[c] = 0.6;
    }
    const ts = [tf.tensor(kv, k.shape), tf.tensor(bv, b.shape)];
    l.setWeights(ts);
    tf.dispose(ts); // getWeights() returns the variables themselves: not disposed
  });
  return net;
}

describe('variance pruning with mean folding', () => {
  it('folding a constant Dense unit is exact on every input; plain removal is not', () => {
    const net = mlpWithConstantUnits();
    const calib = { xs: inputs([64, 6], 1), ys: tf.zeros([64, 1]) };
    const fresh = inputs([200, 6], 99); // inputs never seen by the calibration
    const before = net.predict(fresh) as tf.Tensor;
    const fc1 = net.layers[0].name;
    prune(net, { method: 'variance', sparsity: 0.25, include: [fc1], data: calib });
    const masked = MaskedModel.of(net);
    const mask = masked.mask(masked.prunableWeights()[0].name)!.dataSync();
    const removed = [0, 1, 2, 3, 4, 5, 6, 7].filter((j) => mask.every((v, i) => i % 8 !== j || v === 0));
    assert.deepStrictEqual(removed, [2, 5], 'the constant and the dead unit go first');
    const after = net.predict(fresh) as tf.Tensor;
    assert.ok(maxAbsDiff(before, after) < 1e-5, `folded outputs equal the original's (max |Δ| ${maxAbsDiff(before, after)})`);

    const plain = mlpWithConstantUnits();
    prune(plain, { method: 'variance', sparsity: 0.25, include: [plain.layers[0].name], data: calib, methodOptions: { fold: false } });
    const removedOut = plain.predict(fresh) as tf.Tensor;
    assert.ok(maxAbsDiff(before, removedOut) > 1e-2, 'removing the constant 0.7 without folding changes the outputs');
    tf.dispose([calib.xs, calib.ys, fresh, before, after, removedOut]);
    MaskedModel.of(net).strip();
    MaskedModel.of(plain).strip();
    net.dispose();
    plain.dispose();
  });

  it('whatever the criterion picks, folding leaves the next pre-activation closer to the original than removal (on the data)', () => {
    for (const method of ['unit-norm', 'random-units', 'apoz']) {
      const pre = (net: tf.Sequential, xs: tf.Tensor) => tf.tidy(() => {
        const h = net.layers[0].apply(xs) as tf.Tensor;
        const [k, b] = net.layers[1].getWeights();
        return tf.add(tf.matMul(h, k), b);
      });
      const calib = { xs: inputs([64, 6], 8), ys: tf.zeros([64, 1]) };
      const err: number[] = [];
      // one model, so that random-units draws the same units (its stream is keyed by the weight's name)
      const net = mlpWithConstantUnits();
      const before = pre(net, calib.xs);
      const dense = net.getWeights().map((w) => w.clone());
      for (const fold of [true, false]) {
        prune(net, { method, sparsity: 0.5, include: [net.layers[0].name], data: calib, methodOptions: { fold }, seed: 4 });
        const after = pre(net, calib.xs);
        err.push(tf.tidy(() => tf.mean(tf.square(tf.sub(before, after))).dataSync()[0]));
        after.dispose();
        MaskedModel.of(net).undo();
        net.setWeights(dense); // the folded bias too
      }
      tf.dispose([before, ...dense]);
      MaskedModel.of(net).strip();
      net.dispose();
      assert.ok(err[0] < err[1], `${method}: folded ${err[0]} < removed ${err[1]}`);
      tf.dispose([calib.xs, calib.ys]);
    }
  });

  it("any criterion at neuron granularity takes the 'fold-units' / 'drop-units' updates", () => {
    const calib = { xs: inputs([64, 6], 1), ys: tf.zeros([64, 1]) };
    const fresh = inputs([50, 6], 98);
    const net = mlpWithConstantUnits();
    const before = net.predict(fresh) as tf.Tensor;
    // the constant unit 2 has no fan-in weight: the smallest L2 norm, removed first by magnitude
    prune(net, { criterion: 'magnitude', granularity: 'neuron', sparsity: 0.125, include: [net.layers[0].name], update: 'fold-units', data: calib });
    const folded = net.predict(fresh) as tf.Tensor;
    assert.ok(maxAbsDiff(before, folded) < 1e-5, 'the constant unit folded exactly');
    const m = MaskedModel.of(net);
    assert.ok(m.history.some((h) => h.method === 'fold-units moves'));
    m.undo();
    const dropNet = mlpWithConstantUnits();
    prune(dropNet, { criterion: 'magnitude', granularity: 'neuron', sparsity: 0.125, include: [dropNet.layers[0].name], update: 'drop-units' });
    const dropped = dropNet.predict(fresh) as tf.Tensor;
    assert.ok(maxAbsDiff(before, dropped) > 1e-2, 'dropping the constant 0.7 changes the outputs');
    const rows = MaskedModel.of(dropNet).mask(MaskedModel.of(dropNet).prunableWeights()[1].name)!.dataSync();
    assert.ok(Array.from({ length: 5 }, (_, o) => rows[2 * 5 + o]).every((v) => v === 0), 'the next layer no longer reads unit 2');
    tf.dispose([calib.xs, calib.ys, fresh, before, folded, dropped]);
    m.strip();
    MaskedModel.of(dropNet).strip();
    net.dispose();
    dropNet.dispose();
  });

  it('folding is exact for constant filters through a valid Conv2D (after pooling) and through Flatten → Dense', () => {
    const net = cnn('valid', { conv1: 1, conv2: 2 });
    const calib = { xs: inputs([16, 10, 10, 1], 3, true), ys: tf.zeros([16, 1]) };
    const fresh = inputs([32, 10, 10, 1], 77, true);
    const before = net.predict(fresh) as tf.Tensor;
    prune(net, { method: 'variance', sparsity: 0.34, data: calib, keepLastDense: true });
    const after = net.predict(fresh) as tf.Tensor;
    assert.ok(maxAbsDiff(before, after) < 1e-5, `max |Δ| ${maxAbsDiff(before, after)}`);
    const masked = MaskedModel.of(net);
    const [c1, c2] = masked.prunableWeights();
    assert.ok(masked.mask(c1.name)!.dataSync().every((v, i) => i % 4 !== 1 || v === 0), 'conv1 filter 1 removed');
    assert.ok(masked.mask(c2.name)!.dataSync().every((v, i) => i % 3 !== 2 || v === 0), 'conv2 filter 2 removed');

    // the physically smaller model computes the same
    const shrunk = shrinkModel(net, { masks: new Map(masked.currentMasks()) });
    assert.deepStrictEqual(shrunk.layers.map((l) => [l.unitsBefore, l.unitsAfter]), [[4, 3], [3, 2], [4, 4]]);
    const small = shrunk.model.predict(fresh) as tf.Tensor;
    assert.ok(maxAbsDiff(after, small) < 1e-5, `shrunk model: max |Δ| ${maxAbsDiff(after, small)}`);
    tf.dispose([calib.xs, calib.ys, fresh, before, after, small]);
    shrunk.model.dispose();
    masked.strip();
    net.dispose();
  });

  it("with 'same' padding the fold is exact inside the map and approximate at its border (measured)", () => {
    const net = cnn('same', { conv1: 1 });
    const calib = { xs: inputs([16, 10, 10, 1], 3, true), ys: tf.zeros([16, 1]) };
    const fresh = inputs([32, 10, 10, 1], 77, true);
    const probe = tf.model({ inputs: net.inputs, outputs: net.layers[2].output as tf.SymbolicTensor });
    const before = probe.predict(fresh) as tf.Tensor; // conv2's output, [32, 5, 5, 3]
    prune(net, { method: 'variance', sparsity: 0.25, data: calib, include: [net.layers[0].name] });
    const after = probe.predict(fresh) as tf.Tensor;
    const diff = tf.tidy(() => tf.abs(tf.sub(before, after)));
    const interior = tf.tidy(() => tf.max(diff.slice([0, 1, 1, 0], [-1, 3, 3, -1])).dataSync()[0]);
    const border = tf.tidy(() => tf.max(diff).dataSync()[0]);
    const scale = tf.tidy(() => tf.max(tf.abs(before)).dataSync()[0]);
    assert.ok(interior < 1e-5, `interior exact (max |Δ| ${interior})`);
    assert.ok(border > 1e-3, `the border sees fewer copies of the constant (max |Δ| ${border} of outputs up to ${scale})`);
    tf.dispose([calib.xs, calib.ys, fresh, before, after, diff]);
    MaskedModel.of(net).strip();
    net.dispose();
  });

  it('refuses the classifier, another granularity, and a consumer without bias, naming the fix; the model is unchanged', () => {
    const net = mlpWithConstantUnits();
    const calib = { xs: inputs([16, 6], 1), ys: tf.zeros([16, 1]) };
    const snapshot = net.getWeights().map((w) => Array.from(w.dataSync()));
    assert.throws(() => prune(net, { method: 'variance', sparsity: 0.5, data: calib }), (e: unknown) =>
      e instanceof OptionError && /cannot remove units of .*fc3.*model's outputs.*keepLastDense: true, --keep-last-dense/.test((e as Error).message));
    assert.throws(() => prune(net, { method: 'variance', sparsity: 0.5, data: calib, keepLastDense: true, granularity: 'element' }),
      /method 'variance' scores whole groups of granularity 'neuron'; granularity 'element' does not fit/);
    assert.throws(() => prune(net, { method: 'apoz', sparsity: 0.5, keepLastDense: true }), /needs data/);
    const noBias = tf.sequential();
    noBias.add(tf.layers.dense({ inputShape: [6], units: 4, activation: 'relu', name: uid('nb1') }));
    noBias.add(tf.layers.dense({ units: 2, useBias: false, name: uid('nb2') }));
    assert.throws(() => prune(noBias, { method: 'variance', sparsity: 0.5, data: calib, keepLastDense: true }), /has no bias to take the removed units' means; .*turn folding off/);
    prune(noBias, { method: 'variance', sparsity: 0.5, data: calib, keepLastDense: true, methodOptions: { fold: false } });
    assert.deepStrictEqual(net.getWeights().map((w) => Array.from(w.dataSync())), snapshot);
    assert.strictEqual(MaskedModel.existing(net)?.masks().size ?? 0, 0);
    tf.dispose([calib.xs, calib.ys]);
    MaskedModel.of(noBias).strip();
    net.dispose();
    noBias.dispose();
  });

  it('calibration images shaped [28, 28, 1] reach a model that takes [784], as train() and evaluate() accept them', () => {
    const net = tf.sequential();
    net.add(tf.layers.dense({ inputShape: [784], units: 6, activation: 'relu', name: uid('flat1') }));
    net.add(tf.layers.dense({ units: 3, name: uid('flat2') }));
    const images = { xs: inputs([8, 28, 28, 1], 5, true), ys: tf.zeros([8, 3]) };
    prune(net, { method: 'variance', sparsity: 0.5, data: images, keepLastDense: true });
    assert.strictEqual(MaskedModel.of(net).history.at(-1)!.method, 'variance');
    tf.dispose([images.xs, images.ys]);
    MaskedModel.of(net).strip();
    net.dispose();
  });

  it('global allocation of the weighted variance removes units where folding costs least, across layers', () => {
    const net = mlpWithConstantUnits();
    const calib = { xs: inputs([64, 6], 1), ys: tf.zeros([64, 1]) };
    prune(net, { method: 'variance', sparsity: 0.3, scope: 'global', data: calib, keepLastDense: true, methodOptions: { weighted: true } });
    const masked = MaskedModel.of(net);
    const removedPer = masked.prunableWeights().slice(0, 2).map((t) => {
      const U = t.shape[1];
      const m = masked.mask(t.name)!.dataSync();
      return Array.from({ length: U }, (_, j) => j).filter((j) => m.every((v, i) => i % U !== j || v === 0)).length;
    });
    assert.strictEqual(removedPer[0] + removedPer[1], 4, 'round(0.3 × 13) units in all');
    assert.ok(removedPer[0] >= 2, 'the two zero-variance units are among them');
    // a second call holds as many tensors as the first left (masks and values replaced, not added)
    for (const method of ['variance', 'apoz', 'mean-activation', 'neuron-merging', 'data-free-merge', 'correlation-merge']) {
      const tensors = tf.memory().numTensors;
      prune(net, { method, sparsity: 0.5, scope: 'global', data: calib, keepLastDense: true });
      assert.strictEqual(tf.memory().numTensors, tensors, `${method}: no tensor leaked`);
    }
    tf.dispose([calib.xs, calib.ys]);
    masked.strip();
    net.dispose();
  });
});

describe('undo after folding', () => {
  it('a full undo restores every weight the fold changed, the consumer kernel included (it used to keep the zeroed rows)', () => {
    const net = mlpWithConstantUnits();
    const calib = { xs: inputs([64, 6], 8), ys: tf.zeros([64, 1]) };
    const before = net.getWeights().map((w) => w.dataSync().slice());
    // all but one unit of fc1 and fc2 go: their fan-outs are folded into (and zeroed in) the next kernels
    for (const sparsity of [0.8, 0.5]) {
      prune(net, { method: 'variance', sparsity, keepLastDense: true, data: calib });
      MaskedModel.of(net).undo();
      net.getWeights().forEach((w, i) => assert.deepEqual(Array.from(w.dataSync()), Array.from(before[i]), `weight ${i} after undo of ${sparsity}`));
    }
    tf.dispose([calib.xs, calib.ys]);
    net.dispose();
  });
});
