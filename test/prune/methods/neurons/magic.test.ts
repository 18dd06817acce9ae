// The data-driven neuron methods from %prune: their flags and help come from their
// declarations; a boolean flag left out takes the chosen method's own default; neuron
// granularity is implied.
import * as assert from 'assert';
import { createMagicContext, magicHelp, runMagicLine } from '../../../../src/magics';
import { mlp } from '../../../../src/models';
import { MaskedModel } from '../../../../src/prune';
import { blobs } from '../../../train/fixtures/data';

describe('%prune with the data-driven neuron methods', () => {
  const data = blobs(96, { dim: 4, classes: 3, seed: 11 });
  const ds = { name: 'blobs', train: data, test: data };

  it('%prune? lists the methods and their options', () => {
    const help = magicHelp('prune');
    for (const m of ['variance', 'apoz', 'mean-activation', 'unit-norm', 'random-units', 'data-free-merge', 'neuron-merging', 'correlation-merge']) assert.match(help, new RegExp(`\\n\\s+${m}\\s+\\S`), m);
    assert.match(help, /--fold\s+\[apoz, mean-activation, random-units, unit-norm, variance\] fold each removed unit's mean output .* \(default: apoz false, mean-activation false, random-units false, unit-norm false, variance true\)\./);
    assert.match(help, /--zero-tolerance NUMBER\s+\[apoz\] largest \|output\| counted as zero \(0: exact zeros, as ReLU gives\) \(default 0\)/);
    assert.match(help, /--threshold NUMBER\s+\[neuron-merging\] least cosine similarity for a merge/);
  });

  it('each method runs with neuron granularity; an absent --fold is the method\'s own default, --no-fold turns it off', async () => {
    const lines: string[] = [];
    const nets = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => [k, mlp({ inputShape: [4], hidden: [12, 8], classes: 3, seed: 20 + i })]));
    const ctx = createMagicContext({ variables: { ...nets, ds }, print: (s: string) => lines.push(s) });
    const opts = (k: string) => MaskedModel.of(nets[k]).history.at(-1)!.details.methodOptions;
    await runMagicLine('%prune a variance --data ds --sparsity 0.5 --keep-last-dense', ctx);
    assert.deepStrictEqual(opts('a'), { fold: true, weighted: false });
    assert.match(lines.at(-1)!, /pruned a \(variance, neuron, layerwise\)/);
    await runMagicLine('%prune b variance --data ds --sparsity 0.5 --keep-last-dense --no-fold --weighted', ctx);
    assert.deepStrictEqual(opts('b'), { fold: false, weighted: true });
    await runMagicLine('%prune c apoz --data ds --sparsity 0.5 --keep-last-dense', ctx);
    assert.deepStrictEqual(opts('c'), { zeroTolerance: 0, fold: false });
    await runMagicLine('%prune d mean-activation --data ds --sparsity 0.5 --keep-last-dense --fold', ctx);
    assert.deepStrictEqual(opts('d'), { fold: true });
    await runMagicLine('%prune e neuron-merging --sparsity 0.5 --keep-last-dense --threshold 0.3', ctx);
    assert.deepStrictEqual(opts('e'), { norm: 'l1', threshold: 0.3 });
    await runMagicLine('%prune f data-free-merge --sparsity 0.5 --keep-last-dense', ctx);
    await runMagicLine('%prune g correlation-merge --data ds --sparsity 0.5 --keep-last-dense', ctx);
    await assert.rejects(runMagicLine('%prune g neuron-merging --sparsity 0.6 --keep-last-dense --fold', ctx), /--fold is an option of apoz, mean-activation, random-units, unit-norm, variance, not of 'neuron-merging'/);
    await assert.rejects(runMagicLine('%prune g variance --data ds --sparsity 0.6', ctx), /--keep-last-dense/);
    for (const [k, net] of Object.entries(nets)) {
      const m = MaskedModel.of(net);
      const [h1, h2] = m.prunableWeights();
      const units = (t: typeof h1) => {
        const U = t.shape[1];
        const mask = m.mask(t.name)!.dataSync();
        return Array.from({ length: U }, (_, j) => j).filter((j) => mask.some((v, i) => i % U === j && v !== 0)).length;
      };
      assert.deepStrictEqual([units(h1), units(h2)], [6, 4], `${k}: half of each hidden layer's units left`);
      m.strip();
      net.dispose();
    }
  });
});
