/**
 * The builtin trial `sparse-from-scratch` (method family 4): a fresh model of (model, data,
 * seed) gets a sparse mask at initialization — SNIP or GraSP from a few training batches, a
 * static random mask (uniform / ER / ERK), or any one-shot method — and is trained from scratch
 * with the mask held (`trainMethod: 'none'`, static sparse training) or changing (`set`,
 * `rigl`). Both methods' options are grid fields, so one sweep compares SNIP, GraSP, static
 * ERK, SET and RigL at the same budget and sparsities; the dense model of the same budget is the
 * `dense` trial with the same recipe.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UnknownNameError } from '../errors';
import { recipeOptions, remainingParams, type TrainRecipe } from '../experiments/runs';
import { createModel, listModels } from '../models';
import { initVarianceScaling } from '../prune/at-init';
import { MaskedModel, prune, type PruneBatch, type PruneOptions } from '../prune';
import { findMethod, listMethods } from '../prune/method';
import { resolveOptionValues, type OptionSpec } from '../prune/method-options';
import { trainingPlan } from '../prune/training-plan';
import { batches } from '../data';
import { evaluate, listOptimizers, train, type TrainHook } from '../train';
import { sparseTrainingSupport, trainSparse, type SparseTrainHistory } from '../sparse/sparse-train';
import { sweepData } from './data-cache';
import { checkDataFields, DATA_FIELDS, dataSpecOf, methodOptionsOf } from './trial-fields';
import { registerTrial, type TrialContext, type TrialMetrics } from './trials';
import type { TrialConfig } from './types';

const FIELDS: OptionSpec[] = [
  ...DATA_FIELDS,
  { name: 'model', type: 'string', default: 'lenet-300-100', help: 'model registry name (pl.listModels())' },
  { name: 'seed', type: 'int', default: 1, help: 'seed of the initialization, the mask, the data order and the methods' },
  { name: 'initialization', type: 'string', choices: ['model', 'variance-scaling'], default: 'model', help: "the model's own initializers, or variance scaling (fan-in, truncated normal: SNIP's)" },
  { name: 'initMethod', type: 'string', default: 'static', help: 'one-shot method that chooses the mask at initialization (snip, grasp, static, random, magnitude…); its options are fields too' },
  { name: 'sparsity', type: 'number', min: 0, max: 1, exclusiveMax: true, help: 'overall sparsity of the prunable weights' },
  { name: 'scope', type: 'string', help: "allocation over layers (default: the init method's own: global for snip/grasp, the distribution for static)" },
  { name: 'keepFirstDense', type: 'boolean', help: 'leave the first prunable layer dense (LeNet-5 conv1 at ≥ 98%)' },
  { name: 'keepLastDense', type: 'boolean', help: 'leave the classifier dense' },
  { name: 'exclude', type: 'list', help: 'leave these layers dense' },
  { name: 'pruneBatches', type: 'int', min: 1, default: 1, help: 'training batches the init method sees (SNIP: 1; GraSP: enough for samplesPerClass of each class)' },
  { name: 'pruneBatchSize', type: 'int', min: 1, default: 100, help: 'examples per batch the init method sees' },
  { name: 'trainMethod', type: 'string', default: 'none', help: "none (the mask is fixed) or a training method (set, rigl); its options are fields too" },
  { name: 'epochs', type: 'int', min: 1, help: 'passes over the training data (give epochs or steps; default 1 epoch)' },
  { name: 'steps', type: 'int', min: 1, help: 'optimizer steps instead of epochs' },
  { name: 'batchSize', type: 'int', min: 1, default: 100, help: 'examples per step' },
  { name: 'optimizer', type: 'string', default: 'momentum', help: 'optimizer (momentum: SGD with momentum 0.9)' },
  { name: 'learningRate', type: 'number', min: 0, exclusiveMin: true, default: 0.1, help: 'base learning rate' },
  { name: 'lrSchedule', type: 'string', choices: ['constant', 'cosine'], default: 'cosine', help: 'learning-rate schedule over the run' },
  { name: 'weightDecay', type: 'number', min: 0, default: 5e-4, help: 'L2 weight decay' },
  { name: 'sparseKernels', type: 'boolean', default: false, help: 'train on the sparse wasm kernels (Dense chains, momentum SGD; set/rigl update their masks at their steps) instead of dense products with masks' },
  { name: 'curve', type: 'boolean', default: false, help: 'test accuracy after every epoch (a learning curve; best and final are reported)' },
  { name: 'label', type: 'string', help: 'a name for this variant in figures and tables' },
];

const FIELD_NAMES = new Set(FIELDS.map((f) => f.name));

/** Validates a configuration: the trial's fields, then each method's own options. */
function resolve(given: Record<string, unknown>, where: string): TrialConfig {
  const core: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) (FIELD_NAMES.has(k) ? core : rest)[k] = v;
  const config = resolveOptionValues(FIELDS, core, where) as TrialConfig;
  checkDataFields(config, where);
  const models = listModels().map((m) => m.name);
  const model = String(config.model).trim().toLowerCase().replace(/_/g, '-');
  if (!models.includes(model)) throw new UnknownNameError('model', String(config.model), models, `${where}: field 'model': unknown model '${config.model}'. Known models: ${models.join(', ')}.`);
  config.model = model;
  if (!listOptimizers().includes(config.optimizer as never)) {
    throw new UnknownNameError('optimizer', String(config.optimizer), listOptimizers(), `${where}: field 'optimizer': unknown optimizer '${config.optimizer}'. Known: ${listOptimizers().join(', ')}.`);
  }
  if (config.epochs !== undefined && config.steps !== undefined) throw new OptionError(`${where}: give epochs or steps, not both.`, 'steps');
  if (config.epochs === undefined && config.steps === undefined) config.epochs = 1;
  if (config.sparsity === undefined) throw new OptionError(`${where}: give a sparsity in [0, 1) (e.g. sparsity: [0.9, 0.95, 0.98]).`, 'sparsity');
  const methods = listMethods();
  const init = findMethod(config.initMethod as string);
  if (!init || !methods.find((m) => m.name === init.name)!.oneShot) {
    const known = methods.filter((m) => m.oneShot).map((m) => m.name);
    throw new UnknownNameError('one-shot method', String(config.initMethod), known, `${where}: field 'initMethod': '${config.initMethod}' is not a one-shot method. Known: ${known.join(', ')}.`);
  }
  const trainer = config.trainMethod === 'none' ? undefined : findMethod(config.trainMethod as string);
  if (config.trainMethod !== 'none' && (!trainer || !trainer.training)) {
    const known = ['none', ...methods.filter((m) => m.training).map((m) => m.name)];
    throw new UnknownNameError('training method', String(config.trainMethod), known, `${where}: field 'trainMethod': '${config.trainMethod}' is not a training method. Known: ${known.join(', ')}.`);
  }
  const initNames = new Set((init.options ?? []).map((o) => o.name));
  const trainNames = new Set((trainer?.options ?? []).map((o) => o.name));
  const anyOption = new Set(methods.flatMap((m) => m.options.map((o) => o.name)));
  const initOwn: Record<string, unknown> = {}, trainOwn: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (initNames.has(k)) initOwn[k] = v;
    if (trainNames.has(k)) trainOwn[k] = v;
    if (!initNames.has(k) && !trainNames.has(k) && !anyOption.has(k)) {
      throw new OptionError(`${where}: unknown field '${k}'. Its fields: ${[...FIELD_NAMES].join(', ')}; options of '${init.name}': ${[...initNames].join(', ') || 'none'}${trainer ? `; of '${trainer.name}': ${[...trainNames].join(', ') || 'none'}` : ''}.`, k);
    }
  }
  return {
    ...config,
    ...resolveOptionValues(init.options ?? [], initOwn, `${where}, initMethod '${init.name}'`),
    ...(trainer ? resolveOptionValues(trainer.options ?? [], trainOwn, `${where}, trainMethod '${trainer.name}'`) : {}),
  };
}

/** Per-layer densities of a masked model, in layer order. */
function layerDensities(model: tf.LayersModel): Record<string, number> {
  const masked = MaskedModel.of(model);
  const out: Record<string, number> = {};
  for (const w of masked.prunableWeights()) {
    const m = masked.mask(w.name);
    out[w.layerName] = m ? tf.tidy(() => tf.sum(m).dataSync()[0]) / w.size : 1;
  }
  return out;
}

async function run(config: TrialConfig, ctx: TrialContext): Promise<TrialMetrics> {
  const data = await sweepData(ctx.dir, dataSpecOf(config));
  const seed = config.seed as number;
  const net = createModel(config.model as string, { seed, inputShape: data.train.featureShape, classes: data.train.numClasses });
  try {
    if (config.initialization === 'variance-scaling') initVarianceScaling(net, seed);
    const initMethod = config.initMethod as string;
    const t0 = Date.now();
    const needsData = ['snip', 'grasp'].includes(initMethod) || findMethod(initMethod)?.update !== undefined;
    const pruneData: PruneBatch[] = [];
    if (needsData) {
      for (const b of batches(data.train, { batchSize: config.pruneBatchSize as number, seed, shuffle: true, shape: data.train.featureShape })) {
        if (pruneData.length >= (config.pruneBatches as number)) {
          tf.dispose([b.xs, b.ys]);
          continue;
        }
        pruneData.push({ xs: b.xs, ys: b.ys, size: b.size });
      }
    }
    const options: PruneOptions = { method: initMethod, sparsity: config.sparsity as number, seed, methodOptions: methodOptionsOf(initMethod, config) };
    for (const k of ['scope', 'keepFirstDense', 'keepLastDense', 'exclude'] as const) if (config[k] !== undefined) (options as Record<string, unknown>)[k] = config[k];
    try {
      prune(net, { ...options, ...(pruneData.length ? { data: pruneData } : {}) });
    } finally {
      pruneData.forEach((b) => tf.dispose([b.xs, b.ys]));
    }
    const pruneSeconds = (Date.now() - t0) / 1000;
    const densitiesAtInit = layerDensities(net);
    const recipe: TrainRecipe = {
      ...(config.steps !== undefined ? { steps: config.steps as number } : { epochs: config.epochs as number }),
      batchSize: config.batchSize as number, optimizer: config.optimizer as TrainRecipe['optimizer'],
      learningRate: config.learningRate as number, weightDecay: config.weightDecay as number,
    };
    const trainOpts = recipeOptions(recipe, seed);
    const perEpoch = Math.ceil(data.train.count / (config.batchSize as number));
    const totalSteps = (config.steps as number | undefined) ?? (config.epochs as number) * perEpoch;
    const masked = MaskedModel.of(net);
    const plan = config.trainMethod === 'none' ? undefined : trainingPlan(net, config.trainMethod as string, methodOptionsOf(config.trainMethod as string, config), { totalSteps, stepsPerEpoch: perEpoch, seed });
    const curve: number[] = [];
    const epochs = Math.ceil(totalSteps / perEpoch);
    // the test-accuracy curve (when asked) and a line per epoch in the trial's log (LeNet-5 trials run minutes per epoch)
    const epochHook: TrainHook = {
      onEpochEnd: (info) => {
        if (config.curve) curve.push(evaluate(net, data.test).accuracy);
        ctx.log(`  epoch ${info.epoch + 1}/${epochs}: loss ${info.metrics.loss.toFixed(4)}, training accuracy ${(100 * info.metrics.accuracy).toFixed(2)}%` + (config.curve ? `, test ${(100 * curve.at(-1)!).toFixed(2)}%` : '') + ` (${info.metrics.seconds.toFixed(1)} s)`);
      },
    };
    const t1 = Date.now();
    const useSparse = config.sparseKernels === true;
    if (useSparse) {
      const why = sparseTrainingSupport(net);
      if (why) throw new OptionError(`sparseKernels: model '${config.model}' cannot train on the sparse kernels: ${why}.`, 'sparseKernels');
      if (config.optimizer !== 'momentum') throw new OptionError(`sparseKernels: the sparse kernels train with momentum SGD; got optimizer '${config.optimizer}'.`, 'optimizer');
    }
    const base = config.learningRate as number;
    const history = useSparse ? sparseHistory(trainSparse(net, data.train, masked.masks(), {
      epochs, batchSize: config.batchSize as number, weightDecay: config.weightDecay as number, seed,
      learningRate: config.lrSchedule === 'cosine' ? (step) => (base * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps))) / 2 : base,
      ...(plan ? { hooks: plan.trainOptions.hooks, masked } : {}),
    }), curve, () => evaluate(net, data.test).accuracy, config.curve === true) : await train(net, data.train, {
      ...trainOpts,
      ...(config.lrSchedule === 'cosine' ? { schedule: { type: 'cosine' } } : {}),
      masks: masked,
      signal: ctx.signal,
      hooks: [...(plan?.trainOptions.hooks ?? []), epochHook],
      ...(plan ? { extraLosses: plan.trainOptions.extraLosses } : {}),
    });
    const trainSeconds = (Date.now() - t1) / 1000;
    const accuracy = evaluate(net, data.test).accuracy;
    const { params, remaining } = remainingParams(net);
    // the fraction of all active weights each mask update replaced (SET/RigL)
    const updates = masked.history.filter((h) => h.method === config.trainMethod && h.details.changed);
    const changed = updates.map((h) => {
      const c = Object.values(h.details.changed as Record<string, { replaced: number; active: number }>);
      return c.reduce((a, x) => a + x.replaced, 0) / Math.max(1, c.reduce((a, x) => a + x.active, 0));
    });
    const metrics: TrialMetrics = {
      // target: the configured sparsity (the row's `sparsity` is the measured one, as in prune-finetune)
      target: config.sparsity as number, accuracy, sparsity: 1 - remaining / params, remaining, params,
      densitiesAtInit, densities: layerDensities(net),
      pruneSeconds, trainSeconds, secondsPerEpoch: trainSeconds / Math.max(1, history.epochs.length),
      updateSteps: updates.map((h) => h.details.step as number), changedFraction: changed,
      ...(config.curve ? { curve, bestAccuracy: Math.max(...curve, accuracy) } : {}),
    };
    ctx.log(`${config.label ?? `${initMethod}+${config.trainMethod}`} @ ${config.sparsity}, seed ${seed}: ${(100 * accuracy).toFixed(2)}% (${(100 * (metrics.sparsity as number)).toFixed(2)}% sparse, ${trainSeconds.toFixed(1)} s)`);
    return metrics;
  } finally {
    if (MaskedModel.of(net).masks().size) MaskedModel.of(net).strip();
    net.dispose();
  }
}

/** A sparse run's history in the shape the trial reads (epochs); no per-epoch curve there (weights are written back at the end). */
function sparseHistory(h: SparseTrainHistory, curve: number[], accuracy: () => number, wantCurve: boolean): { epochs: unknown[] } {
  if (wantCurve) curve.push(accuracy());
  return { epochs: h.epochs };
}

registerTrial('sparse-from-scratch', {
  description: 'fresh model → sparse mask at initialization (snip, grasp, static…) → train from scratch with the mask fixed or changing (set, rigl) → evaluate',
  fields: FIELDS,
  extraFields: () => listMethods().flatMap((m) => m.options.map((o) => o.name)),
  resolve,
  run,
});
