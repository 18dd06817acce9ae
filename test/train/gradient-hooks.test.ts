import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../src/models';
import { MaskedModel, prune } from '../../src/prune';
import { createOptimizer, crossEntropy, outputKind, train, type GradientStepInfo, type TrainHook } from '../../src/train';
import { blobs } from './fixtures/data';

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('train: hooks see the batch and the dense gradients', () => {
  const data = blobs(48, { dim: 4, classes: 3, seed: 9 });

  it('onGradients gets the step batch and the dense gradients before masking (nonzero where weights are masked), equal to tf.grads on that batch', async () => {
    const model = mlp({ inputShape: [4], hidden: [6], classes: 3, seed: 1 });
    const masked = prune(model, { sparsity: 0.5 });
    const kernel = masked.prunableWeights()[0];
    const mask = masked.mask(kernel.name)!;
    let seen: { xs: number[]; grad: tf.Tensor; reference: tf.Tensor } | undefined;
    let beginXs: number[] | undefined;
    const hook: TrainHook = {
      onStepBegin: (info) => {
        beginXs = Array.from(info.batch!.xs.dataSync());
      },
      onGradients: (info: GradientStepInfo) => {
        const vars = model.trainableWeights.map((w) => w.read());
        const all = tf.grads((...ws: tf.Tensor[]) => {
          // the reference loss with the stored (masked) weights, computed from scratch
          let h = tf.relu(tf.add(tf.matMul(info.batch.xs, ws[0]), ws[1]));
          h = tf.add(tf.matMul(h, ws[2]), ws[3]);
          return crossEntropy(outputKind(model), h, info.batch.ys);
        })(vars);
        seen = { xs: Array.from(info.batch.xs.dataSync()), grad: tf.keep(info.gradient(kernel.name)!.clone()), reference: tf.keep(all[0].clone()) };
        assert.strictEqual(info.gradients.get(kernel.name), info.gradient(kernel.name));
        assert.strictEqual(info.batch.size, 48);
      },
    };
    await train(model, data, { steps: 1, batchSize: 48, shuffle: false, masks: masked, hooks: [hook], optimizer: 'sgd', learningRate: 0.1 });
    assert.ok(seen);
    assert.deepStrictEqual(seen.xs, Array.from(data.x), 'the batch is the step batch');
    assert.deepStrictEqual(beginXs, Array.from(data.x), 'onStepBegin sees it too');
    assert.ok(maxAbsDiff(seen.grad, seen.reference) < 1e-6, 'dense gradient = tf.grads on the batch');
    const atMasked = tf.tidy(() => tf.sum(tf.abs(tf.mul(seen!.grad, tf.sub(1, mask)))).dataSync()[0]);
    assert.ok(atMasked > 1e-4, `the gradient is dense: |g| summed over masked positions = ${atMasked}`);
    tf.dispose([seen.grad, seen.reference]);
    masked.strip();
    model.dispose();
  });

  it('a mask changed in onGradients applies to the same step: dropped weights are 0, their Adam slots are 0, regrown weights start from 0 with fresh slots', async () => {
    const model = mlp({ inputShape: [4], hidden: [6], classes: 3, seed: 2 });
    const masked = prune(model, { sparsity: 0.5 });
    const kernel = masked.prunableWeights()[0];
    let drop = -1;
    let grow = -1;
    const hook: TrainHook = {
      onGradients: (info) => {
        if (info.step !== 2) return;
        const m = Float32Array.from(masked.mask(kernel.name)!.dataSync());
        drop = m.indexOf(1);
        grow = m.indexOf(0);
        m[drop] = 0;
        m[grow] = 1;
        masked.edit((e) => {
          e.setMask(kernel.name, tf.tensor(m, kernel.shape));
          e.regrow(kernel.name, tf.tensor(m.map((_, i) => (i === grow ? 1 : 0)), kernel.shape), { init: 0 });
        });
      },
    };
    const optimizer = createOptimizer('adam');
    await train(model, data, { steps: 3, batchSize: 16, masks: masked, hooks: [hook], optimizer, learningRate: 0.01 });
    const w = kernel.variable.read().dataSync();
    assert.ok(w[drop] === 0, `the dropped weight is 0 right after the step: ${w[drop]}`);
    for (const [slot, t] of optimizer.slots(kernel.name)) assert.ok(t.dataSync()[drop] === 0, `slot ${slot} of the dropped weight`);
    // the regrown weight started at 0 this step and took one Adam step: |Δ| ≈ lr
    assert.ok(Math.abs(w[grow]) > 0 && Math.abs(w[grow]) <= 0.0101, `regrown weight after one step: ${w[grow]}`);
    optimizer.dispose();
    masked.strip();
    model.dispose();
  });

  it('replaceUpdate(): without a function the step changes no weight; with one it runs instead of the optimizer and masks still hold', async () => {
    const model = mlp({ inputShape: [4], hidden: [6], classes: 3, seed: 3 });
    const masked = prune(model, { sparsity: 0.5 });
    const before = model.getWeights().map((t) => t.clone());
    await train(model, data, { steps: 2, batchSize: 16, masks: masked, hooks: [{ onGradients: (i) => i.replaceUpdate() }] });
    model.getWeights().forEach((t, i) => assert.strictEqual(maxAbsDiff(t, before[i]), 0, `weight ${i} unchanged`));
    // a replacement that ignores masks: plain SGD with lr 1 on the raw (masked) gradient plus a constant push
    await train(model, data, {
      steps: 1, batchSize: 48, shuffle: false, masks: masked,
      hooks: [{ onGradients: (i) => i.replaceUpdate((updates) => updates.forEach((u) => u.variable.assign(tf.add(u.variable, 1)))) }],
    });
    const kernel = masked.prunableWeights()[0];
    const m = masked.mask(kernel.name)!.dataSync();
    const w = kernel.variable.read().dataSync();
    const b = before[0].dataSync();
    for (let i = 0; i < m.length; i++) assert.ok(m[i] ? Math.abs(w[i] - (b[i] + 1)) < 1e-6 : w[i] === 0, `position ${i}`);
    tf.dispose(before);
    masked.strip();
    model.dispose();
  });

  it('an asynchronous onGradients is refused with an explanation; the model keeps the previous step', async () => {
    const model = mlp({ inputShape: [4], hidden: [], classes: 3, seed: 4 });
    const before = model.getWeights().map((t) => Array.from(t.dataSync()));
    const hook = { onGradients: async () => undefined } as unknown as TrainHook;
    await assert.rejects(train(model, data, { steps: 1, batchSize: 16, hooks: [hook] }), /onGradients returned a promise; it must be synchronous/);
    assert.deepStrictEqual(model.getWeights().map((t) => Array.from(t.dataSync())), before);
    assert.strictEqual(MaskedModel.existing(model), undefined);
    model.dispose();
  });
});
