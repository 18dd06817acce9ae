// The iterative trim–retrain protocol (Network Trimming) and the inspection helpers.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createMagicContext, runMagicLine } from '../../../../src/magics';
import { mlp } from '../../../../src/models';
import { liveUnitCounts, MaskedModel, neuronStatistics, trimAndRetrain } from '../../../../src/prune';
import { blobs } from '../../../train/fixtures/data';

describe('trimAndRetrain and unit inspection', () => {
  const data = blobs(240, { dim: 4, classes: 3, seed: 3 });
  const calibration = () => ({ xs: tf.tensor2d(data.x, [data.count, 4]), ys: tf.oneHot(tf.tensor1d(data.y, 'int32'), 3).toFloat() });

  it('each round removes the fraction of the remaining units, retrains with them held out, and reports accuracies', async () => {
    const net = mlp({ inputShape: [4], hidden: [16, 8], classes: 3, seed: 2 });
    const calib = calibration();
    const rounds = await trimAndRetrain(net, {
      method: 'apoz', rounds: 2, fraction: 0.5, calibration: calib, train: data, test: data, keepLastDense: true,
      retrain: { steps: 10, batchSize: 32, learningRate: 1e-3 }, // a length in steps replaces the default epoch
    });
    const [h1, h2] = MaskedModel.of(net).prunableWeights().map((w) => w.layerName);
    assert.deepStrictEqual(rounds.map((r) => [r.units[h1], r.units[h2]]), [[8, 4], [4, 2]]);
    assert.ok(rounds.every((r) => r.accuracyTrimmed! >= 0 && r.accuracyRetrained! >= 0 && r.seconds >= 0));
    // the removed units stayed removed through retraining
    assert.deepStrictEqual(liveUnitCounts(net, { keepLastDense: true }), { [h1]: 4, [h2]: 2 });
    await assert.rejects(trimAndRetrain(net, { rounds: 0, fraction: 0.5, calibration: calib, train: data }), /rounds must be a positive integer/);
    await assert.rejects(trimAndRetrain(net, { rounds: 1, fraction: 1, calibration: calib, train: data }), /fraction must be in \(0, 1\)/);
    tf.dispose([calib.xs, calib.ys]);
    MaskedModel.of(net).strip();
    net.dispose();
  });

  it('neuronStatistics gives per-unit mean, variance and APoZ of each layer that feeds another', () => {
    const net = mlp({ inputShape: [4], hidden: [6], classes: 3, seed: 4 });
    const calib = calibration();
    const [st] = neuronStatistics(net, calib);
    const h = tf.tidy(() => tf.relu(tf.add(tf.matMul(calib.xs, net.layers[0].getWeights()[0]), net.layers[0].getWeights()[1])).arraySync() as number[][]);
    const col = (j: number) => h.map((r) => r[j]);
    for (let j = 0; j < 6; j++) {
      const c = col(j);
      const mean = c.reduce((a, b) => a + b, 0) / c.length;
      assert.ok(Math.abs(st.mean[j] - mean) < 1e-5);
      assert.ok(Math.abs(st.variance[j] - c.reduce((a, b) => a + (b - mean) ** 2, 0) / c.length) < 1e-5);
      assert.strictEqual(st.zeroFraction[j], c.filter((v) => v === 0).length / c.length);
    }
    assert.strictEqual(st.layer, net.layers[0].name);
    tf.dispose([calib.xs, calib.ys]);
    net.dispose();
  });
});

describe('Network Trimming from the magics: %prune --schedule iterative, then %finetune', () => {
  it('apoz prunes in rounds during fine-tuning, the removed units held out', async () => {
    const data = blobs(240, { dim: 4, classes: 3, seed: 3 });
    const net = mlp({ inputShape: [4], hidden: [16, 8], classes: 3, seed: 2 });
    const ctx = createMagicContext({ variables: { net, ds: { name: 'blobs', train: data, test: data } }, print: () => undefined });
    await runMagicLine('%prune net apoz --sparsity 0.5 --schedule iterative --rounds 2 --data ds --keep-last-dense', ctx);
    await runMagicLine('%finetune net --data ds --epochs 2 --batch-size 32 --no-test', ctx);
    const m = MaskedModel.of(net);
    const [h1, h2] = m.prunableWeights().map((w) => w.layerName);
    assert.deepStrictEqual(liveUnitCounts(net, { keepLastDense: true }), { [h1]: 8, [h2]: 4 });
    assert.ok(m.history.filter((h) => h.method === 'apoz').length >= 2, 'pruned in rounds');
    m.strip();
    net.dispose();
  });
});
