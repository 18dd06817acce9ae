import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MaskedModel, prune } from '../../src/prune';
import { createModel } from '../../src/models';
import {
  byBudget, claim, disposeRuns, evaluateVariants, experimentData, inputMaskImage, iterativePruneRetrain, keptPerLayer,
  markdownTable, measuredSparsity, meltColumns, notebookBudget, paretoFrontIndices, recipeOptions, resetToDense, scaledRecipe,
  scheduleComparison, seedBandFigure, summaryTable, trainDenseRuns, type DenseRun,
} from '../../src/report/experiments';
import { studentTQuantile } from '../../src/report/stats';

const quiet = () => {};
const tiny = { dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200 };
const recipe = { steps: 6, batchSize: 50, learningRate: 0.05 };

describe('report/experiments: budget and recipes', () => {
  it('reads PRUNELAB_BUDGET: unset is quick, unknown names are rejected with the known ones', () => {
    assert.equal(notebookBudget(undefined), 'quick');
    assert.equal(notebookBudget(''), 'quick');
    assert.equal(notebookBudget(' Paper '), 'paper');
    assert.throws(() => notebookBudget('fast'), /Unknown budget 'fast'.*quick, paper/);
    assert.deepEqual(byBudget('paper', { quick: 1, paper: 2 }), 2);
  });

  it('recipes: momentum SGD by default, Han et al.\'s 1/10 retraining rate', () => {
    const o = recipeOptions({ epochs: 2 }, 7);
    assert.deepEqual([o.optimizer, o.learningRate, o.batchSize, o.epochs, o.seed, o.optimizerOptions], ['momentum', 0.01, 64, 2, 7, { momentum: 0.9 }]);
    assert.equal(recipeOptions({ optimizer: 'adam' }, 0).learningRate, 1e-3);
    const r = scaledRecipe({ epochs: 20, learningRate: 0.05 }, 0.1, { epochs: 1 });
    assert.ok(Math.abs(r.learningRate! - 0.005) < 1e-15 && r.epochs === 1);
    assert.equal(recipeOptions({ steps: 5, epochs: 3 }, 0).steps, 5);
    assert.equal(recipeOptions({ steps: 5 }, 0).epochs, undefined);
  });
});

describe('report/experiments: drivers on tiny-fashion', function () {
  let runs: DenseRun[] = [];
  after(() => disposeRuns(runs));

  it('refuses a single seed (no claim without a spread)', async () => {
    const data = await experimentData(tiny);
    await assert.rejects(trainDenseRuns('lenet-300-100', data, recipe, [1], quiet), /at least 2 seeds/);
  });

  it('prunes every run from its own dense weights, deterministically, without leaking tensors', async () => {
    const data = await experimentData(tiny);
    assert.equal(data, await experimentData(tiny), 'the dataset is loaded once per spec');
    runs = await trainDenseRuns('lenet-300-100', data, recipe, [1, 2], quiet);
    const variants = [0.5, 0.9].map((s) => ({ method: 'magnitude', options: { sparsity: s } }));
    const before = tf.memory().numTensors;
    const a = await evaluateVariants(runs, data, variants, { steps: 3, batchSize: 50, learningRate: 0.01 }, quiet);
    const b = await evaluateVariants(runs, data, variants, { steps: 3, batchSize: 50, learningRate: 0.01 }, quiet);
    assert.deepEqual(a, b, 'same seeds, same numbers');
    assert.equal(a.length, 4);
    assert.deepEqual(a.map((r) => [r.method, r.seed, r.target]), [['magnitude', 1, 0.5], ['magnitude', 2, 0.5], ['magnitude', 1, 0.9], ['magnitude', 2, 0.9]]);
    for (const r of a) {
      // biases (410 of 266 610 parameters) are not pruned
      assert.ok(r.sparsity < r.target && r.target - r.sparsity < 0.002, `sparsity ${r.sparsity} vs ${r.target}`);
      assert.equal(r.compression, 266610 / r.remaining);
      assert.ok(r.accuracyPruned >= 0 && r.accuracyFinetuned <= 1);
    }
    assert.notEqual(a[0].accuracyDense, a[1].accuracyDense, 'seeds differ');
    runs.forEach(resetToDense);
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked (masks removed, weights restored)');
    const w = runs[0].model.getWeights();
    w.forEach((t, i) => assert.deepEqual(Array.from(t.dataSync()), Array.from(runs[0].weights[i].dataSync())));
  });

  it('iterative prune-retrain reaches the per-layer densities exactly', async () => {
    const data = await experimentData(tiny);
    const rows = await iterativePruneRetrain(runs[0], data, { density: { fc1: 0.08, fc2: 0.09, fc3: 0.26 }, rounds: 2, retrain: { steps: 2, batchSize: 50 } }, quiet);
    assert.deepEqual(rows.map((r) => r.round), [0, 1, 2]);
    assert.ok(rows[1].sparsity > 0.6 && rows[1].sparsity < rows[2].sparsity);
    const k = keptPerLayer(runs[0].model);
    assert.ok(Math.abs(k.fc1 - 0.08) < 1e-4 && Math.abs(k.fc2 - 0.09) < 1e-4 && Math.abs(k.fc3 - 0.26) < 1e-4, JSON.stringify(k));
    await assert.rejects(iterativePruneRetrain(runs[0], data, { density: { fc1: 0 }, rounds: 2, retrain: recipe }, quiet), /density\['fc1'\] must be in \(0, 1\]/);
  });

  it('measuredSparsity counts the zeros of the weights themselves, not the masks', () => {
    const model = runs[0].model;
    const before = tf.memory().numTensors;
    const m = measuredSparsity(model);
    const k = keptPerLayer(model);
    for (const layer of ['fc1', 'fc2', 'fc3']) assert.ok(Math.abs(m.kept[layer] - k[layer]) < 1e-3, `${layer}: ${m.kept[layer]} vs masks ${k[layer]}`);
    assert.equal(m.params, model.countParams());
    assert.ok(Math.abs(m.compression - m.params / m.nonzeros) < 1e-12);
    // zero a weight that the mask keeps: the masks' count does not move, the measurement does
    const fc3 = model.getLayer('fc3');
    const [kernel, bias] = fc3.getWeights();
    const values = kernel.arraySync() as number[][];
    const at = values.flatMap((row, i) => row.map((v, j) => [i, j, v] as const)).find(([, , v]) => v !== 0)!;
    values[at[0]][at[1]] = 0;
    const edited = tf.tensor2d(values);
    fc3.setWeights([edited, bias]);
    edited.dispose();
    const after = measuredSparsity(model);
    assert.equal(keptPerLayer(model).fc3, k.fc3, 'the masks still allow the weight');
    assert.ok(Math.abs(after.kept.fc3 - (m.kept.fc3 - 1 / values.flat().length)) < 1e-9, `fc3 measured ${after.kept.fc3}`);
    assert.equal(after.nonzeros, m.nonzeros - 1);
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });

  it('iterative prune-retrain uses finalRetrain for the last round only', async () => {
    const data = await experimentData(tiny);
    // learning rate 0 leaves the weights as pruned, so only a round that retrains at lr > 0 moves them
    const rows = await iterativePruneRetrain(runs[0], data, {
      density: { fc1: 0.2, fc2: 0.2, fc3: 0.5 }, rounds: 2,
      retrain: { steps: 3, batchSize: 50, learningRate: 0 }, finalRetrain: { steps: 3, batchSize: 50, learningRate: 0.05 },
    }, quiet);
    assert.equal(rows[1].accuracyRetrained, rows[1].accuracyPruned, 'round 1 retrains with `retrain` (lr 0: no change)');
    assert.notEqual(rows[2].accuracyRetrained, rows[2].accuracyPruned, 'round 2 retrains with `finalRetrain`');
    resetToDense(runs[0]);
  });

  it('schedule comparison: same budget, same final sparsity, curves from the dense model on', async () => {
    const data = await experimentData(tiny);
    const { rows, curves } = await scheduleComparison(runs, data, {
      sparsity: 0.9, steps: 20, rounds: 2, finetune: { batchSize: 50, learningRate: 0.01 }, evalEvery: 5, curveExamples: 100,
    }, quiet);
    assert.deepEqual([...new Set(rows.map((r) => r.method))], ['one-shot', 'iterative (2 rounds)', 'gradual (AGP)']);
    for (const method of new Set(rows.map((r) => r.method))) {
      const c = curves.filter((p) => p.method === method && p.seed === 1);
      assert.equal(c[0].step, 0);
      assert.equal(c[0].sparsity, 0, 'step 0 is the dense model');
      assert.equal(c[c.length - 1].step, 21);
      assert.ok(Math.abs(c[c.length - 1].sparsity - 0.9) < 1e-3, `${method} ends at ${c[c.length - 1].sparsity}`);
      for (let i = 1; i < c.length; i++) assert.ok(c[i].step > c[i - 1].step && c[i].sparsity >= c[i - 1].sparsity - 1e-9);
    }
    const it1 = curves.filter((p) => p.method === 'iterative (2 rounds)' && p.seed === 1).map((p) => p.step);
    assert.ok(it1.includes(1) && it1.includes(6), `pruning steps 1 and 6 are on the curve: ${it1}`);
  });
});

describe('report/experiments: figures and tables', () => {
  it('seedBandFigure draws mean ± Student-t CI per group and x', () => {
    const rows = [
      { m: 'a', x: 1, y: 1 }, { m: 'a', x: 1, y: 3 }, { m: 'a', x: 2, y: 2 }, { m: 'a', x: 2, y: 2 }, { m: 'b', x: 1, y: 5 }, { m: 'b', x: 1, y: 7 },
    ];
    const fig = seedBandFigure(rows, { x: 'x', y: 'y', group: 'm' });
    assert.equal(fig.data.length, 4);
    const [bandA, lineA] = fig.data as any[];
    assert.deepEqual(lineA.x, [1, 2]);
    assert.deepEqual(lineA.y, [2, 2]);
    const h = studentTQuantile(0.975, 1) * Math.SQRT2 / Math.SQRT2;
    assert.deepEqual(bandA.y.map((v: number) => +v.toFixed(9)), [2 + h, 2, 2, 2 - h].map((v) => +v.toFixed(9)));
    assert.match(lineA.name, /^a \(n=2, 95% CI\)$/);
    const std = seedBandFigure(rows, { x: 'x', y: 'y', group: 'm', band: 'std', yScale: 10 });
    assert.equal((std.data[0] as any).y[0], 20 + 10 * Math.SQRT2);
  });

  it('Pareto front of (cost, accuracy) points', () => {
    // cost ↓, accuracy ↑: points (2, .9) (1, .5) (4, .95) (3, .8); (3, .8) is dominated by (2, .9)
    assert.deepEqual(paretoFrontIndices([2, 1, 4, 3], [0.9, 0.5, 0.95, 0.8]), [1, 0, 2]);
    assert.deepEqual(paretoFrontIndices([1, 1], [0.2, 0.7]), [1]);
  });

  it('melt, summary and markdown tables', () => {
    const rows = [{ t: 0.5, seed: 1, a: 0.9, b: 0.8 }, { t: 0.5, seed: 2, a: 0.92, b: 0.82 }];
    const long = meltColumns(rows, { a: 'A', b: 'B' });
    assert.deepEqual(long.map((r) => [r.series, r.value]), [['A', 0.9], ['B', 0.8], ['A', 0.92], ['B', 0.82]]);
    assert.throws(() => meltColumns(rows, { c: 'C' }), /no column 'c'/);
    const s = summaryTable(rows, ['t'], { a: 'A (%)' });
    assert.equal(s.length, 1);
    assert.equal(s[0].seeds, 2);
    assert.match(String(s[0]['A (%)']), /^91\.00 ± \d+\.\d\d$/);
    assert.equal(markdownTable([{ q: 'x', v: 1.64, n: 3 }]), '| q | v | n |\n| --- | --- | --- |\n| x | 1.64 | 3 |');
  });

  it('claim prints when it holds and throws when it does not', () => {
    claim(true, 'holds');
    assert.throws(() => claim(false, 'accuracy within 1 point'), /^Error: Claim failed: accuracy within 1 point$/);
  });

  it('inputMaskImage: fraction of outgoing weights kept per input pixel', () => {
    const net = createModel('mlp', { inputShape: [4], hidden: [3], seed: 0 });
    const layer = MaskedModel.of(net).prunableWeights()[0];
    // make input 0's weights the largest, input 3's the smallest: magnitude pruning keeps 0, drops 3
    const w = tf.tensor2d([[9, 9, 9], [5, 5, 0.1], [4, 0.2, 0.3], [0.01, 0.02, 0.03]]);
    layer.variable.write(w);
    w.dispose();
    prune(net, { sparsity: 0.5, include: [layer.layerName] });
    const fig = inputMaskImage(net, layer.layerName, [2, 2]);
    assert.deepEqual((fig.data[0] as any).z, [[1, 2 / 3], [1 / 3, 0]]);
    assert.throws(() => inputMaskImage(net, layer.layerName, [3, 3]), /has 9 pixels but .* has 4 inputs/);
    MaskedModel.of(net).strip();
    net.dispose();
  });
});
