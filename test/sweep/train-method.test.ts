// The train-method trial: the regularization (and other training) methods as sweep grid fields.
import { strict as assert } from 'assert';
import { recipeFields } from '../../src/sweep/builtin-trials';
import { getTrial } from '../../src/sweep/trials';
import { sweep } from '../../src/sweep/sweep';
import { logTail } from '../../src/sweep/store';
import { cleanup, tempDir } from './helpers';

const data = { dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200 };
const dense = { steps: 20, batchSize: 50, learningRate: 0.05 };

describe('train-method trials', function () {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('grid over method (penalty, ltp, l0, sparse-vd, none) with method options as fields: every row finalized, with curves and the method-specific columns', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await sweep(
      {
        name: 'tiny-regularization',
        trial: 'train-method',
        grid: {
          method: ['none', 'penalty', 'ltp', 'l0', 'sparse-vd'],
        },
        fixed: {
          ...data, ...recipeFields('dense', dense), methodEpochs: 2, methodBatchSize: 50, methodLearningRate: 0.01, curveExamples: 100,
          lambda: 0.05, trainSize: 300, rule: 'prox', methodLrFactor: 'linear:1:0.5:0:12', finetune: true, ...recipeFields('finetune', { steps: 3, batchSize: 50 }),
        },
      },
      { dir, workers: 1, progress: 'none' },
    );
    assert.deepEqual([s.done, s.failed], [5, 0], JSON.stringify(s.failures));
    const by = (m: string) => s.rows.find((r) => r.method === m)!;
    for (const r of s.rows) {
      assert.deepEqual(r.curveEpoch, [1, 2]);
      assert.equal((r.curveSparsity as number[]).length, 2);
      assert.ok((r.methodEpochSeconds as number) > 0);
      assert.equal(r.layerSparsity && (r.layerSparsity as number[]).length, 3);
      assert.ok(Math.abs((r.sparsity as number) - (r.params as number - (r.remaining as number)) / (r.params as number)) < 1e-12);
    }
    assert.equal(by('none').sparsity, 0, 'plain training prunes nothing');
    assert.equal(by('none').accuracyTrained, by('none').accuracyFinal);
    // the per-epoch sparsity is what finalize gives: its last value is the finalized net's
    for (const m of ['l0', 'sparse-vd', 'penalty']) {
      const r = by(m);
      assert.ok(Math.abs((r.curveSparsity as number[])[1] - (r.sparsity as number)) < 1e-5, `${m}: ${(r.curveSparsity as number[])[1]} vs ${r.sparsity}`);
    }
    assert.equal((by('ltp').trailDensity as number[]).length, 2);
    assert.match(by('l0').architecture as string, /^\d+-\d+-\d+$/);
    assert.equal(by('l0').architectureTotal, '784-300-100');
    assert.equal((by('sparse-vd').curveLogAlphaHist as number[][])[0].reduce((a, b) => a + b, 0), 266200);
    // a line per epoch in each trial's log (a long trial shows how far it is)
    const log = logTail(s.dir, by('l0').id as string, 20);
    assert.match(log, /epoch 1\/2: loss [\d.]+, held-out accuracy [\d.]+%, [\d.]+% sparse as finalized, units \d+-\d+-\d+ \([\d.]+ s\)/);
    assert.match(log, /epoch 2\/2:/);
  });

  it('LeNet-5: L0 gates the conv feature maps and the Dense inputs (20-50-800-500), sparse VD runs its conv layers through the local reparameterisation', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await sweep(
      { name: 'tiny-lenet5', trial: 'train-method', grid: { method: ['l0', 'sparse-vd'] },
        fixed: { ...data, trainSubset: 100, testSubset: 50, model: 'lenet-5-caffe', ...recipeFields('dense', { steps: 2, batchSize: 50 }), methodEpochs: 1, methodBatchSize: 50, trainSize: 100, curveExamples: 50 } },
      { dir, workers: 1, progress: 'none' },
    );
    assert.deepEqual([s.done, s.failed], [2, 0], JSON.stringify(s.failures));
    const l0 = s.rows.find((r) => r.method === 'l0')!;
    assert.equal(l0.architectureTotal, '20-50-800-500');
    assert.match(l0.architecture as string, /^\d+-\d+-\d+-\d+$/);
    const vd = s.rows.find((r) => r.method === 'sparse-vd')!;
    assert.equal((vd.layerSparsity as number[]).length, 4);
    assert.equal((vd.curveLogAlphaHist as number[][])[0].reduce((a, b) => a + b, 0), 500 + 25000 + 400000 + 5000);
  });

  it("layerSparsities: magnitude per layer after the method run (Han's penalty then prune) or before it (magnitude + fine-tuning)", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await sweep(
      {
        name: 'tiny-han',
        trial: 'train-method',
        grid: [{ method: ['penalty'], norm: ['l1', 'l2'], pruneAt: ['end'], finetune: [true] }, { method: ['none'], pruneAt: ['start'], finetune: [true] }, { method: ['none'], pruneAt: ['start'], finetune: [false], label: ['no fine-tuning'] }],
        fixed: { ...data, ...recipeFields('dense', dense), methodEpochs: 1, methodBatchSize: 50, methodOptimizer: 'sgd', methodLearningRate: 0.05, lambda: 1e-4, rule: 'none', curveExamples: 100, layerSparsities: ['0.5', '0.6', '0.2'], ...recipeFields('finetune', { steps: 3, batchSize: 50 }) },
      },
      { dir, workers: 1, progress: 'none' },
    );
    assert.deepEqual([s.done, s.failed], [4, 0], JSON.stringify(s.failures));
    // pruned at the start and not fine-tuned: the end of the pipeline is the trained net, not the accuracy before training
    const plain = s.rows.find((r) => r.label === 'no fine-tuning')!;
    assert.equal(plain.accuracyFinetuned, plain.accuracyFinal);
    assert.notEqual(plain.accuracyFinetuned, plain.accuracyPruned);
    for (const r of s.rows) {
      const ls = r.layerSparsity as number[];
      [0.5, 0.6, 0.2].forEach((t, i) => assert.ok(Math.abs(ls[i] - t) < 0.01, `${r.method} ${r.norm ?? ''} layer ${i}: ${ls[i]} vs ${t}`));
      assert.equal(typeof r.accuracyPruned, 'number');
      assert.equal(typeof r.accuracyFinetuned, 'number');
    }
    const start = s.rows.find((r) => r.method === 'none' && r.label !== 'no fine-tuning')!;
    assert.equal((start.curveSparsity as number[])[0] > 0.4, true, 'pruned before the run: the curve is sparse from the first epoch');
    const bad = tempDir();
    dirs.push(bad);
    await assert.rejects(
      sweep({ name: 'bad', trial: 'train-method', grid: { method: ['none'] }, fixed: { ...data, ...recipeFields('dense', dense), layerSparsities: ['0.5', '1.2'] } }, { dir: bad, workers: 1, progress: 'none' }),
      /layerSparsities must be numbers in \[0, 1\)/,
    );
  });

  it('refuses a one-shot method, an unknown field and an option of the method out of range, naming them', () => {
    const t = getTrial('train-method');
    assert.throws(() => t.resolve!({ method: 'magnitude' }, 'here'), /'magnitude' is not a method that acts during training[\s\S]*ltp/);
    assert.throws(() => t.resolve!({ method: 'l0', lambdaa: 1 }, 'here'), /unknown field 'lambdaa'/);
    assert.throws(() => t.resolve!({ method: 'l0', initDropRate: 2 }, 'here'), /initDropRate/);
    const ok = t.resolve!({ method: 'l0', lambda: 0.2, rule: 'clip' }, 'here');
    assert.equal(ok.lambda, 0.2);
    assert.equal(ok.rule, undefined, "another method's option is dropped");
  });
});
