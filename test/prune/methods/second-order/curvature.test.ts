// Hessians of tiny nets by finite differences vs ours: exact H, its diagonal, the Gauss–Newton
// diagonal, the empirical Fisher diagonal (batched rank-one path and the per-example loop).
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createContext, defaultPruneLoss, type PruneLoss } from '../../../../src/prune/context';
import { exactDiagonal, exactHessian, fisherDiagonal, gaussNewtonDiagonal, hutchinsonDiagonal, perExampleGradients } from '../../../../src/prune/hessian/curvature';
import { selectTargets } from '../../../../src/prune/targets';
import { cnn, fillWeights, uid, values } from '../../helpers';
import { relDiff } from './fixture';

/** in → hidden (tanh) → out: smooth, so finite differences are clean. */
function tanhNet(sizes: number[], seed: number): tf.Sequential {
  const p = uid('tanh');
  const m = tf.sequential();
  for (let i = 1; i < sizes.length; i++) {
    m.add(tf.layers.dense({ units: sizes[i], name: `${p}_d${i}`, activation: i === sizes.length - 1 ? 'linear' : 'tanh', ...(i === 1 ? { inputShape: [sizes[0]] } : {}) }));
  }
  fillWeights(m, seed);
  return m;
}

function batchFor(inputs: number, classes: number, n: number, seed: number): { xs: tf.Tensor; ys: tf.Tensor } {
  const labels = Array.from(values(n, seed + 1), (v) => Math.floor(((v + 1) / 2) * classes) % classes);
  return { xs: tf.tensor2d(values(n * inputs, seed), [n, inputs]), ys: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() };
}

/** Gradient of the mean loss wrt all kernels, flat float64. */
function flatGrad(model: tf.LayersModel, loss: PruneLoss, xs: tf.Tensor, ys: tf.Tensor): Float64Array {
  const ks = selectTargets(model).map((t) => t.variable.read() as tf.Variable);
  const g = tf.tidy(() => tf.grads(() => loss(ys, model.apply(xs) as tf.Tensor))(ks).map((x) => x.dataSync()));
  return Float64Array.from(g.flatMap((a) => Array.from(a)));
}

/** Central differences of gradients, one kernel entry at a time (float32 model: ε = 1e-2). */
function fdHessian(model: tf.LayersModel, loss: PruneLoss, xs: tf.Tensor, ys: tf.Tensor): Float64Array {
  const targets = selectTargets(model);
  const p = targets.reduce((a, t) => a + t.size, 0);
  const h = new Float64Array(p * p);
  const eps = 1e-2;
  let col = 0;
  for (const t of targets) {
    const base = Float32Array.from(t.variable.read().dataSync());
    for (let k = 0; k < t.size; k++) {
      const at = (d: number) => {
        const w = base.slice();
        w[k] += d;
        const tw = tf.tensor(w, t.shape);
        t.variable.write(tw);
        tw.dispose();
        return flatGrad(model, loss, xs, ys);
      };
      const gp = at(eps), gm = at(-eps);
      for (let i = 0; i < p; i++) h[i * p + col] = (gp[i] - gm[i]) / (2 * eps);
      col++;
    }
    const tb = tf.tensor(base, t.shape);
    t.variable.write(tb);
    tb.dispose();
  }
  return h;
}

/** The exact Gauss–Newton diagonal (1/N) Σ_n diag(J_nᵀ H_out,n J_n), J by finite differences of the outputs. */
function fdGaussNewtonDiagonal(model: tf.LayersModel, xs: tf.Tensor, outCurv: (z: Float32Array, n: number, k: number) => number[][]): Float64Array {
  const targets = selectTargets(model);
  const n = xs.shape[0];
  const out = (): Float32Array => tf.tidy(() => (model.apply(xs) as tf.Tensor).dataSync() as Float32Array);
  const z0 = out();
  const k = z0.length / n;
  const diag: number[] = [];
  const eps = 1e-2;
  for (const t of targets) {
    const base = Float32Array.from(t.variable.read().dataSync());
    for (let e = 0; e < t.size; e++) {
      const at = (d: number) => {
        const w = base.slice();
        w[e] += d;
        const tw = tf.tensor(w, t.shape);
        t.variable.write(tw);
        tw.dispose();
        return out();
      };
      const zp = at(eps), zm = at(-eps);
      let s = 0;
      for (let b = 0; b < n; b++) {
        const j = Array.from({ length: k }, (_, c) => (zp[b * k + c] - zm[b * k + c]) / (2 * eps));
        const hOut = outCurv(z0, b, k);
        for (let a = 0; a < k; a++) for (let c = 0; c < k; c++) s += j[a] * hOut[a][c] * j[c];
      }
      diag.push(s / n);
    }
    const tb = tf.tensor(base, t.shape);
    t.variable.write(tb);
    tb.dispose();
  }
  return Float64Array.from(diag);
}

const softmaxCurvature = (z: Float32Array, b: number, k: number): number[][] => {
  const row = Array.from(z.subarray(b * k, b * k + k));
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  const p = e.map((v) => v / s);
  return p.map((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj));
};

describe('Hessians of tiny MLPs: ours vs finite differences', () => {
  it('exact Hessian (Hessian-vector products) and its diagonal match central differences of gradients', () => {
    const model = tanhNet([3, 4, 2], 3);
    const { xs, ys } = batchFor(3, 2, 6, 5);
    const loss = defaultPruneLoss(model);
    const targets = selectTargets(model);
    const ctx = createContext(model, targets, { data: { xs, ys } });
    const before = tf.memory().numTensors;
    const h = exactHessian(ctx);
    const d = exactDiagonal(ctx);
    const fd = fdHessian(model, loss, xs, ys);
    const p = Math.sqrt(fd.length);
    assert.ok(relDiff(h, fd) < 2e-3, `H vs FD: ${relDiff(h, fd)}`);
    const diag = [...d.values()].flatMap((t) => Array.from(t.dataSync()));
    assert.ok(relDiff(diag, Array.from({ length: p }, (_, i) => fd[i * p + i])) < 2e-3);
    for (const t of d.values()) t.dispose();
    assert.strictEqual(tf.memory().numTensors, before, 'no tensors left behind');
    ctx.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it('Hutchinson estimate approaches the exact diagonal and is reproducible from the seed', () => {
    const model = tanhNet([3, 4, 2], 5);
    const { xs, ys } = batchFor(3, 2, 6, 7);
    const targets = selectTargets(model);
    const flat = (m: Map<string, tf.Tensor>) => {
      const out = [...m.values()].flatMap((t) => Array.from(t.dataSync()));
      for (const t of m.values()) t.dispose();
      return out;
    };
    const ctx = createContext(model, targets, { data: { xs, ys }, seed: 3 });
    const exact = flat(exactDiagonal(ctx));
    const est = flat(hutchinsonDiagonal(ctx, 300));
    assert.ok(relDiff(est, exact) < 0.25, `Hutchinson (300 samples) vs exact: ${relDiff(est, exact)}`);
    const again = createContext(model, targets, { data: { xs, ys }, seed: 3 });
    assert.deepStrictEqual(flat(hutchinsonDiagonal(again, 5)), flat(hutchinsonDiagonal(ctx, 5)));
    ctx.dispose();
    again.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it('Gauss–Newton diagonal: the last layer equals the exact GN diagonal (softmax CE); a one-output MSE net equals it everywhere', () => {
    const model = tanhNet([3, 4, 2], 7);
    const { xs, ys } = batchFor(3, 2, 6, 9);
    const targets = selectTargets(model);
    const ctx = createContext(model, targets, { data: { xs, ys } });
    const gn = gaussNewtonDiagonal(ctx);
    const exact = fdGaussNewtonDiagonal(model, xs, softmaxCurvature);
    const last = targets[1];
    const got = gn.get(last.name)!.dataSync();
    assert.ok(relDiff(got, exact.subarray(targets[0].size)) < 2e-3, `last layer ${relDiff(got, exact.subarray(targets[0].size))}`);
    for (const t of gn.values()) t.dispose();
    ctx.dispose();
    model.dispose();

    // one output, squared error (∂²ℓ/∂z² = 2): one path from each hidden weight to the output,
    // so dropping off-diagonal terms loses nothing
    const reg = tanhNet([3, 4, 1], 11);
    const yr = tf.tensor2d(values(6, 13), [6, 1]);
    const mse: PruneLoss = (y, p) => tf.mean(tf.square(tf.sub(y, p))) as tf.Scalar;
    const rctx = createContext(reg, selectTargets(reg), { data: { xs, ys: yr }, loss: mse });
    const rgn = gaussNewtonDiagonal(rctx);
    const rexact = fdGaussNewtonDiagonal(reg, xs, () => [[2]]);
    const all = [...rgn.values()].flatMap((t) => Array.from(t.dataSync()));
    assert.ok(relDiff(all, rexact) < 2e-3, `MSE net ${relDiff(all, rexact)}`);
    for (const t of rgn.values()) t.dispose();
    rctx.dispose();
    reg.dispose();
    tf.dispose([xs, ys, yr]);
  });

  it('empirical Fisher diagonal: batched rank-one path (Dense) and per-example loop (CNN) equal mean g² of single-example gradients', () => {
    for (const model of [tanhNet([5, 6, 3], 2) as tf.LayersModel, cnn(4)]) {
      const inputs = model.inputs[0].shape.slice(1) as number[];
      const size = inputs.reduce((a, b) => a * b, 1);
      const classes = (model.outputs[0].shape[1]) as number;
      const n = 5;
      const xs = tf.tensor(values(n * size, 21), [n, ...inputs]);
      const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), classes).toFloat();
      const targets = selectTargets(model);
      const ctx = createContext(model, targets, { data: [{ xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, { xs: xs.slice(2), ys: ys.slice(2) }] });
      const fisher = fisherDiagonal(ctx);
      const pe = perExampleGradients(ctx);
      assert.strictEqual(pe.byTarget.get(targets[targets.length - 1].name)!.kind, model instanceof tf.Sequential && model.layers[0].getClassName() === 'Dense' ? 'rank-one' : 'full');
      const loss = defaultPruneLoss(model);
      const ref = targets.map((t) => new Float64Array(t.size));
      for (let e = 0; e < n; e++) {
        const g = tf.tidy(() => tf.grads(() => loss(ys.slice(e, 1), model.apply(xs.slice(e, 1)) as tf.Tensor))(targets.map((t) => t.variable.read() as tf.Variable)).map((x) => x.dataSync()));
        g.forEach((gi, i) => gi.forEach((v, k) => (ref[i][k] += (v * v) / n)));
      }
      targets.forEach((t, i) => assert.ok(relDiff(fisher.get(t.name)!.dataSync(), ref[i]) < 1e-4, `${model.name} ${t.name}: ${relDiff(fisher.get(t.name)!.dataSync(), ref[i])}`));
      for (const t of fisher.values()) t.dispose();
      ctx.dispose();
      tf.dispose([xs, ys]);
      model.dispose();
    }
  });
});
