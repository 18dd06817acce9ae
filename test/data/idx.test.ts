import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { IdxFormatError, encodeIdx, isGzip, parseIdx, readIdxFile, clearIdxCache } from '../../src/data';
import { cleanupTempDirs, idxUint8ByHand, rejection, tempDir, thrown } from './helpers';

describe('data/idx: IDX reader', () => {
  after(cleanupTempDirs);

  it('parses a hand-made uint8 file (raw and gzip) with its shape and values', () => {
    const values = [0, 1, 2, 3, 250, 251, 252, 253, 254, 255, 128, 64];
    const raw = idxUint8ByHand([2, 3, 2], values);
    for (const bytes of [raw, zlib.gzipSync(raw)]) {
      const idx = parseIdx(bytes, 'hand.idx');
      assert.equal(idx.dtype, 'uint8');
      assert.deepEqual(idx.shape, [2, 3, 2]);
      assert.deepEqual(Array.from(idx.data), values);
    }
    assert.equal(isGzip(zlib.gzipSync(raw)), true);
    assert.equal(isGzip(raw), false);
  });

  it('decodes big-endian multi-byte types written by hand', () => {
    // int16 [2]: -2, 258 ; int32 [1]: 0x01020304 ; float32 [1]: 1.5 ; float64 [1]: -0.25
    const int16 = Buffer.from([0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x02]);
    assert.deepEqual(Array.from(parseIdx(int16).data), [-2, 258]);
    const int32 = Buffer.from([0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3, 4]);
    assert.deepEqual(Array.from(parseIdx(int32).data), [0x01020304]);
    const f32 = Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]);
    assert.deepEqual(Array.from(parseIdx(f32).data), [1.5]);
    const f64 = Buffer.from([0, 0, 0x0e, 1, 0, 0, 0, 1, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(parseIdx(f64).data), [-0.25]);
    const int8 = Buffer.from([0, 0, 0x09, 1, 0, 0, 0, 2, 0xff, 0x7f]);
    assert.deepEqual(Array.from(parseIdx(int8).data), [-1, 127]);
  });

  it('encodeIdx round-trips every type and matches the hand-written bytes', () => {
    assert.deepEqual(encodeIdx({ dtype: 'uint8', shape: [3], data: [1, 2, 3] }), idxUint8ByHand([3], [1, 2, 3]));
    const cases = [
      { dtype: 'int8' as const, data: [-128, 0, 127] },
      { dtype: 'int16' as const, data: [-32768, 7, 32767] },
      { dtype: 'int32' as const, data: [-2147483648, 7, 2147483647] },
      { dtype: 'float32' as const, data: [-1.5, 0, 3.25] },
      { dtype: 'float64' as const, data: [Math.PI, -1e300, 0] },
    ];
    for (const c of cases) {
      const back = parseIdx(encodeIdx({ dtype: c.dtype, shape: [3], data: c.data }, { gzip: true }));
      assert.equal(back.dtype, c.dtype);
      assert.deepEqual(Array.from(back.data), c.data);
    }
    assert.ok(thrown(() => encodeIdx({ dtype: 'uint8', shape: [2, 2], data: [1, 2, 3] })).message.includes('holds 4 values'));
  });

  it('rejects a bad magic number, naming the file, the expected and the found bytes', () => {
    const err = thrown(() => parseIdx(Buffer.from('PK\x03\x04 not idx at all'), 'data/images.idx'));
    assert.ok(err instanceof IdxFormatError);
    assert.match(err.message, /^data\/images\.idx: not an IDX file/);
    assert.match(err.message, /expected magic bytes 00 00 <type> <rank>/);
    assert.match(err.message, /found 50 4b 03 04/);
    const badType = thrown(() => parseIdx(Buffer.from([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), 'x.idx'));
    assert.match(badType.message, /found 00 00 07 01/);
    const rank0 = thrown(() => parseIdx(Buffer.from([0, 0, 0x08, 0]), 'x.idx'));
    assert.match(rank0.message, /0 dimensions/);
  });

  it('rejects truncated files: short header, short dimension list, short data, trailing bytes', () => {
    const good = idxUint8ByHand([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const short = thrown(() => parseIdx(good.subarray(0, 3), 'f.idx'));
    assert.match(short.message, /f\.idx: truncated IDX file: expected at least a 4-byte header.*found 3 bytes/);
    const dims = thrown(() => parseIdx(good.subarray(0, 9), 'f.idx'));
    assert.match(dims.message, /declares 3 dimensions, so expected a 16-byte header, found only 9 bytes/);
    const data = thrown(() => parseIdx(good.subarray(0, good.length - 1), 'f.idx'));
    assert.ok(data instanceof IdxFormatError);
    assert.match(data.message, /truncated IDX file: the header declares uint8 data of shape \[2, 2, 2\] = 8 bytes/);
    assert.match(data.message, /\(24 bytes in all\), found 23 bytes/);
    const trailing = thrown(() => parseIdx(Buffer.concat([good, Buffer.from([0])]), 'f.idx'));
    assert.match(trailing.message, /trailing bytes.*found 25 bytes/);
  });

  it('checks expected type and dimensions', () => {
    const bytes = idxUint8ByHand([2, 3], [1, 2, 3, 4, 5, 6]);
    assert.doesNotThrow(() => parseIdx(bytes, 'ok', { dtype: 'uint8', shape: [null, 3] }));
    const dims = thrown(() => parseIdx(bytes, 'labels.idx', { shape: [null, 28, 28] }));
    assert.ok(dims instanceof IdxFormatError);
    assert.equal(dims.message, 'labels.idx: wrong IDX dimensions: expected [any, 28, 28], found [2, 3].');
    const size = thrown(() => parseIdx(bytes, 'labels.idx', { shape: [60000, 3] }));
    assert.match(size.message, /expected \[60000, 3\], found \[2, 3\]/);
    const type = thrown(() => parseIdx(bytes, 'labels.idx', { dtype: 'float32' }));
    assert.match(type.message, /wrong IDX data type: expected float32, found uint8/);
  });

  it('reports truncated and corrupt gzip streams', () => {
    const gz = zlib.gzipSync(idxUint8ByHand([100], Array.from({ length: 100 }, (_, i) => i)));
    const truncated = thrown(() => parseIdx(gz.subarray(0, gz.length - 12), 'imgs.gz'));
    assert.ok(truncated instanceof IdxFormatError);
    assert.match(truncated.message, /^imgs\.gz: truncated gzip stream \(zlib: unexpected end of file\)/);
    const corrupt = Buffer.from(gz);
    corrupt[gz.length - 6] ^= 0xff; // damage the CRC/size trailer
    const bad = thrown(() => parseIdx(corrupt, 'imgs.gz'));
    assert.match(bad.message, /^imgs\.gz: corrupt gzip stream \(zlib: .+\); expected a complete gzip-compressed IDX file/);
    const garbage = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]);
    assert.match(thrown(() => parseIdx(garbage, 'g.gz')).message, /^g\.gz: (corrupt|truncated) gzip stream/);
  });

  it('readIdxFile reads from disk, caches by path and re-reads a changed file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'labels-idx1-ubyte.gz');
    fs.writeFileSync(file, zlib.gzipSync(idxUint8ByHand([3], [1, 2, 3])));
    const a = await readIdxFile(file, { shape: [3] });
    const b = await readIdxFile(file);
    assert.equal(a, b, 'second read is served from the cache');
    assert.equal(a.gzipped, true);
    assert.notEqual(a.fileSha256, a.contentSha256());
    fs.writeFileSync(file, idxUint8ByHand([4], [4, 5, 6, 7]));
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const c = await readIdxFile(file);
    assert.deepEqual(Array.from(c.idx.data), [4, 5, 6, 7]);
    assert.equal(c.fileSha256, c.contentSha256());
    clearIdxCache();
  });

  it('readIdxFile names a missing file and a truncated file', async () => {
    const dir = tempDir();
    const missing = await rejection(readIdxFile(path.join(dir, 'nope.gz')));
    assert.ok(missing instanceof IdxFormatError);
    assert.match(missing.message, /nope\.gz: cannot read the file \(ENOENT\)/);
    const file = path.join(dir, 'cut.gz');
    const gz = zlib.gzipSync(idxUint8ByHand([50], new Array(50).fill(9)));
    fs.writeFileSync(file, gz.subarray(0, 20));
    const cut = await rejection(readIdxFile(file));
    assert.ok(cut.message.startsWith(`${file}: truncated gzip stream`), cut.message);
    // The failure is not cached: a repaired file reads fine.
    fs.writeFileSync(file, gz);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal((await readIdxFile(file)).idx.shape[0], 50);
  });
});
