/**
 * The builtin trial functions:
 * - `prune-finetune`: what notebooks 01–04 do per (dataset, seed, variant) — the dense model of
 *   its (model, data, dense recipe, seed) from the sweep's checkpoint cache (trained once), then
 *   prune with a method and the pruning options, evaluate, fine-tune with the masks held,
 *   evaluate. Its metrics are the columns of `VariantRow` (`experiments/variants.ts`), so the
 *   report helpers take the rows unchanged.
 * - `schedule-finetune`: what notebook 02 does per (schedule, seed) — the same cached dense model,
 *   fine-tuned while one schedule of `scheduleComparison` (one-shot, iterative, gradual AGP)
 *   prunes it; its metrics are the final row's columns and the learning curve as arrays.
 * - `iterative-prune-retrain`: Han et al. (2015)'s protocol (notebook 01) per (dataset, seed) —
 *   the cached dense model pruned by magnitude towards per-layer densities in rounds, retrained
 *   after each; its metrics are the rounds as arrays and the sparsity measured in the weights.
 * - `dense`: train (or load from the cache) a dense model and report its test accuracy.
 * - `empty`: returns `{}` at once (measures the per-trial overhead of an executor).
 *
 * Recipes are flat fields (`denseEpochs`, `finetuneLearningRate`, ...) so that any recipe field
 * can be a grid axis; `recipeFields` (`./trial-fields`, what every trial shares) turns a
 * notebook's recipe object into them.
 */
export { recipeFields, sweepDenseRun } from './trial-fields';
import * as tf from '@tensorflow/tfjs';
import { batches } from '../data';
import { OptionError, UnknownNameError } from '../errors';
import { comparedSchedules, iterativePruneRetrain, measuredSparsity, scheduleComparison } from '../experiments/protocols';
import { recipeOptions, remainingParams, scaledRecipe, type DenseRun } from '../experiments/runs';
import { MaskedModel, prune, type PruneOptions } from '../prune';
import { allocationNames } from '../prune/allocation';
import { resolveGranularity } from '../prune/granularity';
import { findMethod, listMethods } from '../prune/method';
import { resolveOptionValues, type OptionSpec } from '../prune/method-options';
import { evaluate, train } from '../train';
import { denseCheckpoint, disposeCheckpoint } from './checkpoints';
import {
  cap, checkAborted, checkDenseFields, dataOf, denseKey, DENSE_FIELDS, inField, normaliseRecipe, RECIPE_KEYS, recipeFieldSpecs, recipeFromConfig,
} from './trial-fields';
import { registerTrial, type TrialContext, type TrialMetrics } from './trials';
import type { TrialConfig } from './types';

/** Data a data-driven method sees in `prune-finetune` when the configuration does not say. */
const DEFAULT_PRUNE_BATCHES = 1;
const DEFAULT_PRUNE_BATCH_SIZE = 1024;

const PRUNE_FIELDS: OptionSpec[] = [
  { name: 'method', type: 'string', default: 'magnitude', help: 'a one-shot pruning method (pl.listMethods()); its options are fields too' },
  { name: 'sparsity', type: 'number', min: 0, max: 1, exclusiveMax: true, help: 'fraction to remove (not for N:M granularity, which implies its own)' },
  { name: 'granularity', type: 'string', help: "element (default), neuron, filter, channel, 'N:M' (e.g. '2:4'), 'block:RxC'" },
  // the allocations registered when this module loads (the built-ins: layerwise, global, erk, er)
  { name: 'scope', type: 'string', choices: allocationNames(), help: "allocation of the sparsity over layers (default: the method's own, e.g. global for snip and grasp, else layerwise)" },
  { name: 'groupReduce', type: 'string', choices: ['l1', 'l2', 'mean', 'max'], help: 'how element scores make group scores (default l2)' },
  { name: 'keepFirstDense', type: 'boolean', help: 'leave the first prunable layer dense' },
  { name: 'keepLastDense', type: 'boolean', help: 'leave the last prunable layer (the classifier) dense' },
  { name: 'include', type: 'list', help: 'only these layers' },
  { name: 'exclude', type: 'list', help: 'leave these layers dense' },
  // no defaults: configurations that do not give them keep their content hash (and cached results)
  { name: 'pruneBatches', type: 'int', min: 1, help: `batches of training data (seeded) given to data-driven methods: activation statistics, gradients, Hessians (default ${DEFAULT_PRUNE_BATCHES})` },
  { name: 'pruneBatchSize', type: 'int', min: 1, help: `examples per such batch (default ${DEFAULT_PRUNE_BATCH_SIZE})` },
  { name: 'finetune', type: 'boolean', default: true, help: 'fine-tune after pruning (default: yes, by default at 1/10 of the dense learning rate for 1 epoch)' },
  ...recipeFieldSpecs('finetune', 'fine-tuning'),
  { name: 'label', type: 'string', help: 'a name for this variant in figures and tables (e.g. "4x4 block")' },
];

/** Names of the pruning options passed to `prune` as they are. */
const PRUNE_PASS_THROUGH = ['sparsity', 'granularity', 'scope', 'groupReduce', 'keepFirstDense', 'keepLastDense', 'include', 'exclude'] as const;

/** Splits a configuration into the trial's own fields and the method's options. */
function resolvePruneFinetune(given: Record<string, unknown>, where: string): TrialConfig {
  const coreNames = new Set([...DENSE_FIELDS, ...PRUNE_FIELDS].map((f) => f.name));
  const methodName = (given.method ?? 'magnitude') as string;
  if (typeof methodName !== 'string') throw new OptionError(`${where}: method must be a string; got ${JSON.stringify(methodName)}.`, 'method');
  const method = findMethod(methodName);
  const methods = listMethods();
  if (!method) {
    const known = methods.filter((m) => m.oneShot).map((m) => m.name);
    throw new UnknownNameError('pruning method', methodName, known, `${where}: field 'method': unknown method '${methodName}'. Known one-shot methods: ${known.join(', ')}.`);
  }
  const info = methods.find((m) => m.name === methodName)!;
  if (!info.oneShot) {
    const known = methods.filter((m) => m.oneShot).map((m) => m.name);
    throw new OptionError(`${where}: method '${methodName}' acts during training, not once; prune-finetune prunes once, with one of: ${known.join(', ')}.`, 'method');
  }
  const ownNames = new Set((method.options ?? []).map((o) => o.name));
  const anyMethodOption = new Set(methods.flatMap((m) => m.options.map((o) => o.name)));
  const core: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) {
    if (coreNames.has(k)) core[k] = v;
    else if (ownNames.has(k)) own[k] = v;
    else if (!anyMethodOption.has(k)) {
      throw new OptionError(`${where}: unknown field '${k}'. Its fields: ${[...coreNames].join(', ')}; options of method '${methodName}': ${[...ownNames].join(', ') || 'none'}.`, k);
    }
    // else: an option of another method of the sweep, which this trial does not use
  }
  const config = resolveOptionValues([...DENSE_FIELDS, ...PRUNE_FIELDS], core, where) as TrialConfig;
  const options = resolveOptionValues(method.options ?? [], own, `${where}, method '${methodName}'`);
  checkDenseFields(config, where);
  const granularity = config.granularity as string | undefined;
  if (granularity !== undefined) inField(where, 'granularity', () => resolveGranularity(granularity));
  const implied = impliedSparsity(granularity);
  if (implied !== undefined && config.sparsity !== undefined) {
    throw new OptionError(`${where}: granularity '${granularity}' fixes the sparsity at ${implied}; leave sparsity out for it.`, 'sparsity');
  }
  if (implied === undefined && config.sparsity === undefined && !method.choosesOwnMasks) {
    throw new OptionError(`${where}: give a sparsity in [0, 1) (e.g. sparsity: [0.5, 0.9]); only N:M granularity and methods that choose their own masks imply one.`, 'sparsity');
  }
  if (config.finetune) normaliseRecipe(config, 'finetune', where, finetuneRecipeGiven(config) ? undefined : scaledRecipe(recipeFromConfig(config, 'dense'), 0.1, { epochs: 1, steps: undefined }));
  else for (const k of RECIPE_KEYS) delete config[`finetune${cap(k)}`];
  return { ...config, ...options };
}

function finetuneRecipeGiven(config: TrialConfig): boolean {
  return RECIPE_KEYS.some((k) => config[`finetune${cap(k)}`] !== undefined);
}

/** 1 − N/M for an N:M granularity, else undefined. */
function impliedSparsity(granularity: string | undefined): number | undefined {
  const nm = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(granularity ?? '');
  return nm ? 1 - Number(nm[1]) / Number(nm[2]) : undefined;
}


async function runPruneFinetune(config: TrialConfig, ctx: TrialContext): Promise<TrialMetrics> {
  const data = await dataOf(config, ctx.dir);
  const t0 = Date.now();
  const dense = await denseCheckpoint(ctx.dir, denseKey(config), data, { log: ctx.log, signal: ctx.signal, trainedBy: ctx.id });
  const denseSeconds = (Date.now() - t0) / 1000;
  try {
    checkAborted(ctx.signal, 'after the dense model');
    const method = config.method as string;
    const methodOptions: Record<string, unknown> = {};
    const declared = findMethod(method)?.options ?? [];
    for (const o of declared) if (config[o.name] !== undefined) methodOptions[o.name] = config[o.name];
    const options: PruneOptions = { method, seed: config.seed as number };
    if (declared.length) options.methodOptions = methodOptions;
    for (const k of PRUNE_PASS_THROUGH) if (config[k] !== undefined) (options as Record<string, unknown>)[k] = config[k];
    // training batches for data-driven methods (made lazily: magnitude never asks for them)
    const calibration: tf.Tensor[] = [];
    options.data = () => {
      const out = [];
      const count = (config.pruneBatches as number | undefined) ?? DEFAULT_PRUNE_BATCHES;
      for (const b of batches(data.train, { batchSize: (config.pruneBatchSize as number | undefined) ?? DEFAULT_PRUNE_BATCH_SIZE, seed: config.seed as number })) {
        calibration.push(b.xs, b.ys);
        out.push({ xs: b.xs, ys: b.ys, size: b.size });
        if (out.length >= count) break;
      }
      return out;
    };
    const tp = Date.now();
    try {
      prune(dense.model, options);
    } finally {
      tf.dispose(calibration);
    }
    const pruneSeconds = (Date.now() - tp) / 1000;
    const { params, remaining } = remainingParams(dense.model);
    const accuracyPruned = evaluate(dense.model, data.test).accuracy;
    let accuracyFinetuned = accuracyPruned;
    const t1 = Date.now();
    if (config.finetune) {
      await train(dense.model, data.train, { ...recipeOptions(recipeFromConfig(config, 'finetune'), config.seed as number), masks: MaskedModel.of(dense.model) });
      accuracyFinetuned = evaluate(dense.model, data.test).accuracy;
    }
    const target = (config.sparsity as number | undefined) ?? impliedSparsity(config.granularity as string | undefined) ?? null;
    const metrics = {
      target, sparsity: 1 - remaining / params, remaining, params, compression: params / remaining,
      accuracyDense: dense.accuracy, accuracyPruned, accuracyFinetuned,
      denseCached: dense.cached, denseSeconds, pruneSeconds, finetuneSeconds: (Date.now() - t1) / 1000,
    };
    ctx.log(
      `${config.label ?? method}${target !== null ? ` @ ${target}` : ''}, seed ${config.seed}: dense ${pct(dense.accuracy)}, ` +
        `pruned ${pct(accuracyPruned)} (${pct(metrics.sparsity)} sparse)` + (config.finetune ? ` → fine-tuned ${pct(accuracyFinetuned)}` : ''),
    );
    return metrics;
  } finally {
    disposeCheckpoint(dense);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

registerTrial('prune-finetune', {
  description: 'dense model (trained once per seed, cached) → prune with a method → evaluate → fine-tune with the masks held → evaluate',
  fields: [...DENSE_FIELDS, ...PRUNE_FIELDS],
  extraFields: () => listMethods().flatMap((m) => m.options.map((o) => o.name)),
  resolve: resolvePruneFinetune,
  run: runPruneFinetune,
});

/** Fields of `schedule-finetune` besides the dense ones: the comparison's options, one schedule. */
const SCHEDULE_FIELDS: OptionSpec[] = [
  { name: 'schedule', type: 'string', help: "the schedule: 'one-shot', 'iterative (k rounds)' (k = rounds) or 'gradual (AGP)'" },
  { name: 'sparsity', type: 'number', min: 0, max: 1, exclusiveMax: true, help: 'final sparsity of the schedule' },
  { name: 'steps', type: 'int', min: 1, help: 'optimizer steps of fine-tuning, during which the schedule prunes' },
  { name: 'rounds', type: 'int', min: 1, default: 3, help: 'rounds of the iterative schedule' },
  { name: 'pruneFraction', type: 'number', min: 0, max: 1, exclusiveMin: true, help: 'fraction of the steps during which iterative and AGP prune (default 0.5)' },
  { name: 'agpFrequency', type: 'int', min: 1, help: 'AGP prunes every this many steps (default: a tenth of the pruning phase)' },
  { name: 'evalEvery', type: 'int', min: 1, help: 'a point of the learning curve every this many steps (and after each pruning step)' },
  { name: 'curveExamples', type: 'int', min: 1, help: 'test examples of the learning curve (default 1000; the final accuracy uses all)' },
  // the fine-tuning recipe without its length, which is `steps`
  ...recipeFieldSpecs('finetune', 'fine-tuning').filter((f) => f.name !== 'finetuneEpochs' && f.name !== 'finetuneSteps'),
  ...PRUNE_FIELDS.filter((f) => ['granularity', 'scope', 'groupReduce', 'keepFirstDense', 'keepLastDense', 'include', 'exclude'].includes(f.name)),
];

/** Validates a `schedule-finetune` configuration and fills in the defaults. */
function resolveScheduleFinetune(given: Record<string, unknown>, where: string): TrialConfig {
  const fields = [...DENSE_FIELDS, ...SCHEDULE_FIELDS];
  const config = resolveOptionValues(fields, given, where) as TrialConfig;
  checkDenseFields(config, where);
  for (const required of ['schedule', 'sparsity', 'steps', 'evalEvery']) {
    if (config[required] === undefined) throw new OptionError(`${where}: give ${required} (${fields.find((f) => f.name === required)!.help}).`, required);
  }
  const granularity = config.granularity as string | undefined;
  if (granularity !== undefined) inField(where, 'granularity', () => resolveGranularity(granularity));
  const labels = comparedSchedules(scheduleOptions(config)).map((c) => c.method);
  if (!labels.includes(config.schedule as string)) {
    throw new UnknownNameError('schedule', String(config.schedule), labels, `${where}: field 'schedule': unknown schedule '${config.schedule}'. The schedules of these options: ${labels.join(', ')}.`);
  }
  // the recipe's defaults filled in (two spellings of one recipe are one trial); its length is `steps`
  config.finetuneSteps = config.steps;
  normaliseRecipe(config, 'finetune', where);
  delete config.finetuneSteps;
  return config;
}

/** The comparison options a `schedule-finetune` configuration holds. */
function scheduleOptions(config: TrialConfig) {
  const prune: Record<string, unknown> = {};
  for (const k of PRUNE_PASS_THROUGH) if (k !== 'sparsity' && config[k] !== undefined) prune[k] = config[k];
  return {
    sparsity: config.sparsity as number,
    steps: config.steps as number,
    rounds: config.rounds as number,
    pruneFraction: config.pruneFraction as number | undefined,
    agpFrequency: config.agpFrequency as number | undefined,
    evalEvery: config.evalEvery as number,
    curveExamples: config.curveExamples as number | undefined,
    finetune: recipeFromConfig(config, 'finetune'),
    prune: prune as PruneOptions,
  };
}

/**
 * The trial's data and its dense model from the sweep's checkpoint cache (trained there when
 * missing), as the `DenseRun` the notebooks' drivers take. Free it with `run.weights` disposed
 * and `disposeCheckpoint(dense)`.
 */
async function trialDenseRun(config: TrialConfig, ctx: TrialContext) {
  const data = await dataOf(config, ctx.dir);
  const t0 = Date.now();
  const dense = await denseCheckpoint(ctx.dir, denseKey(config), data, { log: ctx.log, signal: ctx.signal, trainedBy: ctx.id });
  const denseSeconds = (Date.now() - t0) / 1000;
  const run: DenseRun = {
    modelName: config.model as string, seed: config.seed as number, model: dense.model,
    weights: dense.model.getWeights().map((w) => w.clone()), accuracy: dense.accuracy, history: dense.history,
  };
  return { data, dense, run, denseSeconds };
}

async function runScheduleFinetune(config: TrialConfig, ctx: TrialContext): Promise<TrialMetrics> {
  const { data, dense, run, denseSeconds } = await trialDenseRun(config, ctx);
  try {
    checkAborted(ctx.signal, 'after the dense model');
    const t1 = Date.now();
    // the notebooks' own driver, restricted to this trial's schedule and seed
    const { rows, curves } = await scheduleComparison([run], data, { ...scheduleOptions(config), schedules: [config.schedule as string] }, ctx.log);
    const row = rows[0];
    const { params } = remainingParams(dense.model);
    return {
      target: row.target, sparsity: row.sparsity, remaining: row.remaining, params, compression: row.compression,
      accuracyDense: row.accuracyDense, accuracyFinetuned: row.accuracyFinetuned,
      // the learning curve, one array per column (accuracyPruned has no meaning here: pruning happens during fine-tuning)
      curveStep: curves.map((c) => c.step), curveSparsity: curves.map((c) => c.sparsity), curveAccuracy: curves.map((c) => c.accuracy),
      denseCached: dense.cached, denseSeconds, finetuneSeconds: (Date.now() - t1) / 1000,
    };
  } finally {
    run.weights.forEach((w) => w.dispose());
    disposeCheckpoint(dense);
  }
}

registerTrial('schedule-finetune', {
  description: 'dense model (trained once per seed, cached) → fine-tune while a schedule (one-shot, iterative, gradual AGP) prunes it → evaluate; with the learning curve',
  fields: [...DENSE_FIELDS, ...SCHEDULE_FIELDS],
  resolve: resolveScheduleFinetune,
  run: runScheduleFinetune,
});

/** Fields of `iterative-prune-retrain` besides the dense ones. */
const ITERATIVE_FIELDS: OptionSpec[] = [
  { name: 'density', type: 'string', help: "final fraction of weights kept per layer, 'fc1=0.08,fc2=0.09,fc3=0.26' (layers left out stay dense)" },
  { name: 'rounds', type: 'int', min: 1, default: 3, help: 'prune–retrain rounds; round r keeps density^(r/rounds) of each layer' },
  ...recipeFieldSpecs('retrain', 'retraining after each round'),
  ...recipeFieldSpecs('finalRetrain', 'retraining after the last round (default: as the other rounds)'),
];

/**
 * Parses `'fc1=0.08, fc2=0.09'` into `{ fc1: 0.08, fc2: 0.09 }`.
 * @throws OptionError naming the entry that is not `layer=fraction` with a fraction in (0, 1].
 */
export function parseDensity(text: string, where: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([0-9.eE+-]+)$/.exec(entry);
    const d = m ? Number(m[2]) : NaN;
    if (!m || !(d > 0 && d <= 1)) {
      throw new OptionError(`${where}: field 'density': '${entry}' is not layer=fraction with a fraction kept in (0, 1]; write e.g. 'fc1=0.08,fc2=0.09,fc3=0.26'.`, 'density');
    }
    if (out[m[1]] !== undefined) throw new OptionError(`${where}: field 'density': layer '${m[1]}' is given twice.`, 'density');
    out[m[1]] = d;
  }
  if (Object.keys(out).length === 0) throw new OptionError(`${where}: field 'density' names no layer; write e.g. 'fc1=0.08,fc2=0.09,fc3=0.26'.`, 'density');
  return out;
}

/** `{ fc1: 0.08, fc2: 0.09 }` as the canonical field text (sorted by layer, so two spellings are one trial). */
export function densityField(density: Record<string, number>): string {
  return Object.keys(density).sort().map((k) => `${k}=${density[k]}`).join(',');
}

function resolveIterative(given: Record<string, unknown>, where: string): TrialConfig {
  const fields = [...DENSE_FIELDS, ...ITERATIVE_FIELDS];
  const config = resolveOptionValues(fields, given, where) as TrialConfig;
  checkDenseFields(config, where);
  if (config.density === undefined) throw new OptionError(`${where}: give density (${ITERATIVE_FIELDS[0].help}).`, 'density');
  config.density = densityField(parseDensity(config.density as string, where));
  normaliseRecipe(config, 'retrain', where);
  const finalGiven = RECIPE_KEYS.some((k) => config[`finalRetrain${cap(k)}`] !== undefined);
  if (finalGiven) normaliseRecipe(config, 'finalRetrain', where);
  return config;
}

async function runIterative(config: TrialConfig, ctx: TrialContext): Promise<TrialMetrics> {
  const { data, dense, run, denseSeconds } = await trialDenseRun(config, ctx);
  try {
    checkAborted(ctx.signal, 'after the dense model');
    const t1 = Date.now();
    const finalRetrain = recipeFromConfig(config, 'finalRetrain');
    const rows = await iterativePruneRetrain(run, data, {
      density: parseDensity(config.density as string, 'iterative-prune-retrain'),
      rounds: config.rounds as number,
      retrain: recipeFromConfig(config, 'retrain'),
      ...(Object.keys(finalRetrain).length ? { finalRetrain } : {}),
    }, ctx.log);
    // what the retrained weights hold, not what the masks allow (a mask that training escaped shows)
    const measured = measuredSparsity(dense.model);
    return {
      accuracyDense: dense.accuracy, accuracyFinal: rows[rows.length - 1].accuracyRetrained,
      round: rows.map((r) => r.round), roundSparsity: rows.map((r) => r.sparsity),
      roundAccuracyPruned: rows.map((r) => r.accuracyPruned), roundAccuracyRetrained: rows.map((r) => r.accuracyRetrained),
      kept: measured.kept, params: measured.params, nonzeros: measured.nonzeros, compression: measured.compression,
      denseCached: dense.cached, denseSeconds, protocolSeconds: (Date.now() - t1) / 1000,
    };
  } finally {
    run.weights.forEach((w) => w.dispose());
    disposeCheckpoint(dense);
  }
}

registerTrial('iterative-prune-retrain', {
  description: "Han et al. (2015): dense model (trained once per seed, cached) → magnitude pruning towards per-layer densities in rounds, retraining after each → the rounds' accuracies and the measured sparsity",
  fields: [...DENSE_FIELDS, ...ITERATIVE_FIELDS],
  resolve: resolveIterative,
  run: runIterative,
});

registerTrial('dense', {
  description: 'train a zoo model on a dataset with a recipe (or load it from the sweep cache) and report its test accuracy',
  fields: DENSE_FIELDS,
  resolve(given, where) {
    const names = DENSE_FIELDS.map((f) => f.name);
    for (const k of Object.keys(given)) {
      if (!names.includes(k)) throw new OptionError(`${where}: unknown field '${k}'. Its fields: ${names.join(', ')}.`, k);
    }
    const config = resolveOptionValues(DENSE_FIELDS, given, where) as TrialConfig;
    checkDenseFields(config, where);
    return config;
  },
  async run(config, ctx) {
    const data = await dataOf(config, ctx.dir);
    const dense = await denseCheckpoint(ctx.dir, denseKey(config), data, { log: ctx.log, signal: ctx.signal, trainedBy: ctx.id });
    try {
      return { accuracyDense: dense.accuracy, params: dense.model.countParams(), denseCached: dense.cached, trainSeconds: dense.trainSeconds };
    } finally {
      disposeCheckpoint(dense);
    }
  },
});

registerTrial('empty', {
  description: 'does nothing and returns {} (measures the per-trial overhead of an executor)',
  fields: [{ name: 'n', type: 'int', default: 0, help: 'a number that tells trials apart' }],
  run: () => ({}),
});

// Trials of the method families, each in its own module (they use the helpers above).
import './method-trials'; // family 3: training methods (train-method)
import './sparse-trials'; // family 4: sparse training from scratch
import './compare-trial'; // the survey's comparison (notebook 09)
