// Sparse training on the wasm kernels: the gradients of the sparse path (forward CSR, input
// gradient through the CSR of Wᵀ, weight gradient by SDDMM at the kept positions) equal the
// dense-masked path's (tfjs on the test's backend: cpu or wasm, PRUNELAB_BACKEND) to 1e-5;
// a training step equals the training loop's momentum step; pruned weights never revive; a
// mask change keeps kept values and starts new connections at 0.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../src/models';
import { MaskedModel, prune, trainingPlan } from '../../src/prune';
import { SparseMlpTrainer, sparseTrainingSupport, sparseWasm, trainSparse } from '../../src/sparse';
import { crossEntropy } from '../../src/train/loss';
import { train } from '../../src/train';
import { blobs } from '../train/fixtures/data';
import { maxRelDiff } from '../prune/helpers';

describe("sparse training (wasm kernels) vs dense-masked tfjs on the run's backend (PRUNELAB_BACKEND=cpu or wasm)", () => {
  const dim = 70, B = 37; // odd sizes: batch padding and tails of the SIMD loops
  const data = blobs(B, { dim, classes: 5, seed: 21 });

  function net(sparsity: number) {
    const m = mlp({ inputShape: [dim], hidden: [48, 24], classes: 5, seed: 4 });
    // non-zero biases, so the bias path is exercised
    for (const l of m.layers) {
      const [k, b] = l.getWeights();
      const nb = tf.randomUniform(b.shape, -0.1, 0.1, 'float32', 5);
      l.setWeights([k, nb]);
      nb.dispose();
    }
    // static: its draws are keyed by the unsuffixed weight name, so two such nets get the same masks
    prune(m, { method: 'static', sparsity, seed: 2, methodOptions: { distribution: 'uniform' } });
    return m;
  }

  for (const sparsity of [0.5, 0.95]) {
    it(`gradients (kernels at kept positions, biases) and loss equal tfjs dense-masked to 1e-5 at ${sparsity * 100}% sparsity`, () => {
      const m = net(sparsity);
      const masked = MaskedModel.of(m);
      const trainer = new SparseMlpTrainer(m, masked.masks(), { batchSize: 64 });
      const sparse = trainer.gradients(data.x, data.y, B);
      const xs = tf.tensor2d(data.x, [B, dim]);
      const ys = tf.oneHot(tf.tensor1d(data.y, 'int32'), 5).toFloat();
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => crossEntropy('logits', m.apply(xs) as tf.Tensor, ys), vars);
      assert.ok(Math.abs(value.dataSync()[0] - sparse.loss) < 1e-5, `loss ${value.dataSync()[0]} vs ${sparse.loss}`);
      const kernels = masked.prunableWeights();
      kernels.forEach((w, i) => {
        const g = tf.tidy(() => tf.mul(grads[(w.variable.read() as tf.Variable).name], masked.mask(w.name)!).dataSync());
        assert.ok(maxRelDiff(sparse.kernels[i], g) < 1e-5, `kernel ${i}: ${maxRelDiff(sparse.kernels[i], g)}`);
        const bias = m.getLayer(w.layerName).weights[1].read() as tf.Variable;
        const gb = grads[bias.name].dataSync();
        assert.ok(maxRelDiff(sparse.biases[i], gb) < 1e-5, `bias ${i}: ${maxRelDiff(sparse.biases[i], gb)}`);
      });
      tf.dispose([xs, ys, value, ...Object.values(grads)]);
      trainer.dispose();
      masked.strip();
      m.dispose();
    });
  }

  it('three momentum steps with weight decay equal the training loop (same batches); pruned weights stay exactly 0', async () => {
    const a = net(0.9), b = net(0.9);
    const ma = MaskedModel.of(a);
    await train(a, data, { steps: 3, batchSize: B, shuffle: false, optimizer: 'momentum', learningRate: 0.05, weightDecay: 1e-3, masks: ma });
    const trainer = new SparseMlpTrainer(b, MaskedModel.of(b).masks(), { batchSize: B, momentum: 0.9, weightDecay: 1e-3 });
    for (let s = 0; s < 3; s++) trainer.step(data.x, data.y, B, 0.05);
    trainer.syncToModel();
    trainer.dispose();
    const wa = a.getWeights().map((t) => t.dataSync()), wb = b.getWeights().map((t) => t.dataSync());
    wa.forEach((w, i) => assert.ok(maxRelDiff(wb[i], w) < 1e-5, `weight ${i}: ${maxRelDiff(wb[i], w)}`));
    const mb = MaskedModel.of(b);
    for (const w of mb.prunableWeights()) {
      const v = w.variable.read().dataSync(), m = mb.mask(w.name)!.dataSync();
      for (let i = 0; i < v.length; i++) if (!m[i]) assert.ok(v[i] === 0);
    }
    ma.strip();
    mb.strip();
    a.dispose();
    b.dispose();
  });

  it('trainSparse draws the same shuffled batches as train() with the same seed: same weights after 2 epochs of 5 batches', async () => {
    const a = net(0.9), b = net(0.9);
    await train(a, data, { epochs: 2, batchSize: 8, seed: 5, optimizer: 'momentum', learningRate: 0.05, weightDecay: 1e-3, masks: MaskedModel.of(a) });
    trainSparse(b, data, MaskedModel.of(b).masks(), { epochs: 2, batchSize: 8, seed: 5, learningRate: 0.05, weightDecay: 1e-3 });
    const wa = a.getWeights().map((t) => t.dataSync()), wb = b.getWeights().map((t) => t.dataSync());
    wa.forEach((w, i) => assert.ok(maxRelDiff(wb[i], w) < 1e-4, `weight ${i}: ${maxRelDiff(wb[i], w)}`));
    MaskedModel.of(a).strip();
    MaskedModel.of(b).strip();
    a.dispose();
    b.dispose();
  });

  for (const method of ['rigl', 'set'] as const) {
    it(`${method} on the sparse kernels: the same masks and weights as the training loop with ${method} (one full batch per step)`, async () => {
      const a = net(0.8), b = net(0.8);
      const options = method === 'rigl' ? { interval: 2, noise: 0, stopAt: 1 } : { interval: 2, dropBy: 'magnitude' };
      const planA = trainingPlan(a, method, options, { totalSteps: 6, stepsPerEpoch: 1, seed: 3 });
      await train(a, data, { steps: 6, batchSize: B, shuffle: false, optimizer: 'momentum', learningRate: 0.05, ...planA.trainOptions });
      const mb = MaskedModel.of(b);
      const planB = trainingPlan(b, method, options, { totalSteps: 6, stepsPerEpoch: 1, seed: 3 });
      trainSparse(b, data, mb.masks(), { epochs: 6, batchSize: B, learningRate: 0.05, hooks: planB.trainOptions.hooks, masked: mb });
      const ma = MaskedModel.of(a);
      assert.ok(ma.history.filter((h) => h.method === method).length >= 2, 'masks were updated');
      assert.deepStrictEqual(mb.history.filter((h) => h.method === method).map((h) => h.details.step), ma.history.filter((h) => h.method === method).map((h) => h.details.step));
      ma.prunableWeights().forEach((w, i) => {
        const wb = mb.prunableWeights()[i];
        assert.deepStrictEqual(Array.from(mb.mask(wb.name)!.dataSync()), Array.from(ma.mask(w.name)!.dataSync()), `mask ${i}`);
      });
      const wa = a.getWeights().map((t) => t.dataSync()), wbv = b.getWeights().map((t) => t.dataSync());
      wa.forEach((w, i) => assert.ok(maxRelDiff(wbv[i], w) < 1e-4, `weight ${i}: ${maxRelDiff(wbv[i], w)}`));
      ma.strip();
      mb.strip();
      a.dispose();
      b.dispose();
    });
  }

  it('setMasks: kept connections keep their values, new ones start at 0; trainSparse learns and refuses conv models', () => {
    const m = net(0.8);
    const masked = MaskedModel.of(m);
    const trainer = new SparseMlpTrainer(m, masked.masks(), { batchSize: B });
    trainer.step(data.x, data.y, B, 0.1);
    trainer.syncToModel();
    const name = masked.prunableWeights()[0].name;
    const before = Float32Array.from(masked.prunable(name).variable.read().dataSync());
    const oldMask = masked.mask(name)!.dataSync();
    // flip one kept and one pruned position
    const newMask = Float32Array.from(oldMask);
    const on = newMask.indexOf(1), off = newMask.indexOf(0);
    newMask[on] = 0;
    newMask[off] = 1;
    const masks = new Map(masked.masks());
    const nm = tf.tensor(newMask, masked.prunable(name).shape);
    masks.set(name, nm);
    trainer.setMasks(masks);
    trainer.syncToModel();
    const after = masked.prunable(name).variable.read().dataSync();
    newMask.forEach((v, i) => assert.ok(after[i] === (v ? (i === off ? 0 : before[i]) : 0), `entry ${i}`));
    nm.dispose();
    trainer.dispose();
    masked.strip();
    m.dispose();

    const m2 = net(0.9);
    const heap = sparseWasm().heap.allocatedBytes;
    const h = trainSparse(m2, blobs(400, { dim, classes: 5, seed: 3 }), MaskedModel.of(m2).masks(), { epochs: 3, batchSize: 32, learningRate: 0.05 });
    assert.ok(h.epochs[2].accuracy > h.epochs[0].accuracy || h.epochs[2].accuracy > 0.9, JSON.stringify(h.epochs));
    assert.strictEqual(sparseWasm().heap.allocatedBytes, heap, 'wasm memory freed');
    MaskedModel.of(m2).strip();
    m2.dispose();
    const conv = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    assert.match(sparseTrainingSupport(conv)!, /is a Conv2D/);
    conv.dispose();
  });

  describe('per-layer products: CSR or dense kernels, the same bits either way', () => {
    function weightsAfter(products: 'sparse' | 'dense', sparsity: number, remask: boolean): Float32Array[] {
      const m = net(sparsity);
      const masked = MaskedModel.of(m);
      const trainer = new SparseMlpTrainer(m, masked.masks(), { batchSize: B, momentum: 0.9, weightDecay: 1e-3, products });
      assert.deepStrictEqual(trainer.layerProducts().map((c) => c.products), [products, products, products]);
      for (let s = 0; s < 3; s++) trainer.step(data.x, data.y, B, 0.05);
      if (remask) {
        // flip a kept and a pruned position of the first kernel, as a SET/RigL update would
        const name = masked.prunableWeights()[0].name;
        const nm = Float32Array.from(masked.mask(name)!.dataSync());
        const on = nm.indexOf(1), off = nm.indexOf(0);
        nm[on] = 0;
        nm[off] = 1;
        const t = tf.tensor(nm, masked.prunable(name).shape);
        trainer.setMasks(new Map([...masked.masks(), [name, t]]));
        t.dispose();
        assert.strictEqual(trainer.nonzeros()[0], nm.reduce((a, b) => a + b, 0));
        for (let s = 0; s < 2; s++) trainer.step(data.x, data.y, B, 0.05);
      }
      const g = trainer.gradients(data.x, data.y, B);
      trainer.syncToModel();
      trainer.dispose();
      const out = [...m.getWeights().map((t) => Float32Array.from(t.dataSync())), ...g.kernels, ...g.biases, Float32Array.of(g.loss)];
      masked.strip();
      m.dispose();
      return out;
    }

    for (const [sparsity, remask] of [[0.5, false], [0.95, false], [0.8, true]] as const) {
      it(`${sparsity * 100}% sparse${remask ? ', with a mask change' : ''}: weights after momentum steps, gradients and loss are bitwise equal`, () => {
        const sparse = weightsAfter('sparse', sparsity, remask), dense = weightsAfter('dense', sparsity, remask);
        sparse.forEach((a, i) => assert.deepStrictEqual(dense[i], a, `array ${i}`));
      });
    }

    it("'auto' times both on each layer and keeps the faster; a bad choice is refused, nothing left allocated", () => {
      const m = net(0.9);
      const masked = MaskedModel.of(m);
      const heap = sparseWasm().heap.allocatedBytes;
      const trainer = new SparseMlpTrainer(m, masked.masks(), { batchSize: B });
      const choices = trainer.layerProducts();
      assert.deepStrictEqual(choices.map((c) => c.name), trainer.kernelNames());
      for (const c of choices) {
        assert.ok(Math.abs(c.density - 0.1) < 0.02, `density ${c.density}`);
        assert.ok(c.sparseMs! > 0 && c.denseMs! > 0, JSON.stringify(c));
        assert.strictEqual(c.products, c.denseMs! < c.sparseMs! ? 'dense' : 'sparse', JSON.stringify(c));
      }
      trainer.dispose();
      assert.throws(() => new SparseMlpTrainer(m, masked.masks(), { batchSize: B, products: 'csr' as never }), /products 'csr' is not one of 'auto', 'sparse', 'dense'/);
      assert.strictEqual(sparseWasm().heap.allocatedBytes, heap, 'wasm memory freed');
      masked.strip();
      m.dispose();
    });

    it("RigL on dense layers: the same masks and weights as on CSR layers (bit for bit)", () => {
      const run = (products: 'sparse' | 'dense') => {
        const m = net(0.8);
        const mm = MaskedModel.of(m);
        const plan = trainingPlan(m, 'rigl', { interval: 2, noise: 0, stopAt: 1 }, { totalSteps: 6, stepsPerEpoch: 1, seed: 3 });
        const h = trainSparse(m, data, mm.masks(), { epochs: 6, batchSize: B, learningRate: 0.05, hooks: plan.trainOptions.hooks, masked: mm, products });
        assert.deepStrictEqual(h.layers.map((c) => c.products), [products, products, products]);
        const out = [...m.getWeights().map((t) => Float32Array.from(t.dataSync())), ...mm.prunableWeights().map((w) => Float32Array.from(mm.mask(w.name)!.dataSync()))];
        assert.ok(mm.history.filter((e) => e.method === 'rigl').length >= 2, 'masks were updated');
        mm.strip();
        m.dispose();
        return out;
      };
      const a = run('sparse'), b = run('dense');
      a.forEach((x, i) => assert.deepStrictEqual(b[i], x, `array ${i}`));
    });
  });
});
