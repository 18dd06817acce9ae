/**
 * Benchmark: global magnitude masks for a 10-million-parameter MLP, by threshold selection
 * (quickselect, O(n)) versus a full sort of every |w| measured in the same run.
 * Run: npm run bench:prune  (PRUNELAB_BACKEND=cpu|wasm to choose the backend).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { MaskedModel, prunableWeights, prune } from '../src/prune';
import { keepAllButLowest, roundHalfEven } from '../src/sparse';

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Global magnitude masks the naive way: copy all |w|, sort them all, threshold, build masks. */
function fullSortMasks(model: tf.LayersModel, sparsity: number): tf.Tensor[] {
  const ws = prunableWeights(model);
  const total = ws.reduce((a, w) => a + w.size, 0);
  const all = new Float32Array(total);
  const parts = ws.map((w) => Float32Array.from(w.variable.read().dataSync() as Float32Array, Math.abs));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  all.sort();
  const k = roundHalfEven(sparsity * total);
  const t = all[k - 1];
  return ws.map((w, i) => tf.tensor(Float32Array.from(parts[i], (x) => (x > t ? 1 : 0)), w.shape));
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const net = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [2000], units: 2500, activation: 'relu' }),
      tf.layers.dense({ units: 2000 }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const params = prunableWeights(net).reduce((a, w) => a + w.size, 0);
  console.log(`backend ${backend}; MLP 2000-2500-2000-10: ${(params / 1e6).toFixed(2)}M prunable weights; global magnitude, sparsity 0.9`);

  // selection alone on the pooled scores
  const pool = new Float32Array(params);
  let off = 0;
  for (const w of prunableWeights(net)) {
    const d = w.variable.read().dataSync() as Float32Array;
    for (let i = 0; i < d.length; i++) pool[off + i] = Math.abs(d[i]);
    off += d.length;
  }
  const k = roundHalfEven(0.9 * params);
  let t0 = now();
  keepAllButLowest(pool, k);
  const tSelect = now() - t0;
  t0 = now();
  Float32Array.from(pool).sort();
  const tSort = now() - t0;

  // end to end: the full prune() call vs the full-sort pipeline
  t0 = now();
  const base = fullSortMasks(net, 0.9);
  const tBaseline = now() - t0;
  tf.dispose(base);
  t0 = now();
  const m = prune(net, { criterion: 'magnitude', sparsity: 0.9, scope: 'global' });
  const tPrune = now() - t0;
  const s = m.summary().total;
  console.log(`selection only:  threshold (radix + quickselect) ${tSelect.toFixed(0)} ms   full sort ${tSort.toFixed(0)} ms   (sort/threshold ${(tSort / tSelect).toFixed(1)}x)`);
  console.log(`end to end:      prune() ${tPrune.toFixed(0)} ms   full-sort masks ${tBaseline.toFixed(0)} ms   (baseline/prune ${(tBaseline / tPrune).toFixed(2)}x)`);
  console.log(`goal: prune() < 2000 ms → ${tPrune < 2000 ? 'met' : 'NOT met'}; model sparsity ${(100 * s.sparsity).toFixed(2)}% (biases count as dense)`);
  MaskedModel.of(net).strip().dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
