// Closed forms, finite differences and distributions of the regularization methods' pieces:
// LTP's soft mask, the hard-concrete gate and its expected L0, the variational-dropout KL and the
// local reparameterisation, the proximal L1 step.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  clipAtZero, hardConcreteMoments, hardConcreteSample, HARD_CONCRETE, klApprox, klByIntegration, l1Norm, localReparam,
  ltpSoftMask, probNonZero, proxGroupL1, proxL1, testTimeGate,
} from '../../../../src/prune';

/** Central finite difference of a scalar function of one number (float64 arithmetic around a float32 op). */
function fd(f: (x: number) => number, x: number, h = 1e-3): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}
const scalarOf = (t: () => tf.Tensor) => tf.tidy(() => t().dataSync()[0]);

describe('regularization: reference checks', () => {
  describe('LTP soft mask v = w·σ((w² − τ)/T)', () => {
    const cases = [[0.3, 0.05, 0.02], [-0.2, 0.05, 0.02], [0.5, 0.2, 0.1], [-0.05, 0.001, 0.01]];
    it('autodiff gradients = the closed forms ∂v/∂w = m + (2w²/T)m(1−m), ∂v/∂τ = −(w/T)m(1−m), and agree with finite differences', () => {
      for (const [w, tau, T] of cases) {
        const v = (wv: number, tv: number) => scalarOf(() => tf.mul(wv, ltpSoftMask(tf.scalar(wv), tv, T)));
        const [gw, gt] = tf.tidy(() => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.mul(a, ltpSoftMask(a, b, T)));
          return g([tf.scalar(w), tf.scalar(tau)]).map((t) => t.dataSync()[0]);
        });
        const m = 1 / (1 + Math.exp(-(w * w - tau) / T));
        assert.ok(Math.abs(gw - (m + (2 * w * w / T) * m * (1 - m))) < 1e-5, `∂v/∂w at ${w},${tau},${T}: ${gw}`);
        assert.ok(Math.abs(gt - (-(w / T) * m * (1 - m))) < 1e-5, `∂v/∂τ: ${gt}`);
        assert.ok(Math.abs(gw - fd((x) => v(x, tau), w, 1e-3)) < 2e-3 * Math.max(1, Math.abs(gw)), `FD ∂v/∂w: ${gw}`);
        assert.ok(Math.abs(gt - fd((x) => v(w, x), tau, 1e-4)) < 2e-2 * Math.max(1, Math.abs(gt)), `FD ∂v/∂τ: ${gt}`);
      }
    });
  });

  describe('hard-concrete gates (β = 2/3, γ = −0.1, ζ = 1.1)', () => {
    it('10⁵ samples: P(z = 0), P(z = 1) and E[z] match the closed forms at several log α (within 4 standard errors)', () => {
      const n = 100_000;
      for (const la of [-2, 0, 1.5, 3]) {
        const z = tf.tidy(() => hardConcreteSample(tf.fill([n], la), tf.randomUniform([n], 0, 1, 'float32', 7 + la)).dataSync());
        let zeros = 0, ones = 0, sum = 0;
        for (const v of z) {
          if (v === 0) zeros++;
          if (v === 1) ones++;
          sum += v;
        }
        const want = hardConcreteMoments(la);
        const se = (p: number) => 4 * Math.sqrt(p * (1 - p) / n) + 1e-4;
        assert.ok(Math.abs(zeros / n - want.p0) < se(want.p0), `log α ${la}: P(z=0) ${zeros / n} vs ${want.p0}`);
        assert.ok(Math.abs(ones / n - want.p1) < se(want.p1), `log α ${la}: P(z=1) ${ones / n} vs ${want.p1}`);
        assert.ok(Math.abs(sum / n - want.mean) < 4 * 0.5 / Math.sqrt(n), `log α ${la}: E[z] ${sum / n} vs ${want.mean}`);
        // the expected L0 used by the penalty is 1 − P(z = 0)
        assert.ok(Math.abs(scalarOf(() => probNonZero(tf.scalar(la))) - (1 - want.p0)) < 1e-6);
      }
    });

    it('the test-time gate is min(1, max(0, σ(log α)(ζ−γ)+γ)): 0 below log α = −log 11, 1 above log 11', () => {
      const at = (la: number) => scalarOf(() => testTimeGate(tf.scalar(la)));
      assert.strictEqual(at(-Math.log(11) - 1e-3), 0);
      assert.strictEqual(at(Math.log(11) + 1e-3), 1);
      assert.ok(Math.abs(at(0) - 0.5) < 1e-7);
    });

    it('gradients of a sample (fixed noise) and of the expected L0 in log α agree with finite differences', () => {
      for (const [la, u] of [[0.3, 0.4], [-0.5, 0.7], [1, 0.2]]) {
        const sample = (x: number) => scalarOf(() => hardConcreteSample(tf.scalar(x), tf.scalar(u)));
        const g = scalarOf(() => tf.grad((a: tf.Tensor) => hardConcreteSample(a, tf.scalar(u)))(tf.scalar(la)));
        assert.ok(sample(la) > 0 && sample(la) < 1, 'inside the unclipped range');
        assert.ok(Math.abs(g - fd(sample, la)) < 2e-3, `∂z/∂log α at ${la}: ${g} vs ${fd(sample, la)}`);
        const p = (x: number) => scalarOf(() => probNonZero(tf.scalar(x)));
        const gp = scalarOf(() => tf.grad((a: tf.Tensor) => probNonZero(a))(tf.scalar(la)));
        assert.ok(Math.abs(gp - fd(p, la)) < 1e-3);
      }
      assert.strictEqual(HARD_CONCRETE.beta, 2 / 3);
    });
  });

  describe('sparse variational dropout', () => {
    it('the KL approximation (k1 = 0.63576, k2 = 1.87320, k3 = 1.48695) is within 0.01 of the KL by numeric integration for log α ∈ [−8, 8]', () => {
      for (const la of [-8, -6, -4, -2, -1, 0, 1, 2, 3, 4, 6, 8]) {
        const approx = scalarOf(() => klApprox(tf.scalar(la)));
        const exact = klByIntegration(la);
        assert.ok(Math.abs(approx - exact) < 0.01, `log α ${la}: approx ${approx}, integral ${exact}`);
      }
      // the limits: KL → 0 as α → ∞ and ≈ −½ log α + const as α → 0
      assert.ok(scalarOf(() => klApprox(tf.scalar(20))) < 1e-6);
    });

    it('the KL gradient in log α agrees with finite differences', () => {
      for (const la of [-3, 0, 2.5]) {
        const f = (x: number) => scalarOf(() => klApprox(tf.scalar(x)));
        const g = scalarOf(() => tf.grad((a: tf.Tensor) => klApprox(a))(tf.scalar(la)));
        assert.ok(Math.abs(g - fd(f, la)) < 2e-3, `log α ${la}: ${g} vs ${fd(f, la)}`);
      }
    });

    it('local reparameterisation: b = xθ + √(x²σ² + 1e-8)·ε by hand, and its gradients in θ and σ² agree with finite differences', () => {
      const x = [[0.5, -1, 2]], theta = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]], s2 = [[0.01, 0.04], [0.09, 0.01], [0.02, 0.03]], eps = [[0.7, -1.3]];
      const linear = (a: tf.Tensor, k: tf.Tensor) => tf.matMul(a, k);
      const out = tf.tidy(() => localReparam(linear, tf.tensor(x), tf.tensor(theta), tf.tensor(s2), () => tf.tensor(eps)).arraySync() as number[][]);
      for (let j = 0; j < 2; j++) {
        let mu = 0, v = 0;
        for (let i = 0; i < 3; i++) {
          mu += x[0][i] * theta[i][j];
          v += x[0][i] ** 2 * s2[i][j];
        }
        assert.ok(Math.abs(out[0][j] - (mu + Math.sqrt(v + 1e-8) * eps[0][j])) < 1e-6);
      }
      const f = (t: number[][], s: number[][]) => scalarOf(() => tf.sum(localReparam(linear, tf.tensor(x), tf.tensor(t), tf.tensor(s), () => tf.tensor(eps))));
      const [gt, gs] = tf.tidy(() => tf.grads((t: tf.Tensor, s: tf.Tensor) => tf.sum(localReparam(linear, tf.tensor(x), t, s, () => tf.tensor(eps))))([tf.tensor(theta), tf.tensor(s2)]).map((g) => g.arraySync() as number[][]));
      const bump = (m: number[][], i: number, j: number, h: number) => m.map((r, a) => r.map((c, b) => (a === i && b === j ? c + h : c)));
      for (const [i, j] of [[0, 0], [2, 1]]) {
        const h = 1e-3;
        assert.ok(Math.abs(gt[i][j] - (f(bump(theta, i, j, h), s2) - f(bump(theta, i, j, -h), s2)) / (2 * h)) < 2e-3);
        assert.ok(Math.abs(gs[i][j] - (f(theta, bump(s2, i, j, h)) - f(theta, bump(s2, i, j, -h))) / (2 * h)) < 2e-2 * Math.max(1, Math.abs(gs[i][j])));
      }
    });
  });

  describe('proximal L1', () => {
    it('proxL1 is the soft threshold sign(w)·max(|w| − t, 0) and the group prox scales a unit by max(0, 1 − t/‖w_g‖)', () => {
      const w = [1.5, -0.2, 0.05, -3, 0];
      const got = tf.tidy(() => Array.from(proxL1(tf.tensor(w), 0.3).dataSync()));
      got.forEach((v, i) => assert.ok(Math.abs(v - Math.sign(w[i]) * Math.max(Math.abs(w[i]) - 0.3, 0)) < 1e-7));
      assert.ok(got[1] === 0 && got[2] === 0, 'exact zeros (±0)');
      // [in=2, out=2]: unit 0 has norm 5 (scaled by 1 − 1/5), unit 1 has norm 0.5 (zeroed at t = 1)
      const g = tf.tidy(() => Array.from(proxGroupL1(tf.tensor([[3, 0.3], [4, 0.4]]), 1).dataSync()));
      [3 * 0.8, 0, 4 * 0.8, 0].forEach((v, i) => assert.ok(Math.abs(g[i] - v) < 1e-6, `${g}`));
    });

    it('proximal gradient descent on ½(w − a)² + λ|w| reaches the closed-form minimiser soft(a, λ) exactly, zeros included; plain subgradient steps do not land on 0', () => {
      const a = tf.tensor([2, 0.3, -0.1, -1.5]);
      const lambda = 0.5, lr = 0.1;
      const w = tf.variable(tf.zeros([4]));
      const sub = tf.variable(tf.ones([4]));
      for (let i = 0; i < 300; i++) {
        tf.tidy(() => {
          w.assign(proxL1(tf.sub(w, tf.mul(lr, tf.sub(w, a))), lr * lambda));
          const g = tf.grad((x: tf.Tensor) => tf.add(tf.mul(0.5, tf.sum(tf.square(tf.sub(x, a)))), tf.mul(lambda, l1Norm(x))))(sub);
          sub.assign(tf.sub(sub, tf.mul(lr, g)));
        });
      }
      const want = [1.5, 0, 0, -1];
      Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `prox ${v} vs ${want[i]}`));
      assert.deepStrictEqual(Array.from(w.dataSync()).map((v) => v === 0), [false, true, true, false]);
      const s = Array.from(sub.dataSync());
      assert.ok(s[1] !== 0 && s[2] !== 0, `subgradient steps hover around 0 instead: ${s}`);
      // clip-at-zero sets the weights that changed sign to 0
      const c = tf.tidy(() => Array.from(clipAtZero(tf.tensor([0.1, -0.2, 0.3]), tf.tensor([-0.05, -0.1, 0.2])).dataSync()));
      assert.deepStrictEqual(c.map((v) => Math.round(v * 100) / 100), [0, -0.1, 0.2]);
      tf.dispose([a, w, sub]);
    });
  });
});
