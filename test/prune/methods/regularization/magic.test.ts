// The regularization methods from the magics: %finetune --method with their options in %finetune?.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createMagicContext, magicHelp, runMagicLine } from '../../../../src/magics';
import { mlp } from '../../../../src/models';
import { finalize, l0Architecture, MaskedModel, vdLogAlphas } from '../../../../src/prune';
import { hasParametrizations } from '../../../../src/train';
import { blobs } from '../../../train/fixtures/data';

const data = blobs(120, { dim: 4, classes: 3, seed: 3 });
const dataset = { name: 'blobs', train: data, test: data };

describe('regularization methods from %finetune', () => {
  it('%finetune? lists penalty, ltp, l0 and sparse-vd with their options', () => {
    const help = magicHelp('finetune');
    for (const m of ['penalty', 'ltp', 'l0', 'sparse-vd']) assert.match(help, new RegExp(`Training methods:[\\s\\S]*\\b${m}\\b`));
    assert.match(help, /--lambda NUMBER\s+\[[^\]]*l0[^\]]*\]|--lambda NUMBER\s+\[/);
    assert.match(help, /--kl-weight SCHEDULE?\S*\s+\[sparse-vd\]/);
    assert.match(help, /--per-example\s+\[l0\]/);
    assert.match(help, /--rule \S+\s+\[penalty\]/);
    assert.match(help, /--threshold-lr-scale NUMBER\s+\[ltp\]/);
  });

  for (const [method, flags, check] of [
    ['l0', '--lambda 0.5 --train-size 120 --per-example', (net: tf.LayersModel) => assert.match(l0Architecture(net).summary, /^\d+-\d+$/)],
    ['sparse-vd', '--kl-weight linear:0:1:0:4 --train-size 120 --init-log-sigma2 -8', (net: tf.LayersModel) => assert.strictEqual(vdLogAlphas(net).length, 2)],
    ['ltp', '--lambda 0.1 --temperature 0.2', (net: tf.LayersModel) => assert.ok(MaskedModel.of(net).variables('ltp').size > 0)],
  ] as const) {
    it(`%finetune net --method ${method} ${flags}: trains with the method attached, with its options`, async () => {
      const net = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 5 });
      const ctx = createMagicContext({ variables: { net, ds: dataset }, print: () => undefined });
      await runMagicLine(`%finetune net --data ds --epochs 1 --batch-size 30 --method ${method} ${flags} --no-test`, ctx);
      assert.ok(hasParametrizations(net));
      assert.ok(MaskedModel.of(net).attachedMethods().has(method));
      check(net);
      finalize(net);
      assert.ok(!hasParametrizations(net));
      net.dispose();
    });
  }

  it('%finetune --method penalty --optimizer sgd: exact zeros become masks; a bad option is refused before training', async () => {
    const net = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 5 });
    const ctx = createMagicContext({ variables: { net, ds: dataset }, print: () => undefined });
    await assert.rejects(runMagicLine('%finetune net --data ds --method penalty --norm l2 --groups unit --no-test', ctx), /group L1/);
    assert.strictEqual(MaskedModel.existing(net)?.masks().size ?? 0, 0);
    await runMagicLine('%finetune net --data ds --epochs 3 --batch-size 30 --optimizer sgd --lr 0.2 --method penalty --lambda 0.05 --rule prox --no-test', ctx);
    const masked = MaskedModel.of(net);
    assert.ok(masked.summary().rows.some((r) => r.nonzeros < r.params));
    assert.strictEqual(masked.history.at(-1)!.method, 'penalty');
    masked.strip();
    net.dispose();
  });
});
