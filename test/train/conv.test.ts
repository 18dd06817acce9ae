import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../src/models';
import { train } from '../../src/train';
import { images } from './fixtures/data';

// Kept small: tfjs-cpu's Conv2DBackpropFilter is element-by-element and takes seconds per LeNet-5 batch.
describe('train: convolutional models', () => {
  it('a small CNN trains with a masked conv kernel (loss falls, masked entries exactly 0)', async () => {
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'conv1', inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten' }),
        tf.layers.dense({ name: 'fc1', units: 2, kernelInitializer: init(2) }),
      ],
    });
    const data = images(64, [8, 8, 1], 2);
    const mask = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([3, 3, 1, 4], 0, 1, 'float32', 3), 0.5), 'float32'));
    const h = await train(model, data, {
      optimizer: 'adam', learningRate: 0.01, epochs: 5, batchSize: 16, masks: { currentMasks: () => new Map([['conv1/kernel', mask]]) },
    });
    assert.ok(h.epochs[4].loss < h.epochs[0].loss, `loss ${h.epochs.map((e) => e.loss.toFixed(3))}`);
    const w = model.getLayer('conv1').getWeights()[0].dataSync();
    mask.dataSync().forEach((m, i) => assert.ok(m === 1 || w[i] === 0, `conv1 ${i}`));
    mask.dispose();
    model.dispose();
  });

  it('LeNet-5-Caffe takes a training step on [28,28,1] and on flat [784] data', async () => {
    for (const shape of [[28, 28, 1], [784]]) {
      const model = createModel('lenet-5-caffe', { seed: 1, classes: 2, inputShape: shape });
      const before = model.getWeights().map((w) => w.dataSync()[0]);
      const h = await train(model, images(4, shape, 2), { optimizer: 'sgd', steps: 1, batchSize: 4 });
      assert.strictEqual(h.steps, 1);
      assert.ok(Number.isFinite(h.epochs[0].loss));
      assert.notDeepStrictEqual(model.getWeights().map((w) => w.dataSync()[0]), before);
      model.dispose();
    }
  });
});
