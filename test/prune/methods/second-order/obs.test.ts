// OBS on problems whose constrained quadratic has a closed-form answer.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MaskedModel, prune } from '../../../../src/prune';
import type { PruneLoss } from '../../../../src/prune/context';
import { uid, values } from '../../helpers';

const W_STAR = [0.9, -0.35, 0.6];
const B = 8;

/** y = X w* exactly, so the mean squared error is a quadratic with minimum 0 at w*: H = 2XᵀX/B. */
function quadratic(): { model: tf.Sequential; kernel: string; xs: tf.Tensor2D; ys: tf.Tensor2D; h: number[][] } {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, useBias: false, inputShape: [3], name: uid('obsq') })] });
  const w = tf.tensor2d(W_STAR, [3, 1]);
  model.layers[0].weights[0].write(w);
  w.dispose();
  // correlated inputs, so compensation matters
  const raw = values(B * 3, 17);
  const x = Array.from({ length: B }, (_, n) => [raw[3 * n], raw[3 * n] * 0.8 + raw[3 * n + 1] * 0.3, raw[3 * n + 2] - 0.5 * raw[3 * n]]);
  const xf = x.map((r) => r.map((v) => Math.fround(v)));
  const y = xf.map((r) => r.reduce((s, v, i) => s + v * W_STAR[i], 0));
  const h = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (2 / B) * xf.reduce((s, r) => s + r[i] * r[j], 0)));
  return { model, kernel: (model.layers[0].weights[0].read() as tf.Variable).name, xs: tf.tensor2d(xf), ys: tf.tensor2d(y, [B, 1]), h };
}
const mse: PruneLoss = (y, p) => tf.mean(tf.square(tf.sub(y, p))) as tf.Scalar;

function inv3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/** argmin over w_r of the quadratic with w_Q = 0: w_r = w*_r + H_rr⁻¹ H_rQ w*_Q (rest r has 1 or 2 entries). */
function constrainedMinimum(h: number[][], q: number[]): number[] {
  const r = [0, 1, 2].filter((i) => !q.includes(i));
  const rhs = r.map((i) => q.reduce((s, j) => s + h[i][j] * W_STAR[j], 0));
  let sol: number[];
  if (r.length === 1) sol = [rhs[0] / h[r[0]][r[0]]];
  else {
    const [[a, b], [c, d]] = [[h[r[0]][r[0]], h[r[0]][r[1]]], [h[r[1]][r[0]], h[r[1]][r[1]]]];
    const det = a * d - b * c;
    sol = [(d * rhs[0] - b * rhs[1]) / det, (a * rhs[1] - c * rhs[0]) / det];
  }
  const w = [0, 0, 0];
  r.forEach((i, k) => (w[i] = W_STAR[i] + sol[k]));
  return w;
}

function lossAt(h: number[][], w: number[]): number {
  const d = w.map((v, i) => v - W_STAR[i]);
  return 0.5 * d.reduce((s, di, i) => s + di * d.reduce((t, dj, j) => t + h[i][j] * dj, 0), 0);
}

describe('OBS (exact) against the closed-form constrained quadratic', () => {
  it('removes argmin w²/(2[H⁻¹]qq), moves the others to the constrained minimum, and predicts the loss increase exactly', () => {
    const { model, kernel, xs, ys, h } = quadratic();
    const hi = inv3(h);
    const sal = W_STAR.map((w, q) => (w * w) / (2 * hi[q][q]));
    const q = sal.indexOf(Math.min(...sal));
    const expected = constrainedMinimum(h, [q]);
    prune(model, { method: 'obs', methodOptions: { hessian: 'exact', hessianDamping: 0 }, sparsity: 1 / 3, data: { xs, ys }, loss: mse });
    const got = Array.from(model.layers[0].weights[0].read().dataSync());
    assert.strictEqual(got[q], 0);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `w[${i}] = ${v}, closed form ${expected[i]}`));
    assert.deepStrictEqual(Array.from(MaskedModel.of(model).mask(kernel)!.dataSync()), [0, 1, 2].map((i) => (i === q ? 0 : 1)));
    const rec = MaskedModel.of(model).history.find((r) => r.method === 'obs-removals')!;
    const predicted = rec.details.predictedLossIncrease as number;
    assert.ok(Math.abs(predicted - sal[q]) < 1e-4 * sal[q], `predicted ${predicted}, closed form ${sal[q]}`);
    assert.ok(Math.abs(predicted - lossAt(h, expected)) < 1e-4 * sal[q]);
    // without compensation the same removal costs more (what compensation buys)
    const plain = W_STAR.map((w, i) => (i === q ? 0 : w));
    assert.ok(lossAt(h, plain) > lossAt(h, expected) * 1.01);
    model.dispose();
    xs.dispose();
    ys.dispose();
  });

  it('a block of two with the exact joint update lands on the constrained minimum of both', () => {
    const { model, xs, ys, h } = quadratic();
    const hi = inv3(h);
    const sal = W_STAR.map((w, q) => (w * w) / (2 * hi[q][q]));
    const qs = [0, 1, 2].sort((a, b) => sal[a] - sal[b]).slice(0, 2).sort();
    const expected = constrainedMinimum(h, qs);
    prune(model, { method: 'obs', methodOptions: { hessian: 'exact', hessianDamping: 0, weightsPerStep: 2 }, sparsity: 2 / 3, data: { xs, ys }, loss: mse });
    const got = Array.from(model.layers[0].weights[0].read().dataSync());
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `w[${i}] = ${v}, closed form ${expected[i]}`));
    const rec = MaskedModel.of(model).history.find((r) => r.method === 'obs-removals')!;
    assert.strictEqual(rec.details.steps, 1);
    assert.ok(Math.abs((rec.details.predictedLossIncrease as number) - lossAt(h, expected)) < 1e-4 * lossAt(h, expected));
    model.dispose();
    xs.dispose();
    ys.dispose();
  });

  it('sequential removal of two re-chooses after the first update; its summed predictions equal the final loss', () => {
    const { model, xs, ys, h } = quadratic();
    prune(model, { method: 'obs', methodOptions: { hessian: 'exact', hessianDamping: 0 }, sparsity: 2 / 3, data: { xs, ys }, loss: mse });
    const got = Array.from(model.layers[0].weights[0].read().dataSync());
    const removed = [0, 1, 2].filter((i) => got[i] === 0);
    assert.strictEqual(removed.length, 2);
    const expected = constrainedMinimum(h, removed);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4));
    const rec = MaskedModel.of(model).history.find((r) => r.method === 'obs-removals')!;
    assert.strictEqual(rec.details.steps, 2);
    assert.ok(Math.abs((rec.details.predictedLossIncrease as number) - lossAt(h, expected)) < 1e-4 * lossAt(h, expected));
    model.dispose();
    xs.dispose();
    ys.dispose();
  });
});
