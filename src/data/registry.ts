/**
 * Datasets by name. `loadDataset(name, options)` runs the registered loader (which only finds or
 * makes the raw data), then applies, in this order: test/train subsets, the validation split,
 * normalisation fitted on the remaining training examples, and flattening.
 */
import { OptionError, UserError } from '../errors';
import { Registry, type RegisterOptions } from '../registry';
import { BUILTIN_DATASETS } from './builtin-datasets';
import { UnknownDatasetError } from './errors';
import { flattenExamples, subsetExamples, trainValidationSplit, validateExamples } from './examples';
import { downloadsAllowedByEnv, loadIdxDataset } from './shipped';
import {
  LOAD_OPTION_KEYS,
  type DatasetInfo,
  type DatasetLoadContext,
  type DatasetLoader,
  type LoadDatasetOptions,
} from './load-options';
import { NORMALIZE_MODES, applyNormalizationInPlace, fitNormalization } from './normalize';
import { mixSeed } from './random';
import { checkManifest, type IdxDatasetManifest } from './manifest-check';
import type { Dataset, Examples } from './types';

/** A registered dataset: its loader and its description and defaults. */
interface DatasetEntry {
  /** Produces the raw splits. */
  loader: DatasetLoader;
  /** Description and default normalisation. */
  info: DatasetInfo;
}

const datasets = new Registry<DatasetEntry>({
  kind: 'dataset',
  validate: ({ loader, info }) => {
    if (typeof loader !== 'function') return 'the loader must be a function';
    if (info.defaultNormalize && !NORMALIZE_MODES.includes(info.defaultNormalize)) {
      return `unknown defaultNormalize '${info.defaultNormalize}'. Known: ${NORMALIZE_MODES.join(', ')}`;
    }
    return undefined;
  },
});

/**
 * Registers a dataset under `name`, so that `loadDataset(name)` works and gets subset, split,
 * normalisation and flattening for free.
 *
 * @param name registry name: a letter, then letters, digits, `_ : . -`.
 * @param loader produces the raw splits; see {@link DatasetLoader}.
 * @param info description (one line, for listings) and default normalisation (default `unit`).
 * @param options `replace: true` to overwrite a dataset of the same name (e.g. when a notebook
 *   cell that registers one is run again).
 * @throws OptionError for a bad name, loader or normalisation; UserError when the name is taken
 *   and `replace` is not set.
 */
export function registerDataset(name: string, loader: DatasetLoader, info: DatasetInfo = {}, options: Pick<RegisterOptions, 'replace'> = {}): void {
  datasets.register(name, { loader, info: { ...info } }, { replace: options.replace, description: info.description ?? '' });
}

/** Removes a registered dataset (for tests and notebooks); returns whether it existed. */
export function unregisterDataset(name: string): boolean {
  return datasets.unregister(name);
}

/** Names of all registered datasets, sorted. */
export function listDatasets(): string[] {
  return datasets.names();
}

/** The registered datasets with their one-line descriptions, sorted by name. */
export function listDatasetEntries(): { name: string; description: string }[] {
  return datasets.list().map(({ name, description }) => ({ name, description }));
}

/**
 * Description and defaults of a registered dataset.
 * @throws UnknownDatasetError listing the known names.
 */
export function datasetInfo(name: string): DatasetInfo {
  const entry = datasets.find(name);
  if (!entry) throw new UnknownDatasetError(name, listDatasets());
  return { ...entry.info };
}

for (const d of BUILTIN_DATASETS) registerDataset(d.name, d.loader, d.info);

function checkOptions(options: LoadDatasetOptions): void {
  for (const key of Object.keys(options)) {
    if (!(LOAD_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new OptionError(`loadDataset: unknown option '${key}'. Known options: ${LOAD_OPTION_KEYS.join(', ')}.`, key);
    }
  }
  const positiveInt = (key: 'subset' | 'testSubset') => {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new OptionError(`loadDataset: ${key} must be a positive integer; got ${v}.`, key);
  };
  positiveInt('subset');
  positiveInt('testSubset');
  const f = options.validationFraction;
  if (f !== undefined && !(f >= 0 && f < 1)) throw new OptionError(`loadDataset: validationFraction must be in [0, 1); got ${f}.`, 'validationFraction');
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new OptionError(`loadDataset: seed must be an integer; got ${options.seed}.`, 'seed');
  if (options.normalize !== undefined && !NORMALIZE_MODES.includes(options.normalize)) {
    throw new OptionError(`loadDataset: unknown normalize '${options.normalize}'. Known: ${NORMALIZE_MODES.join(', ')}.`, 'normalize');
  }
}

function limit(examples: Examples, count: number | undefined, seed: number, what: string): Examples {
  if (count === undefined || count >= examples.count) {
    if (count !== undefined && count > examples.count) {
      throw new OptionError(`loadDataset: ${what} = ${count} exceeds the ${examples.count} examples available.`, what);
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
  const entry = datasets.find(name);
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
    throw new UserError(`${name}: ${raw.classNames.length} class names for ${raw.train.numClasses} classes.`);
  }

  // Independent streams for each random choice, so e.g. changing testSubset leaves the train subset alone.
  let train = limit(raw.train, options.subset, mixSeed(seed, 0x7a11), 'subset');
  const test = limit(raw.test, options.testSubset, mixSeed(seed, 0x7e57), 'testSubset');
  let validation = raw.validation;
  if (options.validationFraction) {
    if (validation) throw new OptionError(`loadDataset: '${name}' already has a validation split; do not pass validationFraction.`, 'validationFraction');
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
 * @param options `replace: true` to overwrite a dataset of the same name.
 */
export function registerIdxDataset(manifest: IdxDatasetManifest, info: DatasetInfo = {}, options: Pick<RegisterOptions, 'replace'> = {}): void {
  const m = checkManifest(manifest);
  registerDataset(m.name, (ctx) => loadIdxDataset(m, ctx), { description: m.description, defaultNormalize: 'unit', ...info }, options);
}
