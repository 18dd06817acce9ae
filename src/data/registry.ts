/**
 * Datasets by name. `loadDataset(name, options)` runs the registered loader (which only finds or
 * makes the raw data), then applies, in this order: test/train subsets, the validation split,
 * normalisation fitted on the remaining training examples, and flattening.
 */
import { BUILTIN_DATASETS } from './builtin-datasets';
import { UnknownDatasetError } from './errors';
import { flattenExamples, subsetExamples, trainValidationSplit, validateExamples } from './examples';
import { downloadsAllowedByEnv } from './locate';
import {
  LOAD_OPTION_KEYS,
  type DatasetInfo,
  type DatasetLoadContext,
  type DatasetLoader,
  type LoadDatasetOptions,
} from './load-options';
import { NORMALIZE_MODES, applyNormalizationInPlace, fitNormalization } from './normalize';
import { mixSeed } from './random';
import { loadIdxDataset } from './idx-dataset';
import { checkManifest, type IdxDatasetManifest } from './manifest';
import type { Dataset, Examples } from './types';

interface Entry {
  loader: DatasetLoader;
  info: DatasetInfo;
}

const registry = new Map<string, Entry>(BUILTIN_DATASETS.map((d) => [d.name, { loader: d.loader, info: d.info }]));

/**
 * Registers (or replaces) a dataset under `name`, so that `loadDataset(name)` works and gets
 * subset, split, normalisation and flattening for free.
 *
 * @param name registry name (non-empty; re-registering replaces, so a notebook cell can be re-run).
 * @param loader produces the raw splits; see {@link DatasetLoader}.
 * @param info description and default normalisation (default `unit`).
 */
export function registerDataset(name: string, loader: DatasetLoader, info: DatasetInfo = {}): void {
  if (typeof name !== 'string' || !name.trim()) throw new Error('registerDataset: the name must be a non-empty string.');
  if (typeof loader !== 'function') throw new Error(`registerDataset('${name}'): the loader must be a function.`);
  if (info.defaultNormalize && !NORMALIZE_MODES.includes(info.defaultNormalize)) {
    throw new Error(`registerDataset('${name}'): unknown defaultNormalize '${info.defaultNormalize}'. Known: ${NORMALIZE_MODES.join(', ')}.`);
  }
  registry.set(name, { loader, info });
}

/** Removes a registered dataset (for tests and notebooks); returns whether it existed. */
export function unregisterDataset(name: string): boolean {
  return registry.delete(name);
}

/** Names of all registered datasets, built-ins first, in registration order. */
export function listDatasets(): string[] {
  return [...registry.keys()];
}

/**
 * Description and defaults of a registered dataset.
 * @throws UnknownDatasetError listing the known names.
 */
export function datasetInfo(name: string): DatasetInfo {
  const entry = registry.get(name);
  if (!entry) throw new UnknownDatasetError(name, listDatasets());
  return { ...entry.info };
}

function checkOptions(options: LoadDatasetOptions): void {
  for (const key of Object.keys(options)) {
    if (!(LOAD_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new Error(`loadDataset: unknown option '${key}'. Known options: ${LOAD_OPTION_KEYS.join(', ')}.`);
    }
  }
  const positiveInt = (key: 'subset' | 'testSubset') => {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`loadDataset: ${key} must be a positive integer; got ${v}.`);
  };
  positiveInt('subset');
  positiveInt('testSubset');
  const f = options.validationFraction;
  if (f !== undefined && !(f >= 0 && f < 1)) throw new Error(`loadDataset: validationFraction must be in [0, 1); got ${f}.`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new Error(`loadDataset: seed must be an integer; got ${options.seed}.`);
  if (options.normalize !== undefined && !NORMALIZE_MODES.includes(options.normalize)) {
    throw new Error(`loadDataset: unknown normalize '${options.normalize}'. Known: ${NORMALIZE_MODES.join(', ')}.`);
  }
}

function limit(examples: Examples, count: number | undefined, seed: number, what: string): Examples {
  if (count === undefined || count >= examples.count) {
    if (count !== undefined && count > examples.count) {
      throw new Error(`loadDataset: ${what} = ${count} exceeds the ${examples.count} examples available.`);
    }
    return examples;
  }
  return subsetExamples(examples, count, seed);
}

/**
 * Loads a dataset by name.
 *
 * @param name a registered name (see {@link listDatasets}): `fashion-mnist`, `mnist`,
 *   `tiny-fashion`, `blobs`, `xor`, `spirals`, or one added with {@link registerDataset}.
 * @param options subset, validation split, seed, normalisation (default `unit` for images:
 *   floats in [0, 1]), flattening, where to look for files, downloading.
 * @returns the dataset: `train`, `test`, optional `validation`, class names, source, normalisation.
 * @throws UnknownDatasetError listing the known names; DatasetNotFoundError listing where it
 *   looked and how to get the files; ChecksumMismatchError for corrupt files; Error for bad options.
 */
export async function loadDataset(name: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const entry = registry.get(name);
  if (!entry) throw new UnknownDatasetError(name, listDatasets());
  checkOptions(options);
  const seed = options.seed ?? 0;
  const context: DatasetLoadContext = {
    name,
    seed,
    download: options.download ?? downloadsAllowedByEnv(),
    synthetic: { ...options.synthetic },
    dataDir: options.dataDir,
    cacheDir: options.cacheDir,
    systemDataDirs: options.systemDataDirs,
  };
  const raw = await entry.loader(context);
  validateExamples(raw.train, `${name} train`);
  validateExamples(raw.test, `${name} test`);
  if (raw.validation) validateExamples(raw.validation, `${name} validation`);
  if (raw.classNames.length !== raw.train.numClasses) {
    throw new Error(`${name}: ${raw.classNames.length} class names for ${raw.train.numClasses} classes.`);
  }

  // Independent streams for each random choice, so e.g. changing testSubset leaves the train subset alone.
  let train = limit(raw.train, options.subset, mixSeed(seed, 0x7a11), 'subset');
  const test = limit(raw.test, options.testSubset, mixSeed(seed, 0x7e57), 'testSubset');
  let validation = raw.validation;
  if (options.validationFraction) {
    if (validation) throw new Error(`loadDataset: '${name}' already has a validation split; do not pass validationFraction.`);
    ({ train, validation } = trainValidationSplit(train, options.validationFraction, seed));
  }

  const mode = options.normalize ?? entry.info.defaultNormalize ?? 'unit';
  const dataset: Dataset = {
    name,
    train,
    test,
    classNames: [...raw.classNames],
    source: raw.source,
  };
  if (raw.featureRange) dataset.featureRange = raw.featureRange;
  if (validation) dataset.validation = validation;
  // In place: loaders hand over fresh arrays (see DatasetLoader), and subset/split made copies.
  if (mode !== 'none') {
    const norm = fitNormalization(train, mode, raw.featureRange);
    dataset.train = applyNormalizationInPlace(train, norm);
    dataset.test = applyNormalizationInPlace(test, norm);
    if (validation) dataset.validation = applyNormalizationInPlace(validation, norm);
    dataset.normalization = norm;
  }
  if (options.flatten) {
    dataset.train = flattenExamples(dataset.train);
    dataset.test = flattenExamples(dataset.test);
    if (dataset.validation) dataset.validation = flattenExamples(dataset.validation);
  }
  return dataset;
}

/**
 * Registers an image dataset stored as four IDX files described by `manifest` (same search
 * order, checksum verification and download as the built-in MNIST-like sets).
 *
 * @param manifest the dataset's files, digests, URLs, class names and shapes.
 * @param info description (default: the manifest's) and default normalisation (default `unit`).
 */
export function registerIdxDataset(manifest: IdxDatasetManifest, info: DatasetInfo = {}): void {
  const m = checkManifest(manifest);
  registerDataset(m.name, (ctx) => loadIdxDataset(m, ctx), { description: m.description, defaultNormalize: 'unit', ...info });
}
