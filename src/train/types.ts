/**
 * Contracts between the mask-aware training loop and what plugs into it: pruning schedules
 * (step hooks), dynamic sparse training (mask changes + optimizer-slot resets), regularizers
 * (extra loss terms with their own variables) and progress reporting.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * Supplies the current 0/1 masks of masked weights. Read at every step, so the masks may change
 * between steps (gradual pruning, SET/RigL regrowth).
 */
export interface MaskSource {
  /** Masks keyed by the weight variable's `name` (e.g. `dense_1/kernel`); same shape as the weight. */
  currentMasks(): ReadonlyMap<string, tf.Tensor>;
}

/** An optimizer whose per-weight state can be inspected and reset. */
export interface SlotOptimizer {
  /** Optimizer name, e.g. `adam`. */
  readonly name: string;
  /**
   * Zeroes the optimizer state (momentum, Adam moments, ...) of the variable called
   * `variableName` wherever `where` is 1, so that regrown weights start fresh.
   */
  resetSlots(variableName: string, where: tf.Tensor): void;
  /** The state tensors of one variable by slot name (e.g. `m`, `v`), for tests and inspection. */
  slots(variableName: string): ReadonlyMap<string, tf.Tensor>;
}

/** What a hook sees at a step. */
export interface StepInfo {
  /** Global step, 0-based, counting every optimizer step of this `train` call (plus `initialStep`). */
  step: number;
  /** Epoch, 0-based. */
  epoch: number;
  /** The model being trained. */
  model: tf.LayersModel;
  /** The optimizer, whose slots a hook may reset. */
  optimizer: SlotOptimizer;
  /** Learning rate used for this step. */
  learningRate: number;
}

/** What a hook sees after an epoch. */
export interface EpochInfo {
  epoch: number;
  step: number;
  model: tf.LayersModel;
  /** The history row just appended (train loss/accuracy, validation metrics when evaluated). */
  metrics: EpochMetrics;
}

/** Extension point for pruning schedules, dynamic masks and instrumentation. */
export interface TrainHook {
  /** Called once before the first step. */
  onTrainBegin?(info: StepInfo): void | Promise<void>;
  /** Called before each optimizer step; a pruning schedule prunes here. */
  onStepBegin?(info: StepInfo): void | Promise<void>;
  /** Called after each optimizer step, with that step's training loss. */
  onStepEnd?(info: StepInfo & { loss: number }): void | Promise<void>;
  /** Called after each epoch. */
  onEpochEnd?(info: EpochInfo): void | Promise<void>;
  /** Called once after the last step (also when stopped early or interrupted). */
  onTrainEnd?(info: StepInfo): void | Promise<void>;
}

/** An extra loss term, e.g. a sparsity regularizer, possibly with its own trainable variables. */
export interface LossTerm {
  /** Name shown in the history, e.g. `l1`. */
  name: string;
  /** The term's value for the current model state (built inside the loop's gradient tape). */
  loss(model: tf.LayersModel): tf.Scalar;
  /** Variables of the term itself (gates, log σ², thresholds) trained with the model. */
  trainableVariables?: tf.Variable[];
}

/** One row of the training history. */
export interface EpochMetrics {
  epoch: number;
  /** Global step at the end of the epoch. */
  step: number;
  /** Mean training loss over the epoch (data loss plus extra terms). */
  loss: number;
  /** Training accuracy over the epoch (on the fly, with the weights of each step). */
  accuracy: number;
  /** Validation loss/accuracy, when validation data was given. */
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate at the end of the epoch. */
  learningRate: number;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
}

/** Progress reported during training (for progress bars). */
export interface Progress {
  epoch: number;
  epochs: number;
  /** Step within the current epoch, 1-based, and steps per epoch. */
  batch: number;
  batches: number;
  step: number;
  /** Running mean of the training loss in this epoch. */
  loss: number;
  accuracy: number;
}
