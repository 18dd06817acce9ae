// The real datasets: Fashion-MNIST from Debian's package, MNIST and the tiny set shipped in
// datasets/ (MNIST also from a user's own copy named by PRUNELAB_DATA).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { createHash } from 'crypto';
import { classCounts, loadDataset, readManifest, sha256Hex } from '../../src/data';
import { repoRoot, tempDir, cleanupTempDirs, withEnv, isolatedEnv } from './helpers';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const MNIST_DIR = path.join(repoRoot, 'datasets', 'mnist');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Label and first-image pixels read straight from the gzip files, independently of src/data. */
function readIndependently(dir: string, prefix: 'train' | 't10k') {
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`)));
  const images = zlib.gunzipSync(fs.readFileSync(path.join(dir, `${prefix}-images-idx3-ubyte.gz`)));
  return { labels: labels.subarray(8), count: labels.readUInt32BE(4), firstImage: images.subarray(16, 16 + 784) };
}

describe('data: real datasets', function () {
  after(cleanupTempDirs);

  describe('fashion-mnist (Debian dataset-fashion-mnist)', function () {
    before(function () {
      if (!fs.existsSync(FASHION_DIR)) {
        console.log(`    skipped: ${FASHION_DIR} is absent (apt-get install dataset-fashion-mnist)`);
        this.skip();
      }
    });

    it('loads 60000/10000 images of [28, 28, 1] in [0, 1], labels matching the raw files', async () => {
      const ds = await withEnv({ ...isolatedEnv(tempDir()), PRUNELAB_SYSTEM_DATA_DIRS: path.dirname(FASHION_DIR) }, () =>
        loadDataset('fashion-mnist'),
      );
      assert.equal(ds.source, FASHION_DIR);
      assert.equal(ds.train.count, 60000);
      assert.equal(ds.test.count, 10000);
      assert.deepEqual(ds.train.featureShape, [28, 28, 1]);
      assert.equal(ds.classNames[9], 'Ankle boot');
      const raw = readIndependently(FASHION_DIR, 'train');
      assert.equal(raw.count, 60000);
      assert.equal(ds.train.y[0], raw.labels[0]);
      assert.equal(ds.train.y[0], 9, 'the first training image is an ankle boot');
      assert.deepEqual(Array.from(ds.train.y.subarray(0, 100)), Array.from(raw.labels.subarray(0, 100)));
      assert.deepEqual(Array.from(ds.train.x.subarray(0, 784)), Array.from(raw.firstImage, (v) => Math.fround(v / 255)));
      assert.deepEqual(classCounts(ds.train), new Array(10).fill(6000));
      assert.deepEqual(classCounts(ds.test), new Array(10).fill(1000));
      let min = Infinity;
      let max = -Infinity;
      for (const v of ds.test.x) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      assert.deepEqual([min, max], [0, 1]);
    });

    it('subset, validation split, flatten and standardize on the real data', async () => {
      const ds = await withEnv({ ...isolatedEnv(tempDir()), PRUNELAB_SYSTEM_DATA_DIRS: path.dirname(FASHION_DIR) }, () =>
        loadDataset('fashion-mnist', { subset: 10000, validationFraction: 0.1, seed: 7, flatten: true, normalize: 'standardize' }),
      );
      assert.equal(ds.train.count, 9000);
      assert.equal(ds.validation!.count, 1000);
      assert.deepEqual(ds.train.featureShape, [784]);
      assert.deepEqual(classCounts(ds.validation!), new Array(10).fill(100));
      // Fashion-MNIST's well-known global pixel mean/std on [0, 1] data are about 0.286 / 0.353.
      const norm = ds.normalization!;
      assert.equal(norm.scope, 'global');
      assert.ok(Math.abs(norm.offset[0] / 255 - 0.286) < 0.01, `mean ${norm.offset[0] / 255}`);
      assert.ok(Math.abs(norm.scale[0] / 255 - 0.353) < 0.01, `std ${norm.scale[0] / 255}`);
    });
  });

  describe('mnist (shipped in datasets/mnist)', () => {
    it('loads 60000/10000 from the repository with no PRUNELAB_DATA, cache, system copy or download', async () => {
      const ds = await withEnv(isolatedEnv(tempDir()), () => loadDataset('mnist'));
      assert.equal(ds.source, MNIST_DIR);
      assert.equal(ds.train.count, 60000);
      assert.equal(ds.test.count, 10000);
      const raw = readIndependently(MNIST_DIR, 'train');
      assert.deepEqual(Array.from(ds.train.y.subarray(0, 100)), Array.from(raw.labels.subarray(0, 100)));
      assert.deepEqual(Array.from(ds.train.y.subarray(0, 5)), [5, 0, 4, 1, 9]);
      assert.deepEqual(Array.from(ds.train.x.subarray(0, 784)), Array.from(raw.firstImage, (v) => Math.fround(v / 255)));
      assert.equal(ds.test.y[0], 7);
      for (const v of ds.train.y) assert.ok(v >= 0 && v < 10);
    });

    it("the shipped files are the canonical ones: the manifest's digests, computed here independently", () => {
      // The MD5s published with MNIST, so the manifest cannot merely agree with itself.
      const canonicalMd5: Record<string, string> = {
        'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
        'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
        't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
        't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
      };
      const m = readManifest('mnist');
      assert.equal(m.bundled, true, 'the manifest says the files ship with prunelab');
      for (const f of Object.values(m.files)) {
        const stored = fs.readFileSync(path.join(MNIST_DIR, f.name));
        assert.equal(createHash('md5').update(stored).digest('hex'), canonicalMd5[f.name], `${f.name} MD5`);
        assert.equal(sha256(stored), f.variants[0].sha256, f.name);
        assert.equal(stored.length, f.variants[0].bytes, `${f.name} size`);
        assert.equal(sha256(zlib.gunzipSync(stored)), f.contentSha256, `${f.name} contents`);
      }
    });

    it('a copy named by PRUNELAB_DATA (a user\'s own) is found before the shipped one', async () => {
      const userData = tempDir();
      fs.mkdirSync(path.join(userData, 'mnist'));
      for (const f of fs.readdirSync(MNIST_DIR).filter((n) => n.endsWith('.gz'))) {
        fs.copyFileSync(path.join(MNIST_DIR, f), path.join(userData, 'mnist', f));
      }
      const ds = await withEnv({ ...isolatedEnv(tempDir()), PRUNELAB_DATA: userData }, () => loadDataset('mnist', { testSubset: 100 }));
      assert.equal(ds.source, path.join(userData, 'mnist'));
      assert.equal(ds.train.count, 60000);
    });
  });

  describe('tiny-fashion (shipped in datasets/)', () => {
    it('loads 1000/500 balanced images from the repository, independent of the environment', async () => {
      const ds = await withEnv(isolatedEnv(tempDir()), () => loadDataset('tiny-fashion'));
      assert.equal(ds.source, path.join(repoRoot, 'datasets', 'tiny-fashion'));
      assert.equal(ds.train.count, 1000);
      assert.equal(ds.test.count, 500);
      assert.deepEqual(classCounts(ds.train), new Array(10).fill(100));
      assert.deepEqual(classCounts(ds.test), new Array(10).fill(50));
      const size = fs.readdirSync(ds.source).filter((f) => f.endsWith('.gz')).reduce((s, f) => s + fs.statSync(path.join(ds.source, f)).size, 0);
      assert.ok(size < 1024 * 1024, `${size} bytes`);
    });

    it('is the first images of each class of Fashion-MNIST, as the script claims', async function () {
      if (!fs.existsSync(FASHION_DIR)) {
        console.log(`    skipped: ${FASHION_DIR} is absent, cannot compare with the full dataset`);
        this.skip();
      }
      const tiny = await withEnv(isolatedEnv(tempDir()), () => loadDataset('tiny-fashion', { normalize: 'none' }));
      const full = readIndependently(FASHION_DIR, 'train');
      // The first tiny image is the first full image (an ankle boot, class 9 has < 100 before it).
      assert.deepEqual(Array.from(tiny.train.x.subarray(0, 784)), Array.from(full.firstImage));
      const firstOfClass0 = full.labels.indexOf(0);
      const tinyIndex = tiny.train.y.indexOf(0);
      const images = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_DIR, 'train-images-idx3-ubyte.gz')));
      assert.deepEqual(
        Array.from(tiny.train.x.subarray(tinyIndex * 784, tinyIndex * 784 + 784)),
        Array.from(images.subarray(16 + firstOfClass0 * 784, 16 + (firstOfClass0 + 1) * 784)),
      );
      const m = readManifest('tiny-fashion');
      for (const f of Object.values(m.files)) {
        assert.equal(sha256Hex(fs.readFileSync(path.join(tiny.source, f.name))), f.variants[0].sha256);
      }
    });
  });
});
