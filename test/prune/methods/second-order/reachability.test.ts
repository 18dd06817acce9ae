// The second-order methods from %prune (flags and help from their declarations) and as sweep grid fields.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { loadDataset, type Dataset } from '../../../../src/data';
import { createMagicContext, magicHelp, runMagicLine } from '../../../../src/magics';
import { createModel } from '../../../../src/models';
import { MaskedModel, maskSparsity } from '../../../../src/prune';
import { recipeFields } from '../../../../src/sweep/builtin-trials';
import { sweep } from '../../../../src/sweep/sweep';
import { cleanup, tempDir } from '../../../sweep/helpers';

describe('second-order methods: %prune and sweeps', function () {
  this.timeout(120_000);
  let data: Dataset;
  before(async () => {
    data = await loadDataset('blobs');
  });

  it('%prune? lists obd, obs, l-obs and woodfisher with their options', () => {
    const help = magicHelp('prune');
    for (const m of ['obd', 'obs', 'l-obs', 'woodfisher']) assert.match(help, new RegExp(`\\n\\s+${m}\\s+\\S`), m);
    for (const flag of ['--diagonal', '--hutchinson-samples', '--hessian', '--hessian-damping', '--removal-order', '--weights-per-step', '--input-damping', '--compensation', '--block-size', '--fisher-damping', '--fisher-inverse', '--scale-prune-update']) {
      assert.match(help, new RegExp(`${flag} `), flag);
    }
    assert.match(help, /--diagonal .*\[obd\] Hessian diagonal: gauss-newton/);
  });

  it('%prune net <method> --data ds with method flags prunes with that method and those options', async () => {
    const printed: string[] = [];
    for (const line of [
      '%prune net obd --data data --sparsity 0.5 --diagonal fisher',
      '%prune net l-obs --data data --sparsity 0.5 --input-damping 1e-4',
      '%prune net woodfisher --data data --sparsity 0.5 --scope global --block-size 16 --fisher-damping 1e-4 --batch-size 64',
      '%prune net obs --data data --sparsity 0.5 --hessian fisher --weights-per-step 4 --batch-size 32',
    ]) {
      const net = createModel('mlp', { inputShape: data.train.featureShape, hidden: [16], classes: data.train.numClasses, seed: 1 });
      await runMagicLine(line, createMagicContext({ variables: { net, data }, print: (t) => void printed.push(t), display: () => undefined as never }));
      const m = MaskedModel.of(net);
      const method = line.split(' ')[2];
      const rec = m.history.find((r) => r.method === method)!;
      assert.ok(rec, `${line}: recorded as ${method}`);
      assert.ok(Math.abs(maskSparsity(m) - 0.5) < 0.01, line);
      const opts = rec.details.methodOptions as Record<string, unknown>;
      if (method === 'obd') assert.strictEqual(opts.diagonal, 'fisher');
      if (method === 'l-obs') assert.strictEqual(opts.inputDamping, 1e-4);
      if (method === 'woodfisher') assert.deepStrictEqual([opts.blockSize, opts.fisherDamping], [16, 1e-4]);
      if (method === 'obs') assert.deepStrictEqual([opts.hessian, opts.weightsPerStep], ['fisher', 4]);
      m.strip();
      net.dispose();
    }
  });

  it('prune-finetune sweeps take the methods and their options as grid fields, give them training data, and time the pruning', async () => {
    const dir = tempDir();
    try {
      const s = await sweep({
        name: 'second-order',
        trial: 'prune-finetune',
        grid: { method: ['obd', 'l-obs', 'woodfisher'], fisherDamping: [1e-4] },
        fixed: {
          dataset: 'tiny-fashion', trainSubset: 200, testSubset: 100, model: 'lenet-300-100', sparsity: 0.8, pruneBatchSize: 64,
          diagonal: 'fisher', blockSize: 50, ...recipeFields('dense', { steps: 10, batchSize: 50, learningRate: 0.05 }), finetune: false,
        },
      }, { dir, workers: 1, progress: 'none' });
      assert.deepStrictEqual([s.done, s.failed], [3, 0], JSON.stringify(s.failures));
      for (const r of s.rows) {
        assert.ok(Math.abs((r.sparsity as number) - 0.8) < 0.01);
        assert.ok((r.pruneSeconds as number) > 0);
      }
    } finally {
      cleanup([dir]);
    }
    assert.ok(tf.memory().numTensors >= 0);
  });
});
