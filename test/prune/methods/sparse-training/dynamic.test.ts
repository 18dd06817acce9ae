// SET and RigL during training: exact per-layer density at every step, the optimizer never
// revives a dropped weight, new connections start where the method says with fresh slots, the
// update schedule (ΔT from step 0 until T_end for RigL; every epoch for SET), RigL's skipped
// update; static masks' layer densities (uniform / ER / ERK, against the family notes' table);
// SNIP's reinit; the methods' magics.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createMagicContext, runMagicLine } from '../../../../src/magics';
import { lenet300100, lenet5Caffe, mlp } from '../../../../src/models';
import { erkDensities, MaskedModel, prune, trainingPlan } from '../../../../src/prune';
import { trainSparse } from '../../../../src/sparse';
import { createOptimizer, train, type TrainHook } from '../../../../src/train';
import { blobs } from '../../../train/fixtures/data';

const counts = (masked: MaskedModel) => [...masked.masks().values()].map((m) => tf.tidy(() => tf.sum(m).dataSync()[0]));

describe('family 4: dynamic and static sparse training', () => {
  const data = blobs(192, { dim: 10, classes: 3, seed: 5 });

  for (const method of ['set', 'rigl'] as const) {
    it(`${method}: every layer keeps its exact number of active weights at every step, and masked weights stay exactly 0 after every update`, async () => {
      const net = mlp({ inputShape: [10], hidden: [24, 12], classes: 3, seed: 2 });
      prune(net, { method: 'static', sparsity: 0.7, seed: 3 });
      const masked = MaskedModel.of(net);
      const expected = counts(masked);
      const options = method === 'set' ? { interval: 2 } : { interval: 2, stopAt: 0.9 };
      const plan = trainingPlan(net, method, options, { totalSteps: 24, stepsPerEpoch: 12, seed: 1 });
      let checked = 0, changedSteps = 0;
      let last = [...masked.masks().values()].map((m) => Array.from(m.dataSync()));
      const check: TrainHook = {
        onStepEnd() {
          assert.deepStrictEqual(counts(masked), expected);
          for (const w of masked.prunableWeights()) {
            const v = w.variable.read().dataSync();
            const m = masked.mask(w.name)!.dataSync();
            for (let i = 0; i < v.length; i++) if (!m[i]) assert.ok(v[i] === 0, `${w.name}[${i}] revived: ${v[i]}`);
          }
          const now = [...masked.masks().values()].map((m) => Array.from(m.dataSync()));
          if (JSON.stringify(now) !== JSON.stringify(last)) changedSteps++;
          last = now;
          checked++;
        },
      };
      await train(net, data, { steps: 24, batchSize: 16, optimizer: 'momentum', learningRate: 0.1, ...plan.trainOptions, hooks: [...plan.trainOptions.hooks, check] });
      assert.strictEqual(checked, 24);
      assert.ok(changedSteps >= 5, `masks changed at ${changedSteps} steps`);
      const records = masked.history.filter((h) => h.method === method);
      // SET: end of every 2nd step (1, 3, ..., 21; never the last step); RigL: from step 0 every 2 until 0.9·24 = 21
      const steps = records.map((r) => r.details.step);
      assert.deepStrictEqual(steps, method === 'set' ? [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21] : [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
      for (const r of records) {
        for (const c of Object.values(r.details.changed as Record<string, { replaced: number; active: number }>)) assert.ok(c.replaced <= c.active);
      }
      masked.strip();
      net.dispose();
    });
  }

  it('rigl: new connections start at 0 with zeroed momentum; a weight dropped and regrown keeps its value; the update step applies no optimizer update (skipUpdate)', async () => {
    const net = mlp({ inputShape: [10], hidden: [16], classes: 3, seed: 4 });
    prune(net, { method: 'static', sparsity: 0.6, seed: 2, methodOptions: { distribution: 'uniform' } });
    const masked = MaskedModel.of(net);
    const optimizer = createOptimizer('momentum');
    await train(net, data, { steps: 3, batchSize: 16, optimizer, learningRate: 0.1, masks: masked });
    const names = masked.prunableWeights().map((w) => w.name);
    const snap = () => names.map((n) => ({
      m: Array.from(masked.mask(n)!.dataSync()), v: Array.from(masked.prunable(n).variable.read().dataSync()),
      s: Array.from(optimizer.slots(n).values().next().value!.dataSync()),
    }));
    const before = snap();
    const plan = trainingPlan(net, 'rigl', { interval: 100, dropFraction: 0.5, stopAt: 1 }, { totalSteps: 1, seed: 9 });
    await train(net, data, { steps: 1, batchSize: 16, optimizer, learningRate: 0.1, ...plan.trainOptions });
    const after = snap();
    let grown = 0;
    names.forEach((_, i) => {
      const b = before[i], a = after[i];
      a.m.forEach((on, j) => {
        if (on && !b.m[j]) {
          grown++;
          assert.ok(a.v[j] === 0 && a.s[j] === 0, 'new connection: weight 0, momentum 0');
        } else if (on) {
          assert.strictEqual(a.v[j], b.v[j], 'kept (or dropped and regrown): value unchanged, no update on the mask step');
          assert.strictEqual(a.s[j], b.s[j], 'its momentum kept');
        }
      });
    });
    assert.ok(grown > 0);
    optimizer.dispose();
    masked.strip();
    net.dispose();
  });

  it("set: --grow-init normal draws new connections from N(0, growStd²); zero leaves them at 0; dropBy signed drops ζ of each sign", async () => {
    const net = mlp({ inputShape: [10], hidden: [256], classes: 3, seed: 6 });
    prune(net, { method: 'static', sparsity: 0.8, seed: 2, methodOptions: { distribution: 'uniform' } });
    const masked = MaskedModel.of(net);
    const name = masked.prunableWeights()[0].name;
    const v0 = Array.from(masked.prunable(name).variable.read().dataSync());
    const m0 = Array.from(masked.mask(name)!.dataSync());
    const plan = trainingPlan(net, 'set', { interval: 1, growInit: 'normal', growStd: 0.5 }, { totalSteps: 2, seed: 3 });
    // lr 0: the only change is the mask update
    await train(net, data, { steps: 2, batchSize: 16, optimizer: 'sgd', learningRate: 0, ...plan.trainOptions });
    const v1 = masked.prunable(name).variable.read().dataSync();
    const m1 = masked.mask(name)!.dataSync();
    const fresh = [...m1.keys()].filter((j) => m1[j] && !m0[j]).map((j) => v1[j]);
    assert.ok(fresh.length > 30);
    const std = Math.sqrt(fresh.reduce((a, x) => a + x * x, 0) / fresh.length);
    assert.ok(std > 0.35 && std < 0.65, `std of new connections ${std}`);
    const pos = m0.filter((on, j) => on && v0[j] >= 0).length, neg = m0.filter((on, j) => on && v0[j] < 0).length;
    const dropped = [...m0.keys()].filter((j) => m0[j] && !m1[j]);
    const droppedPos = dropped.filter((j) => v0[j] >= 0).length;
    // the first update happens at step 0 (interval 1), before any newly grown entry exists
    assert.strictEqual(droppedPos + (dropped.length - droppedPos) <= Math.round(0.3 * pos) + Math.round(0.3 * neg), true);
    masked.strip();
    net.dispose();
  });

  it('static: ER and ERK layer densities of LeNet-300-100 and LeNet-5 match the family notes; uniform is layerwise; same seed, same mask', () => {
    const net = lenet300100({ seed: 0 });
    const shapes = net.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.getWeights()[0].shape as number[]);
    const d = erkDensities(shapes, 0.95);
    [0.0385, 0.1113, 0.9185].forEach((x, i) => assert.ok(Math.abs(d[i] - x) < 5e-4, `ERK ${d}`));
    prune(net, { method: 'static', sparsity: 0.98, seed: 1, methodOptions: { distribution: 'erk' } });
    const masked = MaskedModel.of(net);
    const erk = counts(masked).map((c, i) => c / shapes[i].reduce((a, b) => a * b, 1));
    [0.0154, 0.0445, 0.3674].forEach((x, i) => assert.ok(Math.abs(erk[i] - x) < 5e-4, `ERK 98% ${erk}`));
    const first = [...masked.masks().values()].map((m) => Array.from(m.dataSync()));
    masked.strip();
    const again = prune(net, { method: 'static', sparsity: 0.98, seed: 1, methodOptions: { distribution: 'erk' } });
    assert.deepStrictEqual([...again.masks().values()].map((m) => Array.from(m.dataSync())), first, 'seeded');
    again.strip();
    const uniform = prune(net, { method: 'static', sparsity: 0.9, seed: 1, methodOptions: { distribution: 'uniform' } });
    counts(uniform).forEach((c, i) => assert.strictEqual(c, Math.round(0.1 * shapes[i].reduce((a, b) => a * b, 1))));
    uniform.strip();
    net.dispose();
    // LeNet-5: ER ignores the 5×5 kernel dims, ERK counts them (notes: ERK 98% conv1 0.2779, conv2 0.0143)
    const l5 = lenet5Caffe({ seed: 0 });
    const s5 = l5.layers.filter((l: tf.layers.Layer) => ['Dense', 'Conv2D'].includes(l.getClassName())).map((l: tf.layers.Layer) => l.getWeights()[0].shape as number[]);
    const erk5 = erkDensities(s5, 0.98);
    [0.2779, 0.0143, 0.0146, 0.4572].forEach((x, i) => assert.ok(Math.abs(erk5[i] - x) < 5e-4, `ERK5 ${erk5}`));
    const er5 = erkDensities(s5, 0.98, false);
    assert.ok(er5[0] === 1 && er5[1] > erk5[1], `ER gives the convs more: ${er5}`);
    l5.dispose();
  });

  it('snip reinit: the mask is chosen on this initialization, the kept weights are a fresh draw of the same initializer', () => {
    const net = mlp({ inputShape: [10], hidden: [16], classes: 3, seed: 8 });
    const batch = { xs: tf.tensor2d(data.x.slice(0, 640), [64, 10]), ys: tf.oneHot(tf.tensor1d(data.y.slice(0, 64), 'int32'), 3).toFloat() };
    const w0 = net.getWeights()[0].dataSync().slice();
    const twin = mlp({ inputShape: [10], hidden: [16], classes: 3, seed: 8 });
    prune(twin, { method: 'snip', sparsity: 0.7, data: batch });
    prune(net, { method: 'snip', sparsity: 0.7, data: batch, methodOptions: { reinit: true } });
    const name = MaskedModel.of(net).prunableWeights()[0].name;
    const m = MaskedModel.of(net).mask(name)!.dataSync();
    assert.deepStrictEqual(Array.from(m), Array.from(MaskedModel.of(twin).mask(MaskedModel.of(twin).prunableWeights()[0].name)!.dataSync()), 'same mask');
    const w1 = MaskedModel.of(net).prunable(name).variable.read().dataSync();
    let same = 0, kept = 0;
    m.forEach((on, j) => {
      if (!on) return;
      kept++;
      if (w1[j] === w0[j]) same++;
    });
    assert.ok(kept > 0 && same === 0, 'kept weights re-drawn');
    const limit = Math.sqrt(6 / (10 + 16)); // glorot-uniform bound of the layer
    assert.ok(Array.from(w1).every((x) => Math.abs(x) <= limit), 'from the same initializer');
    tf.dispose([batch.xs, batch.ys]);
    MaskedModel.of(net).strip();
    MaskedModel.of(twin).strip();
    net.dispose();
    twin.dispose();
  });

  it("snip pruneBiases (the reference code): zero biases all removed and frozen, κ = round((1 − s)(W + B)) weights kept; non-zero biases refused, model unchanged", async () => {
    const net = mlp({ inputShape: [10], hidden: [16], classes: 3, seed: 14 });
    const batch = { xs: tf.tensor2d(data.x.slice(0, 640), [64, 10]), ys: tf.oneHot(tf.tensor1d(data.y.slice(0, 64), 'int32'), 3).toFloat() };
    const W = 10 * 16 + 16 * 3, Bn = 16 + 3;
    const masked = prune(net, { method: 'snip', sparsity: 0.8, data: batch, methodOptions: { pruneBiases: true } });
    assert.strictEqual(counts(masked).reduce((a, b) => a + b, 0), Math.round(0.2 * (W + Bn)));
    const biases = net.layers.map((l) => (l as unknown as { bias: tf.LayerVariable }).bias);
    assert.ok(biases.every((b) => !b.trainable), 'biases frozen');
    await train(net, data, { steps: 3, batchSize: 16, optimizer: 'momentum', learningRate: 0.1, masks: masked });
    assert.ok(biases.every((b) => b.read().dataSync().every((v) => v === 0)), 'biases stay 0 during training');
    trainSparse(net, data, masked.masks(), { epochs: 1, batchSize: 32, learningRate: 0.1 });
    assert.ok(biases.every((b) => b.read().dataSync().every((v) => v === 0)), 'and on the sparse kernels');
    masked.strip();
    biases.forEach((b) => (b.trainable = true));
    await train(net, data, { steps: 2, batchSize: 16, optimizer: 'momentum', learningRate: 0.1 });
    // trained biases are non-zero now: refused, nothing changed
    const before = net.getWeights().map((w) => Array.from(w.dataSync()));
    assert.throws(() => prune(net, { method: 'snip', sparsity: 0.8, data: batch, methodOptions: { pruneBiases: true } }), /pruneBiases needs zero biases/);
    assert.deepStrictEqual(net.getWeights().map((w) => Array.from(w.dataSync())), before);
    assert.strictEqual(MaskedModel.of(net).masks().size, 0);
    assert.ok(biases.every((b) => b.trainable));
    tf.dispose([batch.xs, batch.ys]);
    net.dispose();
  });

  it('no tensor leaks: snip, grasp (Xavier copy), static, and training with rigl and set', async () => {
    const net = mlp({ inputShape: [10], hidden: [16], classes: 3, seed: 12 });
    const batch = { xs: tf.tensor2d(data.x.slice(0, 1280), [128, 10]), ys: tf.oneHot(tf.tensor1d(data.y.slice(0, 128), 'int32'), 3).toFloat() };
    const cycle = async () => {
      prune(net, { method: 'snip', sparsity: 0.8, data: batch });
      MaskedModel.of(net).strip();
      prune(net, { method: 'grasp', sparsity: 0.8, data: batch, methodOptions: { samplesPerClass: 5, xavierCopy: true } });
      MaskedModel.of(net).strip();
      for (const method of ['rigl', 'set']) {
        prune(net, { method: 'static', sparsity: 0.8 });
        const plan = trainingPlan(net, method, { interval: 2 }, { totalSteps: 6, seed: 1 });
        await train(net, data, { steps: 6, batchSize: 16, ...plan.trainOptions });
        MaskedModel.of(net).strip();
      }
    };
    await cycle(); // warm-up: optimizer and backend caches
    const before = tf.memory().numTensors;
    await cycle();
    assert.strictEqual(tf.memory().numTensors, before);
    tf.dispose([batch.xs, batch.ys]);
    net.dispose();
  });

  it('magics: %prune net snip|grasp|static and %finetune --method rigl|set with their flags', async () => {
    const net = mlp({ inputShape: [10], hidden: [16], classes: 3, seed: 9 });
    const ds = { name: 'blobs', train: data, test: data };
    const lines: string[] = [];
    const ctx = createMagicContext({ variables: { net, ds }, print: (s: string) => lines.push(s) });
    await runMagicLine('%prune net snip --data ds --sparsity 0.9', ctx);
    assert.match(lines.at(-1)!, /\(snip, element, global\)/);
    MaskedModel.of(net).strip();
    await runMagicLine('%prune net grasp --data ds --sparsity 0.9 --samples-per-class 5 --score magnitude', ctx);
    assert.deepStrictEqual(MaskedModel.of(net).history.at(-1)!.details.methodOptions, { samplesPerClass: 5, logitTemperature: 200, score: 'magnitude', xavierCopy: false });
    MaskedModel.of(net).strip();
    await runMagicLine('%prune net static --sparsity 0.9 --distribution er', ctx);
    assert.match(lines.at(-1)!, /\(static, element, er\)/);
    const before = counts(MaskedModel.of(net));
    await runMagicLine('%finetune net --data ds --method rigl --interval 2 --drop-fraction 0.4 --no-test', ctx);
    assert.ok(MaskedModel.of(net).history.some((h) => h.method === 'rigl'));
    await runMagicLine('%finetune net --data ds --method set --interval 3 --drop-by magnitude --no-test', ctx);
    assert.ok(MaskedModel.of(net).history.some((h) => h.method === 'set'));
    assert.deepStrictEqual(counts(MaskedModel.of(net)), before);
    MaskedModel.of(net).strip();
    net.dispose();
  });
});
