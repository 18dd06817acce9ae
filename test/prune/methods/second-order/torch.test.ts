// OBD, L-OBS and WoodFisher against PyTorch float64 references (scripts/torch-fixtures/second-order.py).
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createContext } from '../../../../src/prune/context';
import { hessianDiagonal, layerInverses } from '../../../../src/prune/methods';
import { fisherBlocks } from '../../../../src/prune/methods/woodfisher';
import { MaskedModel, prune } from '../../../../src/prune';
import { selectTargets } from '../../../../src/prune/targets';
import { fixture, fixtureModel, relDiff, toTf } from './fixture';

const S = fixture.sizes;

describe(`second-order methods vs PyTorch ${fixture.torch} (float64 references)`, () => {
  let fx: ReturnType<typeof fixtureModel>;
  beforeEach(() => (fx = fixtureModel()));
  afterEach(() => {
    fx.model.dispose();
    fx.batch.xs.dispose();
    fx.batch.ys.dispose();
  });

  for (const [diagonal, key] of [['exact', 'exact'], ['gauss-newton', 'gaussNewton'], ['fisher', 'fisher']] as const) {
    it(`OBD ${diagonal} Hessian diagonal matches torch to 1e-4 relative, and so do the saliencies`, () => {
      const targets = selectTargets(fx.model);
      const ctx = createContext(fx.model, targets, { data: fx.batch });
      try {
        const d = hessianDiagonal(ctx, { diagonal, hutchinsonSamples: 1 });
        targets.forEach((t, i) => {
          const ref = toTf(fixture.obd[key][i], S[i + 1], S[i]);
          const got = d.get(t.name)!.dataSync();
          assert.ok(relDiff(got, ref) < 1e-4, `${t.name}: ${relDiff(got, ref)}`);
        });
        for (const x of d.values()) x.dispose();
      } finally {
        ctx.dispose();
      }
      // the method end to end: the same weights removed as by ½·h·w² computed from torch's diagonal
      const ref = fixture.obd[key].map((h, i) => toTf(h, S[i + 1], S[i]).map((v, k) => 0.5 * v * toTf(fixture.weights[i], S[i + 1], S[i])[k] ** 2));
      prune(fx.model, { method: 'obd', methodOptions: { diagonal }, sparsity: 0.5, data: fx.batch });
      const m = MaskedModel.of(fx.model);
      fx.kernels.forEach((k, i) => {
        const mask = m.mask(k)!.dataSync();
        const sorted = Array.from(ref[i]).map((s, j) => ({ s, j })).sort((a, b) => a.s - b.s);
        const removed = new Set(sorted.slice(0, Math.round(0.5 * ref[i].length)).map((e) => e.j));
        mask.forEach((v, j) => assert.strictEqual(v, removed.has(j) ? 0 : 1, `${k} entry ${j}`));
      });
    });
  }

  it('L-OBS: Ψ and its damped inverse match torch (1e-4), and pruning selects the same weights and gives the same kernels and biases', () => {
    const targets = selectTargets(fx.model);
    const ctx = createContext(fx.model, targets, { data: fx.batch });
    try {
      const inv = layerInverses(ctx, fixture.lobs.damping);
      targets.forEach((t, i) => {
        const h = inv.get(t.name)!;
        assert.ok(relDiff(h.psi, fixture.lobs.layers[i].psi) < 1e-5);
        assert.ok(relDiff(h.psiInv, fixture.lobs.layers[i].psiInverse) < 1e-4, `Ψ⁻¹ ${relDiff(h.psiInv, fixture.lobs.layers[i].psiInverse)}`);
      });
    } finally {
      ctx.dispose();
    }
    prune(fx.model, { method: 'l-obs', methodOptions: { inputDamping: fixture.lobs.damping }, sparsity: fixture.lobs.sparsity, data: fx.batch });
    const m = MaskedModel.of(fx.model);
    fixture.lobs.layers.forEach((ref, i) => {
      assert.deepStrictEqual(Array.from(m.mask(fx.kernels[i])!.dataSync()), Array.from(toTf(ref.mask, S[i + 1], S[i])), `mask of layer ${i}`);
      const k = fx.model.layers[i].weights[0].read().dataSync();
      assert.ok(relDiff(k, toTf(ref.kernel, S[i + 1], S[i])) < 1e-4, `kernel ${i}: ${relDiff(k, toTf(ref.kernel, S[i + 1], S[i]))}`);
      const b = fx.model.layers[i].weights[1].read().dataSync();
      assert.ok(relDiff(b, ref.bias) < 1e-4, `bias ${i}: ${relDiff(b, ref.bias)}`);
    });
    const rec = m.history.find((r) => r.method === 'l-obs-layer-errors');
    assert.ok(rec, 'the layer-wise errors are recorded');
    const layers = rec.details.layers as Record<string, { measured: number; predicted: number }>;
    for (const v of Object.values(layers)) assert.ok(v.measured > 0 && Number.isFinite(v.predicted));
  });

  for (const inverse of ['woodbury', 'direct', 'low-rank'] as const) {
    it(`WoodFisher (${inverse}): block inverses, scores, global selection and the summed OBS update match torch`, () => {
      const o = { blockSize: fixture.woodfisher.blockSize, fisherDamping: fixture.woodfisher.damping, fisherInverse: inverse, scalePruneUpdate: 1 };
      const targets = selectTargets(fx.model);
      const ctx = createContext(fx.model, targets, { data: fx.batch });
      try {
        const blocks = fisherBlocks(ctx, o);
        targets.forEach((t, i) => {
          const ref = fixture.woodfisher.layers[i];
          const got = blocks.get(t.name)!.blocks;
          assert.strictEqual(got.length, ref.blocksWoodbury.length);
          got.forEach((b, k) => {
            // an implicit block is checked through what it gives: its diagonal and F⁻¹v for every unit vector
            const matrix = b.matrix ?? Float64Array.from({ length: b.len * b.len }, (_, i) => b.apply(Float64Array.from({ length: b.len }, (_, a) => (a === i % b.len ? 1 : 0)))[Math.floor(i / b.len)]);
            assert.ok(relDiff(matrix, ref.blocksWoodbury[k]) < 1e-4, `${t.name} block ${k}: ${relDiff(matrix, ref.blocksWoodbury[k])}`);
            assert.ok(relDiff(matrix, ref.blocksDirect[k]) < 1e-4);
            assert.ok(relDiff(b.diagonal, Float64Array.from({ length: b.len }, (_, a) => ref.blocksDirect[k][a * b.len + a])) < 1e-4, `${t.name} block ${k} diagonal`);
          });
        });
      } finally {
        ctx.dispose();
      }
      prune(fx.model, { method: 'woodfisher', methodOptions: o, sparsity: fixture.woodfisher.sparsity, scope: 'global', data: fx.batch });
      const m = MaskedModel.of(fx.model);
      fixture.woodfisher.layers.forEach((ref, i) => {
        // fixture arrays are the [out, in]-flattened kernel
        assert.deepStrictEqual(Array.from(m.mask(fx.kernels[i])!.dataSync()), Array.from(toTf(ref.mask, S[i + 1], S[i])), `mask of layer ${i}`);
        const k = fx.model.layers[i].weights[0].read().dataSync();
        assert.ok(relDiff(k, toTf(ref.kernel, S[i + 1], S[i])) < 1e-4, `kernel ${i}: ${relDiff(k, toTf(ref.kernel, S[i + 1], S[i]))}`);
      });
    });
  }
});
