/** Options and result of `train`, with validation of the options. */
import type { Examples } from '../data/types';
import { listOptimizers, type OptimizerName, type OptimizerOptions } from './optimizers/registry';
import type { LrSchedule } from './schedules';
import type { EpochMetrics, LossTerm, MaskSource, Progress, TrainHook, TrainOptimizer } from './types';
import { OptionError, UnknownNameError } from '../errors';

/** Options of `train`. Everything is optional; defaults are given per field. */
export interface TrainOptions {
  /** Optimizer name (built in, or added with registerOptimizer) or an instance (pass an instance to keep its slots after training). Default `adam`. */
  optimizer?: OptimizerName | (string & {}) | TrainOptimizer;
  /** Hyperparameters of a named optimizer (momentum, dampening, beta1, beta2, epsilon). */
  optimizerOptions?: OptimizerOptions;
  /** Base learning rate (≥ 0). Default 1e-3 for Adam, 0.01 for the SGD family. */
  learningRate?: number;
  /** Learning-rate schedule over global steps. Default constant. */
  schedule?: LrSchedule;
  /** Weight decay coefficient (≥ 0) on the model's trainable weights (not on extra-loss variables). Default 0. */
  weightDecay?: number;
  /**
   * How weight decay is applied. `l2` (default, PyTorch's `weight_decay`): wd·w is added to the
   * gradient, so Adam rescales it. `decoupled` (AdamW, Loshchilov & Hutter): w ← w·(1 − lr·wd)
   * before the optimizer step.
   */
  weightDecayMode?: 'l2' | 'decoupled';
  /** Number of passes over the data. Default 1. Give `epochs` or `steps`, not both. */
  epochs?: number;
  /** Number of optimizer steps instead of epochs (the last epoch may be partial). */
  steps?: number;
  /** Examples per step (for `Examples` data). Default 32. */
  batchSize?: number;
  /** Shuffle the training examples every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling; same seed on the same backend gives the same run. Default 0. */
  seed?: number;
  /** Held-out examples evaluated after every epoch (valLoss/valAccuracy in the history). */
  validation?: Examples;
  /** Batch size of the validation pass. Default 512. */
  validationBatchSize?: number;
  /** Masks to enforce: masked weights are exactly 0 after every step. */
  masks?: MaskSource;
  /** Hooks called around steps and epochs, in array order. */
  hooks?: TrainHook[];
  /** Extra loss terms (regularizers) added to the data loss; their variables are trained too. */
  extraLosses?: LossTerm[];
  /** Called after every step with running epoch metrics (for progress bars). */
  onProgress?: (p: Progress) => void;
  /**
   * Stops training cleanly between steps when aborted (masks still hold; `onTrainEnd` still runs)
   * and `train` returns with `stopReason: 'aborted'`. Default: the ambient signal (in a notebook,
   * the running cell's interrupt), on which `train` throws a `TrainingInterruptedError` instead,
   * so that the code after it does not run on a half-trained model.
   */
  signal?: AbortSignal;
  /** Global step of the first step (for resuming: schedules and hooks see continuing step numbers). Default 0. */
  initialStep?: number;
  /** Yield to the event loop at least this often (ms) so interrupt handlers can run. Default 50. */
  yieldEveryMs?: number;
}

/** What `train` returns. */
export interface History {
  /** One row per epoch (the last may be `partial`). */
  epochs: EpochMetrics[];
  /** Optimizer steps taken by this call. */
  steps: number;
  /** Global step after the last step (`initialStep + steps`). */
  finalStep: number;
  /** Why training ended. */
  stopReason: 'completed' | 'aborted';
  /** Wall-clock seconds of the whole call. */
  seconds: number;
}

/** Options after validation, with defaults filled in. */
export interface ResolvedOptions {
  optimizer: OptimizerName | (string & {}) | TrainOptimizer;
  learningRate: number;
  weightDecay: number;
  weightDecayMode: 'l2' | 'decoupled';
  epochs?: number;
  steps?: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  validationBatchSize: number;
  initialStep: number;
  yieldEveryMs: number;
}

const KNOWN_KEYS = new Set([
  'optimizer', 'optimizerOptions', 'learningRate', 'schedule', 'weightDecay', 'weightDecayMode', 'epochs', 'steps',
  'batchSize', 'shuffle', 'seed', 'validation', 'validationBatchSize', 'masks', 'hooks', 'extraLosses', 'onProgress',
  'signal', 'initialStep', 'yieldEveryMs',
]);

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x <= 0) throw new OptionError(`train: ${name} must be a positive integer, got ${v}.`, name);
  return x;
}

/**
 * Validates `train` options and fills in defaults.
 *
 * @param o the user's options.
 * @returns resolved options.
 * @throws with a message naming the bad option and its allowed values.
 */
export function resolveOptions(o: TrainOptions): ResolvedOptions {
  for (const k of Object.keys(o)) {
    if (!KNOWN_KEYS.has(k)) throw new OptionError(`train: unknown option '${k}'. Known options: ${[...KNOWN_KEYS].join(', ')}.`, k);
  }
  const optimizer = o.optimizer ?? 'adam';
  if (typeof optimizer === 'string') {
    if (!listOptimizers().includes(optimizer.toLowerCase())) {
      throw new UnknownNameError('optimizer', optimizer, listOptimizers(), `train: unknown optimizer '${optimizer}'. Known optimizers: ${listOptimizers().join(', ')} (or pass an optimizer instance).`);
    }
  } else if (typeof optimizer !== 'object' || typeof optimizer.applyGradients !== 'function') {
    throw new OptionError('train: optimizer must be a name or a TrainOptimizer (e.g. createOptimizer("adam")); tf.train optimizers cannot enforce masks on their slots.', 'optimizer');
  }
  const optName = typeof optimizer === 'string' ? optimizer.toLowerCase() : optimizer.name;
  const learningRate = o.learningRate ?? (optName === 'adam' ? 1e-3 : 0.01);
  if (!Number.isFinite(learningRate) || learningRate < 0) throw new OptionError(`train: learningRate must be a finite number ≥ 0, got ${o.learningRate}.`, 'learningRate');
  const weightDecay = o.weightDecay ?? 0;
  if (!Number.isFinite(weightDecay) || weightDecay < 0) throw new OptionError(`train: weightDecay must be a finite number ≥ 0, got ${o.weightDecay}.`, 'weightDecay');
  const weightDecayMode = o.weightDecayMode ?? 'l2';
  if (weightDecayMode !== 'l2' && weightDecayMode !== 'decoupled') {
    throw new OptionError(`train: weightDecayMode must be 'l2' or 'decoupled', got '${weightDecayMode}'.`, 'weightDecayMode');
  }
  if (o.epochs !== undefined && o.steps !== undefined) throw new OptionError('train: give either epochs or steps, not both.', 'steps');
  const epochs = o.steps === undefined ? positiveInt('epochs', o.epochs, 1) : undefined;
  const steps = o.steps === undefined ? undefined : positiveInt('steps', o.steps, 1);
  const initialStep = o.initialStep ?? 0;
  if (!Number.isInteger(initialStep) || initialStep < 0) throw new OptionError(`train: initialStep must be an integer ≥ 0, got ${o.initialStep}.`, 'initialStep');
  const seed = o.seed ?? 0;
  if (!Number.isFinite(seed)) throw new OptionError(`train: seed must be a finite number, got ${o.seed}.`, 'seed');
  const yieldEveryMs = o.yieldEveryMs ?? 50;
  if (!(yieldEveryMs >= 0)) throw new OptionError(`train: yieldEveryMs must be ≥ 0, got ${o.yieldEveryMs}.`, 'yieldEveryMs');
  if (o.masks !== undefined && typeof o.masks?.currentMasks !== 'function') {
    throw new OptionError('train: masks must be a MaskSource, an object with currentMasks(): Map<weightName, Tensor>.', 'masks');
  }
  if (o.hooks !== undefined && !Array.isArray(o.hooks)) throw new OptionError('train: hooks must be an array of TrainHook objects.', 'hooks');
  for (const t of o.extraLosses ?? []) {
    if (typeof t?.loss !== 'function' || typeof t?.name !== 'string') {
      throw new OptionError('train: every extraLosses entry must be a LossTerm {name: string, loss(model): tf.Scalar, trainableVariables?}.', 'extraLosses');
    }
  }
  return {
    optimizer,
    learningRate,
    weightDecay,
    weightDecayMode,
    epochs,
    steps,
    batchSize: positiveInt('batchSize', o.batchSize, 32),
    shuffle: o.shuffle ?? true,
    seed,
    validationBatchSize: positiveInt('validationBatchSize', o.validationBatchSize, 512),
    initialStep,
    yieldEveryMs,
  };
}
