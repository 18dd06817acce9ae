import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MaskedModel, prune } from '../../src/prune';
import { evaluate, train } from '../../src/train';
import {
  byBudget, disposeRuns, evaluateVariants, experimentData, iterativePruneRetrain, keptPerLayer, measuredSparsity, notebookBudget,
  recipeOptions, resetToDense, scaledRecipe, scheduleComparison, trainDenseRuns, type DenseRun,
} from '../../src/experiments';

const quiet = () => {};
const tiny = { dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200 };
const recipe = { steps: 6, batchSize: 50, learningRate: 0.05 };

describe('experiments: budget and recipes', () => {
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

describe('experiments: drivers on tiny-fashion', function () {
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
    const finetune = { steps: 3, batchSize: 50, learningRate: 0.01 };
    const before = tf.memory().numTensors;
    const a = await evaluateVariants(runs, data, variants, finetune, quiet);
    const b = await evaluateVariants(runs, data, variants, finetune, quiet);
    assert.deepEqual(a, b, 'same seeds, same numbers');
    assert.equal(a.length, 4);
    assert.deepEqual(a.map((r) => [r.method, r.seed, r.target]), [['magnitude', 1, 0.5], ['magnitude', 2, 0.5], ['magnitude', 1, 0.9], ['magnitude', 2, 0.9]]);
    for (const r of a) {
      // biases (410 of 266 610 parameters) are not pruned
      assert.ok(r.sparsity < r.target && r.target - r.sparsity < 0.002, `sparsity ${r.sparsity} vs ${r.target}`);
      assert.equal(r.compression, 266610 / r.remaining);
    }
    // each row reports its own seed's dense accuracy, and the accuracies of that seed's model
    // pruned from its dense weights, then fine-tuned with the masks held (recomputed by hand)
    for (const r of a) {
      const run = runs.find((x) => x.seed === r.seed)!;
      assert.equal(r.accuracyDense, run.accuracy);
      resetToDense(run);
      prune(run.model, { sparsity: r.target });
      assert.equal(r.accuracyPruned, evaluate(run.model, data.test).accuracy, `seed ${r.seed} @ ${r.target}: accuracy right after pruning`);
      await train(run.model, data.train, { ...recipeOptions(finetune, run.seed), masks: MaskedModel.of(run.model) });
      assert.equal(r.accuracyFinetuned, evaluate(run.model, data.test).accuracy, `seed ${r.seed} @ ${r.target}: accuracy after fine-tuning`);
    }
    const noFinetune = await evaluateVariants(runs, data, variants, null, quiet);
    assert.deepEqual(noFinetune.map((r) => r.accuracyFinetuned), a.map((r) => r.accuracyPruned), 'without fine-tuning, the fine-tuned column is the pruned accuracy');
    // the seeds give different models (not just different accuracies, which 200 examples can tie)
    const differs = runs[0].weights.some((w, i) => tf.tidy(() => tf.any(tf.notEqual(w, runs[1].weights[i])).dataSync()[0]) === 1);
    assert.ok(differs, 'seeds 1 and 2 trained different dense weights');
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
    // round 2 trains (lr 0.05): its kept weights left their dense values, which only happens if
    // finalRetrain ran (with `retrain`'s lr 0 every kept weight would still equal its dense value)
    const moved = (model: tf.LayersModel, dense: tf.Tensor[]) => {
      const masked = MaskedModel.of(model);
      return masked.prunableWeights().some((p) => {
        const i = model.weights.findIndex((w) => w === p.variable);
        return tf.tidy(() => tf.any(tf.logicalAnd(tf.notEqual(masked.mask(p.name)!, 0), tf.notEqual(p.variable.read(), dense[i]))).dataSync()[0]) === 1;
      });
    };
    assert.ok(moved(runs[0].model, runs[0].weights), 'round 2 retrained with `finalRetrain`');
    // the same rounds with finalRetrain at lr 0 too leave every kept weight at its dense value
    await iterativePruneRetrain(runs[0], data, {
      density: { fc1: 0.2, fc2: 0.2, fc3: 0.5 }, rounds: 2,
      retrain: { steps: 3, batchSize: 50, learningRate: 0 }, finalRetrain: { steps: 3, batchSize: 50, learningRate: 0 },
    }, quiet);
    assert.ok(!moved(runs[0].model, runs[0].weights), 'with lr 0 in both, no kept weight moves (the check above can tell)');
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
