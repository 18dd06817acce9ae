// Granularities, group reductions, allocation strategies and layer selection.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { erkDensities, granularityNames, MaskedModel, prunableWeights, prune, resolveGranularity } from '../../src/prune';
import { roundHalfEven } from '../../src/sparse';
import { assertSameSnapshot, cnn, fillWeights, mlp, snapshot, uid, zeros } from './helpers';

const arr = (t: tf.Tensor) => Array.from(t.dataSync());

describe('prune: granularity', () => {
  it('2:4 keeps the 2 largest of every 4 consecutive inputs, per output unit (Dense and Conv2D)', () => {
    const net = cnn(2);
    const fc1 = prunableWeights(net)[1]; // [128, 20]
    const w = Array.from(fc1.variable.read().dataSync());
    const m = prune(net, { granularity: '2:4', include: [fc1.layerName] });
    const mask = m.mask(fc1.name)!.dataSync();
    const [nIn, nOut] = fc1.shape;
    for (let o = 0; o < nOut; o++) {
      for (let r = 0; r < nIn; r += 4) {
        const idx = [0, 1, 2, 3].map((k) => (r + k) * nOut + o);
        assert.strictEqual(idx.reduce((a, i) => a + mask[i], 0), 2, `column ${o}, run ${r}`);
        const top2 = [...idx].sort((a, b) => Math.abs(w[b]) - Math.abs(w[a])).slice(0, 2).sort((a, b) => a - b);
        assert.deepStrictEqual(idx.filter((i) => mask[i]), top2);
      }
    }
    const before = MaskedModel.of(net).masks().get(fc1.name)!;
    assert.strictEqual(zeros(before.dataSync()), fc1.size / 2);
    m.strip().dispose();

    const conv = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [5, 5, 8], filters: 2, kernelSize: 2, name: uid('c') })] });
    fillWeights(conv, 3);
    const k = prunableWeights(conv)[0]; // [2,2,8,2]
    const original = Array.from(k.variable.read().dataSync());
    const mc = prune(conv, { granularity: { type: 'nm', n: 1, m: 4 } });
    const cm = mc.mask(k.name)!.dataSync();
    for (let p = 0; p < 4; p++) for (let o = 0; o < 2; o++) for (let r = 0; r < 8; r += 4) {
      const idx = [0, 1, 2, 3].map((j) => (p * 8 + r + j) * 2 + o);
      const best = idx.reduce((a, i) => (Math.abs(original[i]) > Math.abs(original[a]) ? i : a), idx[0]);
      assert.deepStrictEqual(idx.map((i) => cm[i]), idx.map((i) => (i === best ? 1 : 0)));
    }
    mc.strip().dispose();
  });

  it('blocks R×C are kept or dropped whole, including ragged edge blocks', () => {
    const net = mlp([5, 6, 3], 4);
    const d1 = prunableWeights(net)[0]; // [5, 6] → blocks 2x3: 3 x 2 = 6 blocks
    const m = prune(net, { granularity: 'block:2x3', sparsity: 0.5, include: [d1.layerName] });
    const mask = m.mask(d1.name)!.dataSync();
    const blockOf = (i: number) => Math.floor(Math.floor(i / 6) / 2) * 2 + Math.floor((i % 6) / 3);
    const state = new Map<number, number>();
    mask.forEach((v, i) => {
      const b = blockOf(i);
      if (state.has(b)) assert.strictEqual(v, state.get(b), `block ${b} mixed`);
      state.set(b, v);
    });
    assert.strictEqual([...state.values()].filter((v) => v === 0).length, 3);
    m.strip().dispose();
  });

  it('neuron/filter/channel masks remove whole output units and input channels', () => {
    const net = cnn(5);
    const [conv, fc1] = prunableWeights(net);
    const m = prune(net, { granularity: 'filter', sparsity: 0.25, include: [conv.layerName] });
    const byFilter = (mask: Float32Array | Int32Array | Uint8Array, axisSize: number, pick: (i: number) => number) => {
      const s = new Map<number, Set<number>>();
      mask.forEach((v, i) => (s.get(pick(i)) ?? s.set(pick(i), new Set()).get(pick(i))!).add(v));
      const whole = [...s.values()].every((x) => x.size === 1);
      const dropped = [...s.values()].filter((x) => x.has(0)).length;
      assert.strictEqual(s.size, axisSize);
      return { whole, dropped };
    };
    let r = byFilter(m.mask(conv.name)!.dataSync(), 8, (i) => i % 8);
    assert.ok(r.whole);
    assert.strictEqual(r.dropped, 2);
    m.undo();
    prune(net, { granularity: 'channel', sparsity: 0.34, include: [conv.layerName] });
    r = byFilter(m.mask(conv.name)!.dataSync(), 3, (i) => Math.floor(i / 8) % 3);
    assert.ok(r.whole);
    assert.strictEqual(r.dropped, 1);
    m.undo();
    prune(net, { granularity: 'neuron', sparsity: 0.5, include: [fc1.layerName] });
    r = byFilter(m.mask(fc1.name)!.dataSync(), 20, (i) => i % 20);
    assert.ok(r.whole);
    assert.strictEqual(r.dropped, 10);
    m.strip().dispose();
  });

  it('neuron and filter are one granularity under two names (same object, same masks, one history name)', () => {
    assert.strictEqual(resolveGranularity('filter'), resolveGranularity('neuron'));
    assert.strictEqual(resolveGranularity('filter').name, 'neuron');
    assert.ok(granularityNames().includes('filter') && granularityNames().includes('neuron'));
    const a = cnn(8), b = cnn(8);
    const ma = prune(a, { granularity: 'filter', sparsity: 0.5 });
    const mb = prune(b, { granularity: 'neuron', sparsity: 0.5 });
    prunableWeights(a).forEach((w, i) => assert.deepStrictEqual(arr(ma.mask(w.name)!), arr(mb.mask(prunableWeights(b)[i].name)!), w.name));
    assert.strictEqual(ma.history.at(-1)!.details.granularity, 'neuron');
    ma.strip().dispose();
    mb.strip().dispose();
  });

  it('N:M with an explicit different sparsity is an error naming 1 − N/M and the fix; the model is unchanged', () => {
    const net = mlp([8, 12, 4], 6);
    prune(net, { sparsity: 0.25 }); // existing masks must survive the failing call
    const before = snapshot(net);
    const tensors = tf.memory().numTensors;
    assert.throws(() => prune(net, { criterion: 'magnitude', sparsity: 0.8, granularity: '2:4' }),
      /granularity 2:4 fixes the sparsity at 0\.5 \(N:M keeps N of every M consecutive weights: 1 − N\/M\), but the call asks for sparsity 0\.8\. Drop the sparsity or pass sparsity: 0\.5/);
    assert.throws(() => prune(net, { granularity: { type: 'nm', n: 1, m: 4 }, sparsity: 0.5 }), /granularity 1:4 fixes the sparsity at 0\.75/);
    assert.throws(() => prune(net, { granularity: '2:4', scope: { perLayer: { [net.layers[0].name]: 0.9 } } }), /asks for perLayer\['.*'\] 0\.9/);
    for (const scope of ['global', 'erk'] as const) {
      assert.throws(() => prune(net, { granularity: '2:4', scope }), new RegExp(`2:4 fixes the sparsity of every layer at 0\\.5, so scope '${scope}' has nothing to allocate`));
    }
    assertSameSnapshot(before, snapshot(net), 'N:M with sparsity 0.8');
    assert.strictEqual(tf.memory().numTensors, tensors, 'no tensors leaked by the failing calls');
    // no sparsity, or the one N:M implies, is accepted
    const m = prune(net, { granularity: '2:4', sparsity: 0.5 });
    m.undo();
    prune(net, { granularity: '2:4', scope: 'layerwise' }).undo();
    prune(net, { granularity: '2:4' });
    m.strip().dispose();
  });

  it('group reductions l1, l2, mean and max rank groups differently', () => {
    const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, useBias: false, name: uid('g') })] });
    const k = prunableWeights(net)[0];
    // column 0: [1,1,1,1] (l1 4, l2 2, mean 1, max 1); column 1: [1.9,0.1,0.1,0.1] (l1 2.2, l2 ≈1.91, mean .55, max 1.9)
    const w = tf.tensor([[1, 1.9], [1, 0.1], [1, 0.1], [1, 0.1]]);
    const dropped: Record<string, number> = {};
    for (const reduce of ['l1', 'l2', 'mean', 'max'] as const) {
      k.variable.write(w);
      const m = prune(net, { granularity: 'neuron', sparsity: 0.5, groupReduce: reduce });
      dropped[reduce] = arr(m.mask(k.name)!)[0] === 0 ? 0 : 1;
      m.undo();
    }
    assert.deepStrictEqual(dropped, { l1: 1, l2: 1, mean: 1, max: 0 });
    w.dispose();
    net.dispose();
  });

  it('unknown granularity names list the known ones', () => {
    assert.throws(() => resolveGranularity('rows'), /Unknown granularity 'rows'. Known granularities: channel, element, neuron \(= filter\), N:M \(e\.g\. '2:4'\), block:RxC/);
    assert.throws(() => resolveGranularity('nueron'), /Did you mean: neuron\?/);
    assert.throws(() => resolveGranularity('4:4'), /1 ≤ N < M/);
  });

  it('works on DepthwiseConv2D and both SeparableConv2D kernels', () => {
    const p = uid('sep');
    const net = tf.sequential({
      layers: [
        tf.layers.depthwiseConv2d({ inputShape: [6, 6, 4], kernelSize: 3, depthMultiplier: 2, name: `${p}_dw` }),
        tf.layers.separableConv2d({ filters: 6, kernelSize: 2, depthMultiplier: 1, name: `${p}_sep` }),
      ],
    });
    fillWeights(net, 9);
    const ws = prunableWeights(net);
    assert.deepStrictEqual(ws.map((w) => w.role), ['depthwise_kernel', 'depthwise_kernel', 'pointwise_kernel']);
    const m = prune(net, { sparsity: 0.5 });
    for (const w of ws) assert.strictEqual(zeros(m.mask(w.name)!.dataSync()), roundHalfEven(0.5 * w.size));
    m.undo();
    prune(net, { sparsity: 0.25, granularity: 'filter', include: [`${p}_dw`] }); // 4 channels x 2 = 8 filters
    const mask = m.mask(ws[0].name)!.dataSync();
    const dropped = new Set<number>();
    mask.forEach((v, i) => { if (!v) dropped.add(i % 8); });
    assert.strictEqual(dropped.size, 2);
    assert.strictEqual(zeros(mask), 2 * 9);
    const s = m.summary();
    assert.strictEqual(s.rows.length, 3);
    m.strip().dispose();
  });
});

describe('prune: allocation and layer selection', () => {
  it('ERK densities: closed form, layers above density 1 become dense and the rest re-solve', () => {
    const d = erkDensities([[100, 100], [10, 10]], 0.5);
    assert.ok(Math.abs(d[0] - 0.495) < 1e-12 && d[1] === 1, String(d));
    // no layer saturates: density = ε·(Σdims/Πdims) and the budget is met exactly
    const shapes = [[3, 3, 16, 32], [512, 256], [256, 10]];
    const e = erkDensities(shapes, 0.8);
    const n = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    const raw = shapes.map((s, i) => s.reduce((a, b) => a + b, 0) / n[i]);
    assert.ok(e.every((x) => x <= 1));
    const kept = e.reduce((a, x, i) => a + x * n[i], 0);
    assert.ok(Math.abs(kept - 0.2 * n.reduce((a, b) => a + b, 0)) < 1e-6);
    const ratios = e.map((x, i) => (x < 1 ? x / raw[i] : NaN)).filter((x) => !Number.isNaN(x));
    assert.ok(ratios.every((r) => Math.abs(r - ratios[0]) < 1e-9));
  });

  it("scope 'erk' prunes each layer to round((1 − density)·n)", () => {
    const net = mlp([20, 30, 10, 4], 6);
    const ws = prunableWeights(net);
    const d = erkDensities(ws.map((w) => w.shape), 0.7);
    const m = prune(net, { sparsity: 0.7, scope: 'erk' });
    ws.forEach((w, i) => assert.strictEqual(zeros(m.mask(w.name)!.dataSync()), roundHalfEven((1 - d[i]) * w.size)));
    m.strip().dispose();
  });

  it("scope 'global' uses one threshold across layers", () => {
    const net = mlp([20, 30, 10, 4], 7);
    const ws = prunableWeights(net);
    const orig = ws.map((w) => Array.from(w.variable.read().dataSync()).map(Math.abs));
    const m = prune(net, { sparsity: 0.6, scope: 'global' });
    let maxPruned = 0, minKept = Infinity, pruned = 0, total = 0;
    ws.forEach((w, i) => {
      const mask = m.mask(w.name)!.dataSync();
      mask.forEach((v, j) => (v ? (minKept = Math.min(minKept, orig[i][j])) : (maxPruned = Math.max(maxPruned, orig[i][j]))));
      pruned += zeros(mask);
      total += w.size;
    });
    assert.ok(maxPruned <= minKept);
    assert.strictEqual(pruned, roundHalfEven(0.6 * total));
    m.strip().dispose();
  });

  it('per-layer map, include/exclude by name, type, RegExp or predicate, keepFirstDense/keepLastDense', () => {
    const net = cnn(8);
    const [conv, fc1, fc2] = prunableWeights(net);
    const masked = (o: Parameters<typeof prune>[1]) => {
      const m = prune(net, o);
      const keys = [...m.masks().keys()];
      const z = keys.map((k) => zeros(m.mask(k)!.dataSync()));
      m.undo();
      return { keys, z };
    };
    let r = masked({ scope: { perLayer: { [conv.layerName]: 0.5, [fc2.name]: 0.25 } } });
    assert.deepStrictEqual(r.keys, [conv.name, fc1.name, fc2.name]);
    assert.deepStrictEqual(r.z, [108, 0, 60]);
    assert.throws(() => prune(net, { scope: { perLayer: { nope: 0.5 } } }), /perLayer names 'nope' match no weight/);
    assert.deepStrictEqual(masked({ sparsity: 0.5, include: ['Conv2D'] }).keys, [conv.name]);
    assert.deepStrictEqual(masked({ sparsity: 0.5, include: [/fc/] }).keys, [fc1.name, fc2.name]);
    assert.deepStrictEqual(masked({ sparsity: 0.5, include: [(w) => w.size > 500] }).keys, [fc1.name]);
    assert.deepStrictEqual(masked({ sparsity: 0.5, exclude: [fc1.layerName] }).keys, [conv.name, fc2.name]);
    assert.deepStrictEqual(masked({ sparsity: 0.5, keepFirstDense: true, keepLastDense: true }).keys, [fc1.name]);
    assert.throws(() => prune(net, { sparsity: 0.5, include: [conv.layerName], keepFirstDense: true }), /leave no layer to prune/);
    net.dispose();
  });
});
