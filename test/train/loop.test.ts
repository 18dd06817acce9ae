import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../src/data/types';
import { mlp } from '../../src/models';
import { evaluate, NonFiniteLossError, train, type BatchSource, type LossTerm, type TrainHook } from '../../src/train';
import { blobs, images } from './fixtures/data';

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('train: the loop', () => {
  const data = blobs(300, { dim: 4, classes: 3, seed: 7 });
  const val = blobs(150, { dim: 4, classes: 3, seed: 8 });

  it('learns Gaussian blobs: loss decreases, accuracy high, validation evaluated each epoch', async () => {
    const model = mlp({ inputShape: [4], hidden: [16], classes: 3, seed: 1 });
    const before = evaluate(model, val);
    const h = await train(model, data, { epochs: 5, batchSize: 32, learningRate: 0.01, validation: val });
    assert.strictEqual(h.epochs.length, 5);
    assert.strictEqual(h.steps, 5 * 10);
    assert.strictEqual(h.finalStep, 50);
    assert.ok(h.epochs[4].loss < h.epochs[0].loss * 0.7, `loss ${h.epochs[0].loss} → ${h.epochs[4].loss}`);
    assert.ok(h.epochs[4].valAccuracy! > 0.85 && h.epochs[4].valAccuracy! > before.accuracy);
    const after = evaluate(model, val);
    assert.strictEqual(after.loss, h.epochs[4].valLoss);
    model.dispose();
  });

  it('is reproducible: same seed → bit-identical weights and metrics; another seed differs', async () => {
    const run = async (seed: number) => {
      const model = mlp({ inputShape: [4], hidden: [16], classes: 3, seed: 3 });
      const h = await train(model, data, { epochs: 2, batchSize: 16, seed, optimizer: 'nesterov' });
      const w = weightsOf(model);
      model.dispose();
      return { w, m: h.epochs.map((e) => [e.loss, e.accuracy]) };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    assert.deepStrictEqual(a.w, b.w);
    assert.deepStrictEqual(a.m, b.m);
    assert.notDeepStrictEqual(a.w, c.w);
  });

  it('does not leak tensors: numTensors after epoch 2 equals that after epoch 1 (and after training)', async () => {
    const model = mlp({ inputShape: [4], hidden: [16], classes: 3, seed: 1 });
    const counts: number[] = [];
    const hook: TrainHook = { onEpochEnd: () => void counts.push(tf.memory().numTensors) };
    const masks = new Map([['fc1/kernel', tf.ones([4, 16])]]);
    const start = tf.memory().numTensors;
    await train(model, data, { epochs: 3, batchSize: 32, hooks: [hook], masks: { currentMasks: () => masks }, validation: val });
    assert.strictEqual(counts[1], counts[0]);
    assert.strictEqual(counts[2], counts[0]);
    assert.strictEqual(tf.memory().numTensors, start, 'the optimizer the loop created was disposed');
    masks.get('fc1/kernel')!.dispose();
    model.dispose();
  });

  it('calls hooks in order with the right step numbers (initialStep, steps limit, partial last epoch)', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const log: string[] = [];
    const hook: TrainHook = {
      onTrainBegin: (i) => void log.push(`begin ${i.step}`),
      onStepBegin: (i) => void log.push(`sb ${i.epoch}:${i.step}`),
      onStepEnd: (i) => void log.push(`se ${i.epoch}:${i.step}`),
      onEpochEnd: (i) => void log.push(`ee ${i.epoch}:${i.step}`),
      onTrainEnd: (i) => void log.push(`end ${i.step}`),
    };
    const second: TrainHook = { onStepBegin: (i) => void log.push(`sb2 ${i.step}`) };
    const small = blobs(30, { dim: 4, classes: 3 });
    const h = await train(model, small, { steps: 5, batchSize: 10, initialStep: 100, hooks: [hook, second] });
    assert.deepStrictEqual(log, [
      'begin 100',
      'sb 0:100', 'sb2 100', 'se 0:100', 'sb 0:101', 'sb2 101', 'se 0:101', 'sb 0:102', 'sb2 102', 'se 0:102', 'ee 0:103',
      'sb 1:103', 'sb2 103', 'se 1:103', 'sb 1:104', 'sb2 104', 'se 1:104', 'ee 1:105',
      'end 105',
    ]);
    assert.strictEqual(h.epochs[1].partial, true);
    assert.strictEqual(h.epochs[1].batches, 2);
    assert.strictEqual(h.finalStep, 105);
    model.dispose();
  });

  it('uses the lr schedule (hooks see each step’s rate) and reports progress', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const rates: number[] = [];
    const progress: number[] = [];
    await train(model, blobs(40, { dim: 4 }), {
      optimizer: 'sgd', learningRate: 0.1, schedule: { type: 'step', every: 2, gamma: 0.5 }, steps: 5, batchSize: 10,
      hooks: [{ onStepBegin: (i) => void rates.push(i.learningRate) }],
      onProgress: (p) => void progress.push(p.batch),
    });
    assert.deepStrictEqual(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
    assert.deepStrictEqual(progress, [1, 2, 3, 4, 1]);
    model.dispose();
  });

  it('trains the variables of an extra loss term (a scalar pulled toward 3) and reports the term', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const v = tf.variable(tf.scalar(0));
    const term: LossTerm = { name: 'pull', loss: () => tf.square(tf.sub(v, 3)) as tf.Scalar, trainableVariables: [v] };
    const h = await train(model, data, { optimizer: 'sgd', learningRate: 0.1, epochs: 5, batchSize: 30, extraLosses: [term] });
    assert.ok(Math.abs(v.dataSync()[0] - 3) < 1e-3, `v = ${v.dataSync()[0]}`);
    assert.ok(h.epochs[0].terms!.pull > h.epochs[4].terms!.pull);
    assert.ok(h.epochs[0].loss > h.epochs[0].terms!.pull, 'loss includes data loss and the term');
    v.dispose();
    model.dispose();
  });

  it('stops with an error naming the step when the loss is not finite; weights stay finite', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    let calls = 0;
    const nanAt7: LossTerm = { name: 'bomb', loss: () => tf.scalar(++calls === 8 ? NaN : 0) };
    let ended = false;
    const err = await train(model, data, { steps: 20, batchSize: 10, extraLosses: [nanAt7], initialStep: 0, hooks: [{ onTrainEnd: () => void (ended = true) }] }).then(
      () => assert.fail('should throw'),
      (e) => e,
    );
    assert.ok(err instanceof NonFiniteLossError);
    assert.strictEqual(err.step, 7);
    assert.match(err.message, /loss is NaN at step 7 \(epoch 0\)/);
    assert.ok(ended, 'onTrainEnd still runs');
    assert.ok(weightsOf(model).every((w) => w.every(Number.isFinite)));
    model.dispose();
  });

  it('rejects data/model shape and class mismatches and bad options before touching the model', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const before = weightsOf(model);
    await assert.rejects(train(model, blobs(10, { dim: 5 })), /Shape mismatch: the training data has examples of shape \[5\].*expects \[4\]/);
    await assert.rejects(train(model, blobs(10, { dim: 4, classes: 4 })), /Class mismatch: the training data has 4 classes but the model outputs 3 units/);
    await assert.rejects(train(model, data, { validation: blobs(10, { dim: 3 }) }), /validation data/);
    await assert.rejects(train(model, data, { learningRate: -1 }), /learningRate must be a finite number ≥ 0, got -1/);
    await assert.rejects(train(model, data, { optimizer: 'adagrad' as never }), /Known optimizers: adam, momentum, nesterov, sgd/);
    await assert.rejects(train(model, data, { epochs: 1, steps: 2 }), /either epochs or steps/);
    await assert.rejects(train(model, data, { batchSize: 0 }), /batchSize must be a positive integer/);
    await assert.rejects(train(model, data, { lr: 0.1 } as never), /unknown option 'lr'/);
    const badLabels = { ...data, y: data.y.map((c, i) => (i === 5 ? 7 : c)) };
    await assert.rejects(train(model, badLabels), /label 7 at example 5/);
    assert.deepStrictEqual(weightsOf(model), before);
    model.dispose();
  });

  it('feeds [h,w,c] examples to a flat model (and flat to image models) when the sizes agree', async () => {
    const model = mlp({ inputShape: [12], hidden: [8], classes: 2, seed: 1 });
    const imgs = images(20, [3, 4, 1], 2);
    const h = await train(model, imgs, { steps: 2, batchSize: 10 });
    assert.strictEqual(h.steps, 2);
    assert.ok(evaluate(model, imgs).count === 20);
    const imageModel = mlp({ inputShape: [3, 4, 1], hidden: [8], classes: 2, seed: 1 });
    const flat = { ...imgs, featureShape: [12] };
    assert.strictEqual((await train(imageModel, flat, { steps: 2, batchSize: 10 })).steps, 2);
    await assert.rejects(train(imageModel, { ...imgs, featureShape: [4, 3, 1] }), /Shape mismatch.*\[4,3,1\].*expects \[3,4,1\]/);
    imageModel.dispose();
    model.dispose();
  });

  it('stops cleanly on an abort signal: history says aborted, onTrainEnd runs, masks hold', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const controller = new AbortController();
    const mask = tf.tensor2d([1, 0, 1, 0, 1, 0, 1, 0], [1, 8]).tile([4, 1]);
    let ended = -1;
    const h = await train(model, data, {
      steps: 100, batchSize: 10, signal: controller.signal, masks: { currentMasks: () => new Map([['fc1/kernel', mask]]) },
      hooks: [{ onStepEnd: (i) => (i.step === 6 ? controller.abort() : undefined), onTrainEnd: (i) => void (ended = i.step) }],
    });
    assert.strictEqual(h.stopReason, 'aborted');
    assert.strictEqual(h.steps, 7);
    assert.strictEqual(ended, 7);
    assert.strictEqual(h.epochs[0].partial, true);
    const w = model.getWeights()[0].dataSync();
    mask.dataSync().forEach((m, i) => assert.ok(m === 1 || w[i] === 0));
    mask.dispose();
    model.dispose();
  });

  it('yields to the event loop so an abort from a timer interrupts a long run', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const controller = new AbortController();
    let stepsDone = 0;
    let stepsWhenAborted = -1;
    setTimeout(() => {
      stepsWhenAborted = stepsDone;
      controller.abort();
    }, 30);
    const h = await train(model, data, { epochs: 10000, batchSize: 10, signal: controller.signal, yieldEveryMs: 5, onProgress: (p) => void (stepsDone = p.step) });
    assert.strictEqual(h.stopReason, 'aborted');
    // the timer fired during the run (training yielded to it) and training stopped before its next step
    assert.ok(stepsWhenAborted > 0, `the timer ran while training was under way (after ${stepsWhenAborted} steps)`);
    assert.strictEqual(h.steps, stepsWhenAborted, 'no step after the abort');
    model.dispose();
  });

  it('accepts a BatchSource and disposes the batches it yields', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const made: Batch[] = [];
    const source: BatchSource = {
      featureShape: [4], numClasses: 3, batchesPerEpoch: 3,
      *batches() {
        for (let b = 0; b < 3; b++) {
          const batch = { xs: tf.randomNormal([8, 4], 0, 1, 'float32', b), ys: tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3).toFloat() as tf.Tensor2D, size: 8 };
          made.push(batch);
          yield batch;
        }
      },
    };
    const h = await train(model, source, { epochs: 2 });
    assert.strictEqual(h.steps, 6);
    assert.ok(made.every((b) => b.xs.isDisposed && b.ys.isDisposed));
    model.dispose();
  });

  it('models with a softmax output train with categorical cross-entropy on probabilities', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })],
    });
    const r = evaluate(model, val);
    const manual = tf.tidy(() => {
      const p = model.predict(tf.tensor2d(val.x, [val.count, 4])) as tf.Tensor;
      const y = tf.oneHot(tf.tensor1d(val.y, 'int32'), 3);
      return -tf.mean(tf.sum(tf.mul(y, tf.log(p)), -1)).dataSync()[0];
    });
    assert.ok(Math.abs(r.loss - manual) < 1e-5, `${r.loss} vs ${manual}`);
    const h = await train(model, data, { epochs: 3, learningRate: 0.05 });
    assert.ok(h.epochs[2].loss < h.epochs[0].loss);
    model.dispose();
  });

  it('L2 weight decay: one full-batch SGD step equals w − lr·(g + wd·w)', async () => {
    const model = mlp({ inputShape: [4], hidden: [], classes: 3, seed: 9 });
    const small = blobs(12, { dim: 4 });
    const [w0, b0] = model.getWeights().map((w) => w.clone());
    const grads = tf.tidy(() => {
      const x = tf.tensor2d(small.x, [12, 4]);
      const y = tf.oneHot(tf.tensor1d(small.y, 'int32'), 3).toFloat();
      return tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar).grads;
    });
    await train(model, small, { optimizer: 'sgd', learningRate: 0.5, weightDecay: 0.1, steps: 1, batchSize: 12 });
    const expect = tf.tidy(() => tf.sub(w0, tf.mul(tf.add(grads[model.trainableWeights[0].name], tf.mul(w0, 0.1)), 0.5)));
    const got = model.getWeights()[0].dataSync();
    expect.dataSync().forEach((e, i) => assert.ok(Math.abs(e - got[i]) < 1e-6, `${i}: ${got[i]} vs ${e}`));
    tf.dispose([w0, b0, expect, ...Object.values(grads)]);
    model.dispose();
  });
});
