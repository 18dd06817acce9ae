import { strict as assert } from 'assert';
import {
  convertSparse, denseToSparse, patternMask, SparseFormat, sparseBytes, sparseToDense, sizeReport, denseBytes, gzipBytes,
} from '../../src/sparse';
import { randn, randomMask, rng } from './helpers';

const FORMATS: SparseFormat[] = ['coo', 'csr', 'csc', 'bsr', 'nm'];

function masked(values: Float32Array, mask: Float32Array): Float32Array {
  return values.map((v, i) => (mask[i] ? v : 0));
}

/** A mask with at most n of every m consecutive columns kept. */
function nmMask(rows: number, cols: number, n: number, m: number, r: () => number, fill = 1): Float32Array {
  const mask = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let g = 0; g < cols / m; g++) {
      const pos = Array.from({ length: m }, (_, j) => j).sort(() => r() - 0.5).slice(0, n);
      for (const j of pos) if (r() < fill) mask[i * cols + g * m + j] = 1;
    }
  }
  return mask;
}

describe('sparse formats: exact round trip', () => {
  const r = rng(1);
  const shapes: Array<[number, number]> = [[1, 1], [3, 8], [17, 12], [33, 64], [64, 20], [5, 0], [0, 4]];
  const sparsities = [0, 0.5, 0.9, 0.99, 1];
  for (const [rows, cols] of shapes) {
    for (const s of sparsities) {
      it(`[${rows}, ${cols}] at sparsity ${s}, all formats`, () => {
        const v = randn(rows * cols, r);
        const mask = randomMask(rows * cols, s, r);
        // Empty rows: zero the whole of row 0's mask when there is one.
        if (rows > 1) mask.fill(0, 0, cols);
        const w = masked(v, mask);
        for (const f of FORMATS) {
          if (f === 'nm') continue; // random masks are not N:M; covered below
          for (const opts of f === 'bsr' ? [{ blockShape: [4, 4] as [number, number] }, { blockShape: [3, 5] as [number, number] }] : [{}]) {
            const sp = denseToSparse(w, [rows, cols], f, { ...opts, mask });
            assert.deepEqual(Array.from(sparseToDense(sp)), Array.from(w), `${f} ${JSON.stringify(opts)}`);
            assert.deepEqual(Array.from(patternMask(sp)).map((x, i) => x && mask[i] ? 1 : x), Array.from(f === 'bsr' ? patternMask(sp) : mask));
          }
        }
      });
    }
  }

  it('N:M round trip (2:4, 1:4, 4:8) with short groups padded', () => {
    for (const [n, m] of [[2, 4], [1, 4], [4, 8]]) {
      const rows = 9, cols = 8 * 3;
      const mask = nmMask(rows, cols, n, m, r, 0.8);
      const w = masked(randn(rows * cols, r), mask);
      const sp = denseToSparse(w, [rows, cols], 'nm', { n, m, mask });
      assert.equal(sp.values.length, rows * (cols / m) * n);
      assert.deepEqual(Array.from(sparseToDense(sp)), Array.from(w));
    }
  });

  it('converts between every pair of formats exactly', () => {
    const rows = 12, cols = 16;
    const mask = nmMask(rows, cols, 2, 4, r);
    const w = masked(randn(rows * cols, r), mask);
    for (const from of FORMATS) {
      for (const to of FORMATS) {
        const a = denseToSparse(w, [rows, cols], from, { mask });
        assert.deepEqual(Array.from(sparseToDense(convertSparse(a, to))), Array.from(w), `${from} -> ${to}`);
      }
    }
  });

  it('keeps explicit zeros inside the mask pattern (mask defines the pattern)', () => {
    const w = new Float32Array([0, 2, 0, 0]);
    const mask = new Float32Array([1, 1, 0, 0]);
    const sp = denseToSparse(w, [2, 2], 'csr', { mask });
    assert.equal(sp.values.length, 2);
    const byValue = denseToSparse(w, [2, 2], 'csr');
    assert.equal(byValue.values.length, 1);
  });

  it('uses 16-bit indices when the dimension allows it', () => {
    const sp = denseToSparse(new Float32Array(4).fill(1), [2, 2], 'csr');
    assert.ok(sp.format === 'csr' && sp.colIdx instanceof Uint16Array);
  });
});

describe('sparse formats: bad input', () => {
  it('rejects a shape that does not fit the data', () => {
    assert.throws(() => denseToSparse(new Float32Array(5), [2, 3], 'csr'), /5 values do not fill shape \[2, 3\]/);
  });
  it('rejects a mask of another size', () => {
    assert.throws(() => denseToSparse(new Float32Array(6), [2, 3], 'csr', { mask: new Float32Array(5) }), /mask has 5 entries/);
  });
  it('rejects a pattern that is not N:M, naming the row and group', () => {
    const w = new Float32Array([1, 1, 1, 0, 1, 0, 0, 0]);
    assert.throws(() => denseToSparse(w, [1, 8], 'nm', { n: 2, m: 4 }), /not 2:4: row 0, columns 0\.\.3/);
  });
  it('rejects invalid N:M parameters and a column count not divisible by M', () => {
    assert.throws(() => denseToSparse(new Float32Array(8), [1, 8], 'nm', { n: 5, m: 4 }), /invalid N:M = 5:4/);
    assert.throws(() => denseToSparse(new Float32Array(6), [1, 6], 'nm', { n: 2, m: 4 }), /multiple of 4/);
  });
  it('rejects a bad block shape and unknown formats, listing the known ones', () => {
    assert.throws(() => denseToSparse(new Float32Array(4), [2, 2], 'bsr', { blockShape: [0, 2] }), /block shape/);
    assert.throws(() => denseToSparse(new Float32Array(4), [2, 2], 'ell' as SparseFormat), /Known formats: coo, csr, csc, bsr, nm/);
  });
});

describe('sparse byte accounting', () => {
  it('counts values, indices and pointers per format', () => {
    const rows = 8, cols = 8;
    const w = new Float32Array(rows * cols);
    w[0] = 1; w[9] = 2; w[63] = 3; // 3 non-zeros
    const csr = sparseBytes(denseToSparse(w, [rows, cols], 'csr'));
    assert.deepEqual(csr, { values: 12, indices: 6, pointers: 36, total: 54 });
    const coo = sparseBytes(denseToSparse(w, [rows, cols], 'coo'));
    assert.deepEqual(coo, { values: 12, indices: 12, pointers: 0, total: 24 });
    const bsr = sparseBytes(denseToSparse(w, [rows, cols], 'bsr', { blockShape: [4, 4] }));
    // blocks (0,0) and (1,1): 2 · 16 values, 2 block columns, 3 block-row pointers
    assert.deepEqual(bsr, { values: 128, indices: 8, pointers: 12, total: 148 });
    assert.equal(denseBytes([rows, cols]), 256);
  });

  it('sizeReport: per weight and total, gzip of the dense weights, N:M dropped when the pattern is not N:M', () => {
    const r = rng(5);
    const a = masked(randn(64 * 32, r), randomMask(64 * 32, 0.9, r));
    const b = masked(randn(8 * 8, r), randomMask(8 * 8, 0.2, r)); // dense-ish: not 2:4
    const rows = sizeReport(new Map([
      ['a', { values: a, shape: [64, 32] as [number, number] }],
      ['b', { values: b, shape: [8, 8] as [number, number] }],
    ]));
    assert.equal(rows.length, 3);
    assert.equal(rows[2].name, 'total');
    assert.ok(rows[0].sparsity > 0.85 && rows[0].sparsity < 0.95);
    assert.equal(rows[0].dense, 64 * 32 * 4);
    assert.equal(rows[0].gzip, gzipBytes(a));
    assert.ok(rows[0].gzip < rows[0].dense / 3, 'gzip compresses a 90%-zero weight');
    assert.ok(rows[0].formats.csr! < rows[0].dense / 3);
    assert.equal(rows[1].formats.nm, undefined);
    assert.equal(rows[2].formats.nm, undefined, 'no N:M total when one weight is not N:M');
    assert.equal(rows[2].formats.csr, rows[0].formats.csr! + rows[1].formats.csr!);
    assert.equal(rows[2].dense, rows[0].dense + rows[1].dense);
  });
});
