/**
 * The mask-aware training loop. A custom loop rather than `model.fit` because pruning needs
 * control between the gradient and the update: gradients of masked weights are zeroed, optimizer
 * slots at masked positions are zeroed when a mask changes, and the mask is re-applied to the
 * weights after every update, so masked weights stay exactly 0 with every optimizer.
 *
 * One step: hooks.onStepBegin → read masks (mask weights/slots that changed) → forward (with
 * the parametrized weights of methods that declared some) + backward (`tf.variableGrads`) → one
 * `dataSync` of [loss, correct, terms…] → non-finite check (before the update, so the weights
 * stay finite) → hooks.onGradients (dense gradients; may change masks or replace the update) →
 * optimizer update → hooks.onStepEnd.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, UserError } from '../errors';
import type { Batch, Examples } from '../data/types';
import { batchCount, batches } from '../data/batches';
import { checkExamples, isExamples, matchData, modelShapes, nonFiniteBatchFeatures } from './checks';
import { evaluate } from './evaluate';
import { ambientSignal } from '../interrupt';
import { TrainingInterruptedError, type StopPoint } from './interrupted';
import { correctCount, crossEntropy, outputKind } from './loss';
import { MaskBinder, type Param } from './masks';
import { resolveOptions, type History, type TrainOptions } from './options';
import { createOptimizer } from './optimizers/registry';
import { parametrizationPenalties, parametrizationVariables, withParametrizedWeights, type ForwardMode } from './parametrize';
import { compileSchedule } from './schedules';
import type { BatchSource, EpochMetrics, GradientStepInfo, LossTerm, ParamUpdate, StepBatch, StepInfo, TrainOptimizer } from './types';

/** Error thrown when the training loss becomes NaN or ±Infinity. */
export class NonFiniteLossError extends UserError {
  /**
   * @param step global step whose loss was not finite (its update was not applied).
   * @param epoch epoch of that step.
   * @param loss the loss value.
   */
  constructor(readonly step: number, readonly epoch: number, readonly loss: number) {
    super(
      `Training loss is ${loss} at step ${step} (epoch ${epoch}); training stopped before applying that step, so the ` +
        `model keeps the (finite) weights of step ${step - 1}. Try a lower learning rate, gradient-friendly ` +
        `inputs (normalised features) or check the extra loss terms.`,
    );
    this.name = 'NonFiniteLossError';
  }
}

const nextTick = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** Wraps in-memory examples as a batch source with seeded per-epoch shuffling. */
function examplesSource(ex: Examples, batchSize: number, shuffle: boolean, seed: number, shape: number[]): BatchSource {
  return {
    featureShape: ex.featureShape,
    numClasses: ex.numClasses,
    batchesPerEpoch: batchCount(ex.count, batchSize),
    batches: (epoch) => batches(ex, { batchSize, shuffle, seed, epoch, shape }),
  };
}

/**
 * Trains a model with a custom, mask-aware loop.
 *
 * @param model the model (its weights are updated in place; it need not be compiled).
 * @param data in-memory `Examples` (batched and shuffled here) or a `BatchSource`.
 * @param options optimizer, learning rate and schedule, weight decay, epochs or steps, batch
 *   size, seed, validation data, masks, hooks, extra loss terms, progress callback, abort signal,
 *   initial step (see {@link TrainOptions}).
 * @returns the history: one row per epoch plus step counts and why training ended.
 * @throws before any step for bad options or data/model mismatches; {@link NonFiniteLossError}
 *   when the loss diverges (naming the step); {@link TrainingInterruptedError} when the ambient
 *   signal (a notebook interrupt) stopped a run that was given no `signal`.
 */
export async function train(model: tf.LayersModel, data: Examples | BatchSource, options: TrainOptions = {}): Promise<History> {
  const t0 = Date.now();
  const opts = resolveOptions(options);
  const shapes = modelShapes(model);
  let source: BatchSource;
  let feedShape: number[];
  if (isExamples(data)) {
    checkExamples(data, 'training data');
    feedShape = matchData(data.featureShape, data.numClasses, shapes, 'training data');
    source = examplesSource(data, opts.batchSize, opts.shuffle, opts.seed, feedShape);
  } else {
    if (!data || typeof (data as BatchSource).batches !== 'function') {
      throw new UserError('train: data must be Examples {x, y, count, featureShape, numClasses} or a BatchSource {featureShape, numClasses, batchesPerEpoch, batches(epoch)}.');
    }
    feedShape = matchData(data.featureShape, data.numClasses, shapes, 'training data');
    source = data;
    if (!Number.isInteger(source.batchesPerEpoch) || source.batchesPerEpoch <= 0) {
      throw new UserError(`train: the batch source's batchesPerEpoch must be a positive integer, got ${source.batchesPerEpoch}.`);
    }
  }
  if (options.validation) {
    checkExamples(options.validation, 'validation data');
    matchData(options.validation.featureShape, options.validation.numClasses, shapes, 'validation data');
  }

  const params: Param[] = model.trainableWeights.map((w) => ({
    name: w.name,
    originalName: (w as unknown as { originalName?: string }).originalName ?? w.name,
    variable: w.read() as tf.Variable,
  }));
  // Extra terms and variables: the caller's, then the weight parametrizations' (collected again
  // after onTrainBegin, where a method may attach them).
  let terms: LossTerm[] = [];
  let extraVars: tf.Variable[] = [];
  let varList: tf.Variable[] = [];
  const collectVariables = () => {
    terms = [...(options.extraLosses ?? []), ...penaltyTerms(model, () => ({ training: true, step }))];
    extraVars = [...new Set([...terms.flatMap((t) => t.trainableVariables ?? []), ...parametrizationVariables(model)])];
    varList = [...params.map((p) => p.variable), ...extraVars];
  };
  let step = opts.initialStep;
  collectVariables();
  if (varList.length === 0) throw new UserError(`train: model '${model.name}' has no trainable weights.`);
  const binder = new MaskBinder(options.masks, params);
  binder.validate('before training'); // mask names/shapes fail before any step

  const perEpoch = source.batchesPerEpoch;
  const totalSteps = opts.steps ?? opts.epochs! * perEpoch;
  const epochs = Math.ceil(totalSteps / perEpoch);
  const lrAt = compileSchedule(options.schedule, opts.initialStep + totalSteps);
  const kind = outputKind(model);
  const hooks = options.hooks ?? [];
  const ownOptimizer = typeof opts.optimizer === 'string';
  const optimizer: TrainOptimizer =
    typeof opts.optimizer === 'string' ? createOptimizer(opts.optimizer, options.optimizerOptions) : opts.optimizer;
  const aliases = new Map(params.map((p) => [p.name, p.originalName]));
  // Without a signal of its own, training stops on the running notebook cell's interrupt.
  const signal = options.signal ?? ambientSignal();
  let stoppedAt: StopPoint | undefined;

  const history: History = { epochs: [], steps: 0, finalStep: opts.initialStep, stopReason: 'completed', seconds: 0 };
  let lr = lrAt(step, opts.learningRate);
  let began = false;
  let lastYield = Date.now();
  const info = (epoch: number, batch?: StepBatch): StepInfo => ({ step, epoch, model, optimizer, learningRate: lr, ...(batch ? { batch } : {}) });
  const gradientHooks = hooks.filter((h) => typeof h.onGradients === 'function');

  try {
    for (const h of hooks) await h.onTrainBegin?.(info(0));
    began = true;
    collectVariables();
    for (let epoch = 0; epoch < epochs && history.stopReason === 'completed'; epoch++) {
      const te = Date.now();
      let seen = 0;
      let lossSum = 0;
      let correct = 0;
      let batches = 0;
      const termSums = new Map<string, number>();
      const iterator = source.batches(epoch);
      for await (const batch of iterator as AsyncIterable<Batch>) {
        try {
          if (history.steps >= totalSteps) break;
          if (signal?.aborted) {
            history.stopReason = 'aborted';
            stoppedAt = { epoch, epochs, batch: batches, batches: Math.min(perEpoch, totalSteps - epoch * perEpoch) };
            break;
          }
          lr = lrAt(step, opts.learningRate);
          if (!Number.isFinite(lr) || lr < 0) throw new OptionError(`train: the lr schedule gave ${lr} at step ${step}; it must be a finite number ≥ 0.`);
          const stepBatch: StepBatch = { xs: batch.xs, ys: batch.ys, size: batch.size };
          for (const h of hooks) await h.onStepBegin?.(info(epoch, stepBatch));
          const stats = runStep(batch, epoch);
          const loss = stats[0];
          seen += batch.size;
          lossSum += loss * batch.size;
          correct += stats[1];
          terms.forEach((t, i) => termSums.set(t.name, (termSums.get(t.name) ?? 0) + stats[2 + i] * batch.size));
          batches++;
          for (const h of hooks) await h.onStepEnd?.({ ...info(epoch, stepBatch), loss });
        } finally {
          batch.xs.dispose();
          batch.ys.dispose();
        }
        step++;
        history.steps++;
        options.onProgress?.({
          epoch, epochs, batch: batches, batches: Math.min(perEpoch, totalSteps - epoch * perEpoch), step,
          loss: lossSum / seen, accuracy: correct / seen,
        });
        if (Date.now() - lastYield >= opts.yieldEveryMs) {
          await nextTick(); // lets an interrupt handler (kernel, SIGINT) run and abort the signal
          lastYield = Date.now();
        }
      }
      if (batches === 0) break;
      const row: EpochMetrics = {
        epoch, step, loss: lossSum / seen, accuracy: correct / seen, learningRate: lr, seconds: 0, batches,
      };
      if (termSums.size) row.terms = Object.fromEntries([...termSums].map(([name, sum]) => [name, sum / seen]));
      if (batches < perEpoch) row.partial = true;
      if (options.validation) {
        const v = evaluate(model, options.validation, { batchSize: opts.validationBatchSize });
        row.valLoss = v.loss;
        row.valAccuracy = v.accuracy;
      }
      row.seconds = (Date.now() - te) / 1000;
      history.epochs.push(row);
      for (const h of hooks) await h.onEpochEnd?.({ epoch, step, model, metrics: row });
    }
    history.finalStep = step;
    history.seconds = (Date.now() - t0) / 1000;
    began = false; // onTrainEnd runs once, even if one of them throws
    for (const h of hooks) await h.onTrainEnd?.(info(Math.max(0, history.epochs.length - 1)));
    // A caller that passed its own signal handles the stop; an interrupt stops the caller too.
    if (stoppedAt && !options.signal) throw new TrainingInterruptedError(history, stoppedAt, options.masks !== undefined);
    return history;
  } catch (err) {
    if (began) {
      // Hooks may hold resources (captures, timers); let them clean up, but report the first error.
      for (const h of hooks) {
        try {
          await h.onTrainEnd?.(info(Math.max(0, history.epochs.length - 1)));
        } catch {
          /* the original error matters more */
        }
      }
    }
    throw err;
  } finally {
    binder.dispose();
    if (ownOptimizer) optimizer.dispose();
  }

  /** One optimizer step on a batch; returns [loss, correct, term values…]. */
  function runStep(batch: Batch, epoch: number): Float32Array {
    let masks = binder.bind(`step ${step}`);
    return tf.tidy(() => {
      // A mask that changed since the last step is applied to its weight before the forward pass.
      for (const p of params) {
        const m = masks.get(p.name);
        if (m?.changed) p.variable.assign(tf.mul(p.variable, m.mask));
      }
      const xs = tf.util.arraysEqual(batch.xs.shape.slice(1), feedShape) ? batch.xs : tf.reshape(batch.xs, [batch.size, ...feedShape]);
      // Tensors kept out of the gradient scope: the output (accuracy is computed outside the tape,
      // where it costs nothing to record) and the term values. Disposed right after use.
      const kept: tf.Tensor[] = [];
      let stats: Float32Array;
      let grads: tf.NamedTensorMap;
      try {
        ({ grads } = tf.variableGrads(() => {
          const out = withParametrizedWeights(model, () => model.apply(xs, { training: true }) as tf.Tensor, { training: true, step });
          const dataLoss = crossEntropy(kind, out, batch.ys);
          const termValues = terms.map((t) => {
            const v = t.loss(model);
            if (v.rank !== 0) throw new ShapeError(`Extra loss term '${t.name}' returned shape [${v.shape}]; it must return a scalar.`);
            return v;
          });
          const total = termValues.reduce<tf.Scalar>((a, b) => tf.add(a, b), dataLoss);
          kept.push(tf.keep(out), tf.keep(total), ...termValues.map((v) => tf.keep(v)));
          return total;
        }, varList));
        const [out, total, ...termValues] = kept;
        stats = tf.stack([total, correctCount(out, batch.ys), ...termValues]).dataSync() as Float32Array;
      } finally {
        for (const t of kept) t.dispose();
      }
      if (!Number.isFinite(stats[0])) throw nonFiniteBatchFeatures(batch, step, epoch) ?? new NonFiniteLossError(step, epoch, stats[0]);
      let replacement: { update?: (updates: ParamUpdate[], learningRate: number) => void } | undefined;
      if (gradientHooks.length) {
        replacement = callGradientHooks(batch, xs, epoch, stats[0], grads);
        // Masks a hook changed apply to this very update (and zero the slots where weights died).
        masks = binder.bind(`step ${step} (after onGradients)`);
        for (const p of params) {
          const m = masks.get(p.name);
          if (m?.changed) p.variable.assign(tf.mul(p.variable, m.mask));
        }
      }
      const updates: ParamUpdate[] = [];
      const decoupled = opts.weightDecay > 0 && opts.weightDecayMode === 'decoupled';
      for (const p of params) {
        let g: tf.Tensor | undefined = grads[p.variable.name];
        if (!g) continue; // not reached by the loss (e.g. a frozen branch)
        if (opts.weightDecay > 0 && !decoupled) g = tf.add(g, tf.mul(p.variable, opts.weightDecay));
        const m = masks.get(p.name);
        if (m) g = tf.mul(g, m.mask);
        updates.push({
          name: p.name, aliases: [aliases.get(p.name)!], variable: p.variable, gradient: g, mask: m?.mask,
          maskChanged: m?.changed, decayFactor: decoupled ? 1 - lr * opts.weightDecay : undefined,
        });
      }
      for (const v of extraVars) {
        const g = grads[v.name];
        if (g) updates.push({ name: v.name, variable: v, gradient: g });
      }
      if (!replacement) optimizer.applyGradients(updates, lr);
      else if (replacement.update) {
        replacement.update(updates, lr);
        // Whatever the replacement did, masked weights stay exactly 0.
        for (const u of updates) if (u.mask) u.variable.assign(tf.mul(u.variable, u.mask));
      }
      return stats;
    });
  }

  /** Runs the onGradients hooks; returns the replacement update one of them asked for, if any. */
  function callGradientHooks(
    batch: Batch, xs: tf.Tensor, epoch: number, loss: number, grads: tf.NamedTensorMap,
  ): { update?: (updates: ParamUpdate[], learningRate: number) => void } | undefined {
    const gradients = new Map<string, tf.Tensor>();
    for (const p of params) {
      const g = grads[p.variable.name];
      if (g) gradients.set(p.name, g);
    }
    let replacement: { update?: (updates: ParamUpdate[], learningRate: number) => void } | undefined;
    const stepInfo: GradientStepInfo = {
      ...info(epoch, { xs, ys: batch.ys, size: batch.size }),
      batch: { xs, ys: batch.ys, size: batch.size },
      loss,
      gradients,
      gradient: (name) => gradients.get(name) ?? gradients.get(params.find((p) => p.originalName === name)?.name ?? ''),
      replaceUpdate: (update) => {
        replacement = { update };
      },
    };
    for (const h of gradientHooks) {
      const r = h.onGradients!(stepInfo) as unknown;
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        throw new UserError('train: a hook\'s onGradients returned a promise; it must be synchronous (it runs inside the step\'s tensor scope). Do asynchronous work in onStepBegin/onStepEnd.');
      }
    }
    return replacement;
  }
}

/** The parametrizations' penalties as loss terms, one per owner name (summed over its weights). */
function penaltyTerms(model: tf.LayersModel, mode: () => ForwardMode): LossTerm[] {
  const byName = new Map<string, ((m: ForwardMode) => tf.Scalar)[]>();
  for (const { name, penalty } of parametrizationPenalties(model)) byName.set(name, [...(byName.get(name) ?? []), penalty]);
  return [...byName].map(([name, fns]) => ({
    name,
    loss: () => {
      const m = mode();
      return fns.map((f) => f(m)).reduce((a, b) => tf.add(a, b));
    },
  }));
}
