// Variance-scaling initialization for training from scratch (SNIP's init): it rewrites the
// kernels in place with the fan-in variance and zeroes the biases, and the model stays usable.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../../src/models';
import { initVarianceScaling } from '../../../../src/prune/at-init';
import { prune } from '../../../../src/prune';

describe('family 4: variance-scaling initialization', () => {
  it('rewrites kernels (std ≈ 0.88/√fan-in for the truncated normal) and biases, leaving the variables alive (it used to dispose them)', () => {
    const net = createModel('lenet-300-100', { seed: 1, inputShape: [784], classes: 10 });
    initVarianceScaling(net, 3);
    const [k1, b1] = net.layers.find((l) => l.getClassName() === 'Dense')!.getWeights();
    const std = tf.tidy(() => tf.moments(k1).variance.sqrt().dataSync()[0]);
    // truncated at 2σ after scaling σ = √(1/fan_in)/0.8796: the truncated std is √(1/fan_in)
    assert.ok(Math.abs(std - Math.sqrt(1 / 784)) < 0.1 * Math.sqrt(1 / 784), `std ${std}`);
    assert.equal(tf.tidy(() => tf.sum(tf.abs(b1)).dataSync()[0]), 0);
    prune(net, { method: 'magnitude', sparsity: 0.5 });
    const y = net.predict(tf.zeros([2, 784])) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 10]);
    y.dispose();
    net.dispose();
  });
});
