import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  denseToSparse, kernelToSparse, sparseToKernel, SparseConv2D, SparseFormat, SparseLinear, sparseMatMul, ToSparseOptions,
  sparseWasm, WasmSparseOperator, resolveSparseImpl,
} from '../../src/sparse';
import { TfjsSparseOperator } from '../../src/sparse/tfjs-ops';
import { noLeak, randn, randomMask, refMatMulT, relErr, rng } from './helpers';

/** A mask whose pattern fits format f (N:M masks for 'nm', 4×4-block masks half the time for 'bsr'). */
function maskFor(f: SparseFormat, rows: number, cols: number, sparsity: number, r: () => number): Float32Array {
  if (f === 'nm') {
    const m = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let g = 0; g < cols / 4; g++) {
      const a = Math.floor(r() * 4);
      const b = (a + 1 + Math.floor(r() * 3)) % 4;
      if (sparsity < 1) { m[i * cols + g * 4 + a] = 1; if (r() > 0.2) m[i * cols + g * 4 + b] = 1; }
    }
    return m;
  }
  return randomMask(rows * cols, sparsity, r);
}

const CASES: Array<{ f: SparseFormat; opts?: ToSparseOptions }> = [
  { f: 'csr' }, { f: 'coo' }, { f: 'csc' }, { f: 'bsr', opts: { blockShape: [4, 4] } }, { f: 'bsr', opts: { blockShape: [2, 3] } }, { f: 'nm', opts: { n: 2, m: 4 } },
];

describe('sparse kernels: sparse × dense equals the masked dense product', () => {
  const r = rng(42);
  for (const impl of ['wasm', 'tfjs'] as const) {
    for (const { f, opts } of CASES) {
      const label = f + (opts?.blockShape ? ` ${opts.blockShape.join('x')}` : '');
      it(`${impl} ${label}: random shapes, batch 1/7/32, sparsity 0..1`, () => {
        for (const [rows, cols] of [[13, 24], [37, 64], [64, 100], [5, 4]] as Array<[number, number]>) {
          for (const s of [0, 0.6, 0.95, 1]) {
            const w = randn(rows * cols, r);
            const mask = maskFor(f, rows, cols, s, r);
            if (rows > 2) mask.fill(0, cols, 2 * cols); // an empty row
            const a = w.map((v, i) => (mask[i] ? v : 0));
            const bias = randn(rows, r);
            const sp = denseToSparse(a, [rows, cols], f, { ...opts, mask });
            const op = new SparseLinear(sp, { bias, impl });
            for (const B of [1, 7, 32]) {
              const x = randn(B * cols, r);
              const ref = refMatMulT(x, B, a, rows, cols, bias);
              const xt = tf.tensor2d(x, [B, cols]);
              const y = noLeak(() => { const t = op.apply(xt); const d = t.dataSync().slice(); t.dispose(); return d; });
              xt.dispose();
              const e = relErr(y, ref);
              assert.ok(e <= 1e-5, `${impl} ${label} [${rows}, ${cols}] s=${s} B=${B}: rel err ${e}`);
            }
            op.dispose();
          }
        }
      });
    }
  }

  it('tfjs path: padded rows for rows of similar length (also with whole rows pruned), triplets and segment sum for one long row; both equal the masked dense product', () => {
    const rows = 40, cols = 50;
    const w = randn(rows * cols, r);
    const bias = randn(rows, r);
    const even = randomMask(rows * cols, 0.8, r);
    const neurons = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i += 3) neurons.fill(1, i * cols, (i + 1) * cols); // 2 of 3 output units pruned
    const oneLong = randomMask(rows * cols, 0.97, r);
    oneLong.fill(1, 7 * cols, 8 * cols);
    for (const [label, mask, layout] of [['even rows', even, 'padded-rows'], ['output units pruned', neurons, 'padded-rows'], ['one long row', oneLong, 'triplets']] as const) {
      const a = w.map((v, i) => (mask[i] ? v : 0));
      const op = new TfjsSparseOperator(tf, denseToSparse(a, [rows, cols], 'csr', { mask }), bias);
      assert.strictEqual(op.layout, layout, label);
      for (const B of [1, 9]) {
        const x = randn(B * cols, r);
        const xt = tf.tensor2d(x, [B, cols]);
        const y = noLeak(() => { const t = op.matMul(xt); const d = t.dataSync().slice(); t.dispose(); return d; });
        xt.dispose();
        const e = relErr(y, refMatMulT(x, B, a, rows, cols, bias));
        assert.ok(e <= 1e-5, `${label} B=${B}: rel err ${e}`);
      }
      op.dispose();
    }
  });

  it('the dense tfjs product agrees with the float64 reference too (sanity of the reference)', () => {
    const w = randn(30 * 40, r);
    const x = randn(7 * 40, r);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(x, [7, 40]), tf.tensor2d(w, [30, 40]), false, true).dataSync());
    assert.ok(relErr(y, refMatMulT(x, 7, w, 30, 40)) < 1e-5);
  });

  it('batch 128 with BSR 4x4, 2:4 and CSR (the register-blocked paths) on a larger matrix', () => {
    const rows = 96, cols = 128, B = 128;
    for (const { f, opts } of [CASES[0], CASES[3], CASES[5]]) {
      const w = randn(rows * cols, r);
      const mask = maskFor(f, rows, cols, 0.7, r);
      const a = w.map((v, i) => (mask[i] ? v : 0));
      const x = randn(B * cols, r);
      const op = new WasmSparseOperator(denseToSparse(a, [rows, cols], f, { ...opts, mask }));
      assert.ok(relErr(op.matmul(x, B), refMatMulT(x, B, a, rows, cols)) < 1e-5, f);
      op.dispose();
    }
  });

  it('N:M panel kernel (batch ≥ 16): 2:4, 1:4 and 3:8 (odd entries per row), batch 16/17/33/128, bias, empty groups', () => {
    for (const [n, m] of [[2, 4], [1, 4], [3, 8]]) {
      const rows = 21, cols = 72; // 3:8 → 9 groups × 3 = 27 entries per row (odd: the one-entry tail)
      const w = randn(rows * cols, r);
      const mask = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let g = 0; g < cols / m; g++) {
        if (i === 3) continue; // an all-zero row (stored as explicit zeros)
        const picks = new Set<number>();
        while (picks.size < n) picks.add(Math.floor(r() * m));
        for (const j of picks) if (r() > 0.1) mask[i * cols + g * m + j] = 1;
      }
      const a = w.map((v, i) => (mask[i] ? v : 0));
      const bias = randn(rows, r);
      const op = new WasmSparseOperator(denseToSparse(a, [rows, cols], 'nm', { n, m, mask }), bias);
      for (const B of [16, 17, 33, 128, 1, 7, 32]) {
        const x = randn(B * cols, r);
        const e = relErr(op.matmul(x, B), refMatMulT(x, B, a, rows, cols, bias));
        assert.ok(e <= 1e-5, `${n}:${m} B=${B}: rel err ${e}`);
      }
      op.dispose();
    }
  });

  it('N:M with 32-bit column indices (more than 65536 inputs) on the panel and CSR paths', () => {
    const rows = 3, cols = 65544;
    const w = randn(rows * cols, r);
    const mask = new Float32Array(rows * cols);
    for (let i = 0; i < rows * cols; i += 4) { mask[i + 1] = 1; mask[i + 3] = 1; }
    const a = w.map((v, i) => (mask[i] ? v : 0));
    const sp = denseToSparse(a, [rows, cols], 'nm', { n: 2, m: 4, mask });
    const op = new WasmSparseOperator(sp);
    for (const B of [1, 16]) {
      const x = randn(B * cols, r);
      const e = relErr(op.matmul(x, B), refMatMulT(x, B, a, rows, cols));
      assert.ok(e <= 1e-5, `B=${B}: rel err ${e}`);
    }
    op.dispose();
  });

  it('batch-1 CSR kernel: every row length 0..20 (8- and 4-entry vector steps and scalar tail), 16- and 32-bit indices', () => {
    for (const cols of [40, 70000]) {
      const rows = 21;
      const a = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        const picks = new Set<number>();
        while (picks.size < i) picks.add(Math.floor(r() * cols));
        for (const j of picks) a[i * cols + j] = r() * 2 - 1;
      }
      const bias = randn(rows, r);
      const sp = denseToSparse(a, [rows, cols], 'csr');
      assert.equal(sp.format === 'csr' && sp.colIdx instanceof Uint16Array, cols <= 65536);
      const op = new WasmSparseOperator(sp, bias);
      const x = randn(cols, r);
      const e = relErr(op.matmul(x, 1), refMatMulT(x, 1, a, rows, cols, bias));
      assert.ok(e <= 1e-5, `cols ${cols}: rel err ${e}`);
      op.dispose();
    }
  });

  it('the scratch block kept between calls: growing and shrinking batches, matmul and conv2d on one operator, freed on dispose', () => {
    const heap = sparseWasm().heap;
    const before = heap.allocatedBytes;
    const rows = 8, cols = 3 * 3 * 2;
    const a = randn(rows * cols, r).map((v) => (r() < 0.5 ? 0 : v));
    const bias = randn(rows, r);
    const op = new WasmSparseOperator(denseToSparse(a, [rows, cols], 'csr'), bias);
    const g = { kh: 3, kw: 3, strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: 'valid' as const };
    for (const B of [128, 1, 7, 300, 1, 64]) {
      const x = randn(B * cols, r);
      assert.ok(relErr(op.matmul(x, B), refMatMulT(x, B, a, rows, cols, bias)) <= 1e-5, `B=${B}`);
      // conv2d on a 3×3 image with a 3×3 kernel ('valid') is the same product, one pixel per image
      const c = op.conv2d(x, [B, 3, 3, 2], g);
      assert.deepEqual(c.shape, [B, 1, 1, rows]);
      assert.ok(relErr(c.data, refMatMulT(x, B, a, rows, cols, bias)) <= 1e-5, `conv B=${B}`);
    }
    op.dispose();
    assert.equal(heap.allocatedBytes, before);
  });

  it('SparseLinear reads inputs made by tfjs ops and returns tensors that outlive later ops', () => {
    const rows = 12, cols = 30;
    const a = randn(rows * cols, r).map((v) => (r() < 0.7 ? 0 : v));
    const lin = new SparseLinear(denseToSparse(a, [rows, cols], 'csr'), { impl: 'wasm' });
    for (const B of [1, 5]) {
      const x0 = randn(B * cols, r);
      const [y, x] = noLeak(() => {
        const xs = tf.tidy(() => tf.mul(tf.tensor2d(x0, [B, cols]), 2)); // values live in the backend
        const out = lin.apply(xs);
        const big = tf.ones([512, 512]); // allocations after the product must not disturb it
        big.dispose();
        const d = out.dataSync().slice();
        tf.dispose([xs, out]);
        return [d, x0.map((v) => v * 2)];
      });
      assert.ok(relErr(y, refMatMulT(x, B, a, rows, cols)) <= 1e-5, `B=${B}`);
    }
    lin.dispose();
  });

  it('wasm operators release their memory on dispose', () => {
    const heap = sparseWasm().heap;
    const before = heap.allocatedBytes;
    const op = new WasmSparseOperator(denseToSparse(randn(50 * 60, r), [50, 60], 'csr'), randn(50, r));
    assert.ok(heap.allocatedBytes > before);
    op.matmul(randn(9 * 60, r), 9);
    op.dispose();
    assert.equal(heap.allocatedBytes, before);
    assert.throws(() => op.matmul(randn(60, r), 1), /after dispose/);
  });

  it('kernelToSparse / sparseToKernel: Dense [in, out] and Conv2D [kh, kw, cin, out] kernels', () => {
    for (const shape of [[20, 7], [3, 3, 4, 5]]) {
      const k = tf.tensor(randn(shape.reduce((a, b) => a * b, 1), r), shape);
      const m = tf.tensor(randomMask(k.size, 0.7, r), shape);
      const sp = kernelToSparse(k, 'csr', { mask: m });
      assert.deepEqual(sp.shape, [shape[shape.length - 1], k.size / shape[shape.length - 1]]);
      const back = sparseToKernel(sp, shape);
      const expect = tf.mul(k, m);
      assert.deepEqual(Array.from(back.dataSync(), (v) => v + 0), Array.from(expect.dataSync(), (v) => v + 0)); // -0 == 0
      tf.dispose([k, m, back, expect]);
    }
  });
});

describe('sparse kernels: Conv2D via im2col + sparse product', () => {
  const r = rng(7);
  const configs = [
    { H: 9, W: 8, cin: 3, cout: 5, k: [3, 3], strides: [1, 1], dil: [1, 1], padding: 'same' },
    { H: 10, W: 7, cin: 2, cout: 6, k: [3, 2], strides: [2, 1], dil: [1, 1], padding: 'valid' },
    { H: 11, W: 11, cin: 4, cout: 3, k: [3, 3], strides: [1, 1], dil: [2, 2], padding: 'same' },
    { H: 6, W: 6, cin: 1, cout: 8, k: [5, 5], strides: [2, 2], dil: [1, 1], padding: 'same' },
  ] as const;
  for (const impl of ['wasm', 'tfjs'] as const) {
    for (const f of ['csr', 'bsr'] as SparseFormat[]) {
      it(`${impl} ${f}: equals tf.conv2d on the masked kernel (same/valid, strides, dilation; batch 1/7)`, () => {
        for (const c of configs) {
          const kshape: number[] = [c.k[0], c.k[1], c.cin, c.cout];
          const kernel = tf.tensor4d(randn(kshape.reduce((a, b) => a * b, 1), r), kshape as [number, number, number, number]);
          const mask = tf.tensor4d(randomMask(kernel.size, 0.6, r), kshape as [number, number, number, number]);
          const bias = randn(c.cout, r);
          const sp = kernelToSparse(kernel, f, { mask });
          const op = new SparseConv2D(sp, { kernelSize: [c.k[0], c.k[1]], strides: [...c.strides], dilations: [...c.dil], padding: c.padding }, { bias, impl });
          for (const B of [1, 7]) {
            const x = tf.tensor4d(randn(B * c.H * c.W * c.cin, r), [B, c.H, c.W, c.cin]);
            const ref = tf.tidy(() => tf.add(tf.conv2d(x, tf.mul(kernel, mask) as tf.Tensor4D, [...c.strides], c.padding, 'NHWC', [...c.dil]), tf.tensor1d(bias)));
            const [yShape, y] = noLeak(() => { const t = op.apply(x); const out = [t.shape, t.dataSync().slice()] as const; t.dispose(); return out; });
            assert.deepEqual(yShape, ref.shape);
            const e = relErr(y, ref.dataSync());
            assert.ok(e < 1e-5, `${impl} ${f} ${JSON.stringify(c)} B=${B}: ${e}`);
            tf.dispose([x, ref]);
          }
          op.dispose();
          tf.dispose([kernel, mask]);
        }
      });
    }
  }
});

describe('sparse kernels: bad input', () => {
  const r = rng(3);
  const sp = denseToSparse(randn(6 * 8, r), [6, 8], 'csr');
  it('shape and dtype mismatches name the expected shape', () => {
    const op = new SparseLinear(sp, { impl: 'wasm' });
    const x = tf.zeros([2, 7]);
    assert.throws(() => op.apply(x), /does not match the kernel's 8 inputs; expected \[batch, 8\]/);
    const xi = tf.zeros([2, 8], 'int32');
    assert.throws(() => op.apply(xi), /dtype int32/);
    tf.dispose([x, xi]);
    op.dispose();
    assert.throws(() => new SparseLinear(sp, { bias: new Float32Array(5) }), /bias has 5 values/);
    assert.throws(() => sparseMatMul(tf.zeros([1, 8]), sp, { impl: 'gpu' as 'wasm' }), /Unknown sparse implementation 'gpu'. Known: auto, wasm, tfjs/);
  });
  it('mask / kernel mismatches are reported', () => {
    const k = tf.zeros([4, 3]);
    const m = tf.zeros([3, 4]);
    assert.throws(() => kernelToSparse(k, 'csr', { mask: m }), /mask shape \[3, 4\] differs from kernel shape \[4, 3\]/);
    const ki = tf.zeros([4, 3], 'int32');
    assert.throws(() => kernelToSparse(ki, 'csr'), /dtype is int32/);
    tf.dispose([k, m, ki]);
  });
  it("'auto' picks wasm on the cpu / wasm backends", () => {
    if (!['cpu', 'wasm', 'tensorflow'].includes(tf.getBackend())) {
      console.log(`    (skipped: backend ${tf.getBackend()} is not a CPU backend)`);
      return;
    }
    assert.equal(resolveSparseImpl('auto'), 'wasm');
  });
});
