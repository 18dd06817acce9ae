/**
 * What the builtin trial functions share: recipes as flat fields (`denseEpochs`,
 * `finetuneLearningRate`, ...; {@link recipeFields} turns a notebook's recipe object into them),
 * the dense model's fields and their checks, the dense run from the sweep's checkpoint cache, the
 * trial's data from the sweep's data cache. The trials themselves are in `builtin-trials.ts`
 * (and the method families' `method-trials.ts`, `sparse-trials.ts`), which import this module
 * and nothing of each other.
 */
import { datasetInfo } from '../data';
import { OptionError, UnknownNameError, UserError } from '../errors';
import { DATA_NORMALIZE, experimentData, type DataNormalize, type DataSpec } from '../experiments/data';
import { RECIPE_LR_SCHEDULES, recipeOptions, type DenseRun, type TrainRecipe } from '../experiments/runs';
import { InterruptedError } from '../interrupt';
import { listModels } from '../models';
import { findMethod } from '../prune/method';
import type { OptionSpec } from '../prune/method-options';
import { listOptimizers } from '../train';
import { denseCheckpoint, type DenseKey } from './checkpoints';
import { sweepData } from './data-cache';
import type { TrialConfig } from './types';

/** The recipe fields, without their prefix. */
export const RECIPE_KEYS = ['epochs', 'steps', 'batchSize', 'optimizer', 'learningRate', 'weightDecay', 'lrSchedule'] as const;
export type RecipePrefix = 'dense' | 'finetune' | 'retrain' | 'finalRetrain';

export const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

/** Declarations of one recipe's fields (`denseEpochs`, `denseSteps`, ...). */
export function recipeFieldSpecs(prefix: RecipePrefix, what: string): OptionSpec[] {
  return [
    { name: `${prefix}Epochs`, type: 'int', min: 1, help: `passes over the training data of the ${what} (give epochs or steps; default 1 epoch)` },
    { name: `${prefix}Steps`, type: 'int', min: 1, help: `optimizer steps of the ${what}, instead of epochs` },
    { name: `${prefix}BatchSize`, type: 'int', min: 1, help: `examples per step of the ${what} (default 64)` },
    { name: `${prefix}Optimizer`, type: 'string', help: `optimizer of the ${what} (default momentum, SGD with momentum 0.9)` },
    { name: `${prefix}LearningRate`, type: 'number', min: 0, exclusiveMin: true, help: `learning rate of the ${what} (default 0.01, 1e-3 for adam)` },
    { name: `${prefix}WeightDecay`, type: 'number', min: 0, help: `L2 weight decay of the ${what} (default 0)` },
    { name: `${prefix}LrSchedule`, type: 'string', choices: [...RECIPE_LR_SCHEDULES], help: `learning-rate schedule of the ${what}: constant (default), cosine, or multistep (×0.1 at 1/2 and 3/4 of the run)` },
  ];
}

/**
 * A recipe as flat trial fields, for a spec's `fixed` or `grid`:
 * `recipeFields('dense', { epochs: 3, learningRate: 0.05 })` → `{ denseEpochs: 3, denseLearningRate: 0.05 }`.
 *
 * @param prefix `dense` or `finetune`.
 * @param recipe the recipe (fields left out stay out).
 */
export function recipeFields(prefix: RecipePrefix, recipe: TrainRecipe): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const k of RECIPE_KEYS) {
    const v = recipe[k];
    if (v !== undefined) out[`${prefix}${cap(k)}`] = v;
  }
  return out;
}

/** The recipe held by a configuration's fields of that prefix. */
export function recipeFromConfig(config: TrialConfig, prefix: RecipePrefix): TrainRecipe {
  const r: Record<string, unknown> = {};
  for (const k of RECIPE_KEYS) {
    const v = config[`${prefix}${cap(k)}`];
    if (v !== undefined) r[k] = v;
  }
  return r as TrainRecipe;
}

/**
 * Fills a recipe's defaults into its fields (so that two spellings of the same recipe are the
 * same trial) and checks the optimizer name.
 */
export function normaliseRecipe(config: TrialConfig, prefix: RecipePrefix, where: string, base?: TrainRecipe): void {
  const given = recipeFromConfig(config, prefix);
  if (given.epochs !== undefined && given.steps !== undefined) {
    throw new OptionError(`${where}: give ${prefix}Epochs or ${prefix}Steps, not both.`, `${prefix}Steps`);
  }
  if (given.optimizer !== undefined && !listOptimizers().includes(given.optimizer)) {
    throw new UnknownNameError('optimizer', given.optimizer, listOptimizers(), `${where}: field '${prefix}Optimizer': unknown optimizer '${given.optimizer}'. Known optimizers: ${listOptimizers().join(', ')}.`);
  }
  const recipe = base ?? given;
  const o = recipeOptions(recipe, 0);
  const full: TrainRecipe = {
    ...(o.steps !== undefined ? { steps: o.steps as number } : { epochs: o.epochs as number }),
    batchSize: o.batchSize,
    optimizer: o.optimizer as TrainRecipe['optimizer'],
    learningRate: o.learningRate,
    weightDecay: o.weightDecay,
    // left out when constant, so that recipes written before schedules existed keep their trial ids
    ...(recipe.lrSchedule !== undefined && recipe.lrSchedule !== 'constant' ? { lrSchedule: recipe.lrSchedule } : {}),
  };
  for (const k of RECIPE_KEYS) delete config[`${prefix}${cap(k)}`];
  Object.assign(config, recipeFields(prefix, full));
}

/** The data fields of every trial that trains: the dataset, its subsets, its input scaling. */
export const DATA_FIELDS: OptionSpec[] = [
  { name: 'dataset', type: 'string', default: 'mnist', help: 'dataset registry name (pl.listDatasets())' },
  { name: 'trainSubset', type: 'int', min: 1, help: 'training examples kept (seeded with 0, stratified; all when absent)' },
  { name: 'testSubset', type: 'int', min: 1, help: 'test examples kept (seeded with 0, stratified; all when absent)' },
  { name: 'normalize', type: 'string', choices: [...DATA_NORMALIZE], help: 'input scaling: unit ([0, 1], when absent), symmetric ([−1, 1]) or standardize' },
];

/** The data a trial's fields name. */
export function dataSpecOf(config: TrialConfig): DataSpec {
  return {
    dataset: config.dataset as string,
    trainSubset: config.trainSubset as number | undefined,
    testSubset: config.testSubset as number | undefined,
    ...(config.normalize !== undefined && config.normalize !== 'unit' ? { normalize: config.normalize as DataNormalize } : {}),
  };
}

/** Fields shared by `dense` and `prune-finetune`: the data, the model, the seed, the dense recipe. */
export const DENSE_FIELDS: OptionSpec[] = [
  ...DATA_FIELDS,
  { name: 'model', type: 'string', default: 'lenet-300-100', help: 'model registry name (pl.listModels())' },
  { name: 'seed', type: 'int', default: 1, help: "seed of the dense model's initialisation and data order, of fine-tuning and of random criteria" },
  ...recipeFieldSpecs('dense', 'dense training'),
];

/** Runs `fn`, putting `where` and the field in front of a user error's message. */
export function inField<T>(where: string, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const msg = `${where}: field '${field}': ${(e as Error).message}`;
    if (e instanceof UnknownNameError) throw new UnknownNameError(e.kind, e.unknown, e.known, msg);
    if (e instanceof UserError) throw new OptionError(msg, field);
    throw e;
  }
}

/**
 * Checks the data fields of a resolved config: the dataset exists, and `normalize: 'unit'` (the
 * default) is dropped, so that spelling the default out gives the trial id of leaving it out.
 */
export function checkDataFields(config: TrialConfig, where: string): void {
  inField(where, 'dataset', () => datasetInfo(config.dataset as string));
  if (config.normalize === 'unit') delete config.normalize;
}

export function checkDenseFields(config: TrialConfig, where: string): void {
  checkDataFields(config, where);
  const models = listModels().map((m) => m.name);
  const model = String(config.model).trim().toLowerCase().replace(/_/g, '-');
  if (!models.includes(model)) {
    throw new UnknownNameError('model', String(config.model), models, `${where}: field 'model': unknown model '${config.model}'. Known models: ${models.join(', ')}.`);
  }
  config.model = model;
  normaliseRecipe(config, 'dense', where);
}

export function denseKey(config: TrialConfig): DenseKey {
  return {
    model: config.model as string,
    ...dataSpecOf(config),
    recipe: recipeFromConfig(config, 'dense'),
    seed: config.seed as number,
  };
}

/**
 * The dense run of a `prune-finetune` or `dense` trial (its config, or a row of its results),
 * from the sweep's checkpoint cache (trained there when missing): what `trainDense` returns, so
 * that the notebooks' other drivers (`iterativePruneRetrain`, weight snapshots, speedup rows) run
 * on the very dense models the sweep pruned. Dispose it with `disposeRuns`.
 *
 * @param dir the sweep's results directory.
 * @param config a resolved trial configuration (or a row: its dense fields are read).
 */
export async function sweepDenseRun(dir: string, config: TrialConfig, log: (line: string) => void = console.log): Promise<DenseRun> {
  // experimentData, not the results directory's flat copy: the caller (a notebook) holds that
  // dataset already, and a second copy of all of MNIST would cost 200 MB
  const data = await experimentData(dataSpecOf(config));
  const c = await denseCheckpoint(dir, denseKey(config), data, { log });
  return { modelName: config.model as string, seed: config.seed as number, model: c.model, weights: c.model.getWeights().map((w) => w.clone()), accuracy: c.accuracy, history: c.history };
}

export function dataOf(config: TrialConfig, dir: string) {
  return sweepData(dir, dataSpecOf(config));
}

export function checkAborted(signal: AbortSignal, where: string): void {
  if (signal.aborted) throw new InterruptedError(`The trial was stopped ${where}.`);
}

/** The options a method declares, read from a trial configuration (the fields it sets). */
export function methodOptionsOf(method: string, config: TrialConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of findMethod(method)?.options ?? []) if (config[o.name] !== undefined) out[o.name] = config[o.name];
  return out;
}
