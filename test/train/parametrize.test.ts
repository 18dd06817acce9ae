import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { createModel, mlp } from '../../src/models';
import { finalize, loadModelFromDir, saveModelToDir } from '../../src/prune';
import {
  crossEntropy, effectiveWeights, evaluate, hasParametrizations, outputKind, parametrize, parametrizedWeights, train,
  unparametrize, withParametrizedWeights, type WeightParametrization,
} from '../../src/train';
import { blobs, images } from './fixtures/data';

/** Soft mask w ⊙ σ(a) with a trainable per-weight logit a (the shape LTP/hard-concrete take). */
function sigmoidGate(shape: number[], init = 0.5, name = 'gate'): WeightParametrization & { logits: tf.Variable } {
  const logits = tf.variable(tf.fill(shape, init), true, `${name}_logits_${Math.random().toString(36).slice(2)}`);
  return {
    name,
    logits,
    variables: [logits],
    forward: (w) => tf.mul(w, tf.sigmoid(logits)),
    dispose: () => logits.dispose(),
  };
}

describe('train: weight parametrizations in the forward pass', () => {
  const data = blobs(64, { dim: 4, classes: 3, seed: 5 });

  it('trains both the stored weight and the method variable with the gradients of the parametrized loss (SGD step = closed form by tf.grads)', async () => {
    const model = mlp({ inputShape: [4], hidden: [], classes: 3, seed: 2 });
    const kernel = model.layers[0].weights[0];
    const gate = sigmoidGate([4, 3], 0.3);
    parametrize(model, kernel.name, gate);
    const w0 = kernel.read().clone();
    const a0 = gate.logits.clone();
    const b0 = model.layers[0].weights[1].read().clone();
    // reference: the loss as an explicit function of (w, a, b) on the whole batch
    const xs = tf.tensor2d(data.x, [data.count, 4]);
    const ys = tf.oneHot(tf.tensor1d(data.y, 'int32'), 3).toFloat();
    const kind = outputKind(model);
    const [gw, ga] = tf.grads((w: tf.Tensor, a: tf.Tensor) => crossEntropy(kind, tf.add(tf.matMul(xs, tf.mul(w, tf.sigmoid(a))), b0), ys))([w0, a0]);
    const lr = 0.5;
    await train(model, data, { optimizer: 'sgd', learningRate: lr, batchSize: data.count, steps: 1, shuffle: false });
    const close = (got: tf.Tensor, want: tf.Tensor, what: string) => {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]);
      assert.ok(diff < 1e-5, `${what}: max |diff| ${diff}`);
    };
    close(kernel.read(), tf.sub(w0, tf.mul(gw, lr)), 'stored weight');
    close(gate.logits, tf.sub(a0, tf.mul(ga, lr)), 'gate logits');
    assert.ok(tf.tidy(() => tf.max(tf.abs(ga)).dataSync()[0]) > 1e-4, 'the gate gets a real gradient');
    unparametrize(model, kernel.name);
    tf.dispose([w0, a0, b0, xs, ys, gw, ga]);
    model.dispose();
  });

  it('evaluate() sees the effective weights; model.predict sees the stored ones unless wrapped', () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 3 });
    const kernel = model.layers[0].weights[0];
    const x = tf.tensor2d(data.x.slice(0, 8), [2, 4]);
    const predict = (wrap: boolean) =>
      tf.tidy(() => Array.from(((wrap ? withParametrizedWeights(model, () => model.predict(x)) : model.predict(x)) as tf.Tensor).dataSync()));
    const before = evaluate(model, data);
    parametrize(model, kernel.name, { name: 'half', forward: (w) => tf.mul(w, 0.5) });
    const viaParam = { loss: evaluate(model, data).loss, wrapped: predict(true), plain: predict(false) };
    unparametrize(model, kernel.name);
    // the reference: the same network with the halved weight written in
    const stored = kernel.read().clone();
    kernel.write(tf.mul(stored, 0.5));
    const halved = { loss: evaluate(model, data).loss, pred: predict(false) };
    kernel.write(stored);
    assert.notStrictEqual(viaParam.loss, before.loss);
    assert.ok(Math.abs(viaParam.loss - halved.loss) < 1e-6, `${viaParam.loss} vs ${halved.loss}`);
    assert.deepStrictEqual(viaParam.wrapped, halved.pred, 'withParametrizedWeights = the weight written in');
    assert.notDeepStrictEqual(viaParam.plain, halved.pred, 'plain predict sees the stored weight');
    tf.dispose([stored, x]);
    model.dispose();
  });

  it('works in a functional model with a residual branch, a zoo model and a model loaded from disk, without leaking tensors', async () => {
    const input = tf.input({ shape: [4] });
    const h = tf.layers.dense({ units: 6, activation: 'relu', name: 'res_in' }).apply(input) as tf.SymbolicTensor;
    const branch = tf.layers.dense({ units: 6, activation: 'relu', name: 'res_branch' }).apply(h) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([h, branch]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, name: 'res_out' }).apply(sum) as tf.SymbolicTensor;
    const residual = tf.model({ inputs: input, outputs: out, name: 'residual' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-param-'));
    await saveModelToDir(mlp({ inputShape: [4], hidden: [5], classes: 3, seed: 4 }), dir);
    const loaded = await loadModelFromDir(dir);
    const zoo = createModel('lenet-300-100', { seed: 0, inputShape: [4], classes: 3 });
    for (const [model, weight] of [[residual, 'res_branch/kernel'], [loaded, loaded.layers[0].weights[0].originalName ?? loaded.layers[0].weights[0].name], [zoo, zoo.layers[1].weights[0].name]] as const) {
      const v = model.weights.find((w) => w.name === weight || w.originalName === weight)!;
      const gate = sigmoidGate(v.shape as number[], 1);
      parametrize(model, weight, gate);
      const a0 = Array.from(gate.logits.dataSync());
      await train(model, data, { epochs: 1, batchSize: 16, learningRate: 0.05 });
      const n0 = tf.memory().numTensors;
      await train(model, data, { epochs: 1, batchSize: 16, learningRate: 0.05 });
      evaluate(model, data);
      assert.strictEqual(tf.memory().numTensors, n0, `${model.name}: no tensor leak across epochs`);
      assert.notDeepStrictEqual(Array.from(gate.logits.dataSync()), a0, `${model.name}: the gate was trained`);
      assert.strictEqual(unparametrize(model, weight), 'gate');
      assert.ok(!hasParametrizations(model));
      model.dispose();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('works on a convolution kernel of the zoo LeNet-5 (Conv2D reads its kernel the same way)', async () => {
    const net = createModel('lenet-5-caffe', { seed: 0 });
    const conv = net.layers.find((l) => l.getClassName() === 'Conv2D')!.weights[0];
    const gate = sigmoidGate(conv.shape as number[], 1, 'conv-gate');
    parametrize(net, conv.name, gate);
    const imgs = images(16, [28, 28, 1], 10);
    const before = evaluate(net, imgs).loss;
    const a0 = Array.from(gate.logits.dataSync());
    await train(net, imgs, { steps: 2, batchSize: 8, learningRate: 0.05 });
    assert.notDeepStrictEqual(Array.from(gate.logits.dataSync()), a0, 'the conv gate was trained');
    unparametrize(net, conv.name);
    const plain = evaluate(net, imgs).loss;
    parametrize(net, conv.name, { name: 'zero', forward: (w) => tf.mul(w, 0) });
    assert.notStrictEqual(evaluate(net, imgs).loss, plain, 'the conv layer computes with the effective kernel');
    unparametrize(net, conv.name);
    assert.ok(Number.isFinite(before));
    net.dispose();
  });

  it('adds a penalty to the loss, reported per owner in the history, and sees training vs evaluation mode', async () => {
    const model = mlp({ inputShape: [4], hidden: [6], classes: 3, seed: 6 });
    const modes: boolean[] = [];
    const [k1, k2] = [model.layers[0].weights[0], model.layers[1].weights[0]];
    const l1 = (w: tf.LayerVariable): WeightParametrization => ({
      name: 'l1',
      forward: (x, mode) => {
        modes.push(mode.training);
        return x;
      },
      penalty: () => tf.mul(tf.sum(tf.abs(w.read())), 0.01) as tf.Scalar,
    });
    parametrize(model, k1.name, l1(k1));
    parametrize(model, k2.name, l1(k2));
    const expected = tf.tidy(() => tf.add(tf.sum(tf.abs(k1.read())), tf.sum(tf.abs(k2.read()))).dataSync()[0] * 0.01);
    const h = await train(model, data, { steps: 1, batchSize: 64, optimizer: 'sgd', learningRate: 0 });
    assert.ok(Math.abs(h.epochs[0].terms!.l1 - expected) < 1e-5, `penalty ${h.epochs[0].terms!.l1} vs ${expected}`);
    assert.ok(modes.includes(true));
    modes.length = 0;
    evaluate(model, data);
    assert.ok(modes.length > 0 && modes.every((m) => !m), 'evaluation runs the parametrization in evaluation mode');
    unparametrize(model, k1.name);
    unparametrize(model, k2.name);
    model.dispose();
  });

  it('finalize() without a finalize of the parametrization keeps the evaluation-mode weight and masks its zeros', () => {
    const model = mlp({ inputShape: [4], hidden: [], classes: 3, seed: 8 });
    const kernel = model.layers[0].weights[0];
    const keep = tf.tensor2d([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]]);
    parametrize(model, kernel.name, { name: 'fixed-mask', forward: (w) => tf.mul(w, keep) });
    const expected = tf.tidy(() => Array.from(tf.mul(kernel.read(), keep).dataSync()));
    const masked = finalize(model);
    assert.ok(!hasParametrizations(model));
    assert.deepStrictEqual(Array.from(masked.mask(kernel.name)!.dataSync()), Array.from(keep.dataSync()));
    assert.deepStrictEqual(Array.from(kernel.read().dataSync()), expected);
    assert.strictEqual(masked.history.at(-1)!.method, 'finalize');
    keep.dispose();
    masked.strip();
    model.dispose();
  });

  it('refuses an unknown weight, a second parametrization and a forward that changes the shape; nothing is attached', () => {
    const model = mlp({ inputShape: [4], hidden: [], classes: 3, seed: 1 });
    const k = model.layers[0].weights[0].name;
    assert.throws(() => parametrize(model, 'nope/kernel', { name: 'x', forward: (w) => w }), /'nope\/kernel' is not a weight of the model/);
    assert.throws(() => parametrize(model, k, { name: 'x', forward: (w) => tf.reshape(w, [-1]) }), /must keep the shape/);
    assert.ok(!hasParametrizations(model));
    parametrize(model, k, { name: 'first', forward: (w) => w });
    assert.throws(() => parametrize(model, k, { name: 'second', forward: (w) => w }), /already parametrized by 'first'/);
    assert.deepStrictEqual(parametrizedWeights(model).map((p) => p.parametrization.name), ['first']);
    const eff = effectiveWeights(model);
    assert.deepStrictEqual([...eff.keys()], [k]);
    tf.dispose([...eff.values()]);
    unparametrize(model, k);
    model.dispose();
  });
});

