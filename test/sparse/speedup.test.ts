// Structure of the speedup report and figure (timings are measured, never asserted on).
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { breakEvenFromSweep, speedup, speedupFigure, SweepPoint, timeIt } from '../../src/sparse';

describe('speedup: practical vs theoretical', () => {
  it('reports dense vs each format vs the shrunk model, theoretical speedup, bytes and break-even', () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ inputShape: [32], units: 16, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 4 }));
    const masks = new Map<string, tf.Tensor>();
    const k = m.layers[0].weights[0];
    const mask = new Float32Array(32 * 16).map((_, i) => (i % 4 === 0 ? 1 : 0)); // 75% sparse
    masks.set(k.name, tf.tensor(mask, [32, 16]));
    const before = tf.memory().numTensors;
    const rep = speedup(m, { masks, formats: ['csr', 'bsr'], batchSizes: [1, 7], warmup: 1, repeats: 2, breakEvenSparsities: [0.5, 0.9] });
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
    const layerRows = rep.rows.filter((r) => r.kind === 'dense');
    assert.equal(layerRows.length, 2 * 2); // 1 pruned layer × 2 formats × 2 batches
    for (const r of layerRows) {
      assert.equal(r.sparsity, 0.75);
      assert.ok(Math.abs(r.theoretical - 4) < 1e-9);
      assert.equal(r.denseBytes, 32 * 16 * 4);
      assert.ok(r.measured > 0 && r.sparse.min <= r.sparse.median && r.sparse.median <= r.sparse.max);
    }
    assert.deepEqual([...new Set(rep.rows.filter((r) => r.kind === 'model').map((r) => r.variant))], ['csr', 'bsr', 'shrunk']);
    assert.equal(rep.sweep.length, 2 * 2 * 2);
    assert.equal(rep.breakEven.length, 2 * 2);
    const fig = speedupFigure(rep);
    assert.equal(fig.data.length, 4 + 2);
    assert.equal((fig.layout.yaxis as { type: string }).type, 'log');
    JSON.stringify(fig);
    tf.dispose([...masks.values()]);
    m.dispose();
  });

  it('break-even interpolates the first crossing of 1 and is null when sparse never wins', () => {
    const p = (s: number, measured: number, format: 'csr' | 'bsr' = 'csr'): SweepPoint => ({ shape: [8, 8], sparsity: s, batch: 1, format, measured, theoretical: 1 / (1 - s), denseMs: 1, sparseMs: 1 / measured });
    const be = breakEvenFromSweep([p(0.5, 0.5), p(0.7, 0.9), p(0.8, 1.3), p(0.9, 3), p(0.5, 0.2, 'bsr'), p(0.9, 0.8, 'bsr')]);
    const csr = be.find((b) => b.format === 'csr')!;
    assert.ok(Math.abs(csr.sparsity! - 0.725) < 1e-9);
    assert.equal(be.find((b) => b.format === 'bsr')!.sparsity, null);
  });

  it('timeIt returns ordered statistics', () => {
    const s = timeIt(() => { let x = 0; for (let i = 0; i < 1000; i++) x += i; return x; }, { warmup: 0, repeats: 5 });
    assert.ok(s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max && s.repeats === 5);
  });

  it('timeIt stops a slow measurement at its time budget, after at least 3 timed runs, and says how many it took', () => {
    let calls = 0;
    const busy = (ms: number) => { calls++; const end = performance.now() + ms; while (performance.now() < end); };
    // 30 ms a run, 100 ms budget: 3 warm-up runs (90 ms), then 3 timed runs, not 15
    const slow = timeIt(() => busy(30), { warmup: 3, repeats: 15, maxMs: 100 });
    assert.deepStrictEqual([slow.repeats, calls], [3, 6]);
    assert.ok(slow.min >= 29, `each timed run took its 30 ms: ${slow.min}`);
    // a budget never cuts below the repeats asked for when they are fewer than 3, and fast work takes all of them
    assert.strictEqual(timeIt(() => busy(30), { warmup: 0, repeats: 2, maxMs: 1 }).repeats, 2);
    assert.strictEqual(timeIt(() => busy(0), { warmup: 3, repeats: 15 }).repeats, 15);
  });
});
