/**
 * Training recipes and dense runs: every pruned variant of an experiment starts from the trained
 * dense weights of its seed, kept here and restored exactly by {@link resetToDense}.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { createModel } from '../models';
import { MaskedModel } from '../prune';
import { evaluate, train, type History, type LrSchedule, type OptimizerName, type TrainOptions } from '../train';
import { pct, type Logger } from './log';
import { OptionError } from '../errors';

/** How to train: the subset of `train` options an experiment fixes. */
export interface TrainRecipe {
  /** Passes over the data (give `epochs` or `steps`). */
  epochs?: number;
  /** Optimizer steps instead of epochs. */
  steps?: number;
  /** Examples per step (default 64). */
  batchSize?: number;
  /** Optimizer (default `momentum`, SGD with momentum 0.9 as in Caffe). */
  optimizer?: OptimizerName;
  /** Learning rate (default 0.01 for SGD-family optimizers, 1e-3 for Adam). */
  learningRate?: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /**
   * Learning-rate schedule over the run (default `constant`): `cosine` to 0 at the end, or
   * `multistep`, ×0.1 at 1/2 and 3/4 of the run (PyTorch's MultiStepLR at epochs 100 and 150 of 200,
   * the CIFAR/ImageNet convention many papers' checkpoints were trained with).
   */
  lrSchedule?: RecipeLrSchedule;
}

/** The learning-rate schedules a recipe can name (see {@link TrainRecipe.lrSchedule}). */
export const RECIPE_LR_SCHEDULES = ['constant', 'cosine', 'multistep'] as const;
export type RecipeLrSchedule = (typeof RECIPE_LR_SCHEDULES)[number];

function recipeSchedule(name: RecipeLrSchedule | undefined): LrSchedule | undefined {
  switch (name ?? 'constant') {
    case 'constant': return undefined;
    case 'cosine': return { type: 'cosine' };
    case 'multistep': return { type: 'multistep', at: [0.5, 0.75], gamma: 0.1 };
    default: throw new OptionError(`recipe: unknown lrSchedule '${name}'. Known: ${RECIPE_LR_SCHEDULES.join(', ')}.`, 'lrSchedule');
  }
}

/** `train` options of a recipe for one seed. */
export function recipeOptions(recipe: TrainRecipe, seed: number): TrainOptions {
  const optimizer = recipe.optimizer ?? 'momentum';
  const schedule = recipeSchedule(recipe.lrSchedule);
  return {
    ...(recipe.steps !== undefined ? { steps: recipe.steps } : { epochs: recipe.epochs ?? 1 }),
    batchSize: recipe.batchSize ?? 64,
    optimizer,
    optimizerOptions: optimizer === 'momentum' || optimizer === 'nesterov' ? { momentum: 0.9 } : undefined,
    learningRate: recipe.learningRate ?? (optimizer === 'adam' ? 1e-3 : 0.01),
    weightDecay: recipe.weightDecay ?? 0,
    ...(schedule ? { schedule } : {}),
    seed,
  };
}

/** A recipe at a fraction of its learning rate (Han et al. retrain at 1/10 of the original rate). */
export function scaledRecipe(recipe: TrainRecipe, lrFactor: number, override: Partial<TrainRecipe> = {}): TrainRecipe {
  const base = recipeOptions(recipe, 0).learningRate!;
  return { ...recipe, ...override, learningRate: base * lrFactor };
}

/** A trained dense model of one seed, with its weights kept so that every variant starts from them. */
export interface DenseRun {
  /** Model registry name. */
  modelName: string;
  /** The seed of initialisation and data order. */
  seed: number;
  /** The model (pruned and fine-tuned in place by the experiments; see {@link resetToDense}). */
  model: tf.LayersModel;
  /** Copies of the trained dense weights, in `model.getWeights()` order. */
  weights: tf.Tensor[];
  /** Test accuracy of the dense model. */
  accuracy: number;
  /** Training history of the dense model. */
  history: History;
}

function checkSeeds(seeds: readonly number[], what: string): void {
  if (!Array.isArray(seeds) || seeds.length < 2) {
    throw new OptionError(`${what}: give at least 2 seeds (got ${JSON.stringify(seeds)}); a claim needs a spread, use 3 or more.`, 'seeds');
  }
  if (new Set(seeds).size !== seeds.length) throw new OptionError(`${what}: seeds must be distinct; got ${JSON.stringify(seeds)}.`, 'seeds');
}

/**
 * Trains a dense model from scratch.
 *
 * @param modelName registry name, e.g. `lenet-300-100`.
 * @param data the dataset (its feature shape becomes the model's input shape).
 * @param recipe how to train.
 * @param seed initialisation and data-order seed.
 * @returns the run, whose `weights` stay valid until {@link disposeRuns}.
 */
export async function trainDense(modelName: string, data: Dataset, recipe: TrainRecipe, seed: number, log: Logger = console.log): Promise<DenseRun> {
  const model = createModel(modelName, { seed, inputShape: data.train.featureShape, classes: data.train.numClasses });
  const t0 = Date.now();
  const history = await train(model, data.train, recipeOptions(recipe, seed));
  const accuracy = evaluate(model, data.test).accuracy;
  log(`  ${modelName} seed ${seed}: dense test accuracy ${pct(accuracy)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return { modelName, seed, model, weights: model.getWeights().map((w) => w.clone()), accuracy, history };
}

/** Trains one dense run per seed. */
export async function trainDenseRuns(modelName: string, data: Dataset, recipe: TrainRecipe, seeds: readonly number[], log: Logger = console.log): Promise<DenseRun[]> {
  checkSeeds(seeds, 'trainDenseRuns');
  const runs: DenseRun[] = [];
  for (const s of seeds) runs.push(await trainDense(modelName, data, recipe, s, log));
  return runs;
}

/** Removes every mask of the run's model and puts its trained dense weights back, exactly. */
export function resetToDense(run: DenseRun): void {
  MaskedModel.existing(run.model)?.undo();
  run.model.setWeights(run.weights);
}

/** Frees the models and kept weights of dense runs. */
export function disposeRuns(runs: readonly DenseRun[]): void {
  for (const r of runs) {
    MaskedModel.existing(r.model)?.strip();
    r.weights.forEach((w) => w.dispose());
    r.model.dispose();
  }
}

/** Parameters left in the model: mask ones of masked kernels plus every other parameter. */
export function remainingParams(model: tf.LayersModel): { params: number; remaining: number } {
  const s = MaskedModel.of(model).summary().total;
  return { params: s.params, remaining: s.nonzeros };
}
