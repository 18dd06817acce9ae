// The second-order methods through prune(): convolutions, granularities, compensation, errors, leaks, gradual use.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { agpSchedule, MaskedModel, prune, PruningHook } from '../../../../src/prune';
import { createContext } from '../../../../src/prune/context';
import { layerHessians } from '../../../../src/prune/hessian/layer-inputs';
import { selectTargets } from '../../../../src/prune/targets';
import { createOptimizer, train } from '../../../../src/train';
import { assertSameSnapshot, cnn, mlp, snapshot, values, zeros } from '../../helpers';
import { relDiff } from './fixture';

function data(inputShape: number[], classes: number, n: number, seed: number): { xs: tf.Tensor; ys: tf.Tensor } {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const labels = Array.from(values(n, seed + 1), (v) => Math.floor(((v + 1) / 2) * classes) % classes);
  return { xs: tf.tensor(values(n * size, seed), [n, ...inputShape]), ys: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() };
}

/** (1/2n) Σ‖ΔZ‖² of a Dense/Conv layer's pre-activation between two kernel values, by running the layer. */
function preActivationChange(layer: tf.layers.Layer, input: tf.Tensor, kernelBefore: tf.Tensor, biasBefore: tf.Tensor | undefined): number {
  return tf.tidy(() => {
    const now = layer.getWeights().map((w) => w.clone());
    const act = (layer as unknown as { activation: unknown }).activation;
    (layer as unknown as { activation: unknown }).activation = { apply: (x: tf.Tensor) => x, getClassName: () => 'linear' };
    try {
      const after = layer.apply(input) as tf.Tensor;
      layer.setWeights(biasBefore ? [kernelBefore, biasBefore] : [kernelBefore]);
      const before = layer.apply(input) as tf.Tensor;
      layer.setWeights(now);
      const rows = after.size / after.shape[after.shape.length - 1];
      return tf.sum(tf.square(tf.sub(after, before))).dataSync()[0] / (2 * rows);
    } finally {
      (layer as unknown as { activation: unknown }).activation = act;
    }
  });
}

describe('second-order methods through prune()', () => {
  it('L-OBS on a Conv2D layer: Ψ from unfolded patches equals the explicit patch sum, and the recorded layer error is the measured one', () => {
    const net = cnn(5);
    const { xs, ys } = data([6, 6, 3], 12, 4, 3);
    const conv = selectTargets(net)[0];
    const ctx = createContext(net, [conv], { data: { xs, ys } });
    const [h] = layerHessians(ctx, [conv]);
    ctx.dispose();
    // explicit: every valid 3×3 position of every example, (kh, kw, cin) order, then the bias 1
    const x = xs.dataSync();
    const dim = 3 * 3 * 3 + 1;
    const psi = new Float64Array(dim * dim);
    let rows = 0;
    for (let n = 0; n < 4; n++) for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
      const y: number[] = [];
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let ch = 0; ch < 3; ch++) y.push(x[((n * 6 + r + a) * 6 + c + b) * 3 + ch]);
      y.push(1);
      for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) psi[i * dim + j] += y[i] * y[j];
      rows++;
    }
    assert.strictEqual(h.rows, rows);
    assert.ok(relDiff(h.psi, psi.map((v) => v / rows)) < 1e-5);

    const kBefore = conv.variable.read().clone();
    const bBefore = conv.layer.weights[1].read().clone();
    prune(net, { method: 'l-obs', sparsity: 0.6, include: [conv.layerName], data: { xs, ys } });
    const rec = MaskedModel.of(net).history.find((r) => r.method === 'l-obs-layer-errors')!;
    const measured = (rec.details.layers as Record<string, { measured: number }>)[conv.layerName].measured;
    const actual = preActivationChange(conv.layer, xs, kBefore, bBefore);
    assert.ok(Math.abs(measured - actual) < 1e-3 * actual, `recorded ${measured}, measured ${actual}`);
    // compensation: the same mask without the update changes the layer output more
    const mask = MaskedModel.of(net).mask(conv.name)!;
    const now = net.layers[0].getWeights().map((w) => w.clone());
    const plain = tf.mul(kBefore, mask);
    net.layers[0].setWeights([plain, bBefore]);
    const plainError = preActivationChange(conv.layer, xs, kBefore, bBefore);
    net.layers[0].setWeights(now);
    assert.ok(actual < plainError, `L-OBS ${actual} vs plain masking ${plainError}`);
    tf.dispose([xs, ys, kBefore, bBefore, plain, ...now]);
    MaskedModel.of(net).strip().dispose();
  });

  it('WoodFisher and L-OBS compose with N:M granularity (2:4 per input group) and neurons; OBS with selection fixed keeps the core masks', () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['woodfisher', '2:4', { blockSize: 8 }], ['l-obs', '2:4', {}], ['woodfisher', 'neuron', {}], ['obs', '2:4', { removalOrder: 'fixed', hessian: 'fisher' }],
    ];
    for (const [method, granularity, methodOptions] of cases) {
      const net = mlp([8, 12, 8, 4], 3);
      const { xs, ys } = data([8], 4, 24, 7);
      const opts = { method, methodOptions, granularity, data: { xs, ys }, ...(granularity === 'neuron' ? { sparsity: 0.5 } : {}) };
      prune(net, opts);
      const masked = MaskedModel.of(net);
      for (const t of selectTargets(net)) {
        const m = masked.mask(t.name)!.dataSync();
        const v = t.variable.read().dataSync();
        if (granularity === '2:4') {
          // N:M groups are 4 consecutive inputs of one output unit: 2 kept in each
          const out = t.shape[1];
          for (let o = 0; o < out; o++) for (let g = 0; g < t.shape[0] / 4; g++) {
            let kept = 0;
            for (let i = 0; i < 4; i++) kept += m[(g * 4 + i) * out + o];
            assert.strictEqual(kept, 2, `${method} ${t.name}`);
          }
        }
        m.forEach((x, j) => x === 0 && assert.strictEqual(v[j], 0));
      }
      masked.strip().dispose();
      tf.dispose([xs, ys]);
    }
  });

  it('bad input leaves the model exactly as it was: Gauss–Newton on a CNN, an indefinite exact Hessian, too many weights for OBS', () => {
    const net = cnn(2);
    const { xs, ys } = data([6, 6, 3], 12, 3, 1);
    const before = snapshot(net);
    assert.throws(() => prune(net, { method: 'obd', sparsity: 0.5, data: { xs, ys } }), /Gauss–Newton diagonal needs a chain of Dense layers.*--diagonal fisher/);
    assert.throws(() => prune(net, { method: 'woodfisher', sparsity: 0.5 }), /needs data/);
    assertSameSnapshot(before, snapshot(net), 'after the failed calls');
    const small = mlp([3, 4, 2], 9);
    const d2 = data([3], 2, 5, 2);
    const b2 = snapshot(small);
    // an untrained ReLU net: the exact Hessian is indefinite; the message names both fixes
    assert.throws(() => prune(small, { method: 'obs', methodOptions: { hessian: 'exact', hessianDamping: 0 }, sparsity: 0.5, data: d2 }), /not positive definite.*--hessian fisher.*--hessian-damping/);
    assertSameSnapshot(b2, snapshot(small), 'after the failed OBS');
    const big = mlp([80, 60, 10], 1);
    const d3 = data([80], 10, 4, 2);
    const b3 = snapshot(big);
    assert.throws(() => prune(big, { method: 'obs', sparsity: 0.5, data: d3 }), /limited to 4096 weights.*WoodFisher.*L-OBS/);
    assertSameSnapshot(b3, snapshot(big), 'after the refused OBS');
    tf.dispose([xs, ys, d2.xs, d2.ys, d3.xs, d3.ys]);
    net.dispose();
    small.dispose();
    big.dispose();
  });

  it('no tensor is left behind by any of the methods', () => {
    const net = mlp([6, 8, 5, 3], 4);
    const { xs, ys } = data([6], 3, 10, 8);
    // the masks exist from here on, and the biases L-OBS changes have their originals kept (for undo)
    prune(net, { method: 'l-obs', sparsity: 0.1, data: { xs, ys } });
    const cases: [string, Record<string, unknown>][] = [
      ['obd', {}], ['obd', { diagonal: 'fisher' }], ['obd', { diagonal: 'exact' }], ['obd', { diagonal: 'hutchinson', hutchinsonSamples: 2 }], ['obs', {}], ['l-obs', {}], ['woodfisher', { blockSize: 5 }],
    ];
    for (const [method, methodOptions] of cases) {
      const before = tf.memory().numTensors;
      prune(net, { method, methodOptions, sparsity: 0.3, relativeTo: 'remaining', data: { xs, ys } });
      assert.strictEqual(tf.memory().numTensors, before, `${method} ${JSON.stringify(methodOptions)}`);
    }
    MaskedModel.of(net).strip().dispose();
    tf.dispose([xs, ys]);
  });

  it('gradual WoodFisher: a pruning schedule re-estimates the Fisher at each step between fine-tuning steps', async () => {
    const net = mlp([6, 16, 3], 32, 'softmax');
    const n = 96;
    const x = values(n * 6, 5);
    const y = Int32Array.from({ length: n }, (_, i) => (x[i * 6] + x[i * 6 + 1] > 0 ? 1 : x[i * 6 + 2] > 0 ? 2 : 0));
    const calib = { xs: tf.tensor2d(x.slice(0, 32 * 6), [32, 6]), ys: tf.oneHot(tf.tensor1d(y.slice(0, 32), 'int32'), 3).toFloat() };
    let estimates = 0;
    const hook = new PruningHook(agpSchedule({ finalSparsity: 0.75, beginStep: 0, endStep: 12, frequency: 4 }), {
      method: 'woodfisher', methodOptions: { blockSize: 16 }, scope: 'global',
      data: () => {
        estimates++;
        return [calib];
      },
    }, net);
    const optimizer = createOptimizer('momentum');
    await train(net, { x, y, count: n, featureShape: [6], numClasses: 3 }, { optimizer, steps: 16, batchSize: 16, learningRate: 0.05, hooks: [hook], masks: hook });
    assert.deepStrictEqual(hook.log.map((l) => l.step), [4, 8, 12]);
    assert.strictEqual(estimates, 3, 'one Fisher estimate per pruning step');
    const m = MaskedModel.of(net);
    const updates = m.history.filter((r) => r.method === 'woodfisher-update');
    assert.strictEqual(updates.length, 3);
    let pruned = 0, total = 0;
    for (const t of selectTargets(net)) {
      const mask = m.mask(t.name)!.dataSync();
      pruned += zeros(mask);
      total += t.size;
      const v = t.variable.read().dataSync();
      mask.forEach((b, j) => b === 0 && assert.strictEqual(v[j], 0));
    }
    assert.ok(Math.abs(pruned / total - 0.75) < 0.01);
    optimizer.dispose?.();
    m.strip().dispose();
    tf.dispose([calib.xs, calib.ys]);
  });
});
