/**
 * Mask-aware training: a custom loop with slot-inspectable optimizers, learning-rate schedules,
 * hooks for pruning schedules and regrowth, extra loss terms, and evaluation.
 */
export { train, NonFiniteLossError } from './loop';
export { TrainingInterruptedError, type StopPoint } from './interrupted';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './evaluate';
export type { TrainOptions, History } from './options';
export { compileSchedule, learningRateAt, type LrSchedule } from './schedules';
export { outputKind, crossEntropy, correctCount, type OutputKind } from './loss';
export * from './optimizers';
export type * from './types';
export * from './parametrize';
export * from './scalar-schedule';
