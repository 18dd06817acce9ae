// MaskedModel: composition, undo/strip, MaskSource, accounting, persistence and export.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFromDir, MaskedModel, prunableWeights, prune } from '../../src/prune';
import { roundHalfEven } from '../../src/sparse';
import { cnn, maxAbsDiff, mlp, zeros } from './helpers';

describe('prune: MaskedModel', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-prune-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pruning twice composes masks; weights are value ⊙ mask; undo restores', () => {
    const net = mlp([10, 16, 4], 11);
    const ws = prunableWeights(net);
    const orig = ws.map((w) => Float32Array.from(w.variable.read().dataSync()));
    const m1 = prune(net, { sparsity: 0.5 });
    const first = ws.map((w) => Float32Array.from(m1.mask(w.name)!.dataSync()));
    const m2 = prune(net, { sparsity: 0.75 });
    assert.strictEqual(m1, m2, 'one MaskedModel per model');
    ws.forEach((w, i) => {
      const mask = m2.mask(w.name)!.dataSync();
      assert.strictEqual(zeros(mask), roundHalfEven(0.75 * w.size));
      mask.forEach((v, j) => assert.ok(v <= first[i][j], 'the second mask only removes more'));
      const val = w.variable.read().dataSync();
      val.forEach((x, j) => assert.strictEqual(x, orig[i][j] * mask[j]));
    });
    assert.strictEqual(m2.history.length, 2);
    // simulate training of the kept weights, then undo: kept keep trained values, pruned get originals
    const w0 = ws[0];
    const trained = tf.tidy(() => tf.mul(tf.add(w0.variable.read(), 0.5), m2.mask(w0.name)!));
    w0.variable.write(trained);
    const mask0 = Float32Array.from(m2.mask(w0.name)!.dataSync());
    const trainedVals = Float32Array.from(trained.dataSync());
    trained.dispose();
    m2.undo();
    assert.strictEqual(m2.masks().size, 0);
    const after = w0.variable.read().dataSync();
    after.forEach((x, j) => assert.strictEqual(x, mask0[j] ? trainedVals[j] : orig[0][j]));
    assert.deepStrictEqual(ws[1].variable.read().dataSync(), orig[1]);
    net.dispose();
  });

  it('is a MaskSource keyed by variable name; strip makes pruning permanent; no tensor leaks', () => {
    const net = cnn(12);
    const before = tf.memory().numTensors;
    const m = prune(net, { sparsity: 0.3, scope: 'global' });
    prune(net, { sparsity: 0.6, scope: 'global' });
    const masks = m.currentMasks();
    assert.deepStrictEqual([...masks.keys()], prunableWeights(net).map((w) => w.name));
    for (const [k, t] of masks) assert.deepStrictEqual(t.shape, prunableWeights(net).find((w) => w.name === k)!.shape);
    m.apply();
    m.undo();
    assert.strictEqual(tf.memory().numTensors, before, 'prune/compose/apply/undo leave no tensors behind');
    prune(net, { sparsity: 0.5 });
    const zerosBefore = net.getWeights().map((w) => zeros(w.dataSync()));
    const plain = m.strip();
    assert.strictEqual(plain, net);
    assert.strictEqual(MaskedModel.existing(net), undefined);
    assert.deepStrictEqual(net.getWeights().map((w) => zeros(w.dataSync())), zerosBefore);
    assert.strictEqual(tf.memory().numTensors, before);
    net.dispose();
  });

  it('summary: parameters, non-zeros, compression and FLOPs per layer and in total', () => {
    const net = cnn(13);
    const [conv, fc1, fc2] = prunableWeights(net);
    const m = prune(net, { scope: { perLayer: { [conv.layerName]: 0.5, [fc1.layerName]: 0.75 } } });
    const s = m.summary();
    const row = (n: string) => s.rows.find((r) => r.weight === n)!;
    // conv: 3·3·3·8 = 216 weights applied at 4·4 output positions
    assert.deepStrictEqual(
      [row(conv.name).params, row(conv.name).nonzeros, row(conv.name).flops, row(conv.name).remainingFlops],
      [216, 108, 216 * 16, 108 * 16],
    );
    assert.deepStrictEqual([row(fc1.name).params, row(fc1.name).nonzeros, row(fc1.name).flops], [2560, 640, 2560]);
    assert.strictEqual(row(fc1.name).compression, 4);
    assert.strictEqual(row(fc2.name).sparsity, 0); // not in the map and no default: untouched
    const all = 216 + 8 + 2560 + 20 + 240 + 12;
    assert.strictEqual(s.total.params, all);
    assert.strictEqual(s.total.nonzeros, all - 108 - 1920);
    assert.ok(Math.abs(s.total.compression - all / (all - 2028)) < 1e-12);
    assert.ok(Math.abs(s.total.speedup - (3456 + 2560 + 240) / (1728 + 640 + 240)) < 1e-12);
    assert.match(s.text, /total/);
    assert.match(s.text, /compression/);
    m.strip().dispose();
  });

  it('saves and loads mask state (bit-packed), with a clear error for other shapes or names', () => {
    const net = mlp([10, 16, 4], 14);
    const m = prune(net, { sparsity: 0.8, seed: 3, criterion: 'random' });
    const file = path.join(dir, 'masks.json');
    m.save(file);
    assert.ok(fs.statSync(file).size < 2000, 'bit-packed');
    const saved = new Map([...m.masks()].map(([k, v]) => [k, Array.from(v.dataSync())]));

    // same architecture, other layer names (another model in this process): by order
    const twin = mlp([10, 16, 4], 15);
    assert.throws(() => MaskedModel.load(twin, file), /no weight '.*'.*match: 'order'/s);
    assert.strictEqual(MaskedModel.existing(twin)?.masks().size ?? 0, 0);
    const tm = MaskedModel.load(twin, file, { match: 'order' });
    prunableWeights(twin).forEach((w, i) => {
      assert.deepStrictEqual(Array.from(tm.mask(w.name)!.dataSync()), saved.get(prunableWeights(net)[i].name));
      const val = w.variable.read().dataSync();
      tm.mask(w.name)!.dataSync().forEach((v, j) => v === 0 && assert.ok(val[j] === 0));
    });
    assert.strictEqual(tm.history[0].method, 'random');

    // other shapes: clear error, model unchanged
    const other = mlp([10, 12, 4], 16);
    const w0 = other.getWeights().map((t) => Array.from(t.dataSync()));
    assert.throws(() => MaskedModel.load(other, file, { match: 'order' }), /saved with shape \[10,16\] but .* has shape \[10,12\]/);
    other.getWeights().forEach((t, i) => assert.deepStrictEqual(Array.from(t.dataSync()), w0[i]));
    assert.strictEqual(MaskedModel.existing(other)?.masks().size ?? 0, 0);
    [net, twin, other].forEach((n) => n.dispose());
  });

  it('exports the stripped model in tfjs format and loads it back', async () => {
    const net = cnn(17);
    const m = prune(net, { sparsity: 0.7, scope: 'global' });
    const out = path.join(dir, 'model');
    await m.exportModel(out);
    assert.ok(fs.existsSync(path.join(out, 'model.json')) && fs.existsSync(path.join(out, 'weights.bin')));
    const back = await loadModelFromDir(out);
    const a = net.getWeights(), b = back.getWeights();
    a.forEach((t, i) => assert.deepStrictEqual(Array.from(b[i].dataSync()), Array.from(t.dataSync())));
    const x = tf.randomUniform([2, 6, 6, 3], -1, 1, 'float32', 5);
    const ya = net.predict(x) as tf.Tensor, yb = back.predict(x) as tf.Tensor;
    assert.ok(maxAbsDiff(ya.dataSync(), yb.dataSync()) < 1e-6);
    tf.dispose([x, ya, yb]);
    back.dispose();
    m.strip().dispose();
  });
});

describe('prune: weight names see through tfjs uniquifying suffixes', () => {
  it('a second model built in the same process answers to its layers\' plain names', () => {
    const { createModel } = require('../../src/models') as typeof import('../../src/models');
    const first = createModel('lenet-300-100', { seed: 0 });
    const second = createModel('lenet-300-100', { seed: 0 });
    try {
      const masked = MaskedModel.of(second);
      const real = masked.prunableWeights().map((w) => w.name);
      assert.ok(real.some((n) => /_\d+$/.test(n)), `tfjs suffixed the second model's names: ${real.join(', ')}`);
      const fc2 = masked.prunable('fc2/kernel');
      assert.equal(fc2.name, real[1]);
      masked.edit((e) => e.setMask('fc2/kernel', tf.zeros(fc2.shape)));
      assert.equal(masked.mask(fc2.name)!.sum().dataSync()[0], 0, 'the mask landed on the real weight');
      assert.throws(() => masked.prunable('fc9/kernel'), /'fc9\/kernel' is not a prunable weight .*Prunable weights: fc1\/kernel/);
    } finally {
      first.dispose();
      second.dispose();
    }
  });
});
