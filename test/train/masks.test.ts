import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../src/models';
import { createOptimizer, listOptimizers, train, type MaskSource, type TrainHook } from '../../src/train';
import { blobs, rng } from './fixtures/data';

/** A fixed random mask of a variable's shape with the given density. */
function randomMask(shape: number[], density: number, seed: number): tf.Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() < density ? 1 : 0;
  return tf.tensor(v, shape);
}

/** A mutable mask source for tests. */
class Masks implements MaskSource {
  readonly map = new Map<string, tf.Tensor>();
  currentMasks(): ReadonlyMap<string, tf.Tensor> {
    return this.map;
  }
  set(name: string, mask: tf.Tensor): void {
    this.map.get(name)?.dispose();
    this.map.set(name, mask);
  }
  dispose(): void {
    for (const m of this.map.values()) m.dispose();
  }
}

/** Every masked position of every masked weight (and optimizer slot) is exactly 0. */
function assertMaskedZero(model: tf.LayersModel, masks: Masks, slots?: (name: string) => ReadonlyMap<string, tf.Tensor>): void {
  for (const w of model.trainableWeights) {
    const key = (w as unknown as { originalName: string }).originalName;
    const mask = masks.map.get(key);
    if (!mask) continue;
    const m = mask.dataSync();
    const check = (values: ArrayLike<number>, what: string) => {
      let bad = 0;
      for (let i = 0; i < m.length; i++) if (m[i] === 0 && values[i] !== 0) bad++;
      assert.strictEqual(bad, 0, `${what}: ${bad} masked entries are not 0`);
    };
    check(w.read().dataSync(), key);
    if (slots) for (const [s, t] of slots(w.name)) check(t.dataSync(), `${key} slot ${s}`);
  }
}

describe('train: masks', () => {
  const data = blobs(256, { dim: 8, classes: 4, seed: 3 });

  it('after 200 Adam steps every masked entry is exactly 0, in weights and Adam slots', async () => {
    const model = mlp({ inputShape: [8], hidden: [32, 16], classes: 4, seed: 1 });
    const masks = new Masks();
    masks.set('fc1/kernel', randomMask([8, 32], 0.3, 1));
    masks.set('fc2/kernel', randomMask([32, 16], 0.5, 2));
    masks.set('fc2/bias', randomMask([16], 0.5, 3));
    const opt = createOptimizer('adam');
    const h = await train(model, data, { optimizer: opt, learningRate: 0.01, steps: 200, batchSize: 32, masks });
    assert.strictEqual(h.steps, 200);
    assertMaskedZero(model, masks, (n) => opt.slots(n));
    assert.ok(h.epochs[h.epochs.length - 1].accuracy > 0.5, 'the masked network still learns');
    opt.dispose();
    masks.dispose();
    model.dispose();
  });

  for (const name of listOptimizers().filter((n) => n !== 'adam')) {
    it(`${name}: masked entries stay exactly 0, with weight decay too`, async () => {
      const model = mlp({ inputShape: [8], hidden: [16], classes: 4, seed: 2 });
      const masks = new Masks();
      masks.set('fc1/kernel', randomMask([8, 16], 0.4, 4));
      const opt = createOptimizer(name);
      await train(model, data, { optimizer: opt, learningRate: 0.05, steps: 40, batchSize: 32, masks, weightDecay: 1e-3 });
      assertMaskedZero(model, masks, (n) => opt.slots(n));
      opt.dispose();
      masks.dispose();
      model.dispose();
    });
  }

  it('a mask that changes mid-training (a hook prunes at step 10) zeroes weights and slots; decoupled decay keeps zeros', async () => {
    const model = mlp({ inputShape: [8], hidden: [16], classes: 4, seed: 3 });
    const masks = new Masks();
    const opt = createOptimizer('momentum');
    const pruneAt10: TrainHook = {
      onStepBegin: ({ step }) => {
        if (step === 10) masks.set('fc1/kernel', randomMask([8, 16], 0.5, 5));
      },
    };
    await train(model, data, { optimizer: opt, steps: 30, batchSize: 32, masks, hooks: [pruneAt10], weightDecay: 0.01, weightDecayMode: 'decoupled' });
    assertMaskedZero(model, masks, (n) => opt.slots(n));
    opt.dispose();
    masks.dispose();
    model.dispose();
  });

  it('a regrowth hook can reset slots mid-training: zero where reset, untouched elsewhere', async () => {
    const model = mlp({ inputShape: [8], hidden: [16], classes: 4, seed: 4 });
    const masks = new Masks();
    masks.set('fc1/kernel', randomMask([8, 16], 0.5, 6));
    const opt = createOptimizer('adam');
    let checked = false;
    const regrow: TrainHook = {
      onStepBegin: ({ step, optimizer }) => {
        if (step !== 20) return;
        const old = masks.map.get('fc1/kernel')!;
        const where = randomMask([8, 16], 0.5, 9);
        const before = Array.from(optimizer.slots('fc1/kernel').get('m')!.dataSync());
        optimizer.resetSlots('fc1/kernel', where);
        const after = optimizer.slots('fc1/kernel').get('m')!.dataSync();
        const w = where.dataSync();
        assert.ok(before.some((x, i) => w[i] === 1 && x !== 0), 'some reset positions had momentum');
        after.forEach((x, i) => assert.ok(w[i] === 1 ? x === 0 : x === before[i], `position ${i}`));
        masks.set('fc1/kernel', tf.onesLike(old)); // regrow everything
        where.dispose();
        checked = true;
      },
    };
    await train(model, data, { optimizer: opt, steps: 30, batchSize: 32, masks, hooks: [regrow] });
    assert.ok(checked);
    opt.dispose();
    masks.dispose();
    model.dispose();
  });

  it('applies a mask before the first forward pass (weights zeroed even at learning rate 0)', async () => {
    const model = mlp({ inputShape: [8], hidden: [16], classes: 4, seed: 6 });
    const masks = new Masks();
    masks.set('fc1/kernel', randomMask([8, 16], 0.5, 8));
    let firstLossMasked = NaN;
    await train(model, data, {
      optimizer: 'sgd', learningRate: 0, steps: 1, batchSize: 256, shuffle: false, masks,
      hooks: [{ onStepEnd: ({ loss }) => void (firstLossMasked = loss) }],
    });
    assertMaskedZero(model, masks);
    // The step-0 loss is the loss of the masked network (the weights were masked before the forward pass).
    const { evaluate } = await import('../../src/train');
    assert.ok(Math.abs(evaluate(model, data).loss - firstLossMasked) < 1e-5);
    masks.dispose();
    model.dispose();
  });

  it('accepts masks keyed by the unique variable name of a second model; rejects unknown names and wrong shapes', async () => {
    const a = mlp({ inputShape: [8], hidden: [16], classes: 4, seed: 5 });
    const b = mlp({ inputShape: [8], hidden: [16], classes: 4, seed: 5 });
    const unique = b.trainableWeights[0].name; // fc1/kernel_N for the second model
    assert.notStrictEqual(unique, 'fc1/kernel');
    const masks = new Masks();
    masks.set(unique, randomMask([8, 16], 0.5, 7));
    await train(b, data, { steps: 5, batchSize: 32, masks });
    const m = masks.map.get(unique)!.dataSync();
    const w = b.trainableWeights[0].read().dataSync();
    assert.ok(Array.from(m).every((x, i) => x !== 0 || w[i] === 0));

    const bad = new Masks();
    bad.set('conv1/kernel', tf.ones([8, 16]));
    await assert.rejects(train(a, data, { steps: 1, masks: bad }), /'conv1\/kernel', which is not a trainable weight.*fc1\/kernel, fc1\/bias, fc2\/kernel, fc2\/bias/);
    bad.dispose();
    bad.map.clear();
    bad.set('fc1/kernel', tf.ones([16, 8]));
    const before = Array.from(a.trainableWeights[0].read().dataSync());
    await assert.rejects(train(a, data, { steps: 1, masks: bad }), /shape \[16,8\] but the weight has shape \[8,16\]/);
    assert.deepStrictEqual(Array.from(a.trainableWeights[0].read().dataSync()), before, 'the model is untouched by the failed call');
    bad.dispose();
    masks.dispose();
    a.dispose();
    b.dispose();
  });
});
