// Family 4 against PyTorch (test/fixtures/torch/sparse-training/fixtures.json, written by
// scripts/torch-fixtures/sparse-training.py): SNIP and GraSP scores (1e-5 relative) and masks,
// one SET update from given random draws, one RigL update through the training hook (its grow
// score is the step's own dense gradient), RigL's cosine drop fraction.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../../../src/models';
import {
  createContext, dropThenGrow, getMethod, MaskedModel, prunableWeights, prune, resolveOptionValues, riglDropFraction, setDropScore, trainingPlan,
} from '../../../../src/prune';
import { train } from '../../../../src/train';
import { maxRelDiff } from '../../helpers';

const F = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../../test/fixtures/torch/sparse-training/fixtures.json'), 'utf8'));

/** The fixture's MLP 8 → 6 relu → 4 with its weights. */
function fixtureNet(): tf.Sequential {
  const net = mlp({ inputShape: [8], hidden: [6], classes: 4, seed: 0 });
  const ws = [F.model.fc1.kernel, F.model.fc1.bias, F.model.fc2.kernel, F.model.fc2.bias];
  const shapes = [[8, 6], [6], [6, 4], [4]];
  const ts = ws.map((v: number[], i: number) => tf.tensor(v, shapes[i]));
  net.setWeights(ts);
  ts.forEach((t) => t.dispose());
  return net;
}

function fixtureBatch() {
  return { xs: tf.tensor(F.batch.x, F.batch.shape), ys: tf.oneHot(tf.tensor1d(F.batch.labels, 'int32'), 4).toFloat() };
}

describe('family 4 (sparse from scratch) against PyTorch', () => {
  let batch: { xs: tf.Tensor; ys: tf.Tensor };
  before(() => (batch = fixtureBatch()));
  after(() => tf.dispose([batch.xs, batch.ys]));

  async function methodScores(method: string, methodOptions: Record<string, unknown>): Promise<Float32Array[]> {
    const net = fixtureNet();
    const targets = prunableWeights(net);
    const m = getMethod(method);
    const ctx = createContext(net, targets, { data: batch });
    try {
      const scores = m.scores!(ctx, resolveOptionValues(m.options ?? [], methodOptions, method));
      const arrays = targets.map((t) => Float32Array.from(scores.get(t.name)!.dataSync()));
      for (const s of scores.values()) s.dispose();
      return arrays;
    } finally {
      ctx.dispose();
      net.dispose();
    }
  }

  function masksAfter(method: string, methodOptions: Record<string, unknown>): number[][] {
    const net = fixtureNet();
    const masked = prune(net, { method, methodOptions, sparsity: 0.8, data: batch });
    const out = [...masked.masks().values()].map((m) => Array.from(m.dataSync()));
    masked.strip();
    net.dispose();
    return out;
  }

  it('SNIP: |g ⊙ w| / Σ|g ⊙ w| to 1e-5 relative, and the same global top-k mask', async () => {
    const s = await methodScores('snip', {});
    s.forEach((v, i) => assert.ok(maxRelDiff(v, F.snip.scores[i]) < 1e-5, `layer ${i}: ${maxRelDiff(v, F.snip.scores[i])}`));
    const total = s.reduce((a, v) => a + v.reduce((x, y) => x + y, 0), 0);
    assert.ok(Math.abs(total - 1) < 1e-5, 'normalised over all layers');
    assert.deepStrictEqual(masksAfter('snip', {}), F.snip.masks, 'global ranking, as the paper');
  });

  it('GraSP: θ⊙Hg (= −S, the paper sign) at T = 200 to 1e-5 relative; paper masks remove the largest S, magnitude masks keep the largest |S|', async () => {
    const s = await methodScores('grasp', { samplesPerClass: 0 });
    s.forEach((v, i) => {
      const minusS = F.grasp.S[i].map((x: number) => -x);
      assert.ok(maxRelDiff(v, minusS) < 1e-5, `layer ${i}: ${maxRelDiff(v, minusS)}`);
    });
    assert.deepStrictEqual(masksAfter('grasp', { samplesPerClass: 0 }), F.grasp.masksPaper);
    assert.deepStrictEqual(masksAfter('grasp', { samplesPerClass: 0, score: 'magnitude' }), F.grasp.masksMagnitude);
    assert.notDeepStrictEqual(F.grasp.masksPaper, F.grasp.masksMagnitude, 'the two variants differ on this net (else the test could not tell them apart)');
    // samplesPerClass 3 picks the whole class-ordered batch: same scores
    const s3 = await methodScores('grasp', { samplesPerClass: 3 });
    s3.forEach((v, i) => assert.ok(maxRelDiff(v, s[i]) < 1e-6));
    await assert.rejects(methodScores('grasp', { samplesPerClass: 4 }), /samplesPerClass 4: the 12 examples given have only 3 of class 0.*give more data/);
  });

  it('SET: one update from the same weights, masks and random draws as the torch reference', () => {
    const w = [F.model.fc1.kernel, F.model.fc2.kernel].map((k: number[], i: number) => k.map((v, j) => v * F.dynamic.masks[i][j]));
    for (let i = 0; i < 2; i++) {
      const drop = setDropScore(F.dynamic.masks[i], w[i], F.set.zeta, 'signed');
      assert.strictEqual(drop.count, F.set.dropped[i]);
      const r = dropThenGrow(F.dynamic.masks[i], drop.score, F.set.draws[i], drop.count);
      assert.deepStrictEqual(Array.from(r.mask), F.set.masks[i]);
      assert.deepStrictEqual([...r.newConnections.keys()].filter((j) => r.newConnections[j]), [...F.set.newConnections[i]].sort((a, b) => a - b));
    }
  });

  it("RigL: the hook's update at step 0 equals the torch reference (grow by the batch's dense gradient of W⊙M, just-dropped included)", async () => {
    const net = fixtureNet();
    const masked = MaskedModel.of(net);
    const names = masked.prunableWeights().map((w) => w.name);
    masked.edit((e) => names.forEach((n, i) => e.setMask(n, tf.tensor(F.dynamic.masks[i], masked.prunable(n).shape))));
    const plan = trainingPlan(net, 'rigl', { interval: 1, noise: 0, stopAt: 1 }, { totalSteps: 1 });
    const before = names.map((n) => Array.from(masked.prunable(n).variable.read().dataSync()));
    const data = { x: Float32Array.from(F.batch.x), y: Int32Array.from(F.batch.labels), count: 12, featureShape: [8], numClasses: 4 };
    await train(net, data, { steps: 1, batchSize: 12, shuffle: false, optimizer: 'momentum', learningRate: 0.1, ...plan.trainOptions });
    names.forEach((n, i) => {
      const m = Array.from(masked.mask(n)!.dataSync());
      assert.deepStrictEqual(m, F.rigl.masks[i], `mask of layer ${i}`);
      const v = masked.prunable(n).variable.read().dataSync();
      // no optimizer update on the update step: kept weights unchanged, new connections 0
      m.forEach((on, j) => {
        const expected = F.rigl.newConnections[i].includes(j) || !on ? 0 : before[i][j];
        assert.ok(v[j] === expected, `layer ${i} entry ${j}: ${v[j]} vs ${expected}`); // === : -0 is 0
      });
    });
    masked.strip();
    net.dispose();
  });

  it("RigL's cosine drop fraction α₀·½(1 + cos πt/T_end)", () => {
    for (const [t, a] of F.cosine) assert.ok(Math.abs(riglDropFraction(0.3, 'cosine', t, 750) - a) < 1e-12);
    assert.strictEqual(riglDropFraction(0.3, 'constant', 400, 750), 0.3);
  });
});
