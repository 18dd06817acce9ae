import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import {
  ChecksumMismatchError,
  DatasetNotFoundError,
  NonFiniteFeaturesError,
  UnknownDatasetError,
  checkSha256,
  listDatasets,
  loadDataset,
  registerDataset,
  registerIdxDataset,
  sha256Hex,
  unregisterDataset,
  validateExamples,
  verifyFileSha256,
  type Dataset,
} from '../../src/data';
import { cleanupTempDirs, isolatedEnv, makeIdxDataset, rejection, tempDir, thrown, withEnv } from './helpers';

describe('data/registry: datasets by name, search paths, checksums', () => {
  after(cleanupTempDirs);
  const registered: string[] = [];
  afterEach(() => {
    while (registered.length) unregisterDataset(registered.pop()!);
  });

  it('lists the built-in datasets; an unknown name lists the known ones', async () => {
    const names = listDatasets();
    for (const n of ['fashion-mnist', 'mnist', 'tiny-fashion', 'blobs', 'xor', 'spirals']) assert.ok(names.includes(n), n);
    const err = await rejection(loadDataset('fashion-mnst'));
    assert.ok(err instanceof UnknownDatasetError);
    assert.match(err.message, /^Unknown dataset 'fashion-mnst'\. Known datasets: blobs, fashion-mnist, mnist, spirals, tiny-fashion, xor\. Did you mean: fashion-mnist\?/);
  });

  it('rejects unknown options and bad values, naming the known ones', async () => {
    await assert.rejects(loadDataset('xor', { subsets: 10 } as never), /unknown option 'subsets'\. Known options: subset, testSubset/);
    await assert.rejects(loadDataset('xor', { normalize: 'zscore' as never }), /unknown normalize 'zscore'\. Known: unit, symmetric, standardize, none/);
    await assert.rejects(loadDataset('xor', { subset: 0 }), /subset must be a positive integer; got 0/);
    await assert.rejects(loadDataset('xor', { subset: 5000 }), /subset = 5000 exceeds the 1000 examples available/);
    await assert.rejects(loadDataset('xor', { validationFraction: 1.5 }), /validationFraction must be in \[0, 1\)/);
  });

  it('missing files: the error lists every place searched and how to get the files', async () => {
    const data = tempDir();
    const cache = tempDir();
    const err = await withEnv({ ...isolatedEnv(cache), PRUNELAB_DATA: data }, () => rejection(loadDataset('fashion-mnist')));
    assert.ok(err instanceof DatasetNotFoundError, err.message);
    const expectedPlaces = [path.join(data, 'fashion-mnist'), data, path.join(cache, 'prunelab', 'datasets', 'fashion-mnist')];
    assert.deepEqual(err.searched, expectedPlaces);
    for (const p of expectedPlaces) assert.ok(err.message.includes(`  - ${p} (`), `mentions ${p}:\n${err.message}`);
    assert.match(err.message, /train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz, t10k-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz/);
    assert.match(err.message, /\(PRUNELAB_DATA\/fashion-mnist\): no such directory/);
    assert.match(err.message, /\(PRUNELAB_DATA\): 0 of 4 files/);
    assert.match(err.message, /download: not tried \(downloads are disabled/);
    assert.match(err.message, /apt-get install dataset-fashion-mnist/);
    assert.match(err.message, /set PRUNELAB_DATA=DIR/);
    assert.match(err.message, /go online and load again: the files are downloaded from https:\/\/github\.com\/zalandoresearch/);
  });

  it('searches options.dataDir, then the cache, then system dirs (env PRUNELAB_SYSTEM_DATA_DIRS)', async () => {
    const made = makeIdxDataset('test-search');
    registerIdxDataset(made.manifest);
    registered.push('test-search');
    const root = tempDir();
    const write = (dir: string) => {
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of Object.entries(made.files)) fs.writeFileSync(path.join(dir, name), bytes);
    };
    const cache = tempDir();
    const sys = path.join(root, 'system');
    write(path.join(sys, 'test-search'));
    const env = { ...isolatedEnv(cache), PRUNELAB_SYSTEM_DATA_DIRS: sys };
    const fromSystem = await withEnv(env, () => loadDataset('test-search'));
    assert.equal(fromSystem.source, path.join(sys, 'test-search'));
    write(path.join(cache, 'prunelab', 'datasets', 'test-search'));
    assert.equal((await withEnv(env, () => loadDataset('test-search'))).source, path.join(cache, 'prunelab', 'datasets', 'test-search'));
    const flat = path.join(root, 'flat'); // the files directly in the data dir
    write(flat);
    assert.equal((await withEnv({ ...env, PRUNELAB_DATA: flat }, () => loadDataset('test-search'))).source, flat);
    assert.equal((await withEnv(env, () => loadDataset('test-search', { dataDir: root, cacheDir: tempDir() }))).source, path.join(sys, 'test-search'));
  });

  it('loads an IDX dataset: values, shapes, labels, normalisation, flatten, subset, split', async () => {
    const dir = tempDir();
    const made = makeIdxDataset('test-idx', dir);
    registerIdxDataset(made.manifest);
    registered.push('test-idx');
    const env = isolatedEnv(tempDir());
    const ds = await withEnv(env, () => loadDataset('test-idx', { dataDir: dir }));
    assert.equal(ds.source, dir);
    assert.deepEqual(ds.train.featureShape, [4, 4, 1]);
    assert.equal(ds.train.count, 12);
    assert.equal(ds.test.count, 6);
    assert.deepEqual(Array.from(ds.train.y), made.trainLabels);
    assert.deepEqual(Array.from(ds.test.y), made.testLabels);
    assert.deepEqual(Array.from(ds.train.x.subarray(0, 20)), made.trainPixels.slice(0, 20).map((p) => Math.fround(p / 255)));
    assert.deepEqual(ds.normalization, { mode: 'unit', scope: 'global', offset: [0], scale: [255] });
    const raw = await withEnv(env, () => loadDataset('test-idx', { dataDir: dir, normalize: 'none', flatten: true }));
    assert.deepEqual(raw.train.featureShape, [16]);
    assert.deepEqual(Array.from(raw.train.x), made.trainPixels);
    const split = await withEnv(env, () => loadDataset('test-idx', { dataDir: dir, subset: 9, validationFraction: 1 / 3, testSubset: 3, seed: 2 }));
    assert.equal(split.train.count, 6);
    assert.equal(split.validation!.count, 3);
    assert.equal(split.test.count, 3);
    assert.deepEqual([...split.validation!.y].sort(), [0, 1, 2], 'stratified: one validation example per class');
  });

  it('a corrupt file gives a checksum error naming the file, the expected and the actual digest', async () => {
    const dir = tempDir();
    const made = makeIdxDataset('test-corrupt', dir);
    registerIdxDataset(made.manifest);
    registered.push('test-corrupt');
    // Valid IDX, valid gzip, but one label changed: only the checksum can tell.
    const labelsFile = path.join(dir, 'train-labels-idx1-ubyte.gz');
    const raw = zlib.gunzipSync(fs.readFileSync(labelsFile));
    raw[8] = (raw[8] + 1) % 3;
    fs.writeFileSync(labelsFile, zlib.gzipSync(raw));
    const err = await withEnv(isolatedEnv(tempDir()), () => rejection(loadDataset('test-corrupt', { dataDir: dir })));
    assert.ok(err instanceof ChecksumMismatchError, err.message);
    assert.equal(err.file, labelsFile);
    assert.ok(err.message.startsWith(`Checksum mismatch for ${labelsFile}: expected SHA-256 ${made.manifest.files.trainLabels.variants[0].sha256}, found ${sha256Hex(fs.readFileSync(labelsFile))}.`), err.message);
    assert.ok(err.message.includes(`Its uncompressed contents have SHA-256 ${sha256Hex(raw)}, expected ${made.manifest.files.trainLabels.contentSha256}`));
  });

  it('accepts the same data recompressed or uncompressed (content digest), as with Debian repacks', async () => {
    const dir = tempDir();
    const made = makeIdxDataset('test-recompressed');
    registerIdxDataset(made.manifest);
    registered.push('test-recompressed');
    for (const [name, gz] of Object.entries(made.files)) {
      const raw = zlib.gunzipSync(gz);
      if (name.startsWith('train')) fs.writeFileSync(path.join(dir, name), zlib.gzipSync(raw, { level: 1 }));
      else fs.writeFileSync(path.join(dir, name.replace(/\.gz$/, '')), raw); // uncompressed form
    }
    const ds = await withEnv(isolatedEnv(tempDir()), () => loadDataset('test-recompressed', { dataDir: dir }));
    assert.deepEqual(Array.from(ds.test.y), made.testLabels);
  });

  it('a foreign dataset in a generic directory is skipped quietly when a valid copy exists elsewhere', async () => {
    const foreign = makeIdxDataset('other', undefined, undefined, 1); // same file names, other data
    const own = makeIdxDataset('test-generic');
    own.manifest.files.trainImages.variants = [];
    own.manifest.files.trainImages.contentSha256 = sha256Hex(Buffer.from('something else'));
    registerIdxDataset(own.manifest);
    registered.push('test-generic');
    const generic = tempDir();
    for (const [name, bytes] of Object.entries(foreign.files)) fs.writeFileSync(path.join(generic, name), bytes);
    const err = await withEnv(isolatedEnv(tempDir()), () => rejection(loadDataset('test-generic', { dataDir: generic })));
    // Nothing valid anywhere: the rejection itself is reported, with the search report.
    assert.ok(err instanceof ChecksumMismatchError, err.message);
    assert.match(err.message, /No valid copy of 'test-generic' was found elsewhere\. Looked for/);
    assert.match(err.message, /\(options\.dataDir\): rejected: Checksum mismatch/);

    const good = makeIdxDataset('test-generic2');
    registerIdxDataset(good.manifest);
    registered.push('test-generic2');
    const sys = tempDir();
    fs.mkdirSync(path.join(sys, 'test-generic2'));
    for (const [name, bytes] of Object.entries(good.files)) fs.writeFileSync(path.join(sys, 'test-generic2', name), bytes);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (msg: string) => warnings.push(msg);
    try {
      const ds = await withEnv({ ...isolatedEnv(tempDir()), PRUNELAB_SYSTEM_DATA_DIRS: sys }, () =>
        loadDataset('test-generic2', { dataDir: generic }),
      );
      assert.equal(ds.source, path.join(sys, 'test-generic2'));
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, [], 'a foreign dataset in a shared directory is expected, not warned about');
  });

  it('a corrupt copy in a directory of its own is skipped with a warning when a valid copy exists', async () => {
    const made = makeIdxDataset('test-warn');
    registerIdxDataset(made.manifest);
    registered.push('test-warn');
    const cache = tempDir();
    const sys = tempDir();
    const cached = path.join(cache, 'prunelab', 'datasets', 'test-warn');
    for (const dir of [cached, path.join(sys, 'test-warn')]) {
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of Object.entries(made.files)) fs.writeFileSync(path.join(dir, name), bytes);
    }
    fs.writeFileSync(path.join(cached, 't10k-labels-idx1-ubyte.gz'), made.files['t10k-labels-idx1-ubyte.gz'].subarray(0, 10));
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (msg: string) => warnings.push(msg);
    try {
      const ds = await withEnv({ ...isolatedEnv(cache), PRUNELAB_SYSTEM_DATA_DIRS: sys }, () => loadDataset('test-warn'));
      assert.equal(ds.source, path.join(sys, 'test-warn'));
    } finally {
      console.warn = warn;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /skipped .*test-warn for 'test-warn': .*t10k-labels-idx1-ubyte\.gz: truncated gzip stream/);
  });

  it('registerDataset: a custom loader gets subset/split/normalisation; bad loader output is caught', async () => {
    registerDataset(
      'test-custom',
      (): Dataset => {
        const x = new Float32Array(40).map((_, i) => i);
        const y = new Int32Array(20).map((_, i) => i % 2);
        return {
          name: 'test-custom',
          train: { x, y, count: 20, featureShape: [2], numClasses: 2 },
          test: { x: x.slice(0, 4), y: y.slice(0, 2), count: 2, featureShape: [2], numClasses: 2 },
          classNames: ['even', 'odd'],
          source: 'test',
        };
      },
      { defaultNormalize: 'standardize' },
    );
    registered.push('test-custom');
    assert.ok(listDatasets().includes('test-custom'));
    const ds = await loadDataset('test-custom', { subset: 10, seed: 1 });
    assert.equal(ds.train.count, 10);
    assert.equal(ds.normalization!.mode, 'standardize');
    const mean0 = Array.from({ length: 10 }, (_, i) => ds.train.x[2 * i]).reduce((a, b) => a + b) / 10;
    assert.ok(Math.abs(mean0) < 1e-6, 'standardised with train statistics');

    registerDataset('test-broken', () => ({
      name: 'test-broken',
      train: { x: new Float32Array(2), y: Int32Array.from([0, 5]), count: 2, featureShape: [1], numClasses: 2 },
      test: { x: new Float32Array(1), y: Int32Array.from([0]), count: 1, featureShape: [1], numClasses: 2 },
      classNames: ['a', 'b'],
      source: 'test',
    }));
    registered.push('test-broken');
    await assert.rejects(loadDataset('test-broken'), /test-broken train: label 5 of example 1 is outside \[0, 2\)/);
    assert.throws(() => registerDataset('', () => ({}) as Dataset), /Invalid dataset name '': a dataset name must start with a letter/);
  });

  it('a loader that returns NaN features is caught at load, naming the split, the count and the first position', async () => {
    registerDataset('test-nan', () => {
      const x = new Float32Array(3 * 20).map((_, i) => i);
      x[3 * 4 + 1] = NaN;
      x[3 * 9] = Infinity;
      const y = new Int32Array(20).map((_, i) => i % 2);
      return {
        name: 'test-nan',
        train: { x, y, count: 20, featureShape: [3], numClasses: 2 },
        test: { x: new Float32Array(6), y: Int32Array.from([0, 1]), count: 2, featureShape: [3], numClasses: 2 },
        classNames: ['a', 'b'],
        source: 'test',
      };
    });
    registered.push('test-nan');
    const err = await rejection(loadDataset('test-nan'));
    assert.ok(err instanceof NonFiniteFeaturesError, `${err.name}: ${err.message}`);
    assert.match(err.message, /test-nan train: 2 of 60 feature values are not finite \(NaN or ±Infinity\); first: NaN at example 4, feature 1/);
    assert.match(err.message, /impute|remove|drop/i);
    // validateExamples (what loaders' output goes through) says the same for user arrays.
    assert.throws(
      () => validateExamples({ x: Float32Array.from([1, 2, -Infinity, 4]), y: Int32Array.from([0, 1]), count: 2, featureShape: [2], numClasses: 2 }, 'my arrays'),
      /my arrays: 1 of 4 feature values are not finite.*-Infinity at example 1, feature 0/,
    );
  });

  it('checkSha256 / verifyFileSha256 name the file, expected and actual digests', async () => {
    assert.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const file = path.join(tempDir(), 'f.bin');
    fs.writeFileSync(file, 'abc');
    assert.equal(await verifyFileSha256(file, 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD'), sha256Hex(Buffer.from('abc')));
    const wrong = '0'.repeat(64);
    const err = await rejection(verifyFileSha256(file, wrong));
    assert.ok(err instanceof ChecksumMismatchError);
    assert.match(err.message, new RegExp(`^Checksum mismatch for ${file.replace(/[.]/g, '\\.')}: expected SHA-256 0{64}, found ba7816bf`));
    assert.match(thrown(() => checkSha256('x', 'a', 'not-a-digest')).message, /Not a SHA-256 digest/);
  });
});
