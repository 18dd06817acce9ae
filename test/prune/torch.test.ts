// Masks compared with torch.nn.utils.prune (fixtures from scripts/make-torch-fixtures.py).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { MaskedModel, prune } from '../../src/prune';
import { roundHalfEven } from '../../src/sparse';
import { cnn, zeros } from './helpers';

interface Fixture {
  torch: string;
  weights: Record<string, { shape: number[]; values: number[] }>;
  cases: any[];
}
const fixture: Fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'torch', 'prune.json'), 'utf8'),
);

/** torch layout → tfjs layout: Linear [out,in] → [in,out]; Conv2d [out,in,kh,kw] → [kh,kw,in,out]. */
const TO_TF: Record<number, number[]> = { 2: [1, 0], 4: [2, 3, 1, 0] };
/** tfjs layout → torch layout. */
const TO_TORCH: Record<number, number[]> = { 2: [1, 0], 4: [3, 2, 0, 1] };

/** A CNN whose conv/fc1/fc2 kernels hold the fixture's weights. */
function fixtureModel(): { model: tf.LayersModel; names: Record<string, string> } {
  const model = cnn();
  const names: Record<string, string> = {};
  const layerOf: Record<string, number> = { conv: 0, fc1: 2, fc2: 3 };
  for (const [k, w] of Object.entries(fixture.weights)) {
    const layer = model.layers[layerOf[k]];
    const kernel = layer.weights[0];
    const t = tf.tidy(() => tf.transpose(tf.tensor(w.values, w.shape), TO_TF[w.shape.length]));
    kernel.write(t);
    t.dispose();
    names[k] = (kernel.read() as tf.Variable).name;
  }
  return { model, names };
}

function torchMask(masked: MaskedModel, name: string): number[] {
  const m = masked.mask(name)!;
  return tf.tidy(() => Array.from(tf.transpose(m, TO_TORCH[m.rank]).dataSync()));
}

function cases(kind: string): any[] {
  return fixture.cases.filter((c) => c.kind === kind);
}

describe(`prune: masks match torch.nn.utils.prune (fixtures from torch ${fixture.torch})`, () => {
  it('layerwise magnitude = l1_unstructured, per layer', () => {
    for (const c of cases('l1_unstructured')) {
      const { model, names } = fixtureModel();
      const m = prune(model, { criterion: 'magnitude', sparsity: c.amount, include: [names[c.layer]] });
      assert.deepStrictEqual(torchMask(m, names[c.layer]), c.mask, `${c.layer} @ ${c.amount}`);
      assert.deepStrictEqual([...m.masks().keys()], [names[c.layer]], 'only the included layer is masked');
      m.strip().dispose();
    }
  });

  it('global magnitude = global_unstructured', () => {
    const [c] = cases('global_unstructured');
    const { model, names } = fixtureModel();
    const m = prune(model, { sparsity: c.amount, scope: 'global' });
    let pruned = 0, total = 0;
    for (const k of ['conv', 'fc1', 'fc2']) {
      assert.deepStrictEqual(torchMask(m, names[k]), c.masks[k], k);
      pruned += zeros(c.masks[k]);
      total += c.masks[k].length;
    }
    assert.strictEqual(pruned, roundHalfEven(c.amount * total));
    m.strip().dispose();
  });

  it('L2/L1-structured over Linear rows, conv filters and conv channels = ln_structured', () => {
    for (const c of cases('ln_structured')) {
      const { model, names } = fixtureModel();
      const granularity = c.dim === 1 ? 'channel' : c.layer === 'conv' ? 'filter' : 'neuron';
      const m = prune(model, { sparsity: c.amount, granularity, groupReduce: c.n === 1 ? 'l1' : 'l2', include: [names[c.layer]] });
      assert.deepStrictEqual(torchMask(m, names[c.layer]), c.mask, `${c.layer} dim ${c.dim} n ${c.n}`);
      assert.ok(zeros(c.mask) > 0);
      m.strip().dispose();
    }
  });

  it("pruning twice composes like torch's PruningContainer (relativeTo: 'remaining')", () => {
    const [c] = cases('l1_unstructured_twice');
    const { model, names } = fixtureModel();
    prune(model, { sparsity: c.amount, include: [names[c.layer]], relativeTo: 'remaining' });
    const m = prune(model, { sparsity: c.amount, include: [names[c.layer]], relativeTo: 'remaining' });
    assert.deepStrictEqual(torchMask(m, names[c.layer]), c.mask);
    m.strip().dispose();
  });

  it('random criterion prunes exactly as many entries as random_unstructured', () => {
    const [c] = cases('random_unstructured_counts');
    const bySize = new Map<number, tf.LayersModel>();
    for (const { size, amount, pruned } of c.counts as { size: number; amount: number; pruned: number }[]) {
      let model = bySize.get(size);
      if (!model) {
        model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [size], units: 1, useBias: false })] });
        bySize.set(size, model);
      }
      const m = prune(model, { criterion: 'random', sparsity: amount, seed: size });
      const name = [...m.masks().keys()][0];
      assert.strictEqual(zeros(m.mask(name)!.dataSync()), pruned, `size ${size}, amount ${amount}`);
      m.undo();
    }
    for (const model of bySize.values()) model.dispose();
    assert.ok(c.counts.some((x: { size: number; amount: number; pruned: number }) => x.amount * x.size === Math.floor(x.amount * x.size) + 0.5), 'fixture covers .5 rounding');
  });
});
