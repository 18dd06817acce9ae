/**
 * The datasets prunelab knows out of the box. File-based ones read their manifest from
 * `datasets/manifests/<name>.json` at load time (so importing prunelab never touches the disk;
 * in the browser edition the site serves that folder: see ./shipped).
 */
import { loadIdxDataset, shippedManifest } from './shipped';
import { mixSeed } from './random';
import { makeBlobs, makeSpirals, makeXor, type SyntheticOptions } from './synthetic';
import type { DatasetInfo, DatasetLoadContext, DatasetLoader } from './load-options';
import type { Dataset, Examples } from './types';
import { OptionError } from '../errors';

/** A dataset to register: name, loader and facts. */
export interface BuiltinDataset {
  /** Registry name. */
  name: string;
  /** The loader. */
  loader: DatasetLoader;
  /** Description and default normalisation. */
  info: DatasetInfo;
}

const idx = (name: string, description: string): BuiltinDataset => ({
  name,
  loader: async (ctx) => loadIdxDataset(await shippedManifest(name), ctx),
  info: { description, defaultNormalize: 'unit' },
});

function synthetic(
  name: string,
  description: string,
  make: (o: SyntheticOptions & { numClasses?: number }) => Examples,
): BuiltinDataset {
  const loader = (ctx: DatasetLoadContext): Dataset => {
    const s = ctx.synthetic;
    const common = { dims: s.dims, noise: s.noise, numClasses: s.numClasses };
    // Train and test come from independent streams of the same seed.
    const train = make({ ...common, count: s.trainCount ?? 1000, seed: mixSeed(ctx.seed, 1) });
    const test = make({ ...common, count: s.testCount ?? 500, seed: mixSeed(ctx.seed, 2) });
    return {
      name: ctx.name,
      train,
      test,
      classNames: Array.from({ length: train.numClasses }, (_, c) => `class ${c}`),
      source: `generated (${name}, seed ${ctx.seed})`,
    };
  };
  return { name, loader, info: { description, defaultNormalize: 'none' } };
}

/** The built-in datasets, in the order `listDatasets` shows them. */
export const BUILTIN_DATASETS: readonly BuiltinDataset[] = [
  idx('fashion-mnist', 'Fashion-MNIST (Zalando): 60k/10k 28×28 grey clothing images, 10 classes'),
  idx('mnist', 'MNIST (LeCun, Cortes, Burges): 60k/10k 28×28 handwritten digits, 10 classes'),
  idx('tiny-fashion', 'A 1000/500 stratified slice of Fashion-MNIST shipped with prunelab, for fast tests'),
  synthetic('blobs', 'Gaussian blobs, 3 classes in 2-D (linearly separable)', (o) => makeBlobs(o)),
  synthetic('xor', 'XOR of two coordinates, 2 classes (needs a hidden layer)', ({ numClasses, ...o }) => {
    if (numClasses !== undefined && numClasses !== 2) throw new OptionError(`xor has exactly 2 classes; got synthetic.numClasses = ${numClasses}.`, 'synthetic.numClasses');
    return makeXor(o);
  }),
  synthetic('spirals', 'Two interleaved spirals, 2 classes (hard for shallow nets)', (o) => makeSpirals(o)),
];
