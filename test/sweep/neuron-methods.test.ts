// The data-driven neuron methods (issue 13) as sweep grid fields of the prune-finetune trial:
// the trial hands them a calibration batch, and their options (fold) are grid axes.
import { strict as assert } from 'assert';
import { recipeFields } from '../../src/sweep/builtin-trials';
import { sweep } from '../../src/sweep/sweep';
import { cleanup, tempDir } from './helpers';

describe('prune-finetune with data-driven neuron methods', function () {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('variance and apoz get calibration data; fold is a grid axis that changes the pruned accuracy', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await sweep(
      {
        name: 'tiny-neurons',
        trial: 'prune-finetune',
        grid: { method: ['variance', 'apoz'], fold: [true, false] },
        fixed: {
          dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200, seed: 1, sparsity: 0.7, keepLastDense: true, pruneBatchSize: 200,
          ...recipeFields('dense', { steps: 30, batchSize: 50, learningRate: 0.05 }), finetune: false,
        },
      },
      { dir, workers: 1, progress: 'none' },
    );
    assert.deepEqual([s.done, s.failed], [4, 0], JSON.stringify(s.failures));
    const row = (method: string, fold: boolean) => s.rows.find((r) => r.method === method && r.fold === fold)!;
    for (const r of s.rows) {
      // 70% of the 400 hidden units gone, the classifier kept: far fewer weights
      assert.ok((r.sparsity as number) > 0.5, `${r.method} fold=${r.fold}: sparsity ${r.sparsity}`);
    }
    assert.notEqual(row('variance', true).accuracyPruned, row('variance', false).accuracyPruned, 'folding the means changes the pruned network');
    assert.equal(row('variance', true).pruneBatchSize, 200);
  });
});
