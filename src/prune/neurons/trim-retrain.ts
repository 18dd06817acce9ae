/**
 * The iterative trim–retrain protocol of Network Trimming (Hu et al. 2016): measure the units on
 * data, remove a fraction of the remaining ones with a neuron method (APoZ in the paper), retrain
 * from the surviving weights with the removed units held out, and repeat. Any one-shot neuron
 * method fits (`apoz`, `mean-activation`, `variance`, the merges).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Examples } from '../../data/types';
import { OptionError } from '../../errors';
import { evaluate, train, type TrainOptions } from '../../train';
import type { PruneData } from '../context';
import { MaskedModel } from '../masked-model';
import { prune } from '../prune';
import type { TargetOptions } from '../targets';
import { liveUnitCounts } from './inspect';

/** Options of {@link trimAndRetrain}. */
export interface TrimRetrainOptions extends TargetOptions {
  /** A one-shot neuron method (default `apoz`). */
  method?: string;
  /** The method's options. */
  methodOptions?: Record<string, unknown>;
  /** Rounds of trimming and retraining. */
  rounds: number;
  /** Fraction of each layer's remaining units removed per round, in (0, 1). */
  fraction: number;
  /** Data the method measures the units on (the paper: a large validation set). */
  calibration: PruneData;
  /** Training examples for the retraining. */
  train: Examples;
  /** How to retrain after each trim (the masks are held); default one epoch of Adam at 1e-4. */
  retrain?: TrainOptions;
  /** Test examples: accuracy after each trim and each retraining, when given. */
  test?: Examples;
  /** Seed of the method and of each round's retraining (round r uses seed + r). */
  seed?: number;
}

/** One round of {@link trimAndRetrain}. */
export interface TrimRound {
  /** 1-based round. */
  round: number;
  /** Units left per pruned layer after the round. */
  units: Record<string, number>;
  /** Test accuracy right after trimming (when `test` was given). */
  accuracyTrimmed?: number;
  /** Test accuracy after retraining (when `test` was given). */
  accuracyRetrained?: number;
  /** Seconds the round took (statistics, trimming, retraining). */
  seconds: number;
}

/**
 * Alternates trimming and retraining (see the module comment).
 *
 * @param model the trained model (pruned in place; its MaskedModel holds the removed units).
 * @param opts method, rounds, fraction per round, calibration data, training data, retraining recipe.
 * @returns one entry per round.
 * @throws OptionError for bad rounds or fraction (before anything changes).
 */
export async function trimAndRetrain(model: tf.LayersModel, opts: TrimRetrainOptions): Promise<TrimRound[]> {
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new OptionError(`trimAndRetrain: rounds must be a positive integer; got ${opts.rounds}.`, 'rounds');
  if (!(opts.fraction > 0 && opts.fraction < 1)) throw new OptionError(`trimAndRetrain: fraction must be in (0, 1) (the share of each layer's remaining units removed per round); got ${opts.fraction}.`, 'fraction');
  const { include, exclude, keepFirstDense, keepLastDense } = opts;
  const targets = { include, exclude, keepFirstDense, keepLastDense };
  const seed = opts.seed ?? 0;
  const out: TrimRound[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const t0 = Date.now();
    prune(model, {
      ...targets, method: opts.method ?? 'apoz', ...(opts.methodOptions ? { methodOptions: opts.methodOptions } : {}),
      sparsity: opts.fraction, relativeTo: 'remaining', data: opts.calibration, seed: seed + round,
    });
    const accuracyTrimmed = opts.test ? evaluate(model, opts.test).accuracy : undefined;
    const length = opts.retrain?.steps !== undefined || opts.retrain?.epochs !== undefined ? {} : { epochs: 1 };
    await train(model, opts.train, { optimizer: 'adam', learningRate: 1e-4, ...length, ...opts.retrain, seed: seed + round, masks: MaskedModel.of(model) });
    const accuracyRetrained = opts.test ? evaluate(model, opts.test).accuracy : undefined;
    out.push({ round, units: liveUnitCounts(model, targets), accuracyTrimmed, accuracyRetrained, seconds: (Date.now() - t0) / 1000 });
  }
  return out;
}
