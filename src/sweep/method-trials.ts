/**
 * The builtin trial `train-method`: a training method (one that acts during training: `penalty`,
 * `ltp`, `l0`, `sparse-vd`, `set`, ...) run for a recipe, from the sweep's cached dense model
 * (`start: 'dense'`) or from a fresh initialisation (`start: 'scratch'`), then finalized into hard
 * masks and optionally fine-tuned with the masks held. `method: 'none'` trains without a method
 * (the dense epoch time of the cost comparison, or a dense baseline).
 *
 * Its metrics (sparsity and compression over the prunable weights, biases excluded): accuracies (the dense start, the trained net in evaluation mode, after finalize,
 * after fine-tuning), sparsity / compression of the finalized net and per layer, the method's
 * and the dense epoch time, and per epoch a learning curve with the sparsity `finalize` would
 * give then. Method-specific pictures ride along: the LTP trail (hard and soft accuracy per
 * epoch), the L0 architecture and gate probabilities per epoch, the log α histogram of sparse VD
 * per epoch.
 */
import * as tf from '@tensorflow/tfjs';
import type { Examples } from '../data/types';
import { OptionError, UnknownNameError } from '../errors';
import { remainingParams } from '../experiments/runs';
import { createModel } from '../models';
import { finalize, MaskedModel, prune, trainingPlan } from '../prune';
import { findMethod, listMethods } from '../prune/method';
import { resolveOptionValues, type OptionSpec } from '../prune/method-options';
import { evaluateLtpTrail, useLtpCheckpoint } from '../prune/methods/ltp';
import { l0Architecture } from '../prune/methods/l0';
import { vdLogAlphas } from '../prune/methods/sparse-vd';
import { evaluate, listOptimizers, train } from '../train';
import { parametrizedWeights } from '../train/parametrize';
import { scalarSchedule } from '../train/scalar-schedule';
import type { TrainHook } from '../train/types';
import { checkAborted, checkDenseFields, dataOf, denseKey, DENSE_FIELDS, normaliseRecipe, recipeFieldSpecs, recipeFromConfig } from './trial-fields';
import { denseCheckpoint, disposeCheckpoint } from './checkpoints';
import { registerTrial, type TrialContext, type TrialMetrics } from './trials';
import type { TrialConfig } from './types';
import { recipeOptions } from '../experiments/runs';

/** Bins of the log α histograms: 32 bins of 0.5 over [−8, 8]. */
export const LOG_ALPHA_BINS = Array.from({ length: 33 }, (_, i) => -8 + 0.5 * i);

/** Fields of `train-method` besides the dense ones. */
const METHOD_FIELDS: OptionSpec[] = [
  { name: 'method', type: 'string', help: "a method that acts during training (pl.listMethods()), or 'none' for plain training" },
  { name: 'start', type: 'string', choices: ['dense', 'scratch'], default: 'dense', help: "'dense': from the cached dense model of the dense recipe; 'scratch': from the model's initialisation (seeded)" },
  { name: 'methodEpochs', type: 'int', min: 1, default: 1, help: 'epochs of the training with the method' },
  { name: 'methodBatchSize', type: 'int', min: 1, default: 100, help: 'examples per step of the training with the method' },
  { name: 'methodOptimizer', type: 'string', default: 'adam', help: 'optimizer of the training with the method' },
  { name: 'methodLearningRate', type: 'number', min: 0, exclusiveMin: true, default: 1e-3, help: 'learning rate of the training with the method' },
  { name: 'methodLrFactor', type: 'schedule', help: 'learning-rate factor over the steps of the method run, e.g. linear:1:0:20000:40000 (constant, then linear to 0)' },
  { name: 'methodWeightDecay', type: 'number', min: 0, default: 0, help: 'L2 weight decay of the training with the method' },
  { name: 'pickDensity', type: 'number', min: 0, max: 1, exclusiveMin: true, help: 'ltp: finalize the trail point whose density is closest to this (default: the last)' },
  { name: 'layerSparsities', type: 'list', help: 'magnitude-prune each prunable layer (model order) to these sparsities, e.g. 0.92,0.91,0.74 (Han et al.\'s 12×)' },
  { name: 'pruneAt', type: 'string', choices: ['end', 'start'], default: 'end', help: "when layerSparsities prune: 'end' (after the method run and finalize: penalty then prune) or 'start' (before the run, which then trains with the masks held: magnitude + fine-tuning)" },
  { name: 'finetune', type: 'boolean', default: false, help: 'fine-tune the finalized net with its masks held (the finetune recipe)' },
  ...recipeFieldSpecs('finetune', 'masked fine-tuning'),
  { name: 'curveExamples', type: 'int', min: 1, default: 2000, help: 'test examples of the per-epoch curve (the final accuracies use all)' },
  { name: 'label', type: 'string', help: 'a name for the row in tables' },
];

function resolveTrainMethod(given: Record<string, unknown>, where: string): TrialConfig {
  const fields = [...DENSE_FIELDS, ...METHOD_FIELDS];
  const coreNames = new Set(fields.map((f) => f.name));
  const methodName = given.method;
  if (typeof methodName !== 'string') throw new OptionError(`${where}: give method, a training method (${trainingMethods().join(', ')}) or 'none'.`, 'method');
  const method = methodName === 'none' ? undefined : findMethod(methodName);
  if (methodName !== 'none' && (!method || !(method.training || method.attach))) {
    throw new UnknownNameError('training method', methodName, trainingMethods(), `${where}: field 'method': '${methodName}' is not a method that acts during training. Training methods: ${trainingMethods().join(', ')}, or 'none'.`);
  }
  const ownNames = new Set((method?.options ?? []).map((o) => o.name));
  const anyMethodOption = new Set(listMethods().flatMap((m) => m.options.map((o) => o.name)));
  const core: Record<string, unknown> = {}, own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) {
    if (coreNames.has(k)) core[k] = v;
    else if (ownNames.has(k)) own[k] = v;
    else if (!anyMethodOption.has(k)) throw new OptionError(`${where}: unknown field '${k}'. Its fields: ${[...coreNames].join(', ')}; options of method '${methodName}': ${[...ownNames].join(', ') || 'none'}.`, k);
  }
  const config = resolveOptionValues(fields, core, where) as TrialConfig;
  checkDenseFields(config, where);
  if (!listOptimizers().includes(config.methodOptimizer as string)) {
    throw new UnknownNameError('optimizer', String(config.methodOptimizer), listOptimizers(), `${where}: field 'methodOptimizer': unknown optimizer '${config.methodOptimizer}'. Known optimizers: ${listOptimizers().join(', ')}.`);
  }
  if (config.methodLrFactor !== undefined) scalarSchedule(config.methodLrFactor as never, `${where}: methodLrFactor`);
  if (config.finetune) normaliseRecipe(config, 'finetune', where);
  const ls = config.layerSparsities as string[] | undefined;
  if (ls !== undefined && ls.map(Number).some((x) => !(x >= 0 && x < 1))) {
    throw new OptionError(`${where}: layerSparsities must be numbers in [0, 1), one per prunable layer; got ${ls.join(',')}.`, 'layerSparsities');
  }
  const options = method ? resolveOptionValues(method.options ?? [], own, `${where}, method '${methodName}'`) : {};
  return { ...config, ...options };
}

function trainingMethods(): string[] {
  return listMethods().filter((m) => m.training).map((m) => m.name);
}

/** The first `n` examples. */
function head(ex: Examples, n: number): Examples {
  if (n >= ex.count) return ex;
  const d = ex.featureShape.reduce((a, b) => a * b, 1);
  return { ...ex, x: ex.x.subarray(0, n * d), y: ex.y.subarray(0, n), count: n };
}

/**
 * The sparsity `finalize` would give now: per prunable weight, the zeros of its final mask (a
 * parametrized weight) or of its stored value, over all prunable weights.
 */
export function finalizedSparsity(model: tf.LayersModel): { sparsity: number; layers: number[]; weights: number; remaining: number } {
  const masked = MaskedModel.of(model);
  const params = new Map(parametrizedWeights(model).map((e) => [e.weightName, e.parametrization]));
  let zeros = 0, total = 0;
  const layers = masked.prunableWeights().map((w) => {
    const p = params.get(w.name);
    const z = tf.tidy(() => {
      const stored = w.variable.read();
      const m = p?.finalize ? p.finalize(stored).mask : tf.notEqual(stored, 0);
      const kept = tf.mul(tf.cast(m, 'float32'), tf.cast(tf.notEqual(stored, 0), 'float32'));
      return w.size - tf.sum(kept).dataSync()[0];
    });
    zeros += z;
    total += w.size;
    return z / w.size;
  });
  return { sparsity: total ? zeros / total : 0, layers, weights: total, remaining: total - zeros };
}

function histogram(values: Float32Array, edges: number[]): number[] {
  const counts = new Array(edges.length - 1).fill(0);
  const lo = edges[0], width = edges[1] - edges[0];
  for (const v of values) counts[Math.min(counts.length - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  return counts;
}

/** Magnitude pruning of each prunable layer to its sparsity (model order). */
function pruneLayers(model: tf.LayersModel, sparsities: number[]): void {
  const layers = MaskedModel.of(model).prunableWeights().map((w) => w.layerName);
  if (layers.length !== sparsities.length) {
    throw new OptionError(`train-method: layerSparsities has ${sparsities.length} values but the model has ${layers.length} prunable layers (${layers.join(', ')}).`, 'layerSparsities');
  }
  prune(model, { method: 'magnitude', scope: { perLayer: Object.fromEntries(layers.map((l, i) => [l, sparsities[i]])) } });
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

async function runTrainMethod(config: TrialConfig, ctx: TrialContext): Promise<TrialMetrics> {
  const data = await dataOf(config, ctx.dir);
  const method = config.method as string;
  const seed = config.seed as number;
  const fromDense = config.start === 'dense';
  const dense = fromDense ? await denseCheckpoint(ctx.dir, denseKey(config), data, { log: ctx.log, signal: ctx.signal, trainedBy: ctx.id }) : undefined;
  const model = dense?.model ?? createModel(config.model as string, { seed, inputShape: data.train.featureShape, classes: data.train.numClasses });
  try {
    checkAborted(ctx.signal, 'before the method run');
    const curveData = head(data.test, config.curveExamples as number);
    const batchSize = config.methodBatchSize as number;
    const perEpoch = Math.ceil(data.train.count / batchSize);
    const epochs = config.methodEpochs as number;
    const methodOptions: Record<string, unknown> = {};
    for (const o of findMethod(method)?.options ?? []) if (config[o.name] !== undefined) methodOptions[o.name] = config[o.name];
    const layerSparsities = (config.layerSparsities as string[] | undefined)?.map(Number);
    let accuracyPruned: number | null = null;
    if (layerSparsities && config.pruneAt === 'start') {
      pruneLayers(model, layerSparsities);
      accuracyPruned = evaluate(model, data.test).accuracy;
    }
    const plan = method === 'none' ? undefined : trainingPlan(model, method, methodOptions, { totalSteps: epochs * perEpoch, stepsPerEpoch: perEpoch, seed });
    const curve = { epoch: [] as number[], accuracy: [] as number[], sparsity: [] as number[], architecture: [] as string[], gateProbabilities: [] as number[][][], logAlphaHist: [] as number[][] };
    const curveHook: TrainHook = {
      onEpochEnd(info) {
        curve.epoch.push(info.epoch + 1);
        curve.accuracy.push(evaluate(model, curveData).accuracy);
        curve.sparsity.push(round(finalizedSparsity(model).sparsity, 6));
        if (method === 'l0') {
          const a = l0Architecture(model);
          curve.architecture.push(a.summary);
          curve.gateProbabilities.push(a.layers.map((l) => l.probabilities.map((p) => round(p, 3))));
        }
        if (method === 'sparse-vd') {
          const all = vdLogAlphas(model).map((l) => l.logAlpha);
          const flat = new Float32Array(all.reduce((n, a) => n + a.length, 0));
          let o = 0;
          for (const a of all) {
            flat.set(a, o);
            o += a.length;
          }
          curve.logAlphaHist.push(histogram(flat, LOG_ALPHA_BINS));
        }
        // a line per epoch in the trial's log: a long trial shows how far it is and where it heads
        ctx.log(`  epoch ${info.epoch + 1}/${epochs}: loss ${info.metrics.loss.toFixed(4)}, held-out accuracy ${pct(curve.accuracy.at(-1)!)}, ${pct(curve.sparsity.at(-1)!)} sparse as finalized` +
          (curve.architecture.length ? `, units ${curve.architecture.at(-1)}` : '') + ` (${info.metrics.seconds.toFixed(1)} s)`);
      },
    };
    const lrFactor = config.methodLrFactor !== undefined ? scalarSchedule(config.methodLrFactor as never, 'methodLrFactor') : undefined;
    const history = await train(model, data.train, {
      epochs, batchSize, optimizer: config.methodOptimizer as 'adam', learningRate: config.methodLearningRate as number,
      weightDecay: config.methodWeightDecay as number, seed, signal: ctx.signal,
      ...(config.methodOptimizer === 'momentum' || config.methodOptimizer === 'nesterov' ? { optimizerOptions: { momentum: 0.9 } } : {}),
      ...(lrFactor ? { schedule: (step: number, lr: number) => lr * lrFactor(step) } : {}),
      hooks: [...(plan?.trainOptions.hooks ?? []), curveHook],
      extraLosses: plan?.trainOptions.extraLosses ?? [],
      masks: plan?.trainOptions.masks ?? MaskedModel.existing(model),
    });
    checkAborted(ctx.signal, 'after the method run');
    const accuracyTrained = evaluate(model, data.test).accuracy;
    const extra: TrialMetrics = {};
    if (method === 'ltp') {
      const trail = evaluateLtpTrail(model, curveData);
      Object.assign(extra, { trailDensity: trail.map((p) => p.density), trailHard: trail.map((p) => p.hardAccuracy), trailSoft: trail.map((p) => p.softAccuracy) });
      if (config.pickDensity !== undefined) {
        let best = trail.length - 1;
        trail.forEach((p, i) => {
          if (Math.abs(p.density - (config.pickDensity as number)) < Math.abs(trail[best].density - (config.pickDensity as number))) best = i;
        });
        useLtpCheckpoint(model, best);
        extra.pickedEpoch = trail[best].epoch + 1;
      }
    }
    if (method === 'l0') {
      const a = l0Architecture(model);
      Object.assign(extra, { architecture: a.summary, architectureTotal: a.layers.map((l) => l.total).join('-'), expectedL0: a.layers.map((l) => round(l.expected, 2)) });
    }
    if (method === 'sparse-vd') extra.logAlphaBins = LOG_ALPHA_BINS;
    const layerNames = MaskedModel.of(model).prunableWeights().map((w) => w.layerName);
    finalize(model);
    const accuracyFinal = evaluate(model, data.test).accuracy;
    if (layerSparsities && config.pruneAt === 'end') {
      pruneLayers(model, layerSparsities);
      accuracyPruned = evaluate(model, data.test).accuracy;
    }
    // sparsity and compression count the prunable weights only (biases excluded), as the papers do
    const final = finalizedSparsity(model);
    const layerSparsity = final.layers.map((s) => round(s, 6));
    const all = remainingParams(model);
    // the pipeline's end without fine-tuning: the net pruned at the end, or (pruned at the start or
    // not pruned) the trained, finalized net — never the accuracy before training
    let accuracyFinetuned = config.pruneAt === 'end' && accuracyPruned !== null ? accuracyPruned : accuracyFinal;
    const t1 = Date.now();
    if (config.finetune) {
      await train(model, data.train, { ...recipeOptions(recipeFromConfig(config, 'finetune'), seed), masks: MaskedModel.of(model), signal: ctx.signal });
      accuracyFinetuned = evaluate(model, data.test).accuracy;
    }
    const methodEpochSeconds = history.epochs.reduce((s, e) => s + e.seconds, 0) / Math.max(1, history.epochs.length);
    const denseEpochs = dense?.history.epochs ?? [];
    const metrics: TrialMetrics = {
      sparsity: final.sparsity, remaining: final.remaining, params: final.weights, compression: final.weights / final.remaining, layers: layerNames, layerSparsity,
      paramsAll: all.params, remainingAll: all.remaining,
      accuracyDense: dense?.accuracy ?? null, accuracyTrained, accuracyFinal, accuracyPruned, accuracyFinetuned,
      methodEpochSeconds, denseEpochSeconds: denseEpochs.length ? denseEpochs.reduce((s, e) => s + e.seconds, 0) / denseEpochs.length : null,
      finetuneSeconds: (Date.now() - t1) / 1000,
      curveEpoch: curve.epoch, curveAccuracy: curve.accuracy, curveSparsity: curve.sparsity,
      ...(curve.architecture.length ? { curveArchitecture: curve.architecture, curveGateProbabilities: curve.gateProbabilities } : {}),
      ...(curve.logAlphaHist.length ? { curveLogAlphaHist: curve.logAlphaHist } : {}),
      ...extra,
    };
    ctx.log(`${config.label ?? method}, seed ${seed}: trained ${pct(accuracyTrained)} → finalized ${pct(accuracyFinal)} at ${pct(metrics.sparsity as number)} sparse` + (config.finetune ? ` → fine-tuned ${pct(accuracyFinetuned)}` : ''));
    return metrics;
  } finally {
    // a run that stopped midway leaves the method attached: end it so the model can be freed
    if (MaskedModel.existing(model)?.attachedMethods().size) finalize(model);
    if (dense) disposeCheckpoint(dense);
    else {
      if (MaskedModel.existing(model)) {
        finalize(model);
        MaskedModel.of(model).strip();
      }
      model.dispose();
    }
  }
}

registerTrial('train-method', {
  description: 'a training method (penalty, ltp, l0, sparse-vd, set, …) from the cached dense model or from scratch → finalize to hard masks → optional masked fine-tune; with per-epoch curves',
  fields: [...DENSE_FIELDS, ...METHOD_FIELDS],
  extraFields: () => listMethods().flatMap((m) => m.options.map((o) => o.name)),
  resolve: resolveTrainMethod,
  run: runTrainMethod,
});
