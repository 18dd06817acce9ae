/**
 * A branched (residual) functional model goes through the whole pruning workflow: prune, train
 * with the masks held, save the weights and the masks, load both into a fresh process-level copy,
 * and get the same function and the same masks back.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFromDir, loadMasks, MaskedModel, maskSparsity, prune } from '../../src/prune';
import { train } from '../../src/train';
import { blobs } from '../train/fixtures/data';
import { testOutputDir } from '../kernel/helpers';

/** x → dense(16) → [dense(16) → relu] + skip → dense(3): two paths meet in an Add layer. */
function residualModel(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 10 + s });
  const x = tf.input({ shape: [4] });
  const h = tf.layers.dense({ units: 16, activation: 'relu', name: 'stem', kernelInitializer: init(1) }).apply(x) as tf.SymbolicTensor;
  const branch = tf.layers.dense({ units: 16, activation: 'relu', name: 'branch', kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'skip' }).apply([h, branch]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head', kernelInitializer: init(3) }).apply(sum) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'residual' });
}

describe('prune: a branched (residual) model is pruned, trained and saved', function () {
  this.timeout(60_000);

  it('masks cover both paths, hold through training, and survive a save and load', async () => {
    const data = blobs(300, { dim: 4, classes: 3, seed: 5 });
    const tensorsBefore = tf.memory().numTensors;
    const net = residualModel(1);
    const dir = testOutputDir('branched-model');
    let back: tf.LayersModel | undefined;
    try {
      const masked = prune(net, { sparsity: 0.7, scope: 'global' });
      assert.deepStrictEqual(masked.prunableWeights().map((w) => w.layerName), ['stem', 'branch', 'head'], 'every Dense kernel on both paths is prunable');
      assert.ok(Math.abs(maskSparsity(masked) - 0.7) <= 1 / 368, `70% of the 368 kernel weights pruned (got ${maskSparsity(masked)})`);

      const h = await train(net, data, { epochs: 3, batchSize: 30, learningRate: 0.05, masks: masked, seed: 1 });
      assert.strictEqual(h.steps, 30);
      for (const w of masked.prunableWeights()) {
        const zerosHeld = tf.tidy(() => tf.all(tf.logicalOr(tf.notEqual(masked.mask(w.name)!, 0), tf.equal(w.variable.read(), 0))).dataSync()[0]);
        assert.strictEqual(zerosHeld, 1, `${w.name}: pruned weights still 0 after training`);
      }

      await masked.exportModel(path.join(dir, 'model'));
      masked.save(path.join(dir, 'masks.json'));
      back = await loadModelFromDir(path.join(dir, 'model'));
      const loaded = loadMasks(back, path.join(dir, 'masks.json'));
      for (const w of masked.prunableWeights()) {
        const other = loaded.prunableWeights().find((p) => p.layerName === w.layerName)!;
        assert.deepStrictEqual(Array.from(loaded.mask(other.name)!.dataSync()), Array.from(masked.mask(w.name)!.dataSync()), `${w.layerName}: same mask`);
      }
      const x = tf.tensor2d(data.x.subarray(0, 40 * 4), [40, 4]);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(net.predict(x) as tf.Tensor, back!.predict(x) as tf.Tensor))).dataSync()[0]);
      x.dispose();
      assert.ok(diff < 1e-6, `the loaded model computes the same function (max difference ${diff})`);
    } finally {
      MaskedModel.existing(net)?.strip();
      net.dispose();
      if (back) {
        MaskedModel.existing(back)?.strip();
        back.dispose();
      }
    }
    assert.strictEqual(tf.memory().numTensors, tensorsBefore, 'no tensor leaked');
  });
});
