// The regularization methods as a user runs them: penalty (L1/L2/group L1 then prune), ltp,
// l0 (hard-concrete gates), sparse-vd — what each one learns, keeps, saves and turns into masks.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../../../src/models';
import {
  commitPenaltyMasks, evaluateLtpTrail, finalize, l0Architecture, loadMasks, ltpAccuracies, ltpTrail, MaskedModel, maskState, trainingPlan,
  useLtpCheckpoint, vdLogAlphas,
} from '../../../../src/prune';
import { shrinkModel } from '../../../../src/sparse';
import { evaluate, train, withParametrizedWeights } from '../../../../src/train';
import { blobs } from '../../../train/fixtures/data';

const data = blobs(240, { dim: 6, classes: 3, seed: 5 });
const net = (seed = 3, hidden = [24]) => mlp({ inputShape: [6], hidden, classes: 3, seed });
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const exactZeros = (m: tf.LayersModel) => MaskedModel.of(m).prunableWeights().reduce((n, w) => n + Array.from(w.variable.read().dataSync()).filter((v) => v === 0).length, 0);

async function fit(model: tf.LayersModel, method: string, options: Record<string, unknown>, run: { epochs: number; optimizer?: string; lr?: number; batchSize?: number }) {
  const batchSize = run.batchSize ?? 40;
  const perEpoch = Math.ceil(data.count / batchSize);
  const plan = trainingPlan(model, method, options, { totalSteps: run.epochs * perEpoch, stepsPerEpoch: perEpoch, seed: 1 });
  return train(model, data, { epochs: run.epochs, batchSize, optimizer: (run.optimizer ?? 'adam') as 'adam', learningRate: run.lr ?? 0.01, seed: 1, ...plan.trainOptions });
}

describe('regularization methods', () => {
  describe('penalty: L1 / L2 / group L1 then prune (Han et al. 2015)', () => {
    it('plain Adam on an L1 penalty leaves no exact zero; SGD with the prox or the clip rule lands many weights on 0, and they become masks', async () => {
      const adam = net();
      await fit(adam, 'penalty', { lambda: 0.01, rule: 'none' }, { epochs: 6, optimizer: 'adam', lr: 0.01 });
      assert.strictEqual(exactZeros(adam), 0, 'Adam + subgradient: weights hover around 0');
      assert.strictEqual(MaskedModel.of(adam).summary().rows.reduce((n, r) => n + r.params - r.nonzeros, 0), 0);
      for (const rule of ['prox', 'clip']) {
        const sgd = net();
        const h = await fit(sgd, 'penalty', { lambda: 0.01, rule }, { epochs: 6, optimizer: 'sgd', lr: 0.2 });
        const zeros = exactZeros(sgd);
        assert.ok(zeros >= 5, `${rule}: ${zeros} exact zeros`);
        assert.ok(h.epochs.at(-1)!.terms!.penalty > 0);
        const masked = MaskedModel.of(sgd);
        const maskedOut = [...masked.masks().values()].reduce((n, m) => n + tf.tidy(() => tf.sum(tf.equal(m, 0)).dataSync()[0]), 0);
        assert.strictEqual(maskedOut, zeros, `${rule}: the exact zeros are the masks at the end of the run`);
        assert.strictEqual(masked.history.at(-1)!.method, 'penalty');
        assert.ok(evaluate(sgd, data).accuracy > 0.8);
      }
    });

    it('L2 then prune with q·std: the masks are exactly |w| < q·std(w) per layer; group L1 (prox) zeroes whole output units', async () => {
      const l2 = net();
      await fit(l2, 'penalty', { norm: 'l2', lambda: 1e-3 }, { epochs: 2 });
      const masked = MaskedModel.of(l2);
      assert.strictEqual(exactZeros(l2), 0, 'L2 alone makes no zeros, so quality 0 masks nothing');
      const before = new Map(masked.prunableWeights().map((w) => [w.name, Array.from(w.variable.read().dataSync())]));
      commitPenaltyMasks(masked, 0.5);
      for (const w of masked.prunableWeights()) {
        const v = before.get(w.name)!;
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
        const mask = Array.from(masked.mask(w.name)!.dataSync());
        v.forEach((x, i) => {
          if (Math.abs(Math.abs(x) - 0.5 * std) > 1e-6) assert.strictEqual(mask[i], Math.abs(x) >= 0.5 * std ? 1 : 0, `${w.name}[${i}]`);
        });
        assert.ok(mask.includes(0) && mask.includes(1));
      }
      // the option does the same at the end of a run
      const q = net();
      await fit(q, 'penalty', { norm: 'l2', lambda: 1e-3, quality: 0.5 }, { epochs: 2 });
      assert.ok(MaskedModel.of(q).masks().size > 0 && MaskedModel.of(q).history.at(-1)!.details.quality === 0.5);
      const g = net(4, [16]);
      await fit(g, 'penalty', { groups: 'unit', lambda: 0.3 }, { epochs: 8, optimizer: 'sgd', lr: 0.2 });
      const k = MaskedModel.of(g).prunableWeights()[0];
      const cols = tf.tidy(() => Array.from(tf.sum(tf.abs(k.variable.read()), 0).dataSync()));
      const deadUnits = cols.filter((c) => c === 0).length;
      const w = Array.from(k.variable.read().dataSync());
      const zeros = w.filter((v) => v === 0).length;
      assert.ok(deadUnits >= 1, `group L1: ${deadUnits} dead units`);
      assert.strictEqual(zeros, deadUnits * k.shape[0], 'zeros come in whole units');
    });

    it('a bad combination is refused before anything changes', () => {
      const m = net();
      const before = weightsOf(m);
      assert.throws(() => trainingPlan(m, 'penalty', { norm: 'l2', groups: 'unit' }, { totalSteps: 2 }), /group L1[\s\S]*--norm l1 --groups unit/);
      assert.throws(() => trainingPlan(m, 'penalty', { rule: 'sometimes' }, { totalSteps: 2 }), /rule/);
      assert.deepStrictEqual(weightsOf(m), before);
      assert.strictEqual(MaskedModel.existing(m)?.masks().size ?? 0, 0);
    });
  });

  describe('ltp: learned thresholds with a soft mask and a soft-L0 penalty', () => {
    it('λ > 0 raises the thresholds and prunes; the trail has one hard net per epoch with its soft and hard accuracy; a checkpoint can be picked and finalized', async () => {
      const m = net();
      const h = await fit(m, 'ltp', { lambda: 2, temperature: 0.2 }, { epochs: 5 });
      assert.ok(h.epochs[0].terms!.ltp > h.epochs.at(-1)!.terms!.ltp, 'the soft L0 falls');
      const trail = ltpTrail(m);
      assert.strictEqual(trail.length, 5);
      assert.ok(trail.at(-1)!.density < trail[0].density && trail.at(-1)!.density < 0.9, `densities ${trail.map((p) => p.density)}`);
      const evaluated = evaluateLtpTrail(m, data);
      assert.strictEqual(evaluated.length, 5);
      for (const p of evaluated) assert.ok(Math.abs(p.gap - (p.softAccuracy - p.hardAccuracy)) < 1e-12);
      const now = ltpAccuracies(m, data);
      assert.ok(Math.abs(now.hard - evaluated.at(-1)!.hardAccuracy) < 1e-12, 'the last trail point is the model as it ends');
      // go back to the second point and finalize it: the masks are w² > τ of that point
      const p = useLtpCheckpoint(m, 1);
      finalize(m);
      const masked = MaskedModel.of(m);
      for (const w of masked.prunableWeights()) {
        const kept = tf.tidy(() => tf.sum(masked.mask(w.name)!).dataSync()[0]);
        assert.ok(Math.abs(kept / w.size - p.densities[w.name]) < 1e-9, `${w.name}: ${kept / w.size} vs ${p.densities[w.name]}`);
      }
      assert.ok(Math.abs(evaluate(m, data).accuracy - evaluated[1].hardAccuracy) < 1e-12, 'finalized = the hard net of that point');
    });

    it('minDensity keeps every layer above the floor even under a huge λ', async () => {
      const m = net();
      await fit(m, 'ltp', { lambda: 500, minDensity: 0.1 }, { epochs: 3 });
      for (const d of Object.values(ltpTrail(m).at(-1)!.densities)) assert.ok(d >= 0.1 - 1e-9, `density ${d}`);
      finalize(m);
    });

    it('saved while attached and loaded into a fresh model: the same thresholds and the same soft network', async () => {
      const m = net();
      await fit(m, 'ltp', { lambda: 1 }, { epochs: 1 });
      const state = JSON.parse(JSON.stringify(maskState(MaskedModel.of(m))));
      const twin = net(99);
      twin.setWeights(m.getWeights());
      loadMasks(twin, state);
      assert.strictEqual(evaluate(twin, data).loss, evaluate(m, data).loss);
      finalize(twin);
      finalize(m);
    });
  });

  describe('l0: hard-concrete gates', () => {
    it('gates prune input units; the architecture counts open test-time gates; finalize then shrinkModel gives a smaller dense model with the same outputs', async () => {
      const m = net(3, [32, 16]);
      await fit(m, 'l0', { lambda: 1, trainSize: data.count, initDropRate: 0.3, initDropRateInput: 0.3 }, { epochs: 10, lr: 0.1 });
      assert.ok(l0Architecture(m).layers.every((l) => l.kept > 0), `no layer closes entirely: ${l0Architecture(m).summary}`);
      const arch = l0Architecture(m);
      assert.deepStrictEqual(arch.layers.map((l) => l.total), [6, 32, 16]);
      assert.strictEqual(arch.summary, arch.layers.map((l) => l.kept).join('-'));
      assert.ok(arch.layers[1].kept < 32 || arch.layers[2].kept < 16, `some hidden units closed: ${arch.summary}`);
      const accGated = evaluate(m, data).accuracy;
      const xs = tf.tensor2d(data.x, [data.count, 6]);
      const gatedOut = tf.tidy(() => withParametrizedWeights(m, () => m.predict(xs) as tf.Tensor).arraySync() as number[][]);
      finalize(m);
      assert.strictEqual(evaluate(m, data).accuracy, accGated, 'finalize keeps the deterministic-gate network');
      const small = shrinkModel(m);
      assert.ok(small.paramsAfter < small.paramsBefore, `${small.paramsBefore} → ${small.paramsAfter}`);
      const out = tf.tidy(() => (small.model.predict(xs) as tf.Tensor).arraySync() as number[][]);
      out.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - gatedOut[i][j]) < 1e-4)));
      xs.dispose();
      small.model.dispose();
    });

    it('log α stays in [log 0.01, log 100]; per-example gates train too; a wrong number of per-layer λ is refused before anything changes', async () => {
      const m = net();
      await fit(m, 'l0', { lambda: 1e4, trainSize: data.count }, { epochs: 2, lr: 0.5 });
      for (const v of MaskedModel.of(m).variables('l0').values()) {
        const a = Array.from(v.dataSync());
        assert.ok(a.every((x) => x >= Math.log(0.01) - 1e-6 && x <= Math.log(100) + 1e-6), `${a}`);
      }
      finalize(m);
      const p = net();
      const h = await fit(p, 'l0', { perExample: true, trainSize: data.count }, { epochs: 2 });
      assert.ok(h.epochs.at(-1)!.accuracy > 0.5);
      finalize(p);
      const q = net();
      const before = weightsOf(q);
      assert.throws(() => trainingPlan(q, 'l0', { lambdas: ['1', '2', '3'] }, { totalSteps: 2 }), /lambdas needs 2 numbers/);
      assert.deepStrictEqual(weightsOf(q), before);
      assert.strictEqual(MaskedModel.of(q).attachedMethods().size, 0);
    });
  });

  it('l0 and sparse-vd: saved while attached and loaded into a fresh model, the same gates / log σ² and the same network', async () => {
    for (const [method, options] of [['l0', { trainSize: data.count }], ['sparse-vd', { trainSize: data.count, initLogSigma2: -6 }]] as const) {
      const m = net();
      await fit(m, method, options, { epochs: 1 });
      const state = JSON.parse(JSON.stringify(maskState(MaskedModel.of(m))));
      assert.deepStrictEqual(state.methods.map((x: { name: string }) => x.name), [method]);
      const twin = net(99);
      twin.setWeights(m.getWeights());
      loadMasks(twin, state);
      assert.strictEqual(evaluate(twin, data).loss, evaluate(m, data).loss, `${method}: same network after load`);
      finalize(twin);
      finalize(m);
    }
  });

  describe('sparse-vd: sparse variational dropout', () => {
    it('training noise is on the pre-activations, evaluation is θ·1[log α < 3]; finalize masks log α ≥ 3; vdLogAlphas gives the same sparsity', async () => {
      const m = net();
      const h = await fit(m, 'sparse-vd', { trainSize: data.count, klWeight: 'linear:0:1:0:12', initLogSigma2: -6 }, { epochs: 8, lr: 0.02 });
      assert.ok(h.epochs.at(-1)!.terms!['sparse-vd'] < h.epochs[1].terms!['sparse-vd'], 'the KL falls');
      const xs = tf.tensor2d(data.x.slice(0, 60), [10, 6]);
      const evalA = tf.tidy(() => withParametrizedWeights(m, () => m.predict(xs) as tf.Tensor).arraySync());
      const evalB = tf.tidy(() => withParametrizedWeights(m, () => m.predict(xs) as tf.Tensor).arraySync());
      assert.deepStrictEqual(evalA, evalB, 'deterministic evaluation');
      const trainA = tf.tidy(() => withParametrizedWeights(m, () => m.apply(xs, { training: true }) as tf.Tensor, { training: true, step: 1 }).arraySync());
      const trainB = tf.tidy(() => withParametrizedWeights(m, () => m.apply(xs, { training: true }) as tf.Tensor, { training: true, step: 2 }).arraySync());
      assert.notDeepStrictEqual(trainA, trainB, 'a training pass samples');
      const alphas = vdLogAlphas(m);
      const total = alphas.reduce((n, l) => n + l.logAlpha.length, 0);
      const pruned = alphas.reduce((n, l) => n + l.sparsity * l.logAlpha.length, 0);
      assert.ok(pruned > 0, 'some weights pass log α = 3');
      finalize(m);
      const masked = MaskedModel.of(m);
      const zerosInMasks = [...masked.masks().values()].reduce((n, t) => n + tf.tidy(() => tf.sum(tf.equal(t, 0)).dataSync()[0]), 0);
      assert.strictEqual(zerosInMasks, Math.round(pruned));
      assert.ok(total > pruned);
      const after = tf.tidy(() => (m.predict(xs) as tf.Tensor).arraySync());
      (after as number[][]).forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - (evalA as number[][])[i][j]) < 1e-5)));
      xs.dispose();
    });

    it('from a dense checkpoint with log σ² = −8 the network starts as accurate as the dense one', async () => {
      const m = net();
      await train(m, data, { epochs: 5, batchSize: 40, optimizer: 'adam', learningRate: 0.01, seed: 1 });
      const dense = evaluate(m, data).accuracy;
      trainingPlan(m, 'sparse-vd', { initLogSigma2: -8 }, { totalSteps: 1 });
      assert.strictEqual(evaluate(m, data).accuracy, dense);
      finalize(m);
    });
  });
});
