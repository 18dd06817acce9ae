// What a successful prune() reports when it leaves a layer with no weights (a disconnected network).
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { prunableWeights, prune, type PruneWarning } from '../../src/prune';
import { mlp } from './helpers';

describe('prune: warnings for layers left with no weights', () => {
  it('sparsity 0.999999 empties every layer: one warning naming them, the fix, and a sparsity that keeps one weight', () => {
    const net = mlp([8, 12, 10, 4], 3); // kernels 96, 120 and 40 weights
    const names = net.layers.map((l) => l.name);
    const got: PruneWarning[] = [];
    const m = prune(net, { sparsity: 0.999999, onWarning: (w) => got.push(w) });
    assert.strictEqual(got.length, 1);
    const w = got[0];
    assert.strictEqual(w.kind, 'empty-layers');
    assert.deepStrictEqual(w.layers, names);
    assert.deepStrictEqual(w.weights, prunableWeights(net).map((p) => p.name));
    assert.match(w.message, new RegExp(`layers ${names.join(', ')} have no weights left`));
    assert.match(w.message, /all 96 weights of .* removed/);
    assert.match(w.message, /at sparsity 0\.999999\. The network is disconnected/);
    assert.match(w.message, new RegExp(`Exclude these layers \\(exclude: \\['${names[0]}', '${names[1]}', '${names[2]}'\\], or --exclude ${names.join(',')}\\) or lower the sparsity`));
    // the smallest layer (40 weights) keeps one weight at 39/40
    assert.match(w.message, new RegExp(`at most 0\\.975 keeps at least one of the 40 weights of ${names[2]}`));
    assert.deepStrictEqual(m.history.at(-1)!.details.warnings, [w.message], 'recorded in the history (saved with the masks)');
    m.undo();
    const kept = prune(net, { sparsity: 0.975, include: [names[2]], onWarning: (x) => got.push(x) });
    assert.strictEqual(got.length, 1, 'the suggested sparsity leaves the layer connected');
    kept.strip().dispose();
  });

  it('prints to stderr when no onWarning is given, and says nothing when every layer keeps weights', () => {
    const net = mlp([8, 12, 4], 4);
    const printed: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void printed.push(a.join(' '));
    try {
      const m = prune(net, { sparsity: 0.9 });
      assert.deepStrictEqual(printed, []);
      assert.strictEqual(m.history.at(-1)!.details.warnings, undefined);
      m.undo();
      prune(net, { sparsity: 0.99, include: [net.layers[1].name] }); // 48 weights: round(47.52) = 48
      assert.strictEqual(printed.length, 1);
      assert.match(printed[0], new RegExp(`^Warning: prune: layer ${net.layers[1].name} has no weights left: .*Exclude this layer \\(exclude: \\['${net.layers[1].name}'\\]`));
      m.strip().dispose();
    } finally {
      console.warn = warn;
    }
  });

  it('structured granularities: all output units (neurons/filters) or input channels of a layer removed', () => {
    const net = mlp([8, 6, 4], 5);
    const [d1, d2] = net.layers.map((l) => l.name);
    const got: PruneWarning[] = [];
    const onWarning = (w: PruneWarning) => got.push(w);
    const m = prune(net, { granularity: 'filter', sparsity: 0.95, onWarning }); // d1: round(5.7) = 6 of 6 neurons; d2: round(3.8) = 4 of 4
    assert.strictEqual(got.length, 1);
    assert.match(got[0].message, new RegExp(`layers ${d1}, ${d2} have no weights left: ${d1} \\(all 6 output units \\(neurons/filters\\) of .*\\), ${d2} \\(all 4 output units`));
    assert.match(got[0].message, /at most 0\.75 keeps at least one of the 4 output units \(neurons\/filters\) of /);
    m.undo();
    prune(net, { granularity: 'channel', sparsity: 0.95, include: [d2], onWarning });
    assert.strictEqual(got.length, 2);
    assert.match(got[1].message, new RegExp(`layer ${d2} has no weights left: ${d2} \\(all 6 input channels of `));
    m.undo();
    prune(net, { granularity: 'neuron', sparsity: 0.5, onWarning });
    assert.strictEqual(got.length, 2, 'half the neurons: no warning');
    m.strip().dispose();
  });
});
