import * as assert from 'assert';
import { compileSchedule, learningRateAt } from '../../src/train';

describe('train/schedules', () => {
  it('constant', () => {
    assert.strictEqual(learningRateAt(undefined, 0.1, 1000), 0.1);
    assert.strictEqual(learningRateAt({ type: 'constant' }, 0.1, 5), 0.1);
  });
  it('step decay: lr·γ^⌊s/every⌋', () => {
    const f = compileSchedule({ type: 'step', every: 10, gamma: 0.5 }, 100);
    assert.deepStrictEqual([0, 9, 10, 19, 20, 35].map((s) => f(s, 1)), [1, 1, 0.5, 0.5, 0.25, 0.125]);
  });
  it('cosine: starts at lr, half way at the mean, ends and stays at min', () => {
    const f = compileSchedule({ type: 'cosine', total: 100, min: 0.01 }, 0);
    assert.strictEqual(f(0, 0.1), 0.1);
    assert.ok(Math.abs(f(50, 0.1) - 0.055) < 1e-12);
    assert.ok(Math.abs(f(100, 0.1) - 0.01) < 1e-12);
    assert.ok(Math.abs(f(150, 0.1) - 0.01) < 1e-12);
    // total defaults to the end of the run
    assert.ok(Math.abs(compileSchedule({ type: 'cosine' }, 40)(40, 0.1)) < 1e-12);
  });
  it('multistep: ×γ at fractions of the run (MultiStepLR at epochs 100 and 150 of 200)', () => {
    // 200 epochs of 10 steps: the rate drops at step 1000 (epoch 100) and 1500 (epoch 150)
    const f = compileSchedule({ type: 'multistep', at: [0.5, 0.75] }, 2000);
    assert.deepStrictEqual([0, 999, 1000, 1499, 1500, 1999].map((s) => +f(s, 0.1).toPrecision(12)), [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    assert.strictEqual(compileSchedule({ type: 'multistep', at: [0.5], gamma: 0.5, total: 10 }, 999)(5, 1), 0.5);
    assert.throws(() => compileSchedule({ type: 'multistep', at: [0.75, 0.5] }, 10), /increasing fractions of the run in \(0, 1\).*\[0.75,0.5\]/);
    assert.throws(() => compileSchedule({ type: 'multistep', at: [1.5] }, 10), /at must be/);
    assert.throws(() => compileSchedule({ type: 'multistep', at: [0.5], gamma: 0 }, 10), /gamma must be in \(0, 1\]/);
  });
  it('function schedules and errors', () => {
    assert.strictEqual(learningRateAt((s, lr) => lr / (1 + s), 1, 3), 0.25);
    assert.throws(() => compileSchedule({ type: 'step', every: 0, gamma: 0.5 }, 1), /every must be a positive integer/);
    assert.throws(() => compileSchedule({ type: 'step', every: 2, gamma: 2 }, 1), /gamma/);
    assert.throws(() => compileSchedule({ type: 'linear' } as never, 1), /Known types: constant, step, cosine, multistep/);
  });
});
