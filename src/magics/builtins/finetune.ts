/** `%finetune`: train a (pruned) model with its masks held, with a live progress bar. */
import * as tf from '@tensorflow/tfjs';
import { batchCount, type Dataset } from '../../data/core';
import { agpSchedule, iterativeSchedule, listMethods, MaskedModel, oneShotSchedule, Pruner, trainingPlan, type SparsitySchedule } from '../../prune';
import { methodExtraArgs, methodListing, methodOptionsFromArgs } from '../method-args';
import { ProgressBar } from '../../report/progress';
import { evaluate, listOptimizers, train, type History, type TrainOptions } from '../../train';
import type { Progress } from '../../train/types';
import { defineMagic, magicUsage, type MagicSpec } from '../registry';
import { magicSeed, setPendingSchedule, takePendingSchedule, type PendingSchedule } from '../state';
import { checkDataset, checkModel, modelOf } from './checks';
import { UserError } from '../../errors';

/**
 * The schedule of a pending plan for a training run of `totalSteps` steps.
 *
 * @param modelName the model's name in the notebook, for the error message.
 * @throws when an iterative plan has more rounds than the run has steps (its last rounds would
 *   never run, leaving the model short of the sparsity asked for).
 */
export function scheduleFor(plan: PendingSchedule, totalSteps: number, modelName = 'the model'): SparsitySchedule {
  if (plan.kind === 'agp') {
    // Zhu & Gupta: prune over the first 80 % of training in ~10 steps, then recover. AGP prunes
    // at beginStep + k·frequency only, so the last pruning step is put on that grid (and inside
    // the run) to reach the target exactly.
    const span = Math.min(totalSteps - 1, Math.round(0.8 * totalSteps));
    if (span < 1) return oneShotSchedule({ sparsity: plan.sparsity, step: 0 });
    const frequency = Math.max(1, Math.floor(span / 10));
    const endStep = Math.floor(span / frequency) * frequency;
    return agpSchedule({ initialSparsity: 0, finalSparsity: plan.sparsity, beginStep: 0, endStep, frequency });
  }
  if (totalSteps < plan.rounds) {
    throw new UserError(
      `%finetune: iterative pruning of ${modelName} has ${plan.rounds} rounds but this run has only ${totalSteps} steps; ` +
        'train longer (--epochs) or set fewer --rounds in %prune.',
    );
  }
  return iterativeSchedule({ sparsity: plan.sparsity, rounds: plan.rounds, stepsPerRound: Math.max(1, Math.floor(totalSteps / plan.rounds)) });
}

/** Methods that act during training (`%finetune --method`). */
const trainingMethodNames = () => listMethods().filter((m) => m.training).map((m) => m.name);

const spec: MagicSpec = defineMagic({
  name: 'finetune',
  summary: 'Train a model on a dataset with its masks held, showing a live progress bar.',
  get description() {
    const listing = methodListing('training');
    return (
      'Interrupt the kernel to stop early: training stops after the current step and the masks still hold. ' +
      'With --method, a pruning method acts during the run (its options below).' +
      (listing ? `\n\nTraining methods:\n${listing}` : '')
    );
  },
  extraArgs: methodExtraArgs('training'),
  args: [
    { name: 'model', kind: 'positional', type: 'variable', check: checkModel, help: 'The model to train.' },
    { name: 'data', type: 'variable', required: true, check: checkDataset, help: 'Dataset (trains on .train, validates on .validation when present, tests on .test).' },
    { name: 'epochs', type: 'int', min: 1, default: 1, help: 'Passes over the training data.' },
    { name: 'lr', type: 'number', min: 0, exclusiveMin: true, help: 'Learning rate (default: 1e-3 for adam, 0.01 for the SGD family).' },
    { name: 'optimizer', choices: () => listOptimizers(), default: 'adam', help: 'Optimizer.' },
    { name: 'batch-size', type: 'int', min: 1, default: 32, help: 'Examples per step.' },
    { name: 'weight-decay', type: 'number', min: 0, default: 0, help: 'L2 weight decay.' },
    { name: 'seed', type: 'int', help: 'Shuffling seed (default: the %seed value).' },
    { name: 'no-test', type: 'boolean', help: 'Skip the test-set evaluation at the end.' },
    { name: 'method', choices: trainingMethodNames, help: 'A pruning method that acts during training (drop-and-grow, learned thresholds, gates…).' },
    { name: 'as', type: 'identifier', default: 'history', help: 'Variable to store the training history in.' },
  ],
  assigns: { arg: 'as', type: 'pl.History' },
  examples: ['%finetune net --data ds --epochs 2 --lr 1e-3 --optimizer adam', '%finetune net --data ds --epochs 3 --method set --drop-fraction cosine:0.3:0:0:5000'],
  api: "const history = await pl.train(net, ds.train, { epochs: 2, learningRate: 1e-3, optimizer: 'adam', masks: pl.MaskedModel.existing(net) });",
  async run({ args, names }, ctx) {
    const net = modelOf(args.model as tf.LayersModel | MaskedModel);
    const data = args.data as Dataset;
    const epochs = args.epochs as number;
    const batchSize = args['batch-size'] as number;
    const options: TrainOptions = {
      epochs,
      batchSize,
      optimizer: args.optimizer as TrainOptions['optimizer'],
      weightDecay: args['weight-decay'] as number,
      seed: (args.seed as number | undefined) ?? magicSeed(),
      signal: ctx.signal,
      ...(args.lr !== undefined ? { learningRate: args.lr as number } : {}),
      ...(data.validation ? { validation: data.validation } : {}),
    };
    const methodName = args.method as string | undefined;
    const methodOptions = methodOptionsFromArgs('finetune', 'training', methodName, args, new Set(spec.args.map((a) => a.name)), magicUsage(spec));
    const plan = takePendingSchedule(net);
    let gradual = '';
    if (plan) {
      const total = epochs * batchCount(data.train.count, batchSize);
      let schedule: SparsitySchedule;
      try {
        schedule = scheduleFor(plan, total, names.model);
      } catch (e) {
        setPendingSchedule(net, plan); // kept for a run that fits it
        throw e;
      }
      const hook = new Pruner(schedule, plan.options).hook(net);
      options.hooks = [hook];
      options.masks = hook;
      gradual = ` with ${schedule.name} pruning`;
    } else {
      const masked = MaskedModel.existing(net);
      if (masked) options.masks = masked;
    }
    if (methodName) {
      const perEpoch = batchCount(data.train.count, batchSize);
      const p = trainingPlan(net, methodName, methodOptions, { totalSteps: epochs * perEpoch, stepsPerEpoch: perEpoch, seed: options.seed });
      options.hooks = [...(options.hooks ?? []), ...p.trainOptions.hooks];
      options.extraLosses = p.trainOptions.extraLosses;
      options.masks ??= p.trainOptions.masks;
      gradual += ` with method ${methodName}`;
    }
    const bar = new ProgressBar(`training ${names.model}${gradual}`);
    const label = (e: number, b: number, nb: number, loss: number, acc: number) =>
      `epoch ${e}/${epochs} · batch ${b}/${nb} · loss ${loss.toFixed(4)} · accuracy ${acc.toFixed(4)}`;
    let reached: Progress | undefined; // the last completed step, where an early stop leaves the bar
    options.onProgress = (p) => {
      reached = p;
      bar.update((p.epoch + p.batch / p.batches) / p.epochs, label(p.epoch + 1, p.batch, p.batches, p.loss, p.accuracy));
    };
    const where = () => (reached ? `epoch ${reached.epoch + 1}/${epochs}, batch ${reached.batch}/${reached.batches}` : 'the first step');
    let history: History;
    try {
      history = await train(net, data.train, options);
    } catch (e) {
      const err = e as Error;
      const why = `${err?.name ?? 'Error'}: ${String(err?.message ?? e).split('\n')[0]}`;
      bar.stop(`failed at ${where()}: ${why.length > 160 ? `${why.slice(0, 159)}…` : why}`);
      throw e;
    }
    const last = history.epochs[history.epochs.length - 1];
    const done = last ? label(last.epoch + 1, last.batches ?? 0, batchCount(data.train.count, batchSize), last.loss, last.accuracy) : 'no step taken';
    if (history.stopReason === 'aborted') {
      const metrics = reached ? ` · loss ${reached.loss.toFixed(4)} · accuracy ${reached.accuracy.toFixed(4)}` : '';
      bar.stop(`interrupted at ${where()}${metrics}`);
      const e = new Error(`%finetune stopped after ${history.steps} steps; ${names.model} keeps the weights of the last completed step and its masks still hold.`);
      e.name = 'KeyboardInterrupt';
      throw e;
    }
    bar.done(`${done} · ${history.seconds.toFixed(1)} s`);
    if (last?.valAccuracy !== undefined) ctx.print(`validation: loss ${last.valLoss?.toFixed(4)}, accuracy ${last.valAccuracy.toFixed(4)}`);
    if (!args['no-test']) {
      const t = evaluate(net, data.test);
      ctx.print(`test: loss ${t.loss.toFixed(4)}, accuracy ${t.accuracy.toFixed(4)} (${t.count} examples)`);
    }
    return history;
  },
});
