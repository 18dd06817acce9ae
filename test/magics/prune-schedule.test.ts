/**
 * `%prune --schedule agp|iterative` sets up gradual pruning that the next `%finetune` of that
 * model runs: nothing is pruned at once, the pruning happens in several steps during training,
 * it ends at the requested sparsity, and the plan is used once.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import '../../src/magics';
import { loadDataset, type Dataset } from '../../src/data';
import { createMagicContext } from '../../src/magics/context';
import { runMagicLine } from '../../src/magics/registry';
import { scheduleFor } from '../../src/magics/builtins/finetune';
import { createModel } from '../../src/models';
import { maskSparsity, MaskedModel } from '../../src/prune';

describe('%prune --schedule agp|iterative, run by the next %finetune', function () {
  this.timeout(120_000);
  let data: Dataset;
  let net: tf.LayersModel;
  const printed: string[] = [];
  const ctx = () => createMagicContext({ variables: { net, data }, print: (t) => void printed.push(t), display: () => undefined as never });

  before(async () => {
    data = await loadDataset('blobs');
  });
  beforeEach(() => {
    printed.length = 0;
    net = createModel('mlp', { inputShape: data.train.featureShape, hidden: [32], classes: data.train.numClasses, seed: 1 });
  });
  afterEach(() => {
    MaskedModel.existing(net)?.strip();
    net.dispose();
  });

  /** The pruning steps recorded in the model's history: [step, sparsity requested]. */
  const pruningSteps = () => MaskedModel.of(net).history.map((h) => [h.details.step, h.details.sparsity] as [number, number]);

  it('oneshot (the default) prunes at once and says how much of the prunable weights and of all parameters', async () => {
    await runMagicLine('%prune net magnitude --sparsity 0.75', ctx());
    const masked = MaskedModel.of(net);
    assert.strictEqual(maskSparsity(masked), 0.75);
    const all = masked.summary().total;
    assert.match(printed.join('\n'), new RegExp(`^pruned net \\(magnitude, element, layerwise\\): 75\\.00% of prunable weights, ${(100 * all.sparsity).toFixed(2).replace('.', '\\.')}% of all parameters; ${all.nonzeros} of ${all.params} left\\.$`));
  });

  for (const [schedule, extra] of [['agp', ''], ['iterative', ' --rounds 3']] as const) {
    it(`${schedule}: prunes nothing now, then gradually during %finetune up to --sparsity, once`, async () => {
      await runMagicLine(`%prune net magnitude --sparsity 0.75 --schedule ${schedule}${extra}`, ctx());
      assert.match(printed.join('\n'), new RegExp(`net: ${schedule} pruning to 75\\.0% is set up; it runs during the next %finetune net\\.`));
      assert.strictEqual(MaskedModel.existing(net)?.currentMasks().size ?? 0, 0, 'nothing pruned yet');

      await runMagicLine('%finetune net --data data --epochs 2 --batch-size 16 --no-test', ctx());
      const steps = pruningSteps();
      assert.ok(steps.length >= (schedule === 'agp' ? 5 : 3), `several pruning steps: ${JSON.stringify(steps)}`);
      for (let i = 1; i < steps.length; i++) {
        assert.ok(steps[i][0] > steps[i - 1][0] && steps[i][1] > steps[i - 1][1], `steps and sparsities increase: ${JSON.stringify(steps)}`);
      }
      if (schedule === 'iterative') assert.strictEqual(steps.length, 3, '--rounds 3');
      assert.ok(Math.abs(steps[steps.length - 1][1] - 0.75) < 1e-9, 'the last step prunes to --sparsity');
      const reached = maskSparsity(MaskedModel.of(net));
      assert.ok(Math.abs(reached - 0.75) < 0.01, `masks at 75% after %finetune (got ${reached})`);

      await runMagicLine('%finetune net --data data --epochs 1 --batch-size 16 --no-test', ctx());
      assert.strictEqual(pruningSteps().length, steps.length, 'a second %finetune does not prune again (the plan was used)');
      assert.strictEqual(maskSparsity(MaskedModel.of(net)), reached, 'and the masks still hold');
    });
  }

  it('iterative with more rounds than the run has steps: a clear error, nothing pruned, the plan kept for a longer run', async () => {
    await runMagicLine('%prune net magnitude --sparsity 0.5 --schedule iterative --rounds 40', ctx());
    // blobs has 1000 training examples: 1 epoch at batch size 64 is 16 steps
    await assert.rejects(
      runMagicLine('%finetune net --data data --epochs 1 --batch-size 64 --no-test', ctx()),
      /iterative pruning of net has 40 rounds but this run has only 16 steps; train longer \(--epochs\) or set fewer --rounds in %prune/,
    );
    assert.strictEqual(MaskedModel.existing(net)?.currentMasks().size ?? 0, 0, 'nothing pruned');
    await runMagicLine('%finetune net --data data --epochs 3 --batch-size 64 --no-test', ctx());
    assert.strictEqual(pruningSteps().length, 40, 'the kept plan runs in the next, longer %finetune');
    assert.ok(Math.abs(maskSparsity(MaskedModel.of(net)) - 0.5) < 0.01);
  });

  it('the schedules %finetune builds for a run of 100 steps', () => {
    const agp = scheduleFor({ kind: 'agp', sparsity: 0.8, rounds: 5, options: {} }, 100);
    // Zhu & Gupta: from step 0 to 80 % of the run, every tenth of that, cubic towards the target
    const agpSteps = Array.from({ length: 100 }, (_, s) => s).filter((s) => agp.at(s).prune);
    assert.deepStrictEqual(agpSteps, [0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80]);
    assert.ok(Math.abs(agp.at(80).sparsity - 0.8) < 1e-12 && agp.at(0).sparsity === 0);
    // a run whose 80 % is not a multiple of the pruning frequency still ends at the target
    for (const total of [127, 31, 9, 1]) {
      const s = scheduleFor({ kind: 'agp', sparsity: 0.8, rounds: 5, options: {} }, total);
      const last = Array.from({ length: total }, (_, i) => i).filter((i) => s.at(i).prune).pop()!;
      assert.ok(Math.abs(s.at(last).sparsity - 0.8) < 1e-12, `${total} steps: the last pruning step (${last}) reaches 0.8, got ${s.at(last).sparsity}`);
    }
    const it = scheduleFor({ kind: 'iterative', sparsity: 0.8, rounds: 4, options: {} }, 100);
    const itSteps = Array.from({ length: 100 }, (_, s) => s).filter((s) => it.at(s).prune);
    assert.deepStrictEqual(itSteps, [0, 25, 50, 75]);
    assert.ok(Math.abs(it.at(75).sparsity - 0.8) < 1e-12);
  });
});
