#!/usr/bin/env node
// Regenerates datasets/tiny-fashion/ and datasets/manifests/tiny-fashion.json from the full
// Fashion-MNIST files: the first TRAIN_PER_CLASS training and TEST_PER_CLASS test images of
// each class, in file order (deterministic, no randomness), written as gzip IDX files that are
// byte-for-byte reproducible. Run after `npm run build`:
//
//   node scripts/make-tiny-dataset.js [FASHION_MNIST_DIR]   (default: PRUNELAB_DATA/fashion-mnist
//                                                           or /usr/share/datasets/fashion-mnist)
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const data = require(path.join(ROOT, 'build/src/data'));

const NAME = 'tiny-fashion';
const TRAIN_PER_CLASS = 100;
const TEST_PER_CLASS = 50;
const ROLES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

function sourceDir() {
  if (process.argv[2]) return path.resolve(process.argv[2]);
  const env = process.env.PRUNELAB_DATA;
  if (env && fs.existsSync(path.join(env, 'fashion-mnist'))) return path.join(env, 'fashion-mnist');
  return '/usr/share/datasets/fashion-mnist';
}

/** Indices of the first `perClass` examples of each class, ascending (file order). */
function firstPerClass(labels, numClasses, perClass) {
  const taken = new Array(numClasses).fill(0);
  const out = [];
  for (let i = 0; i < labels.length; i++) {
    if (taken[labels[i]] < perClass) {
      taken[labels[i]]++;
      out.push(i);
    }
  }
  if (taken.some((t) => t < perClass)) throw new Error(`not enough examples per class: ${taken}`);
  return out;
}

async function main() {
  const full = data.readManifest('fashion-mnist');
  const dir = sourceDir();
  const files = {};
  for (const [role, name] of Object.entries(ROLES)) {
    const file = await data.readIdxFile(path.join(dir, name), undefined, { cache: false });
    data.verifyIdxFile(file, full.files[role], 'fashion-mnist'); // only genuine Fashion-MNIST goes in
    files[role] = file.idx;
  }
  const [h, w] = full.imageShape;
  const pixels = h * w;
  const outDir = path.join(ROOT, 'datasets', NAME);
  fs.mkdirSync(outDir, { recursive: true });
  const manifest = {
    name: NAME,
    description:
      `A deterministic slice of Fashion-MNIST for fast tests: the first ${TRAIN_PER_CLASS} training and ` +
      `${TEST_PER_CLASS} test images of each class, in file order.`,
    license: 'MIT (Fashion-MNIST, Copyright 2017 Zalando SE; see datasets/tiny-fashion/README.md)',
    homepage: full.homepage,
    citation: full.citation,
    classNames: full.classNames,
    imageShape: full.imageShape,
    counts: { train: TRAIN_PER_CLASS * full.classNames.length, test: TEST_PER_CLASS * full.classNames.length },
    bundled: true,
    generatedBy: 'npm run build && node scripts/make-tiny-dataset.js',
    checksumNotes: 'Digests of the files in datasets/tiny-fashion, written by scripts/make-tiny-dataset.js.',
    files: {},
  };
  for (const split of ['train', 'test']) {
    const images = files[`${split}Images`];
    const labels = files[`${split}Labels`];
    const pick = firstPerClass(labels.data, full.classNames.length, split === 'train' ? TRAIN_PER_CLASS : TEST_PER_CLASS);
    const x = new Uint8Array(pick.length * pixels);
    const y = new Uint8Array(pick.length);
    pick.forEach((j, i) => {
      x.set(images.data.subarray(j * pixels, (j + 1) * pixels), i * pixels);
      y[i] = labels.data[j];
    });
    const outputs = {
      [`${split}Images`]: data.encodeIdx({ dtype: 'uint8', shape: [pick.length, h, w], data: x }, { gzip: true }),
      [`${split}Labels`]: data.encodeIdx({ dtype: 'uint8', shape: [pick.length], data: y }, { gzip: true }),
    };
    for (const [role, gz] of Object.entries(outputs)) {
      const name = ROLES[role];
      fs.writeFileSync(path.join(outDir, name), gz);
      const content = data.parseIdx(gz); // round trip through the reader as a self-check
      const raw = data.encodeIdx({ dtype: 'uint8', shape: content.shape, data: content.data });
      manifest.files[role] = {
        name,
        variants: [{ sha256: data.sha256Hex(gz), bytes: gz.length, source: 'prunelab scripts/make-tiny-dataset.js' }],
        contentSha256: data.sha256Hex(raw),
        contentBytes: raw.length,
        urls: [],
      };
    }
  }
  fs.writeFileSync(path.join(ROOT, 'datasets', 'manifests', `${NAME}.json`), JSON.stringify(manifest, null, 2) + '\n');
  const total = Object.values(ROLES).reduce((s, n) => s + fs.statSync(path.join(outDir, n)).size, 0);
  console.log(`wrote ${outDir} (${total} bytes) and datasets/manifests/${NAME}.json from ${dir}`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
