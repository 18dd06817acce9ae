// Ephemeral (activation) sparsity: measured per example, top-k sparsification as a model copy,
// the timing of sparse activations × dense weights, and %sparsity --activations.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createMagicContext, runMagicLine } from '../../../../src/magics';
import { mlp } from '../../../../src/models';
import { activationSparsity, MaskedModel, prune, sparseActivationSpeedup, withTopKActivations } from '../../../../src/prune';
import { isFigure } from '../../../../src/plot';
import { blobs } from '../../../train/fixtures/data';

describe('activation sparsity', () => {
  const data = blobs(120, { dim: 4, classes: 3, seed: 7 });
  const batch = () => ({ xs: tf.tensor2d(data.x, [data.count, 4]), ys: tf.oneHot(tf.tensor1d(data.y, 'int32'), 3).toFloat() });

  it('counts the zero activations of each example where the next layer reads them', () => {
    const net = mlp({ inputShape: [4], hidden: [16, 8], classes: 3, seed: 3 });
    const b = batch();
    const [l1, l2] = activationSparsity(net, b);
    const h1 = tf.tidy(() => (tf.model({ inputs: net.inputs, outputs: net.layers[0].output as tf.SymbolicTensor }).predict(b.xs) as tf.Tensor).arraySync() as number[][]);
    assert.deepStrictEqual(l1.perExample, h1.map((r) => r.filter((v) => v === 0).length / 16));
    assert.strictEqual(l1.size, 16);
    assert.strictEqual(l2.size, 8);
    assert.ok(Math.abs(l1.mean - l1.perExample.reduce((a, c) => a + c, 0) / data.count) < 1e-12);
    assert.throws(() => activationSparsity(net, b, { layers: ['nope'] }), /nope is not a layer whose output another Dense\/Conv2D layer reads/);
    tf.dispose([b.xs, b.ys]);
    net.dispose();
  });

  it('top-k keeps at most k activations per example in a copy; with k = all units it computes what the model does', () => {
    const net = mlp({ inputShape: [4], hidden: [16, 8], classes: 3, seed: 3 });
    const b = batch();
    const first = net.layers[0].name;
    const top = withTopKActivations(net, { [first]: 3 });
    const probe = tf.model({ inputs: top.inputs, outputs: top.layers[1].output as tf.SymbolicTensor });
    const h = tf.tidy(() => (probe.predict(b.xs) as tf.Tensor).arraySync() as number[][]);
    assert.ok(h.every((r) => r.filter((v) => v !== 0).length <= 3));
    const all = withTopKActivations(net, { [first]: 16 });
    const [y0, y1] = [net.predict(b.xs) as tf.Tensor, all.predict(b.xs) as tf.Tensor];
    assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(y0, y1))).dataSync()[0]) < 1e-6);
    // the original is untouched: still a chain that prunes
    prune(net, { method: 'variance', sparsity: 0.5, data: b, keepLastDense: true });
    assert.throws(() => withTopKActivations(net, { [first]: 0 }), /k must be a positive integer/);
    assert.throws(() => withTopKActivations(net, { nope: 2 }), /has no layer nope/);
    tf.dispose([b.xs, b.ys, y0, y1]);
    top.dispose();
    all.dispose();
    MaskedModel.of(net).strip();
    net.dispose();
  });

  it('times sparse activations × dense weights against the dense product', () => {
    const net = mlp({ inputShape: [4], hidden: [64, 32], classes: 3, seed: 3 });
    const b = batch();
    const [r] = sparseActivationSpeedup(net, b, { layers: [net.layers[0].name], warmup: 1, repeats: 3 });
    const [m] = activationSparsity(net, b, { layers: [net.layers[0].name] });
    assert.ok(Math.abs(r.sparsity - m.mean) < 1e-9);
    assert.ok(r.denseMs > 0 && r.sparseMs > 0 && r.convertMs >= 0 && Number.isFinite(r.speedupKernel) && r.theoretical >= 1);
    assert.strictEqual(r.batch, data.count);
    assert.ok(r.maxError < 1e-4, `the sparse product is the dense one (max |Δ| ${r.maxError})`);
    tf.dispose([b.xs, b.ys]);
    net.dispose();
  });

  it('%sparsity --activations --data prints each layer and returns the histogram figure', async () => {
    const net = mlp({ inputShape: [4], hidden: [16, 8], classes: 3, seed: 3 });
    const lines: string[] = [];
    const ctx = createMagicContext({ variables: { net, ds: { name: 'blobs', train: data, test: data } }, print: (s: string) => lines.push(s) });
    const fig = await runMagicLine('%sparsity net --activations --data ds --examples 50', ctx);
    assert.ok(isFigure(fig));
    assert.strictEqual(lines.length, 2);
    assert.match(lines[0], /→ .*: 16 activations per example, \d+\.\d% zero on average \(10% \/ 50% \/ 90% of examples/);
    await assert.rejects(runMagicLine('%sparsity net --activations', ctx), /needs --data/);
    net.dispose();
  });
});
