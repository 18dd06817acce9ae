// %prune: N:M and --sparsity, layers emptied by a too-high sparsity, filter = neuron in the help.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createMagicContext, magicHelp, runMagicLine } from '../../src/magics';
import { createModel } from '../../src/models';
import { MaskedModel, prunableWeights } from '../../src/prune';

function maskZeros(net: tf.LayersModel): number {
  const m = MaskedModel.of(net);
  return prunableWeights(net).reduce((a, w) => a + w.size - (m.mask(w.name) ? tf.tidy(() => tf.sum(m.mask(w.name)!).dataSync()[0]) : w.size), 0);
}

describe('%prune: sparsity and granularity', () => {
  let net: tf.LayersModel;
  const printed: string[] = [];
  const ctx = () => createMagicContext({ variables: { net }, print: (t) => printed.push(t) });
  beforeEach(() => {
    net = createModel('lenet-300-100', { seed: 1 });
    printed.length = 0;
  });
  afterEach(() => net.dispose());

  it('N:M without --sparsity prunes 1 − N/M; with a different --sparsity it is an error and the model is unchanged', async () => {
    const total = prunableWeights(net).reduce((a, w) => a + w.size, 0);
    await assert.rejects(runMagicLine('%prune net magnitude --granularity 2:4 --sparsity 0.8', ctx()),
      /granularity 2:4 fixes the sparsity at 0\.5 .*but the call asks for sparsity 0\.8\. Drop the sparsity or pass sparsity: 0\.5/);
    assert.strictEqual(MaskedModel.existing(net)?.masks().size ?? 0, 0, 'no masks after the failing call');
    await assert.rejects(runMagicLine('%prune net magnitude --granularity 2:4 --schedule agp', ctx()), /a schedule has nothing to ramp: use --schedule oneshot/);
    await runMagicLine('%prune net magnitude --granularity 2:4', ctx());
    assert.strictEqual(maskZeros(net), total / 2);
    assert.match(printed.join('\n'), /pruned net \(magnitude, 2:4, layerwise\): 50\.00% of prunable weights/);
    await runMagicLine('%prune net magnitude --granularity 2:4 --sparsity 0.5', ctx()); // the implied value is accepted
  });

  it('without --sparsity and N:M, prunes the documented default 0.9', async () => {
    await runMagicLine('%prune net magnitude', ctx());
    assert.match(printed.join('\n'), /90\.00% of prunable weights/);
    assert.match(magicHelp('prune'), /--sparsity NUMBER\s+Fraction of the weights \(or groups\) to remove \(default: 0\.9; N:M fixes it at 1 − N\/M\)\./);
    assert.match(magicHelp('prune'), /neuron \(= filter: output units/);
  });

  it('--sparsity 0.999999 warns on stderr that the layers have no weights left, naming them and the fix', async () => {
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warned.push(a.join(' '));
    try {
      await runMagicLine('%prune net magnitude --sparsity 0.999999', ctx());
    } finally {
      console.warn = warn;
    }
    assert.strictEqual(warned.length, 1);
    assert.match(warned[0], /^Warning: prune: layers fc1, fc2, fc3 have no weights left: .*Exclude these layers \(exclude: \['fc1', 'fc2', 'fc3'\], or --exclude fc1,fc2,fc3\) or lower the sparsity \(at most 0\.999 keeps at least one of the 1,000 weights of fc3\)\./);
  });
});
