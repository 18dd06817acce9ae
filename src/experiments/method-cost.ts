/**
 * The cost of the training methods: seconds per optimizer step of each method next to plain
 * training of the same model on the same batches, measured in this process, interleaved (one
 * short run of every variant per round, the fastest round kept) so that a busy machine slows
 * every variant alike. Notebook 07's cost table.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Examples } from '../data/types';
import { createModel } from '../models';
import { finalize, MaskedModel, trainingPlan } from '../prune';
import { train } from '../train';

/** One variant to time: a training method (or `none`) with its options. */
export interface CostVariant {
  /** Row label. */
  label: string;
  /** A training method (`pl.listMethods()`) or `none` for plain training. */
  method: string;
  /** Its options. */
  options?: Record<string, unknown>;
  /** Optimizer of the run (default adam). */
  optimizer?: string;
}

/** One row of {@link methodStepTimes}. */
export interface CostRow {
  label: string;
  method: string;
  /** Fastest seconds per step over the rounds. */
  secondsPerStep: number;
  /** secondsPerStep / the `none` variant's (NaN without one). */
  vsDense: number;
  /** Seconds of one epoch of `epochExamples` examples at this rate. */
  secondsPerEpoch: number;
}

/**
 * Times each variant for `steps` steps of `batchSize`, `rounds` times, interleaved.
 *
 * @param model a model registry name (a fresh model per run, seeded 1).
 * @param data training examples (at least `steps · batchSize` are used).
 */
export async function methodStepTimes(
  model: string, data: Examples, variants: readonly CostVariant[],
  o: { steps?: number; batchSize?: number; rounds?: number; epochExamples?: number } = {},
): Promise<CostRow[]> {
  const steps = o.steps ?? 10, batchSize = o.batchSize ?? 100, rounds = o.rounds ?? 3;
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const net: tf.LayersModel = createModel(model, { seed: 1, inputShape: data.featureShape, classes: data.numClasses });
      try {
        const plan = v.method === 'none' ? undefined : trainingPlan(net, v.method, v.options ?? {}, { totalSteps: steps, stepsPerEpoch: steps, seed: 1 });
        const h = await train(net, data, { steps, batchSize, optimizer: (v.optimizer ?? 'adam') as 'adam', learningRate: 1e-3, seed: 1, ...(plan?.trainOptions ?? {}) });
        best.set(v.label, Math.min(best.get(v.label) ?? Infinity, h.epochs.reduce((s, e) => s + e.seconds, 0) / steps));
      } finally {
        if (MaskedModel.existing(net)?.attachedMethods().size) finalize(net);
        MaskedModel.existing(net)?.strip();
        net.dispose();
      }
    }
  }
  const dense = variants.find((v) => v.method === 'none');
  const base = dense ? best.get(dense.label)! : NaN;
  const perEpoch = Math.ceil((o.epochExamples ?? 60000) / batchSize);
  return variants.map((v) => ({ label: v.label, method: v.method, secondsPerStep: best.get(v.label)!, vsDense: best.get(v.label)! / base, secondsPerEpoch: best.get(v.label)! * perEpoch }));
}
