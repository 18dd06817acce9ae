// Sparsity schedules (TF-MOT semantics) and the pruning hook, by hand and inside train().
import * as assert from 'assert';
import { agpSchedule, constantSparsitySchedule, iterativeSchedule, maskSparsity, MaskedModel, oneShotSchedule, polynomialDecaySchedule, prunableWeights, Pruner, PruningHook } from '../../src/prune';
import { roundHalfEven } from '../../src/sparse';
import { createOptimizer, train } from '../../src/train';
import type { StepInfo } from '../../src/train/types';
import { mlp, values, zeros } from './helpers';

describe('prune: schedules', () => {
  it('polynomial decay / AGP: Zhu & Gupta formula and TF-MOT begin/end/frequency semantics', () => {
    const s = polynomialDecaySchedule({ initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 10, endStep: 110, frequency: 20 });
    for (let t = 0; t <= 150; t++) {
      const p = Math.min(1, Math.max(0, (t - 10) / 100));
      const expected = 0.9 + (0.1 - 0.9) * (1 - p) ** 3;
      const d = s.at(t);
      assert.ok(Math.abs(d.sparsity - expected) < 1e-12, `step ${t}`);
      assert.strictEqual(d.prune, t >= 10 && t <= 110 && (t - 10) % 20 === 0, `prune flag at ${t}`);
    }
    // hand values: p = 0.5 → 0.9 − 0.8/8
    assert.ok(Math.abs(s.at(60).sparsity - 0.8) < 1e-12);
    assert.strictEqual(s.at(110).sparsity, 0.9);
    const agp = agpSchedule({ finalSparsity: 0.5, endStep: 4, frequency: 1 });
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((t) => agp.at(t).sparsity), [0, 0.5 - 0.5 * 0.75 ** 3, 0.5 - 0.5 * 0.125, 0.5 - 0.5 / 64, 0.5, 0.5]);
    assert.deepStrictEqual([0, 1, 4, 5].map((t) => agp.at(t).prune), [true, true, true, false]);
    assert.throws(() => polynomialDecaySchedule({ finalSparsity: 1, endStep: 5 }), /finalSparsity must be a number in \[0, 1\)/);
    assert.throws(() => polynomialDecaySchedule({ finalSparsity: 0.5, beginStep: 5, endStep: 5 }), /endStep \(5\) must be greater/);
  });

  it('one-shot, iterative (linear and geometric) and constant schedules', () => {
    const one = oneShotSchedule({ sparsity: 0.8, step: 3 });
    assert.deepStrictEqual([2, 3, 4].map((t) => one.at(t)), [{ prune: false, sparsity: 0 }, { prune: true, sparsity: 0.8 }, { prune: false, sparsity: 0.8 }]);
    const it = iterativeSchedule({ sparsity: 0.9, rounds: 3, stepsPerRound: 10, beginStep: 5 });
    const pruneSteps = [...Array(60).keys()].filter((t) => it.at(t).prune);
    assert.deepStrictEqual(pruneSteps, [5, 15, 25]);
    assert.deepStrictEqual(pruneSteps.map((t) => +it.at(t).sparsity.toFixed(12)), [0.3, 0.6, 0.9]);
    const geo = iterativeSchedule({ sparsity: 0.875, rounds: 3, stepsPerRound: 1, mode: 'geometric' });
    assert.deepStrictEqual([0, 1, 2].map((t) => +geo.at(t).sparsity.toFixed(12)), [0.5, 0.75, 0.875]);
    const c = constantSparsitySchedule({ sparsity: 0.5, beginStep: 2, frequency: 3 });
    assert.deepStrictEqual([0, 2, 3, 5, 1000 + 1].map((t) => c.at(t).prune), [false, true, false, true, true]);
  });

  it('PruningHook prunes at the scheduled steps when called by hand with fake StepInfo', () => {
    const net = mlp([12, 20, 4], 31);
    const hook = new Pruner(agpSchedule({ finalSparsity: 0.8, beginStep: 2, endStep: 12, frequency: 2 }), { scope: 'global' }).hook(net);
    assert.strictEqual(hook.currentMasks().size, 0);
    const optimizer = { name: 'fake', resetSlots() {}, slots: () => new Map() };
    let last = 0;
    for (let step = 0; step < 16; step++) {
      const info: StepInfo = { step, epoch: 0, model: net, optimizer, learningRate: 0.1 };
      hook.onStepBegin(info);
      const s = maskSparsity(MaskedModel.of(net));
      assert.ok(s >= last, 'sparsity never decreases');
      const d = hook.schedule.at(step);
      if (d.prune) {
        const total = prunableWeights(net).reduce((a, w) => a + w.size, 0);
        assert.strictEqual(Math.round(s * total), roundHalfEven(d.sparsity * total), `step ${step}`);
      }
      last = s;
    }
    assert.deepStrictEqual(hook.log.map((l) => l.step), [4, 6, 8, 10, 12]); // step 2: sparsity 0, nothing to do
    assert.ok(Math.abs(last - 0.8) < 1e-3);
    assert.strictEqual(hook.currentMasks().size, 2);
    MaskedModel.of(net).strip().dispose();
  });

  it('gradual AGP pruning inside train() reaches the final sparsity and pruned weights stay 0', async () => {
    const net = mlp([6, 16, 3], 32, 'softmax');
    const n = 96;
    const x = values(n * 6, 5);
    const y = Int32Array.from({ length: n }, (_, i) => (x[i * 6] + x[i * 6 + 1] > 0 ? 1 : x[i * 6 + 2] > 0 ? 2 : 0));
    const hook = new PruningHook(agpSchedule({ finalSparsity: 0.75, beginStep: 0, endStep: 20, frequency: 4 }), {}, net);
    const optimizer = createOptimizer('momentum');
    const h = await train(net, { x, y, count: n, featureShape: [6], numClasses: 3 }, {
      optimizer, steps: 30, batchSize: 16, learningRate: 0.05, hooks: [hook], masks: hook,
    });
    assert.strictEqual(h.steps, 30);
    const m = MaskedModel.of(net);
    for (const w of prunableWeights(net)) {
      const mask = m.mask(w.name)!.dataSync();
      assert.strictEqual(zeros(mask), roundHalfEven(0.75 * w.size), w.name);
      const val = w.variable.read().dataSync();
      mask.forEach((v, j) => v === 0 && assert.ok(val[j] === 0, `${w.name}[${j}] trained back to ${val[j]}`));
      assert.ok(zeros(val) < w.size, 'kept weights are not all zero');
    }
    assert.deepStrictEqual(hook.log.map((l) => l.step), [4, 8, 12, 16, 20]); // step 0 has sparsity 0: skipped
    optimizer.dispose?.();
    m.strip().dispose();
  });
});
