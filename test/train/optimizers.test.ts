import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { Adam, createOptimizer, listOptimizers, Momentum, Nesterov, SGD, type TrainOptimizer } from '../../src/train';
import { GRADS, TORCH, W0 } from './fixtures/torch-optimizers';

/** Runs the three reference gradient steps; returns the weights after each. */
function trajectory(opt: TrainOptimizer, lr: number, wd: { l2?: number; decoupled?: number } = {}): number[][] {
  const v = tf.variable(tf.tensor1d(W0));
  const out: number[][] = [];
  for (const g of GRADS) {
    tf.tidy(() => {
      let grad: tf.Tensor = tf.tensor1d(g);
      if (wd.l2) grad = tf.add(grad, tf.mul(v, wd.l2));
      opt.applyGradients(
        [{ name: 'w', variable: v, gradient: grad, decayFactor: wd.decoupled ? 1 - lr * wd.decoupled : undefined }],
        lr,
      );
    });
    out.push(Array.from(v.dataSync()));
  }
  v.dispose();
  opt.dispose();
  return out;
}

function assertClose(actual: number[][], expected: number[][], tol = 1e-6): void {
  actual.forEach((row, s) =>
    row.forEach((a, i) => assert.ok(Math.abs(a - expected[s][i]) <= tol, `step ${s + 1}, index ${i}: ${a} vs ${expected[s][i]}`)),
  );
}

describe('train/optimizers: single steps against closed forms and PyTorch 1.13', () => {
  it('SGD: w - lr·g, and matches torch.optim.SGD', () => {
    const traj = trajectory(new SGD(), 0.1);
    assert.ok(Math.abs(traj[0][0] - (0.5 - 0.1 * 0.1)) < 1e-7);
    assertClose(traj, TORCH.sgd);
  });

  it('momentum (with dampening) matches torch.optim.SGD(momentum=0.9, dampening=0.1)', () => {
    assertClose(trajectory(new Momentum({ momentum: 0.9, dampening: 0.1 }), 0.1), TORCH.momentum);
  });

  it('Nesterov: first step is w - lr·(1+μ)·g, and matches torch.optim.SGD(nesterov=True)', () => {
    const traj = trajectory(new Nesterov({ momentum: 0.9 }), 0.1);
    W0.forEach((w, i) => assert.ok(Math.abs(traj[0][i] - (w - 0.1 * 1.9 * GRADS[0][i])) < 1e-6));
    assertClose(traj, TORCH.nesterov);
  });

  it('Adam: first step is w - lr·g/(|g|+ε) (bias-corrected), and matches torch.optim.Adam', () => {
    const traj = trajectory(new Adam({ beta1: 0.8, beta2: 0.95, epsilon: 1e-3 }), 0.01);
    W0.forEach((w, i) => {
      const g = GRADS[0][i];
      assert.ok(Math.abs(traj[0][i] - (w - (0.01 * g) / (Math.abs(g) + 1e-3))) < 1e-6, `index ${i}`);
    });
    assertClose(traj, TORCH.adam);
  });

  it('Adam with L2 weight decay (added to the gradient) matches torch.optim.Adam(weight_decay)', () => {
    assertClose(trajectory(new Adam(), 0.01, { l2: 0.1 }), TORCH.adam_l2);
  });

  it('Adam with decoupled weight decay matches torch.optim.AdamW', () => {
    assertClose(trajectory(new Adam(), 0.01, { decoupled: 0.1 }), TORCH.adamw);
  });

  it('resetSlots zeroes the slots only where `where` is 1; slots() exposes them', () => {
    const opt = new Adam();
    const v = tf.variable(tf.tensor1d(W0));
    tf.tidy(() => opt.applyGradients([{ name: 'w', aliases: ['layer/w'], variable: v, gradient: tf.tensor1d(GRADS[0]) }], 0.01));
    const where = tf.tensor1d([1, 0, 1, 0]);
    opt.resetSlots('layer/w', where); // by alias
    const m = Array.from(opt.slots('w').get('m')!.dataSync());
    const vv = Array.from(opt.slots('w').get('v')!.dataSync());
    assert.deepStrictEqual([m[0], m[2], vv[0], vv[2]], [0, 0, 0, 0]);
    assert.ok(m[1] !== 0 && m[3] !== 0 && vv[1] !== 0 && vv[3] !== 0);
    assert.throws(() => opt.resetSlots('w', tf.zeros([3])), /shape/);
    where.dispose();
    v.dispose();
    opt.dispose();
  });

  it('masked positions stay exactly 0 in weights and slots; a changed mask zeroes the slots', () => {
    for (const name of listOptimizers()) {
      const opt = createOptimizer(name);
      const v = tf.variable(tf.tensor1d(W0));
      const mask = tf.tensor1d([1, 0, 1, 1]);
      // Steps without a mask build up momentum everywhere ...
      tf.tidy(() => opt.applyGradients([{ name: 'w', variable: v, gradient: tf.tensor1d(GRADS[0]) }], 0.1));
      // ... then the mask arrives: the slot at index 1 must be zeroed, the weight there must be 0.
      for (let s = 0; s < 3; s++) {
        tf.tidy(() =>
          opt.applyGradients([{ name: 'w', variable: v, gradient: tf.mul(tf.tensor1d(GRADS[s]), mask), mask, maskChanged: s === 0 }], 0.1),
        );
        assert.ok(v.dataSync()[1] === 0, `${name}: masked weight after step ${s}`); // ±0 both count as exactly 0
        for (const [slot, t] of opt.slots('w')) assert.ok(t.dataSync()[1] === 0, `${name}: slot ${slot}`);
      }
      mask.dispose();
      v.dispose();
      opt.dispose();
    }
  });

  it('registry: names, unknown-name error lists them, bad hyperparameters are rejected', () => {
    assert.deepStrictEqual(listOptimizers(), ['adam', 'momentum', 'nesterov', 'sgd']);
    assert.throws(() => createOptimizer('rmsprop'), /Unknown optimizer 'rmsprop'\. Known optimizers: adam, momentum, nesterov, sgd/);
    assert.throws(() => new Adam({ beta1: 1 }), /beta1 must be in \[0, 1\)/);
    assert.throws(() => new Nesterov({ momentum: 0 }), /momentum > 0/);
    assert.throws(() => new Momentum({ momentum: -0.1 }), /momentum/);
    const opt = createOptimizer('SGD');
    assert.strictEqual(opt.name, 'sgd');
    const v = tf.variable(tf.tensor1d([1]));
    assert.throws(() => opt.applyGradients([{ name: 'w', variable: v, gradient: tf.tensor1d([1]) }], -1), /learning rate/);
    v.dispose();
  });

  it('does not leak tensors per step', () => {
    const opt = new Adam();
    const v = tf.variable(tf.tensor1d(W0));
    const mask = tf.tensor1d([1, 0, 1, 1]);
    const step = () => tf.tidy(() => opt.applyGradients([{ name: 'w', variable: v, gradient: tf.tensor1d(GRADS[1]), mask }], 0.1));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    assert.strictEqual(tf.memory().numTensors, before);
    opt.dispose();
    assert.strictEqual(tf.memory().numTensors, before - 2);
    mask.dispose();
    v.dispose();
  });
});
