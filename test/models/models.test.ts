import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createModel, listModels, mlp, registerModel, unregisterModel } from '../../src/models';

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const names = (m: tf.LayersModel) => m.layers.map((l) => l.name);
const lastActivation = (m: tf.LayersModel) => (m.layers[m.layers.length - 1].getConfig() as { activation: string }).activation;

describe('models: the zoo', () => {
  it('LeNet-300-100: 784-300-100-10 relu, 266,610 weights, logits, named fc1..fc3', () => {
    const m = createModel('lenet-300-100', { seed: 1 });
    assert.deepStrictEqual(names(m), ['fc1', 'fc2', 'fc3']);
    assert.deepStrictEqual(m.inputs[0].shape, [null, 784]);
    assert.deepStrictEqual(m.outputs[0].shape, [null, 10]);
    assert.strictEqual(m.countParams(), 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
    assert.deepStrictEqual(m.layers.map((l) => (l.getConfig() as { activation: string }).activation), ['relu', 'relu', 'linear']);
    assert.deepStrictEqual(
      m.trainableWeights.map((w) => (w as unknown as { originalName: string }).originalName),
      ['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias', 'fc3/kernel', 'fc3/bias'],
    );
    m.dispose();
  });

  it('LeNet-300-100 accepts [28,28,1] input through a flatten layer', () => {
    const m = createModel('lenet-300-100', { inputShape: [28, 28, 1] });
    assert.deepStrictEqual(names(m), ['flatten', 'fc1', 'fc2', 'fc3']);
    const y = tf.tidy(() => (m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).shape);
    assert.deepStrictEqual(y, [2, 10]);
    m.dispose();
  });

  it('LeNet-5-Caffe: conv5x5 20, pool, conv5x5 50, pool, fc 500 relu, fc 10; 431,080 weights; accepts [784]', () => {
    const m = createModel('lenet-5-caffe', { seed: 2 });
    assert.deepStrictEqual(names(m), ['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc1', 'fc2']);
    assert.strictEqual(m.countParams(), 5 * 5 * 20 + 20 + 5 * 5 * 20 * 50 + 50 + 800 * 500 + 500 + 500 * 10 + 10);
    assert.deepStrictEqual(m.getLayer('flatten').outputShape, [null, 800]);
    assert.strictEqual(lastActivation(m), 'linear');
    const flat = createModel('lenet-5-caffe', { inputShape: [784], seed: 2 });
    assert.deepStrictEqual(names(flat)[0], 'reshape');
    const x = tf.randomUniform([3, 784], 0, 1, 'float32', 5);
    const [a, b] = tf.tidy(() => [m.predict(x.reshape([3, 28, 28, 1])) as tf.Tensor, flat.predict(x) as tf.Tensor].map((t) => Array.from(t.dataSync())));
    assert.deepStrictEqual(a, b, 'same seed, same function whatever the input layout');
    x.dispose();
    m.dispose();
    flat.dispose();
  });

  it('vgg-small: 3x3 conv blocks for 28x28x1, logits', () => {
    const m = createModel('vgg-small', { seed: 3, classes: 5 });
    assert.deepStrictEqual(names(m), ['conv1_1', 'conv1_2', 'pool1', 'conv2_1', 'conv2_2', 'pool2', 'flatten', 'fc1', 'fc2']);
    assert.deepStrictEqual(m.getLayer('flatten').outputShape, [null, 7 * 7 * 64]);
    assert.deepStrictEqual(m.outputs[0].shape, [null, 5]);
    assert.strictEqual(lastActivation(m), 'linear');
    m.dispose();
  });

  it('mlp builder: hidden widths, activation, classes, input shape', () => {
    const m = mlp({ inputShape: [2], hidden: [8, 8, 4], classes: 3, activation: 'tanh', seed: 1 });
    assert.deepStrictEqual(names(m), ['fc1', 'fc2', 'fc3', 'fc4']);
    assert.deepStrictEqual(m.layers.map((l) => (l.getConfig() as { activation: string }).activation), ['tanh', 'tanh', 'tanh', 'linear']);
    const r = createModel('mlp', { inputShape: [5], hidden: [7], classes: 2 });
    assert.strictEqual(r.countParams(), 5 * 7 + 7 + 7 * 2 + 2);
    assert.throws(() => mlp({ hidden: [3, -1] }), /hidden must be a list of positive integer widths/);
    assert.throws(() => mlp({ hidden: [], classes: 1 }), /classes must be an integer ≥ 2/);
    assert.throws(() => mlp({ hidden: [], inputShape: [0] }), /inputShape must be/);
    m.dispose();
    r.dispose();
  });

  it('seeded: same seed → identical weights; another seed and other layers differ; biases start at 0', () => {
    for (const name of ['lenet-300-100', 'lenet-5-caffe', 'vgg-small']) {
      const a = createModel(name, { seed: 42 });
      const b = createModel(name, { seed: 42 });
      const c = createModel(name, { seed: 43 });
      assert.deepStrictEqual(weightsOf(a), weightsOf(b), name);
      assert.notDeepStrictEqual(weightsOf(a)[0], weightsOf(c)[0], name);
      assert.ok(weightsOf(a)[1].every((v) => v === 0), `${name}: zero bias`);
      [a, b, c].forEach((m) => m.dispose());
    }
    // Two same-shaped layers of one model must not share a random stream.
    const m = mlp({ inputShape: [16], hidden: [16], classes: 16, seed: 0 });
    const w = weightsOf(m);
    assert.notDeepStrictEqual(w[0], w[2]);
    m.dispose();
  });

  it('registry: lists models, unknown names list the known ones, names are normalised, custom models register', () => {
    assert.deepStrictEqual(listModels().map((e) => e.name), ['lenet-300-100', 'lenet-5-caffe', 'mlp', 'vgg-small']);
    assert.throws(() => createModel('resnet50'), /Unknown model 'resnet50'\. Known models: lenet-300-100, lenet-5-caffe, mlp, vgg-small/);
    const m = createModel('LeNet_300_100');
    assert.strictEqual(m.name, 'lenet_300_100');
    m.dispose();
    registerModel('test-tiny', (o) => mlp({ inputShape: [2], hidden: [], seed: o.seed }), { description: 'test', defaultInputShape: [2] });
    try {
      assert.throws(() => registerModel('Test_Tiny', () => mlp({ hidden: [] }), { description: 'x', defaultInputShape: [2] }), /'test-tiny' is already registered/);
      const t = createModel('test-tiny');
      assert.strictEqual(t.countParams(), 2 * 10 + 10);
      t.dispose();
    } finally {
      assert.strictEqual(unregisterModel('TEST_TINY'), true, 'unregister normalises the name too');
    }
    assert.throws(() => createModel('test-tiny'), /Unknown model 'test-tiny'/);
  });

  it('builds without leaking tensors', () => {
    const before = tf.memory().numTensors;
    createModel('lenet-5-caffe').dispose();
    assert.strictEqual(tf.memory().numTensors, before);
  });
});
