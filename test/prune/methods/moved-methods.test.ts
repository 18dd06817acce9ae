// Updates beyond zeroing: compensation of remaining weights, folding into a neighbour, regrowth, method variables.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  dropAndGrow, foldConstantNeurons, getMethod, LearnedThreshold, MaskedModel, prunableWeights, prune, trainingPlan, type PruneBatch,
} from '../../../src/prune';
import { createOptimizer, train } from '../../../src/train';
import { fillWeights, maxAbsDiff, mlp, uid, values, zeros } from '../helpers';

describe('prune: updates beyond zeroing', () => {
  it('folds a near-constant neuron into the next layer bias: outputs unchanged within 1e-5', () => {
    const net = mlp([4, 6, 3], 41);
    const [k1, k2] = prunableWeights(net);
    // neuron 2 of the hidden layer: tiny input weights and bias 0.5 → relu output ≈ 0.5 for every input
    const w1 = Float32Array.from(k1.variable.read().dataSync());
    for (let i = 0; i < 4; i++) w1[i * 6 + 2] = 1e-9 * (i + 1);
    const t = tf.tensor(w1, k1.shape);
    k1.variable.write(t);
    const b1 = net.layers[0].weights[1];
    const bt = tf.tensor([0.1, 0.2, 0.5, 0.1, 0.3, 0.2]);
    b1.write(bt);
    tf.dispose([t, bt]);
    const data: PruneBatch = { xs: tf.tensor(values(32 * 4, 3), [32, 4]), ys: tf.zeros([32, 3]) };
    const before = (net.predict(data.xs) as tf.Tensor);
    const report = foldConstantNeurons(net, { data, tolerance: 1e-6 });
    assert.deepStrictEqual(report.map((r) => [r.layer, r.into, r.units]), [[net.layers[0].name, net.layers[1].name, [2]]]);
    assert.ok(Math.abs(report[0].values[0] - 0.5) < 1e-6);
    const m = MaskedModel.of(net);
    const m1 = Float32Array.from(m.mask(k1.name)!.dataSync()), m2 = Float32Array.from(m.mask(k2.name)!.dataSync());
    assert.deepStrictEqual([0, 1, 2, 3].map((i) => m1[i * 6 + 2]), [0, 0, 0, 0]);
    assert.deepStrictEqual([0, 1, 2].map((o) => m2[2 * 3 + o]), [0, 0, 0]);
    assert.strictEqual(zeros(m1) + zeros(m2), 7);
    const after = net.predict(data.xs) as tf.Tensor;
    assert.ok(maxAbsDiff(before.dataSync(), after.dataSync()) < 1e-5);
    // undo restores the bias too; control: the same masks without folding the constant into the bias change the output
    m.undo();
    m.edit((e) => {
      e.setMask(k1.name, tf.tensor(m1, k1.shape));
      e.setMask(k2.name, tf.tensor(m2, k2.shape));
    });
    const unfolded = net.predict(data.xs) as tf.Tensor;
    assert.ok(maxAbsDiff(before.dataSync(), unfolded.dataSync()) > 1e-2);
    tf.dispose([before, after, unfolded, data.xs, data.ys]);
    m.strip().dispose();
  });

  it("'reconstruct' re-fits the remaining Dense weights by least squares on the layer inputs", () => {
    const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 3, name: uid('lin') })] });
    fillWeights(net, 42);
    const [k] = prunableWeights(net);
    const w = Array.from(k.variable.read().dataSync());
    // correlated inputs, so that compensation matters
    const base = values(40 * 8, 9);
    const xv = Float32Array.from(base, (v, i) => v + 0.8 * base[Math.floor(i / 8) * 8]);
    const data: PruneBatch = { xs: tf.tensor(xv, [40, 8]), ys: tf.zeros([40, 3]) };
    const m = prune(net, { sparsity: 0.5, data, update: 'reconstruct' });
    const mask = m.mask(k.name)!.dataSync();
    const wn = k.variable.read().dataSync();
    assert.strictEqual(zeros(mask), 12);
    mask.forEach((v, i) => v === 0 && assert.ok(wn[i] === 0));
    const X = (i: number, c: number) => xv[i * 8 + c];
    for (let j = 0; j < 3; j++) {
      const r = (i: number, ws: ArrayLike<number>) => { let s = 0; for (let c = 0; c < 8; c++) s += X(i, c) * (ws[c * 3 + j] - w[c * 3 + j]); return s; };
      // normal equations: X_Sᵀ (X w_new − X w) = 0 for every kept input c
      for (let c = 0; c < 8; c++) {
        if (!mask[c * 3 + j]) continue;
        let g = 0, scale = 0;
        for (let i = 0; i < 40; i++) { g += X(i, c) * r(i, wn); scale += Math.abs(X(i, c) * r(i, wn)); }
        assert.ok(Math.abs(g) <= 1e-4 * Math.max(1, scale), `column ${j}, input ${c}: ${g}`);
      }
      const plain = w.map((x, i) => x * mask[i]);
      let eNew = 0, ePlain = 0;
      for (let i = 0; i < 40; i++) { eNew += r(i, wn) ** 2; ePlain += r(i, plain) ** 2; }
      assert.ok(eNew <= ePlain + 1e-9, `reconstruction error ${eNew} vs plain zeroing ${ePlain}`);
    }
    tf.dispose([data.xs, data.ys]);
    m.strip().dispose();
  });

  it('drop-and-grow (SET) regrows at zero and resets the Adam slots of regrown weights only', async () => {
    const net = mlp([6, 10, 3], 43, 'softmax');
    const m = prune(net, { sparsity: 0.6 });
    const n = 32;
    const x = values(n * 6, 8);
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const optimizer = createOptimizer('adam');
    await train(net, { x, y, count: n, featureShape: [6], numClasses: 3 }, { optimizer, steps: 4, batchSize: 8, masks: m, learningRate: 0.01 });
    const names = prunableWeights(net).map((w) => w.name);
    const snap = (name: string) => ({
      mask: Float32Array.from(m.mask(name)!.dataSync()),
      value: Float32Array.from(net.weights.find((v) => (v.read() as tf.Variable).name === name)!.read().dataSync()),
      slots: new Map([...optimizer.slots(name)].map(([k, t]) => [k, Float32Array.from(t.dataSync())])),
    });
    const before = new Map(names.map((k) => [k, snap(k)]));
    assert.ok([...before.get(names[0])!.slots.values()].some((s) => s.some((v) => v !== 0)), 'Adam has state to reset');
    const counts = dropAndGrow(m, { fraction: 0.3, seed: 1, optimizer });
    for (const name of names) {
      const b = before.get(name)!, a = snap(name);
      const k = counts.get(name)!;
      assert.ok(k > 0);
      assert.strictEqual(zeros(a.mask), zeros(b.mask), 'density preserved');
      const grown: number[] = [], dropped: number[] = [];
      a.mask.forEach((v, i) => { if (v && !b.mask[i]) grown.push(i); if (!v && b.mask[i]) dropped.push(i); });
      assert.strictEqual(grown.length, k);
      assert.strictEqual(dropped.length, k);
      // dropped: the smallest magnitudes among the previously alive
      const alive = [...b.mask.keys()].filter((i) => b.mask[i]);
      const cut = Math.max(...dropped.map((i) => Math.abs(b.value[i])));
      alive.filter((i) => !dropped.includes(i)).forEach((i) => assert.ok(Math.abs(b.value[i]) >= cut));
      for (const i of grown) assert.ok(a.value[i] === 0);
      for (const [slot, s] of a.slots) {
        const old = b.slots.get(slot)!;
        s.forEach((v, i) => assert.strictEqual(v, grown.includes(i) ? 0 : old[i], `${name} ${slot}[${i}]`));
      }
    }
    optimizer.dispose?.();
    m.strip().dispose();
  });

  it("the old 'learned-threshold' (density matching) is replaced by ltp: the name and the class say so and change nothing", () => {
    const net = mlp([20, 30, 10], 44);
    const before = net.getWeights().map((w) => Array.from(w.dataSync()));
    assert.throws(() => new (LearnedThreshold as unknown as new (...a: unknown[]) => unknown)(MaskedModel.of(net), { density: 0.3 }), /replaced by 'ltp'/);
    assert.throws(() => getMethod('learned-threshold'), /replaced by 'ltp'[\s\S]*--method ltp/);
    assert.throws(() => trainingPlan(net, 'learned-threshold', {}, { totalSteps: 1 }), /replaced by 'ltp'/);
    net.getWeights().forEach((w, i) => assert.deepStrictEqual(Array.from(w.dataSync()), before[i]));
    assert.strictEqual(MaskedModel.of(net).masks().size, 0);
    MaskedModel.of(net).strip().dispose();
  });
});
