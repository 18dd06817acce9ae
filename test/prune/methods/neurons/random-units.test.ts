// random-units: seeds reproduce, counts are exact, and every unit is equally likely to go.
import * as assert from 'assert';
import { mlp } from '../../../../src/models';
import { MaskedModel, prune } from '../../../../src/prune';

describe('random-units', () => {
  it('removes exactly round(s·n) units per layer, reproducibly per seed, each unit with probability s', () => {
    const net = mlp({ inputShape: [4], hidden: [10, 6], classes: 3, seed: 1 });
    const removedWith = (seed: number) => {
      prune(net, { method: 'random-units', sparsity: 0.5, seed, keepLastDense: true });
      const m = MaskedModel.of(net);
      const t = m.prunableWeights()[0];
      const mask = m.mask(t.name)!.dataSync();
      const out = Array.from({ length: 10 }, (_, j) => j).filter((j) => mask.every((v, i) => i % 10 !== j || v === 0));
      m.undo();
      return out;
    };
    assert.deepStrictEqual(removedWith(3), removedWith(3));
    const counts = new Array(10).fill(0);
    const seen = new Set<string>();
    for (let seed = 0; seed < 300; seed++) {
      const r = removedWith(seed);
      assert.strictEqual(r.length, 5);
      seen.add(r.join(','));
      for (const j of r) counts[j]++;
    }
    assert.ok(seen.size > 100, `many different draws (${seen.size})`);
    // each unit ~ Binomial(300, 0.5): mean 150, sd 8.7; 5 sd either way
    for (const c of counts) assert.ok(Math.abs(c - 150) < 44, `unit removed ${c} times of 300`);
    net.dispose();
  });
});
