/**
 * Contracts between the mask-aware training loop and what plugs into it: pruning schedules
 * (step hooks), dynamic sparse training (mask changes + optimizer-slot resets), regularizers
 * (extra loss terms with their own variables) and progress reporting.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/types';

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

/** The mini-batch of a step. */
export interface StepBatch {
  /** Features (in `onGradients`, reshaped to the model's input shape). Owned by the loop: valid during the hook call only. */
  xs: tf.Tensor;
  /** One-hot labels. Owned by the loop. */
  ys: tf.Tensor;
  /** Number of examples. */
  size: number;
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
  /** The step's batch (in `onStepBegin`, `onGradients` and `onStepEnd`; absent at train begin/end). */
  batch?: StepBatch;
}

/**
 * What `onGradients` sees: the step after its forward and backward pass, before the update.
 * Everything here is valid during the call only (the loop disposes it after the step).
 */
export interface GradientStepInfo extends StepInfo {
  batch: StepBatch;
  /** The step's training loss (data loss plus extra terms). */
  loss: number;
  /**
   * Dense gradients of the model's trainable weights by variable name (e.g. `fc1/kernel`),
   * before masking and before weight decay: at masked positions they say how much the loss
   * would change if the weight came back (RigL's grow score).
   */
  gradients: ReadonlyMap<string, tf.Tensor>;
  /** One weight's dense gradient by variable name or unsuffixed original name (`fc1/kernel` for `fc1/kernel_1`). */
  gradient(name: string): tf.Tensor | undefined;
  /**
   * Replaces this step's optimizer update. Without a function the step applies no update (RigL's
   * mask-update steps); with one, the function applies it instead of the optimizer (it receives
   * the masked gradients the optimizer would have). Masked weights are re-zeroed afterwards.
   */
  replaceUpdate(update?: (updates: ParamUpdate[], learningRate: number) => void): void;
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
  /**
   * Called after the step's backward pass and before its update, with the batch and the dense
   * gradients. Synchronous (it runs inside the step's tensor scope). It may change masks (a
   * `MaskedModel` edit: the new masks apply to this step's update, and the optimizer's slots are
   * zeroed where weights are masked, so regrown weights start from fresh slots) and may replace
   * the update (`info.replaceUpdate`).
   */
  onGradients?(info: GradientStepInfo): void;
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
  /** Mean value of each extra loss term over the epoch, by `LossTerm.name` (absent when there are none). */
  terms?: Record<string, number>;
  /** Optimizer steps taken in this epoch (fewer than the epoch's batches when stopped early). */
  batches?: number;
  /** True for the last row when training stopped before the epoch's end (abort signal or step limit). */
  partial?: boolean;
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

/** One variable's update, as handed by the training loop to a {@link TrainOptimizer}. */
export interface ParamUpdate {
  /** Name the slots are kept under (the variable's name, e.g. `fc1/kernel`). */
  name: string;
  /** Other names `resetSlots`/`slots` accept for this variable (e.g. `fc1/kernel` for `fc1/kernel_1`). */
  aliases?: string[];
  /** The variable to update in place. */
  variable: tf.Variable;
  /** Its gradient, already masked and with any L2 weight-decay term added. */
  gradient: tf.Tensor;
  /** The 0/1 mask of the variable, if it is masked: the new weights are multiplied by it. */
  mask?: tf.Tensor;
  /** True when `mask` differs from the one of the previous step: the slots are masked too. */
  maskChanged?: boolean;
  /** Decoupled weight decay as a factor (1 − lr·wd) applied to the weights before the update. */
  decayFactor?: number;
}

/** A {@link SlotOptimizer} that the training loop can drive (all built-in optimizers are). */
export interface TrainOptimizer extends SlotOptimizer {
  /**
   * Applies one optimizer step to every variable in `updates`, in place. Masked positions stay
   * exactly 0 in the weights and in every slot.
   */
  applyGradients(updates: ParamUpdate[], learningRate: number): void;
  /** Frees the slot tensors. */
  dispose(): void;
}

/**
 * Mini-batches from somewhere other than an in-memory `Examples` (a generator, a streaming
 * loader). The loop disposes every batch it receives.
 */
export interface BatchSource {
  /** Shape of one example, checked against the model input before training. */
  featureShape: number[];
  /** Number of classes, checked against the model output before training. */
  numClasses: number;
  /** Number of batches `batches(epoch)` yields (used for progress and step-based stopping). */
  batchesPerEpoch: number;
  /** The batches of one epoch (0-based), in training order. */
  batches(epoch: number): Iterable<Batch> | AsyncIterable<Batch>;
}
