// L-OBS compensation: the paper's sequential walk (stale Ψ⁻¹) against the joint OBS update on the same masks.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MaskedModel, prune } from '../../../../src/prune';
import { selectTargets } from '../../../../src/prune/targets';
import { mlp, values } from '../../helpers';

/** Strongly correlated inputs (rank-4 signal in 16 features plus a little noise), as pixels are. */
function correlatedInputs(n: number, m: number): tf.Tensor2D {
  const z = values(n * 4, 7);
  const a = values(4 * m, 11);
  const noise = values(n * m, 13);
  const x = new Float32Array(n * m);
  for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) {
    let s = 0.05 * noise[r * m + c];
    for (let k = 0; k < 4; k++) s += z[r * 4 + k] * a[k * m + c];
    x[r * m + c] = s;
  }
  return tf.tensor2d(x, [n, m]);
}

describe('L-OBS compensation', () => {
  it("compensation 'exact' is the joint OBS optimum on the walk's masks, and loses far less than the sequential walk at high sparsity", () => {
    const [n, m, units, damping] = [200, 16, 6, 1e-6];
    const xs = correlatedInputs(n, m);
    const ys = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 3), 'int32'), 3).toFloat();
    const nets = [mlp([m, units, 3], 3), mlp([m, units, 3], 3)];
    nets[1].setWeights(nets[0].getWeights());
    const kernel0 = Float64Array.from(nets[0].layers[0].getWeights()[0].dataSync());
    const bias0 = Float64Array.from(nets[0].layers[0].getWeights()[1].dataSync());
    const run = (net: tf.Sequential, compensation: string) => {
      const layer = selectTargets(net)[0].layerName;
      prune(net, { method: 'l-obs', methodOptions: { inputDamping: damping, compensation }, sparsity: 0.8, include: [layer], data: { xs, ys } });
      const rec = MaskedModel.of(net).history.find((r) => r.method === 'l-obs-layer-errors')!;
      const [k, b] = net.layers[0].getWeights().map((w) => Float64Array.from(w.dataSync()));
      return { measured: (rec.details.layers as Record<string, { measured: number }>)[layer].measured, k, b, mask: MaskedModel.of(net).mask(selectTargets(net)[0].name)!.dataSync() };
    };
    const seq = run(nets[0], 'sequential');
    const exact = run(nets[1], 'exact');
    assert.deepStrictEqual(Array.from(exact.mask), Array.from(seq.mask), 'same masks');

    // Ψ + λI of the augmented inputs, computed here from the data
    const x = xs.dataSync();
    const dim = m + 1;
    const h = new Float64Array(dim * dim);
    for (let r = 0; r < n; r++) {
      const y = [...Array.from(x.subarray(r * m, (r + 1) * m)), 1];
      for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) h[i * dim + j] += (y[i] * y[j]) / n;
    }
    for (let i = 0; i < dim; i++) h[i * dim + i] += damping;
    // optimality on the kept entries K (bias included): ((Ψ + λI) Δ)_K = 0, Δ the unit's change
    for (let o = 0; o < units; o++) {
      const d = Array.from({ length: dim }, (_, i) => (i < m ? exact.k[i * units + o] - kernel0[i * units + o] : exact.b[o] - bias0[o]));
      let scale = 0;
      for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) scale = Math.max(scale, Math.abs(h[i * dim + j] * d[j]));
      for (let i = 0; i < dim; i++) {
        const kept = i === m || exact.mask[i * units + o] === 1;
        if (!kept) {
          assert.strictEqual(exact.k[i * units + o], 0, `pruned entry (${i}, ${o}) is 0`);
          continue;
        }
        let g = 0;
        for (let j = 0; j < dim; j++) g += h[i * dim + j] * d[j];
        assert.ok(Math.abs(g) < 1e-4 * scale, `unit ${o}, kept input ${i}: gradient ${g} (scale ${scale})`);
      }
    }
    // the stale walk keeps only part of its compensation when most of a unit's fan-in goes
    assert.ok(exact.measured < 0.5 * seq.measured, `exact ε ${exact.measured} vs sequential ε ${seq.measured}`);
    tf.dispose([xs, ys]);
    for (const net of nets) MaskedModel.of(net).strip().dispose();
  });
});
