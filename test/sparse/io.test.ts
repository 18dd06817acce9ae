import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeSparse, denseToSparse, encodeSparse, loadSparse, saveSparse, SparseFormat, sparseToDense, validateSparse } from '../../src/sparse';
import { randn, randomMask, rng } from './helpers';

describe('sparse files (.plsp)', () => {
  const r = rng(11);
  const w = randn(12 * 16, r);
  const mask = randomMask(12 * 16, 0.7, r);
  for (let i = 0; i < 12; i++) for (let g = 0; g < 4; g++) { // make it 2:4 so every format applies
    let kept = 0;
    for (let j = 0; j < 4; j++) if (mask[i * 16 + g * 4 + j] && ++kept > 2) mask[i * 16 + g * 4 + j] = 0;
  }
  const a = w.map((v, i) => (mask[i] ? v : 0));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plsp-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const f of ['coo', 'csr', 'csc', 'bsr', 'nm'] as SparseFormat[]) {
    it(`${f}: save / load round trip is exact`, () => {
      const s = denseToSparse(a, [12, 16], f, { mask });
      const file = path.join(dir, `${f}.plsp`);
      saveSparse(file, s);
      const back = loadSparse(file);
      assert.equal(back.format, f);
      assert.deepEqual(Array.from(sparseToDense(back)), Array.from(a));
      assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.tmp-')), [], 'no temporary files left');
    });
  }

  it('truncated files are rejected with a clear message, at every cut point', () => {
    const bytes = encodeSparse(denseToSparse(a, [12, 16], 'csr', { mask }));
    for (const cut of [0, 5, 11, 20, 60, bytes.length - 9, bytes.length - 1]) {
      assert.throws(() => decodeSparse(bytes.subarray(0, cut)), /Invalid sparse data: .*(truncated|too short|unexpected bytes|unreadable header|ends at)/, `cut ${cut}`);
    }
  });

  it('out-of-range indices, broken pointers and invalid N:M are rejected', () => {
    const csr = denseToSparse(a, [12, 16], 'csr', { mask });
    if (csr.format !== 'csr') throw new Error();
    const bad1 = { ...csr, colIdx: csr.colIdx.slice() };
    bad1.colIdx[3] = 16;
    assert.throws(() => encodeSparse(bad1), /colIdx\[3\] = 16 is out of range \(must be < 16\)/);
    // Tamper inside the encoded bytes: the decoder catches it too.
    const bytes = encodeSparse(csr);
    const s2 = decodeSparse(bytes);
    if (s2.format !== 'csr') throw new Error();
    const idxPos = bytes.length - 8 * Math.ceil(s2.values.byteLength / 8) - 8 * Math.ceil(s2.colIdx.byteLength / 8);
    const tampered = bytes.slice();
    new DataView(tampered.buffer).setUint16(idxPos, 999, true);
    assert.throws(() => decodeSparse(tampered), /out of range/);
    const bad2 = { ...csr, rowPtr: csr.rowPtr.slice() };
    bad2.rowPtr[5] = bad2.rowPtr[6] + 1;
    assert.throws(() => validateSparse(bad2), /rowPtr decreases at 5/);
    const nm = denseToSparse(a, [12, 16], 'nm', { mask });
    if (nm.format !== 'nm') throw new Error();
    assert.throws(() => validateSparse({ ...nm, indices: nm.indices.map(() => 4) }), /indices\[0\] = 4 is out of range \(must be < 4\)/);
    assert.throws(() => validateSparse({ ...nm, n: 5 }), /invalid N:M = 5:4/);
    assert.throws(() => validateSparse({ ...nm, indices: nm.indices.map(() => 1) }), /repeats position 1/);
  });

  it('NaN or infinite weights are rejected on save and on load, naming the file and the entry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plsp-nan-'));
    try {
      const csr = denseToSparse(a, [12, 16], 'csr');
      const nan = { ...csr, values: csr.values.slice() };
      nan.values[2] = NaN;
      assert.throws(() => saveSparse(path.join(dir, 'nan.plsp'), nan), /values\[2\] = NaN is not finite/);
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
      // A file whose stored values were corrupted afterwards is rejected on load.
      const file = path.join(dir, 'ok.plsp');
      saveSparse(file, csr);
      const bytes = fs.readFileSync(file);
      new DataView(bytes.buffer, bytes.byteOffset).setFloat32(bytes.length - 8 * Math.ceil(csr.values.byteLength / 8), Infinity, true);
      fs.writeFileSync(file, bytes);
      assert.throws(() => loadSparse(file), (e: Error) => e.message.includes(file) && /values\[0\] = Infinity is not finite/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wrong magic number or version is named', () => {
    const bytes = encodeSparse(denseToSparse(a, [12, 16], 'coo'));
    const b1 = bytes.slice();
    b1[0] = 0;
    assert.throws(() => decodeSparse(b1), /bad magic number/);
    const b2 = bytes.slice();
    b2[4] = 9;
    assert.throws(() => decodeSparse(b2), /file version 9/);
  });

  it('a failed save leaves no file behind and an existing file untouched', () => {
    const file = path.join(dir, 'keep.plsp');
    const good = denseToSparse(a, [12, 16], 'csr');
    saveSparse(file, good);
    const before = fs.readFileSync(file);
    if (good.format !== 'csr') throw new Error();
    const bad = { ...good, colIdx: good.colIdx.map(() => 99) };
    assert.throws(() => saveSparse(file, bad), /out of range/);
    assert.deepEqual(fs.readFileSync(file), before);
    // A path under a regular file cannot be created: the error names the file in the way.
    assert.throws(() => saveSparse(path.join(file, 'sub', 'x.plsp'), good), /keep\.plsp is a file, not a directory/);
    assert.deepEqual(fs.readFileSync(file), before);
    // Missing directories are created, as for masks and models.
    saveSparse(path.join(dir, 'new-dir', 'x.plsp'), good);
    assert.ok(fs.existsSync(path.join(dir, 'new-dir', 'x.plsp')));
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
    assert.throws(() => loadSparse(path.join(dir, 'missing.plsp')), /missing\.plsp/);
  });
});
