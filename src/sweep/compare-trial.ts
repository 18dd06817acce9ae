/**
 * The builtin trial `compare`: one method of the survey's comparison (notebook 09) at one
 * sparsity, seed, model and dataset, under **one training budget** shared by every method, and
 * measured on its final model the same way for every method (`sparse/final-measures.ts`).
 *
 * The budget is `epochs` passes over the training data in total, counted in optimizer steps
 * (`epochs · ⌈examples / batchSize⌉`). A method that starts from a trained network spends the
 * first `denseEpochs` of them on the dense model (the sweep's cached checkpoint, the same one for
 * every such method) and the rest in its protocol; a method that starts from scratch spends
 * them all in its own training. The protocols:
 *
 * | protocol | after the dense model (`denseEpochs`) | the remaining steps R |
 * |---|---|---|
 * | `one-shot` | prune once with the method | fine-tune R steps with the masks held |
 * | `iterative` | — | `rounds` equal rounds of prune (geometric: density (1−s)^(r/rounds)) and retrain |
 * | `gradual` | — | AGP (Zhu & Gupta: cubic, every R/20 steps until 75% of R) while training |
 * | `regularize` | — | `methodFraction`·R steps with the training method, `finalize`, a global magnitude top-up to the target if the method left more, then fine-tune the rest |
 * | `from-scratch` | (no dense model) | a mask at initialization (`method`: snip, grasp, static, …), then all `epochs` with the mask held or changed by `trainMethod` (set, rigl) |
 *
 * Structured methods (`granularity` neuron / filter / channel) can be matched to the target by
 * remaining weights (`match: 'params'`) or FLOPs (`match: 'flops'`) of the shrunk model instead
 * of by the fraction of units: the fraction of units is searched (bisection) until the shrunk
 * model has at most the target's weights or FLOPs left.
 *
 * The metrics say what the trial actually did: the sparsity, FLOPs and latency measured on the
 * final model, the epochs it actually trained (dense included, from the training histories), and
 * the seconds of each phase.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { kernelCounts, measurePlainModel } from '../sparse/final-measures';
import { batches } from '../data';
import { OptionError, UnknownNameError, UserError } from '../errors';
import { createModel } from '../models';
import { initVarianceScaling } from '../prune/at-init';
import { finalize } from '../prune/finalize';
import { resolveGranularity } from '../prune/granularity';
import { MaskedModel } from '../prune/masked-model';
import { findMethod, listMethods } from '../prune/method';
import { resolveOptionValues, type OptionSpec } from '../prune/method-options';
import { prune, type PruneOptions } from '../prune/prune';
import type { PruneBatch } from '../prune/context';
import { agpSchedule, iterativeSchedule, PruningHook } from '../prune/schedule';
import { trainingPlan } from '../prune/training-plan';
import { shrinkModel } from '../sparse/shrink';
import { evaluate, listOptimizers, train, type TrainOptions } from '../train';
import type { Examples } from '../data';
import { denseCheckpoint, disposeCheckpoint } from './checkpoints';
import { checkAborted, checkDenseFields, DATA_FIELDS, dataOf, denseKey, inField, methodOptionsOf } from './trial-fields';
import { registerTrial, type TrialContext, type TrialMetrics } from './trials';
import type { TrialConfig } from './types';

/** The protocols a comparison line can name. */
export const COMPARE_PROTOCOLS = ['one-shot', 'iterative', 'gradual', 'regularize', 'from-scratch'] as const;
export type CompareProtocol = (typeof COMPARE_PROTOCOLS)[number];

const FIELDS: OptionSpec[] = [
  { name: 'label', type: 'string', help: 'the row name of this method in every table and figure (e.g. "magnitude (AGP)")' },
  { name: 'family', type: 'string', default: '', help: 'the method family, for grouping (magnitude, neurons, second-order, regularization, from-scratch)' },
  { name: 'protocol', type: 'string', choices: [...COMPARE_PROTOCOLS], help: 'how the method spends the budget (see the trial description)' },
  { name: 'method', type: 'string', help: 'the method (pl.listMethods()): pruned with (one-shot, iterative, gradual), trained with (regularize), or the mask at initialization (from-scratch)' },
  { name: 'trainMethod', type: 'string', default: 'none', help: "from-scratch: 'none' (the mask stays) or a training method that changes it (set, rigl)" },
  { name: 'sparsity', type: 'number', min: 0, max: 1, exclusiveMax: true, help: 'target sparsity (the tables report the one measured on the final model)' },
  { name: 'granularity', type: 'string', help: "element (default), 'N:M', 'block:RxC', or neuron / filter / channel for a structured method" },
  { name: 'scope', type: 'string', help: "allocation over layers (default: the method's own)" },
  { name: 'match', type: 'string', choices: ['units', 'params', 'flops'], default: 'units', help: "structured methods: 'params' or 'flops' searches the fraction of units that leaves the target's weights or FLOPs in the shrunk model; 'units' prunes that fraction of units" },
  ...DATA_FIELDS,
  { name: 'model', type: 'string', default: 'lenet-300-100', help: 'model registry name (pl.listModels())' },
  { name: 'seed', type: 'int', default: 1, help: 'seed of the initialization, data order, masks and methods (the same seed gives the same dense checkpoint to every method)' },
  { name: 'epochs', type: 'int', min: 1, help: 'the budget: passes over the training data in total, dense training and fine-tuning included' },
  { name: 'denseEpochs', type: 'int', min: 1, help: 'of those, the epochs of the dense model that methods starting from a trained network share' },
  { name: 'batchSize', type: 'int', min: 1, default: 100, help: 'examples per step, in every phase' },
  { name: 'optimizer', type: 'string', default: 'adam', help: 'optimizer of every phase' },
  { name: 'learningRate', type: 'number', min: 0, exclusiveMin: true, default: 1e-3, help: 'learning rate of dense training, training from scratch and the regularize phase' },
  { name: 'finetuneLearningRate', type: 'number', min: 0, exclusiveMin: true, help: 'learning rate of fine-tuning and retraining after pruning (default: learningRate)' },
  { name: 'rounds', type: 'int', min: 1, default: 3, help: 'iterative: prune–retrain rounds' },
  { name: 'methodFraction', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.67, help: 'regularize: share of the steps after the dense model spent training with the method (the rest fine-tunes)' },
  { name: 'initialization', type: 'string', choices: ['model', 'variance-scaling'], default: 'model', help: "from-scratch: the model's own initializers, or variance scaling (SNIP's)" },
  { name: 'pruneBatches', type: 'int', min: 1, default: 1, help: 'training batches a data-driven method sees when it prunes (activations, gradients, Hessians)' },
  { name: 'pruneBatchSize', type: 'int', min: 1, default: 1024, help: 'examples per such batch' },
  { name: 'modules', type: 'list', help: 'CommonJS files (absolute paths) that register the method, loaded before it is looked up (a user\'s own method; the benchmark definition\'s `module`)' },
  { name: 'latencyBatches', type: 'list', default: ['1', '64'], help: 'batch sizes of the latency measurements' },
  { name: 'latencyRepeats', type: 'int', min: 1, default: 15, help: 'timed forward passes per latency measurement (their median is reported)' },
];

/** Whether a granularity removes whole units (neurons, filters, channels), so that shrinking makes the model smaller. */
export function isStructuredGranularity(spec: string): boolean {
  const g = resolveGranularity(spec);
  return g === resolveGranularity('neuron') || g === resolveGranularity('channel');
}

/** The granularity a configuration prunes at: its own, else its method's (e.g. neuron for variance). */
function granularityOf(config: TrialConfig): string | undefined {
  return (config.granularity as string | undefined) ?? findMethod(config.method as string)?.granularity;
}

/** The dense model's key in the checkpoint cache: the budget's first `denseEpochs`, in the budget's recipe. */
function budgetDenseKey(config: TrialConfig) {
  return denseKey({ ...config, denseBatchSize: config.batchSize, denseOptimizer: config.optimizer, denseLearningRate: config.learningRate });
}

function requireMethod(name: unknown, field: string, where: string, ok: (m: NonNullable<ReturnType<typeof findMethod>>) => boolean, what: string) {
  const names = listMethods().filter((m) => ok(findMethod(m.name)!)).map((m) => m.name);
  const m = typeof name === 'string' ? findMethod(name) : undefined;
  if (!m || !ok(m)) throw new UnknownNameError(what, String(name), names, `${where}: field '${field}': '${String(name)}' is not ${what}. Known: ${names.join(', ')}.`);
  return m;
}

/** Loads the modules that register a user's method (in the driver and in every worker). */
function loadMethodModules(files: readonly string[], where: string): void {
  for (const file of files) {
    if (!path.isAbsolute(file)) throw new OptionError(`${where}: modules must be absolute paths (the benchmark definition resolves its 'module' against its own folder); got '${file}'.`, 'modules');
    if (!fs.existsSync(file)) throw new OptionError(`${where}: the method module ${file} does not exist.`, 'modules');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    } catch (e) {
      throw new UserError(`${where}: loading the method module ${file} failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

function resolveCompare(given: Record<string, unknown>, where: string): TrialConfig {
  if (Array.isArray(given.modules)) loadMethodModules(given.modules as string[], where);
  const coreNames = new Set(FIELDS.map((f) => f.name));
  const core: Record<string, unknown> = {}, rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) (coreNames.has(k) ? core : rest)[k] = v;
  const config = resolveOptionValues(FIELDS, core, where) as TrialConfig;
  for (const required of ['label', 'protocol', 'method', 'sparsity', 'epochs'] as const) {
    if (config[required] === undefined) throw new OptionError(`${where}: give ${required} (${FIELDS.find((f) => f.name === required)!.help}).`, required);
  }
  const protocol = config.protocol as CompareProtocol;
  const fromTrained = protocol !== 'from-scratch';
  if (fromTrained && config.denseEpochs === undefined) throw new OptionError(`${where}: protocol '${protocol}' starts from a trained network: give denseEpochs (part of the ${config.epochs}-epoch budget).`, 'denseEpochs');
  if (fromTrained && (config.denseEpochs as number) >= (config.epochs as number)) {
    throw new OptionError(`${where}: denseEpochs (${config.denseEpochs}) must be less than the budget epochs (${config.epochs}), so the method has steps of its own.`, 'denseEpochs');
  }
  if (!listOptimizers().includes(config.optimizer as string)) {
    throw new UnknownNameError('optimizer', String(config.optimizer), listOptimizers(), `${where}: field 'optimizer': unknown optimizer '${config.optimizer}'. Known optimizers: ${listOptimizers().join(', ')}.`);
  }
  // the dense recipe is the budget's: every method that starts trained starts from the same checkpoint
  Object.assign(config, { denseEpochs: config.denseEpochs, denseBatchSize: config.batchSize, denseOptimizer: config.optimizer, denseLearningRate: config.learningRate });
  checkDenseFields(config, where);
  for (const k of ['denseBatchSize', 'denseOptimizer', 'denseLearningRate', 'denseWeightDecay', 'denseSteps']) delete config[k];
  const trains = (m: { training?: unknown; attach?: unknown }) => Boolean(m.training || m.attach);
  const method = protocol === 'regularize'
    ? requireMethod(config.method, 'method', where, trains, 'a method that acts during training')
    : requireMethod(config.method, 'method', where, (m) => Boolean(m.scores || m.update), 'a one-shot pruning method');
  const trainMethod = config.trainMethod === 'none' ? undefined : requireMethod(config.trainMethod, 'trainMethod', where, trains, 'a method that acts during training');
  if (trainMethod && protocol !== 'from-scratch') throw new OptionError(`${where}: trainMethod is for protocol 'from-scratch'; with '${protocol}' leave it out.`, 'trainMethod');
  const granularity = (config.granularity as string | undefined) ?? method.granularity;
  const structured = granularity !== undefined && inField(where, 'granularity', () => isStructuredGranularity(granularity));
  if (config.match !== 'units' && !structured) {
    throw new OptionError(`${where}: match '${config.match}' is for structured granularities (neuron, filter, channel); '${config.granularity ?? 'element'}' prunes weights, so the sparsity is matched already.`, 'match');
  }
  const batchesOk = (config.latencyBatches as string[]).every((b) => Number.isInteger(Number(b)) && Number(b) >= 1);
  if (!batchesOk) throw new OptionError(`${where}: latencyBatches must be positive integers, e.g. 1,64; got ${(config.latencyBatches as string[]).join(',')}.`, 'latencyBatches');
  // the methods' own options: validated against the methods this trial uses, others refused
  const allowed = new Map<string, ReturnType<typeof findMethod>>();
  for (const m of [method, trainMethod]) for (const o of m?.options ?? []) allowed.set(o.name, m);
  for (const k of Object.keys(rest)) {
    if (!allowed.has(k)) {
      throw new OptionError(`${where}: unknown field '${k}'. Its fields: ${[...coreNames].join(', ')}; options of method '${method.name}'${trainMethod ? ` and '${trainMethod.name}'` : ''}: ${[...allowed.keys()].join(', ') || 'none'}.`, k);
    }
  }
  const own = (m: typeof method | undefined) => (m ? resolveOptionValues(m.options ?? [], Object.fromEntries(Object.entries(rest).filter(([k]) => m.options?.some((o) => o.name === k))), `${where}, method '${m.name}'`) : {});
  const resolved: TrialConfig = { ...config, ...own(trainMethod), ...own(method) };
  // a method's training-set size (L0, sparse VD scale their penalty by it) is the trial's, unless the line gives one
  if (rest.trainSize === undefined) delete resolved.trainSize;
  // the dense recipe means nothing to a trial that trains from scratch: keep it out of its identity
  if (!fromTrained) delete resolved.denseEpochs;
  return resolved;
}

/** Steps per epoch of the budget. */
const stepsPerEpoch = (count: number, batchSize: number) => Math.ceil(count / batchSize);

/** Training options of one phase of the budget. */
function phase(config: TrialConfig, steps: number, learningRate: number, ctx: TrialContext): TrainOptions {
  return { steps, batchSize: config.batchSize as number, optimizer: config.optimizer as string, learningRate, seed: config.seed as number, signal: ctx.signal };
}

/**
 * Training batches for data-driven methods, made when a method first asks for them (magnitude
 * never does) and then reused: the trial's seed picks them. `dispose()` frees them.
 */
function lazyPruneData(train: Examples, config: TrialConfig): { data: () => PruneBatch[]; dispose(): void } {
  let made: PruneBatch[] | undefined;
  return {
    data: () => {
      if (made) return made;
      made = [];
      for (const b of batches(train, { batchSize: config.pruneBatchSize as number, seed: config.seed as number, shape: train.featureShape })) {
        if (made.length >= (config.pruneBatches as number)) {
          tf.dispose([b.xs, b.ys]);
          continue;
        }
        // kept: the first call comes from inside prune()'s tidy scopes, which would free them
        made.push({ xs: tf.keep(b.xs), ys: tf.keep(b.ys), size: b.size });
      }
      return made;
    },
    dispose: () => made?.forEach((b) => tf.dispose([b.xs, b.ys])),
  };
}

/** `prune()` options of a configuration at a given sparsity. */
function pruneOptions(config: TrialConfig, sparsity: number, data?: () => PruneBatch[]): PruneOptions {
  const method = config.method as string;
  const options: PruneOptions = { method, sparsity, seed: config.seed as number, methodOptions: methodOptionsOf(method, config) };
  if (config.granularity !== undefined) options.granularity = config.granularity as string;
  if (config.scope !== undefined) options.scope = config.scope as string;
  // structured pruning never removes classes: the classifier's outputs stay
  const granularity = granularityOf(config);
  if (granularity !== undefined && isStructuredGranularity(granularity)) options.keepLastDense = true;
  if (data) options.data = data;
  return options;
}

/** Weights and FLOPs left once the current masks are applied and the model is shrunk. */
function leftUnderMasks(model: tf.LayersModel): { weights: number; flops: number } {
  const shrunk = shrinkModel(model, { masks: MaskedModel.of(model).masks() });
  try {
    const c = kernelCounts(shrunk.model);
    return { weights: c.weights, flops: c.flops };
  } finally {
    shrunk.model.dispose();
  }
}

/**
 * Prunes a structured method to the target sparsity of weights (`match: 'params'`) or FLOPs
 * (`'flops'`) of the shrunk model: bisection on the fraction of units (each try undone), then the
 * smallest fraction that reaches the target is applied. Fractions that would empty a layer are
 * out of bounds: when even the largest one left leaves more than the target, that one is taken
 * (the measured sparsity then says how far it got).
 * @returns the fraction of units pruned.
 */
export function pruneMatched(model: tf.LayersModel, config: TrialConfig, data: (() => PruneBatch[]) | undefined, what: 'params' | 'flops'): number {
  const key = what === 'params' ? 'weights' : 'flops';
  const target = (1 - (config.sparsity as number)) * kernelCounts(model, false)[key];
  /** What is left at fraction f, or undefined when f empties a layer. */
  const leftAt = (f: number): number | undefined => {
    prune(model, pruneOptions(config, f, data));
    try {
      return leftUnderMasks(model)[key];
    } catch {
      return undefined; // shrinking refused: a layer lost all its units
    } finally {
      MaskedModel.of(model).undo();
    }
  };
  const bisect = (lo: number, hi: number, ok: (f: number) => boolean) => {
    for (let i = 0; i < 14; i++) {
      const mid = (lo + hi) / 2;
      if (ok(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  // the largest fraction that keeps a unit in every layer
  let top = 0.999;
  if (leftAt(top) === undefined) top = bisect(0, top, (f) => leftAt(f) === undefined) - 1 / 2 ** 14;
  const fraction = (leftAt(top) ?? Infinity) > target ? top : bisect(0, top, (f) => (leftAt(f) ?? -1) <= target);
  prune(model, pruneOptions(config, fraction, data));
  return fraction;
}

/** What a protocol did: the optimizer steps it trained, the fraction of units (structured match), notes for the log. */
interface ProtocolRun {
  steps: number;
  unitFraction?: number;
  notes: string[];
}

/** Runs the protocol on `model` (the dense checkpoint, or a fresh model) with `steps` of the budget. */
async function runProtocol(model: tf.LayersModel, config: TrialConfig, train0: Examples, ctx: TrialContext, steps: number): Promise<ProtocolRun> {
  const calibration = lazyPruneData(train0, config);
  try {
    return await runPhases(model, config, train0, ctx, steps, calibration.data);
  } finally {
    calibration.dispose();
  }
}

async function runPhases(model: tf.LayersModel, config: TrialConfig, train0: Examples, ctx: TrialContext, steps: number, data: () => PruneBatch[]): Promise<ProtocolRun> {
  const protocol = config.protocol as CompareProtocol;
  const s = config.sparsity as number;
  const lr = config.learningRate as number, ftLr = (config.finetuneLearningRate as number | undefined) ?? lr;
  const notes: string[] = [];
  const structuredMatch = config.match === 'params' || config.match === 'flops';
  switch (protocol) {
    case 'one-shot': {
      let unitFraction: number | undefined;
      if (structuredMatch) unitFraction = pruneMatched(model, config, data, config.match as 'params' | 'flops');
      else prune(model, pruneOptions(config, s, data));
      const h = await train(model, train0, { ...phase(config, steps, ftLr, ctx), masks: MaskedModel.of(model) });
      return { steps: h.steps, unitFraction, notes };
    }
    case 'iterative':
    case 'gradual': {
      if (structuredMatch) throw new OptionError(`compare: match '${config.match}' needs the one-shot protocol (the schedule prunes by fraction of units).`, 'match');
      const rounds = config.rounds as number;
      const schedule = protocol === 'iterative'
        ? iterativeSchedule({ sparsity: s, rounds, stepsPerRound: Math.max(1, Math.floor(steps / rounds)), mode: 'geometric' })
        : agpSchedule({ finalSparsity: s, beginStep: 0, endStep: Math.max(1, Math.floor(0.75 * steps)), frequency: Math.max(1, Math.floor(steps / 20)) });
      const { sparsity: _target, ...options } = pruneOptions(config, s, data);
      const hook = new PruningHook(schedule, options, model);
      const h = await train(model, train0, { ...phase(config, steps, ftLr, ctx), hooks: [hook], masks: hook });
      notes.push(`${hook.log.length} pruning steps`);
      return { steps: h.steps, notes };
    }
    case 'regularize': {
      const method = config.method as string;
      const methodSteps = Math.max(1, Math.round((config.methodFraction as number) * steps));
      const spe = stepsPerEpoch(train0.count, config.batchSize as number);
      const options = methodOptionsOf(method, config);
      if (findMethod(method)?.options?.some((o) => o.name === 'trainSize') && options.trainSize === undefined) options.trainSize = train0.count;
      const plan = trainingPlan(model, method, options, { totalSteps: methodSteps, stepsPerEpoch: spe, seed: config.seed as number });
      const h1 = await train(model, train0, { ...phase(config, methodSteps, lr, ctx), ...plan.trainOptions, signal: ctx.signal });
      checkAborted(ctx.signal, 'after the method run');
      finalize(model);
      const rows = MaskedModel.of(model).summary().rows;
      const reached = 1 - rows.reduce((a, r) => a + r.nonzeros, 0) / rows.reduce((a, r) => a + r.params, 0);
      notes.push(`the method left ${(100 * reached).toFixed(1)}% sparse`);
      if (reached < s) prune(model, { method: 'magnitude', sparsity: s, scope: (config.scope as string | undefined) ?? 'global', seed: config.seed as number });
      const h2 = steps - methodSteps > 0 ? await train(model, train0, { ...phase(config, steps - methodSteps, ftLr, ctx), masks: MaskedModel.of(model) }) : { steps: 0 };
      return { steps: h1.steps + h2.steps, notes };
    }
    case 'from-scratch': {
      if (config.initialization === 'variance-scaling') initVarianceScaling(model, config.seed as number);
      prune(model, pruneOptions(config, s, data));
      const spe = stepsPerEpoch(train0.count, config.batchSize as number);
      const trainMethod = config.trainMethod as string;
      const plan = trainMethod === 'none' ? undefined : trainingPlan(model, trainMethod, methodOptionsOf(trainMethod, config), { totalSteps: steps, stepsPerEpoch: spe, seed: config.seed as number });
      const h = await train(model, train0, { ...phase(config, steps, lr, ctx), masks: MaskedModel.of(model), ...(plan ? { hooks: plan.trainOptions.hooks, extraLosses: plan.trainOptions.extraLosses } : {}) });
      return { steps: h.steps, notes };
    }
  }
}

async function runCompare(config: TrialConfig, ctx: TrialContext): Promise<TrialMetrics> {
  // a worker runs the resolved configuration: the user's method module is loaded here too
  if (Array.isArray(config.modules)) loadMethodModules(config.modules as string[], `trial ${ctx.id}`);
  const data = await dataOf(config, ctx.dir);
  const protocol = config.protocol as CompareProtocol;
  const seed = config.seed as number;
  const spe = stepsPerEpoch(data.train.count, config.batchSize as number);
  const budgetSteps = (config.epochs as number) * spe;
  const t0 = Date.now();
  const dense = protocol === 'from-scratch' ? undefined : await denseCheckpoint(ctx.dir, budgetDenseKey(config), data, { log: ctx.log, signal: ctx.signal, trainedBy: ctx.id });
  const model = dense?.model ?? createModel(config.model as string, { seed, inputShape: data.train.featureShape, classes: data.train.numClasses });
  try {
    const denseCounts = kernelCounts(model, false);
    const denseSteps = dense ? dense.history.steps : 0;
    const t1 = Date.now();
    const done = await runProtocol(model, config, data.train, ctx, budgetSteps - denseSteps);
    checkAborted(ctx.signal, 'during the protocol');
    const methodSeconds = (Date.now() - t1) / 1000;
    const masked = MaskedModel.existing(model);
    if (masked?.attachedMethods().size) finalize(model);
    if (MaskedModel.existing(model)) MaskedModel.of(model).strip();
    const accuracy = evaluate(model, data.test).accuracy;
    const m = measurePlainModel(model, { dense: denseCounts, batchSizes: (config.latencyBatches as string[]).map(Number), repeats: config.latencyRepeats as number });
    const latency: TrialMetrics = {};
    for (const l of m.latency) {
      Object.assign(latency, { [`latency${l.batch}Ms`]: l.bestMs, [`latency${l.batch}Via`]: l.best, [`latency${l.batch}DenseMs`]: l.denseMs, [`speedup${l.batch}`]: l.denseMs / l.bestMs });
    }
    const stepsUsed = denseSteps + done.steps;
    const metrics: TrialMetrics = {
      target: config.sparsity, accuracy, accuracyDense: dense?.accuracy ?? null,
      sparsity: m.sparsity, weights: m.dense.weights, weightsLeft: m.left.weights, compression: m.dense.weights / Math.max(1, m.left.weights),
      biases: m.dense.biases, biasesLeft: m.left.biases,
      flops: m.dense.flops, flopsLeft: m.left.flops, flopsSparsity: m.flopsSparsity, architecture: m.architecture,
      ...latency,
      stepsPerEpoch: spe, denseSteps, methodSteps: done.steps, epochsUsed: stepsUsed / spe, budgetEpochs: config.epochs,
      ...(done.unitFraction !== undefined ? { unitFraction: done.unitFraction } : {}),
      denseCached: dense?.cached ?? null, denseTrainSeconds: dense?.trainSeconds ?? 0, methodSeconds, setupSeconds: (t1 - t0) / 1000,
      notes: done.notes.join('; '),
    };
    ctx.log(`${config.label} @ ${config.sparsity} (${protocol}), seed ${seed}: ${(100 * accuracy).toFixed(2)}% at ${(100 * m.sparsity).toFixed(2)}% sparse (${m.architecture}), ${(metrics.epochsUsed as number).toFixed(2)} epochs, ${methodSeconds.toFixed(1)} s`);
    return metrics;
  } finally {
    const mm = MaskedModel.existing(model);
    if (mm?.attachedMethods().size) finalize(model);
    if (MaskedModel.existing(model)) MaskedModel.of(model).strip();
    if (dense) disposeCheckpoint(dense);
    else model.dispose();
  }
}

registerTrial('compare', {
  description: 'one method of the comparison under one training budget (dense epochs included), measured on its final model: sparsity after shrinking, FLOPs, latency at batch 1 and 64, epochs used',
  fields: FIELDS,
  extraFields: () => listMethods().flatMap((m) => m.options.map((o) => o.name)),
  resolve: resolveCompare,
  run: runCompare,
});
