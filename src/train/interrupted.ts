/** The error `train` throws when a notebook interrupt (the ambient signal) stopped it. */
import { InterruptedError } from '../interrupt';
import type { History } from './options';

/** Where training stopped: the last completed step's place. */
export interface StopPoint {
  /** 0-based epoch the stop happened in. */
  epoch: number;
  /** Epochs of the whole run. */
  epochs: number;
  /** Batches completed in that epoch. */
  batch: number;
  /** Batches of that epoch. */
  batches: number;
}

/**
 * Thrown by `train` when the ambient signal (the running cell's interrupt) stopped it, so that a
 * notebook cell, or an experiment driver looping over runs, stops there instead of carrying on.
 * The model keeps the weights of the last completed step; `history` holds the rows so far.
 */
export class TrainingInterruptedError extends InterruptedError {
  /**
   * @param history the history up to the stop (`stopReason: 'aborted'`).
   * @param at where training stopped.
   * @param masked whether masks were enforced (they still hold).
   */
  constructor(readonly history: History, readonly at: StopPoint, masked: boolean) {
    super(
      `training interrupted at epoch ${at.epoch + 1}/${at.epochs}, batch ${at.batch}/${at.batches} (after ${history.steps} steps); ` +
        `the model keeps the weights of its last completed step${masked ? ' and its masks still hold' : ''}. ` +
        `The history so far is this error's \`history\`.`,
    );
  }
}
