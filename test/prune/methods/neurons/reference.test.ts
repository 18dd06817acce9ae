// Family 1 (data-driven neuron methods) against the PyTorch reference of
// scripts/torch-fixtures/neurons.py: statistics, scores, removed units and the weights after
// each method's update, on a fixed MLP and CNN with a fixed calibration batch.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { createContext, getMethod, MaskedModel, prune, resolveOptionValues } from '../../../../src/prune';
import { linksOf } from '../../../../src/prune/neurons/links';
import { linkStatistics } from '../../../../src/prune/neurons/statistics';
import { uid } from '../../helpers';

interface Layer { kernel: number[]; bias: number[] }
interface MethodResult { removed: Record<string, number[]>; weights: Record<string, Layer>; output: number[]; detail: Record<string, { scores: number[]; merges?: number[][]; pairs?: number[][] }> }
interface Case {
  weights: Record<string, Layer>; shapes: Record<string, number[]>; x: number[]; xShape: number[]; output: number[];
  statistics: Record<string, Record<string, number[]>>; methods: Record<string, MethodResult>;
}
const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'torch', 'neurons', 'reference.json'), 'utf8'),
) as { mlp: Case; cnn: Case };

/** The fixture's model with its weights; layers are named `<prefix>_<fixture name>`. */
function build(kind: 'mlp' | 'cnn'): { net: tf.Sequential; name: (l: string) => string } {
  const p = uid(kind);
  const name = (l: string) => `${p}_${l}`;
  const net = tf.sequential();
  if (kind === 'mlp') {
    net.add(tf.layers.dense({ inputShape: [6], units: 8, activation: 'relu', name: name('fc1') }));
    net.add(tf.layers.dense({ units: 5, activation: 'relu', name: name('fc2') }));
    net.add(tf.layers.dense({ units: 3, name: name('fc3') }));
  } else {
    net.add(tf.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, activation: 'relu', name: name('conv1') }));
    net.add(tf.layers.maxPooling2d({ poolSize: 2, name: name('pool1') }));
    net.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: name('conv2') }));
    net.add(tf.layers.flatten({ name: name('flatten') }));
    net.add(tf.layers.dense({ units: 4, name: name('fc') }));
  }
  const c = fixture[kind];
  for (const [l, w] of Object.entries(c.weights)) {
    const ts = [tf.tensor(w.kernel, c.shapes[l]), tf.tensor1d(w.bias)];
    net.getLayer(name(l)).setWeights(ts);
    tf.dispose(ts);
  }
  return { net, name };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.strictEqual(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]} (|Δ| ${err.toExponential(2)})`);
  }
}

const METHODS = ['variance', 'apoz', 'mean-activation', 'unit-norm', 'neuron-merging', 'data-free-merge', 'correlation-merge'];

for (const kind of ['mlp', 'cnn'] as const) {
  describe(`data-driven neuron methods match the PyTorch reference (${kind})`, () => {
    const c = fixture[kind];
    const batch = () => ({ xs: tf.tensor(c.x, c.xShape), ys: tf.zeros([c.xShape[0], 1]) });

    it('unit statistics where the next layer reads them: mean, variance, fold variance, APoZ, fold means (1e-5)', () => {
      const { net, name } = build(kind);
      const b = batch();
      const masked = MaskedModel.of(net);
      const targets = masked.prunableWeights().slice(0, 2);
      const ctx = createContext(net, targets, { data: b });
      try {
        for (const link of linksOf(masked, targets, 'test')) {
          const layer = Object.keys(c.statistics).find((l) => name(l) === link.producer.layerName)!;
          const st = linkStatistics(ctx, link);
          const ref = c.statistics[layer];
          close(st.mean, ref.mean, 1e-5, `${layer} mean`);
          close(st.variance, ref.variance, 1e-5, `${layer} variance`);
          close(st.foldVariance, ref.foldVariance, 1e-5, `${layer} foldVariance`);
          close(st.zeroFraction, ref.zeroFraction, 1e-12, `${layer} zeroFraction`);
          close(st.foldMean.length === ref.foldMean.length ? st.foldMean : Array.from(ref.foldMean, (_, r) => st.foldMean[r % link.units]), ref.foldMean, 1e-5, `${layer} foldMean`);
        }
      } finally {
        ctx.dispose();
        tf.dispose([b.xs, b.ys]);
        net.dispose();
      }
    });

    for (const method of METHODS) {
      it(`${method}: scores, removed units, weights after the update and outputs (1e-5)`, () => {
        const { net, name } = build(kind);
        const b = batch();
        const ref = c.methods[method];
        const masked = MaskedModel.of(net);
        const targets = masked.prunableWeights().slice(0, 2);
        const ctx = createContext(net, targets, { data: b });
        const m = getMethod(method);
        const scores = m.scores!(ctx, resolveOptionValues(m.options ?? [], {}, method));
        try {
          for (const t of targets) {
            const layer = Object.keys(ref.detail).find((l) => name(l) === t.layerName)!;
            const s = scores.get(t.name)!.dataSync();
            const U = t.shape[t.shape.length - 1];
            // the fixture's scores are float64; prunelab's are float32 tensors
            close(Array.from({ length: U }, (_, j) => s[j]), ref.detail[layer].scores, 1e-5, `${method} ${layer} scores`);
          }
        } finally {
          for (const s of scores.values()) s.dispose();
          ctx.dispose();
        }
        prune(net, { method, sparsity: 0.5, data: b, keepLastDense: true });
        for (const [layer, removed] of Object.entries(ref.removed)) {
          const t = masked.prunableWeights().find((w) => w.layerName === name(layer))!;
          const mask = masked.mask(t.name)!.dataSync();
          const U = t.shape[t.shape.length - 1];
          // a unit is removed when its whole kernel column is masked (rows may be masked by the layer before)
          const gone = Array.from({ length: U }, (_, j) => j).filter((j) => mask.every((v, i) => i % U !== j || v === 0));
          assert.deepStrictEqual(gone, removed, `${method}: removed units of ${layer}`);
        }
        // the merge pairs, in order, as the history records them
        const moves = masked.history.find((h) => h.method === `${method} moves`)!.details.layers as { layer: string; moves: { unit: number; into?: number }[] }[];
        for (const [layer, d] of Object.entries(ref.detail)) {
          const expected = d.merges?.map(([j, i]) => [j, i]) ?? d.pairs?.map(([p, q]) => [p, q]);
          if (!expected) continue;
          const got = moves.find((m) => m.layer === name(layer))!.moves.map((m) => [m.unit, m.into ?? -1]);
          assert.deepStrictEqual(got, expected, `${method} ${layer}: merges (removed, into)`);
        }
        for (const [layer, w] of Object.entries(ref.weights)) {
          const l = net.getLayer(name(layer));
          const t = masked.prunableWeights().find((x) => x.layer === l)!;
          const mask = masked.mask(t.name)?.dataSync();
          const k = l.getWeights()[0].dataSync();
          close(Array.from(k, (v, i) => (mask ? v * mask[i] : v)), w.kernel, 1e-5, `${method} ${layer} kernel`);
          // a removed unit's own bias no longer matters (nothing reads it): compare the kept units'
          const gone = new Set(ref.removed[layer] ?? []);
          const bias = l.getWeights()[1].dataSync();
          close(Array.from(bias).filter((_, j) => !gone.has(j)), w.bias.filter((_, j) => !gone.has(j)), 1e-5, `${method} ${layer} bias`);
        }
        const out = tf.tidy(() => (net.predict(b.xs) as tf.Tensor).dataSync());
        close(out, ref.output, 1e-4, `${method} outputs`);
        tf.dispose([b.xs, b.ys]);
        masked.strip();
        net.dispose();
      });
    }
  });
}
