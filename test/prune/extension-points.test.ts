/**
 * `registerGranularity` and `registerAllocation`: a registered name can be used in `prune` like
 * a built-in one, and prune does what the registered object says. Each test unregisters what it
 * registered (test/setup.ts fails the run if a registration is left behind).
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../src/models';
import * as pl from '../../src/prune';
import type { Allocation, Granularity } from '../../src/prune';

/** Output units in pairs: columns 2k and 2k+1 of a Dense kernel `[in, out]` form one group. */
const columnPairs: Granularity = {
  name: 'test-column-pairs',
  partition: (w) => {
    const out = w.shape[w.shape.length - 1];
    if (out % 2) throw new Error(`'${w.name}' has ${out} output units; test-column-pairs needs an even number.`);
    const n = w.shape.reduce((a, b) => a * b, 1);
    const groupOf = new Int32Array(n);
    for (let i = 0; i < n; i++) groupOf[i] = Math.floor((i % out) / 2);
    return { numGroups: out / 2, groupOf };
  },
};

/** Prunes only the first weight (its lowest-scoring groups, `sparsity` of them); the others stay dense. */
const firstWeightOnly: Allocation = {
  name: 'test-first-weight-only',
  allocate(items, req) {
    return items.map((it, i) => {
      const n = it.groups.scores.length;
      const keep = new Uint8Array(n).fill(1);
      if (i > 0) return keep;
      const order = Array.from(it.groups.scores.keys()).sort((a, b) => it.groups.scores[a] - it.groups.scores[b]);
      for (const g of order.slice(0, Math.round((req.sparsity ?? 0) * n))) keep[g] = 0;
      return keep;
    });
  },
};

function maskOf(net: tf.LayersModel, weight: string): { values: Float32Array; shape: number[] } {
  const m = pl.MaskedModel.of(net).mask(weight);
  assert.ok(m, `'${weight}' has a mask`);
  return { values: m.dataSync() as Float32Array, shape: m.shape };
}

describe('prune: registered granularities and allocations', () => {
  let net: tf.LayersModel;
  beforeEach(() => {
    net = createModel('mlp', { inputShape: [6], hidden: [8, 4], classes: 4, seed: 3 });
  });
  afterEach(() => {
    pl.MaskedModel.existing(net)?.strip();
    net.dispose();
    pl.unregisterGranularity('test-column-pairs');
    pl.unregisterGranularity('test-column-pairs-factory');
    pl.unregisterAllocation('test-first-weight-only');
  });

  it('registerGranularity: prune drops whole registered groups, by name, at the requested sparsity', () => {
    pl.registerGranularity('test-column-pairs', columnPairs);
    assert.ok(pl.granularityNames().includes('test-column-pairs'));
    assert.strictEqual(pl.resolveGranularity('test-column-pairs'), columnPairs);
    const before = tf.memory().numTensors;
    pl.prune(net, { granularity: 'test-column-pairs', sparsity: 0.5 });
    for (const w of pl.MaskedModel.of(net).prunableWeights()) {
      const { values, shape } = maskOf(net, w.name);
      const [rows, cols] = shape;
      const keptPairs: number[] = [];
      for (let p = 0; p < cols / 2; p++) {
        const column = (c: number) => Array.from({ length: rows }, (_, r) => values[r * cols + c]);
        const a = column(2 * p), b = column(2 * p + 1);
        assert.ok(a.every((v) => v === a[0]) && b.every((v) => v === a[0]), `${w.name}: columns ${2 * p} and ${2 * p + 1} are kept or dropped together`);
        keptPairs.push(a[0]);
      }
      assert.strictEqual(keptPairs.filter((k) => k === 1).length, cols / 4, `${w.name}: half of the ${cols / 2} pairs kept`);
    }
    assert.strictEqual(tf.memory().numTensors - before, 3 * 2, 'one mask and one kept original per kernel, nothing else');
  });

  it('registerGranularity with a factory, and a shape it refuses: prune throws its error and leaves the model unmasked', () => {
    pl.registerGranularity('test-column-pairs-factory', () => columnPairs);
    assert.strictEqual(pl.resolveGranularity('test-column-pairs-factory'), columnPairs);
    const odd = createModel('mlp', { inputShape: [4], hidden: [3], classes: 2, seed: 0 });
    try {
      const weights = odd.getWeights().map((w) => Array.from(w.dataSync()));
      assert.throws(() => pl.prune(odd, { granularity: 'test-column-pairs-factory', sparsity: 0.5 }), /has 3 output units; test-column-pairs needs an even number/);
      assert.strictEqual(pl.MaskedModel.existing(odd)?.currentMasks().size ?? 0, 0, 'no mask was applied');
      assert.deepStrictEqual(odd.getWeights().map((w) => Array.from(w.dataSync())), weights, 'weights unchanged');
    } finally {
      pl.MaskedModel.existing(odd)?.strip();
      odd.dispose();
    }
  });

  it('registerAllocation: prune lets the registered scope decide per weight, by name', () => {
    pl.registerAllocation('test-first-weight-only', firstWeightOnly);
    assert.ok(pl.allocationNames().includes('test-first-weight-only'));
    assert.strictEqual(pl.resolveAllocation('test-first-weight-only'), firstWeightOnly);
    assert.throws(() => pl.resolveAllocation('test-no-such-scope'), /Known scopes: .*test-first-weight-only/);
    pl.prune(net, { scope: 'test-first-weight-only', sparsity: 0.75 });
    const rows = pl.MaskedModel.of(net).summary().rows;
    assert.deepStrictEqual(rows.map((r) => r.nonzeros), [12, 32, 16], 'first kernel 6×8 keeps a quarter (12 of 48); the others (8×4, 4×4) stay dense');
    // the kept entries of the first kernel are its 12 largest magnitudes
    const w = pl.MaskedModel.of(net).prunableWeights()[0];
    const abs = Array.from(w.variable.read().dataSync()).map(Math.abs);
    const { values } = maskOf(net, w.name);
    const keptMin = Math.min(...abs.filter((_, i) => values[i] === 1));
    assert.ok(abs.every((a, i) => values[i] === 1 || a <= keptMin), 'no dropped weight was larger than a kept one');
  });
});
