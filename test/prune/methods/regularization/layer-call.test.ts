// parametrize's layerCall: a parametrization may replace its layer's call for one forward pass
// (sparse VD's local reparameterisation and L0's per-example gates need it).
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../../../src/models';
import { parametrize, unparametrize, withParametrizedWeights } from '../../../../src/train';

describe('parametrize: layerCall', () => {
  it('replaces the owning layer\'s call inside withParametrizedWeights only, sees the mode, and is gone afterwards', () => {
    const net = mlp({ inputShape: [3], hidden: [4], classes: 2, seed: 1 });
    const fc1 = net.getLayer('fc1');
    const kernel = fc1.weights[0];
    const modes: boolean[] = [];
    parametrize(net, kernel.name, {
      name: 'shift',
      forward: (w) => w,
      layerCall: (inputs, original, { layer, mode }) => {
        assert.strictEqual(layer, fc1);
        modes.push(mode.training);
        return mode.training ? tf.add(original(inputs), 100) : original(inputs);
      },
    });
    const x = tf.ones([2, 3]);
    const plain = tf.tidy(() => (net.predict(x) as tf.Tensor).arraySync());
    const evalOut = tf.tidy(() => withParametrizedWeights(net, () => net.predict(x) as tf.Tensor).arraySync());
    assert.deepStrictEqual(evalOut, plain, 'evaluation: the original call');
    const trainOut = tf.tidy(() => withParametrizedWeights(net, () => net.apply(x, { training: true }) as tf.Tensor, { training: true, step: 0 }).arraySync()) as number[][];
    assert.notDeepStrictEqual(trainOut, plain, 'training: the replaced call (+100 before fc1\'s relu)');
    assert.deepStrictEqual(modes, [false, true]);
    assert.ok(!Object.prototype.hasOwnProperty.call(fc1, 'call'), 'the shadow is removed after the pass');
    assert.deepStrictEqual(tf.tidy(() => (net.predict(x) as tf.Tensor).arraySync()), plain);
    // a second replacement on the same layer is refused when the pass runs; the first one is left intact
    parametrize(net, fc1.weights[1].name, { name: 'other', forward: (b) => b, layerCall: (i, original) => original(i) });
    assert.throws(() => tf.tidy(() => withParametrizedWeights(net, () => net.predict(x) as tf.Tensor)), /two parametrizations that replace its call/);
    assert.ok(!Object.prototype.hasOwnProperty.call(fc1, 'call'));
    unparametrize(net, fc1.weights[1].name);
    unparametrize(net, kernel.name);
    x.dispose();
    net.dispose();
  });
});
