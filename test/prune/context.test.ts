// The criterion context's accessors, checked against finite differences and manual forward passes.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createContext, criterionNames, getCriterion, prunableWeights, prune, registerCriterion, unregisterCriterion, type PruneBatch } from '../../src/prune';
import { keepAllButLowest } from '../../src/sparse';
import { cnn, mlp, values } from './helpers';

function batchFor(model: tf.LayersModel, n: number, classes: number, seed: number): PruneBatch {
  const shape = (model.inputs[0].shape.slice(1) as number[]);
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    xs: tf.tensor(values(n * size, seed), [n, ...shape]),
    ys: tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes), 'int32'), classes).toFloat(),
  };
}

function lossAt(model: tf.LayersModel, data: PruneBatch[]): number {
  const targets = prunableWeights(model);
  const ctx = createContext(model, targets, { data });
  const l = ctx.loss();
  ctx.dispose();
  return l;
}

/** Runs fn with the target weights shifted by eps·v, restoring them afterwards. */
function shifted<T>(model: tf.LayersModel, v: Map<string, tf.Tensor>, eps: number, fn: () => T): T {
  const targets = prunableWeights(model);
  const saved = targets.map((t) => t.variable.read().clone());
  try {
    targets.forEach((t, i) => {
      const w = tf.tidy(() => tf.add(saved[i], tf.mul(v.get(t.name)!, eps)));
      t.variable.write(w);
      w.dispose();
    });
    return fn();
  } finally {
    targets.forEach((t, i) => t.variable.write(saved[i]));
    saved.forEach((s) => s.dispose());
  }
}

function dot(a: Map<string, tf.Tensor>, b: ReadonlyMap<string, tf.Tensor>): number {
  let s = 0;
  for (const [k, x] of a) s += tf.tidy(() => tf.sum(tf.mul(x, b.get(k)!)).dataSync()[0]);
  return s;
}

function direction(model: tf.LayersModel, seed: number): Map<string, tf.Tensor> {
  return new Map(prunableWeights(model).map((t, i) => [t.name, tf.tensor(values(t.size, seed + i), t.shape)]));
}

describe('prune: criterion context', () => {
  const model = mlp([5, 6, 3], 3, 'softmax');
  // tanh would be smoother, but relu networks are what users prune; keep inputs away from kinks by FD size
  const data = [batchFor(model, 6, 3, 1), batchFor(model, 4, 3, 2)];

  after(() => {
    model.dispose();
    data.forEach((b) => { b.xs.dispose(); b.ys.dispose(); });
  });

  it('gradients match central finite differences of the loss (batch-size-weighted mean over batches)', () => {
    const ctx = createContext(model, prunableWeights(model), { data });
    const g = ctx.gradients();
    for (let seed = 10; seed < 13; seed++) {
      const v = direction(model, seed);
      const eps = 1e-3;
      const fd = (shifted(model, v, eps, () => lossAt(model, data)) - shifted(model, v, -eps, () => lossAt(model, data))) / (2 * eps);
      const an = dot(v, g);
      assert.ok(Math.abs(fd - an) <= 2e-3 * Math.max(1, Math.abs(an)), `directional derivative: fd ${fd} vs grad ${an}`);
      v.forEach((t) => t.dispose());
    }
    ctx.dispose();
  });

  it('Hessian-vector products (exact double backprop) match finite differences of gradients, and are symmetric', () => {
    const ctx = createContext(model, prunableWeights(model), { data, hvp: 'exact' });
    const v = direction(model, 20);
    const u = direction(model, 30);
    const hv = ctx.hvp(v);
    const hu = ctx.hvp(u);
    const eps = 1e-2;
    const gradAt = (s: number) => shifted(model, v, s, () => {
      const c = createContext(model, prunableWeights(model), { data });
      const out = new Map([...c.gradients()].map(([k, t]) => [k, t.clone()]));
      c.dispose();
      return out;
    });
    const gp = gradAt(eps), gm = gradAt(-eps);
    for (const [k, h] of hv) {
      const fd = tf.tidy(() => tf.div(tf.sub(gp.get(k)!, gm.get(k)!), 2 * eps));
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(fd, h))).dataSync()[0]);
      const scale = tf.tidy(() => tf.max(tf.abs(h)).dataSync()[0]);
      assert.ok(err <= 2e-2 * Math.max(scale, 1e-3), `${k}: |Hv − FD| = ${err}, |Hv| = ${scale}`);
      fd.dispose();
    }
    const a = dot(u, hv), b = dot(v, hu);
    assert.ok(Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a)), `uᵀHv ${a} vs vᵀHu ${b}`);
    [v, u, gp, gm].forEach((m) => m.forEach((t) => t.dispose()));
    ctx.dispose();
  });

  it('falls back to finite differences of gradients where double backprop is unsupported (Conv2D)', () => {
    const net = cnn(4);
    const batch = batchFor(net, 3, 12, 5);
    const ctx = createContext(net, prunableWeights(net), { data: [batch] });
    const v = direction(net, 40);
    const hv = ctx.hvp(v); // auto: exact fails (no gradient for Conv2DBackpropFilter), FD used
    const fdCtx = createContext(net, prunableWeights(net), { data: [batch], hvp: 'finite-difference' });
    const hv2 = fdCtx.hvp(v);
    for (const [k, h] of hv) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(h, hv2.get(k)!))).dataSync()[0]);
      assert.ok(d < 1e-5 + 1e-3 * tf.tidy(() => tf.max(tf.abs(h)).dataSync()[0]), `${k}: ${d}`);
    }
    // weights restored exactly after the FD evaluations
    const before = net.getWeights().map((w) => Array.from(w.dataSync()));
    fdCtx.hvp(v);
    net.getWeights().forEach((w, i) => assert.deepStrictEqual(Array.from(w.dataSync()), before[i]));
    v.forEach((t) => t.dispose());
    ctx.dispose();
    fdCtx.dispose();
    batch.xs.dispose();
    batch.ys.dispose();
    net.dispose();
  });

  it('captured layer inputs/outputs equal a manual forward pass', () => {
    const ctx = createContext(model, prunableWeights(model), { data });
    const [l1, l2] = model.layers;
    const cap = ctx.capture([l1.name, l2.name]);
    const x = tf.concat(data.map((b) => b.xs), 0);
    const [w1, b1, w2, b2] = model.getWeights();
    const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
    const y = tf.softmax(tf.add(tf.matMul(h, w2), b2));
    const d = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    assert.ok(d(cap.get(l1.name)!.inputs[0], x) === 0);
    assert.ok(d(cap.get(l1.name)!.output, h) < 1e-6);
    assert.ok(d(cap.get(l2.name)!.inputs[0], h) < 1e-6);
    assert.ok(d(cap.get(l2.name)!.output, y) < 1e-6);
    assert.throws(() => ctx.capture(['nope']), /has no layer 'nope'/);
    tf.dispose([x, h, y]);
    ctx.dispose();
  });

  it('a data-free context explains that the criterion needs data', () => {
    const ctx = createContext(model, prunableWeights(model));
    assert.throws(() => ctx.gradients(), /needs data: pass `data/);
    ctx.dispose();
  });

  it('a new criterion registered in a few lines plugs into prune (|w·∇L|, SNIP-like)', () => {
    registerCriterion('test-weight-times-grad', (ctx) =>
      new Map(ctx.targets.map((t) => [t.name, tf.abs(tf.mul(ctx.weights().get(t.name)!, ctx.gradients().get(t.name)!))])),
    );
    try {
      assert.ok(criterionNames().includes('test-weight-times-grad'));
      const net = mlp([5, 6, 3], 7, 'softmax');
      const targets = prunableWeights(net);
      const ctx = createContext(net, targets, { data });
      const expected = targets.map((t) => tf.tidy(() => tf.abs(tf.mul(t.variable.read(), ctx.gradients().get(t.name)!)).dataSync() as Float32Array));
      ctx.dispose();
      const before = tf.memory().numTensors;
      const m = prune(net, { criterion: 'test-weight-times-grad', sparsity: 0.5, data });
      targets.forEach((t, i) => {
        const keep = keepAllButLowest(expected[i], Math.round(0.5 * t.size));
        assert.deepStrictEqual(Array.from(m.mask(t.name)!.dataSync()), Array.from(keep));
      });
      m.undo();
      assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked by prune + undo');
      assert.throws(() => getCriterion('magnitud'), /Unknown criterion 'magnitud'. Known criteria: .*magnitude.*random/);
      net.dispose();
    } finally {
      unregisterCriterion('test-weight-times-grad');
    }
  });
});
