/** `%prune`: prune a model's weights now, or set up gradual pruning for the next `%finetune`. */
import * as tf from '@tensorflow/tfjs';
import { batches, type Dataset } from '../../data/core';
import { allocationNames, criterionNames, findMethod, listMethods, maskSparsity, methodNames, prune, resolveGranularity, sparsitySummary, type PruneBatch, type PruneOptions } from '../../prune';
import { methodExtraArgs, methodListing, methodOptionsFromArgs } from '../method-args';
import { defineMagic, magicUsage, type MagicSpec } from '../registry';
import { magicSeed, setPendingSchedule } from '../state';
import { checkDataset, checkModel, modelOf } from './checks';
import type { MaskedModel } from '../../prune';
import { OptionError } from '../../errors';

/** Takes `count` batches of `examples`-size `size` from a dataset's training split (caller disposes). */
export function pruneBatches(data: Dataset, count: number, size: number, seed: number): PruneBatch[] {
  const out: PruneBatch[] = [];
  for (const b of batches(data.train, { batchSize: size, seed })) {
    out.push({ xs: b.xs, ys: b.ys, size: b.size });
    if (out.length >= count) break;
  }
  return out;
}

/** Sparsity of `%prune` without `--sparsity` (unless N:M granularity implies its own). */
const DEFAULT_SPARSITY = 0.9;

/** Methods that act once, and criteria registered on their own: what `%prune` accepts. */
function oneShotNames(): string[] {
  const methods = listMethods().filter((m) => m.oneShot).map((m) => m.name);
  return [...new Set([...methods, ...criterionNames().filter((c) => !methodNames().includes(c))])].sort();
}

const spec: MagicSpec = defineMagic({
  name: 'prune',
  summary: 'Prune a model (method, sparsity, granularity, scope, schedule).',
  get description() {
    return (
      'With --schedule oneshot (default) the masks are computed and applied now. With agp or iterative, ' +
      `the model is pruned gradually during the next %finetune of this model, up to --sparsity.\n\nMethods:\n${methodListing('one-shot')}`
    );
  },
  extraArgs: methodExtraArgs('one-shot'),
  args: [
    { name: 'model', kind: 'positional', type: 'variable', check: checkModel, help: 'The model to prune.' },
    { name: 'method', kind: 'positional', choices: () => oneShotNames(), help: 'Pruning method or criterion (add one with pl.registerMethod or pl.registerCriterion).' },
    // no declared default: N:M granularity fixes its own sparsity, and an explicit different one is an error
    { name: 'sparsity', type: 'number', min: 0, max: 1, exclusiveMax: true, help: `Fraction of the weights (or groups) to remove (default: ${DEFAULT_SPARSITY}; N:M fixes it at 1 − N/M).` },
    {
      // no declared default: a method that scores whole units brings its own (neuron)
      name: 'granularity', metavar: 'G',
      help: "element (default; neuron for methods that score whole units), neuron (= filter: output units, i.e. Dense neurons and Conv filters), channel (input units), N:M (e.g. 2:4) or block:RxC.",
    },
    { name: 'scope', choices: () => allocationNames(), help: "How sparsity is allocated across layers (default: the method's own, e.g. global for snip and grasp, else layerwise)." },
    { name: 'schedule', choices: ['oneshot', 'agp', 'iterative'], default: 'oneshot', help: 'oneshot prunes now; agp/iterative prune during the next %finetune.' },
    { name: 'rounds', type: 'int', min: 1, default: 5, help: 'Rounds of the iterative schedule.' },
    { name: 'exclude', type: 'list', help: 'Layers (or weights, or layer types) to leave dense.' },
    { name: 'include', type: 'list', help: 'Only these layers (default: every prunable layer).' },
    { name: 'keep-first-dense', type: 'boolean', help: 'Leave the first prunable layer dense.' },
    { name: 'keep-last-dense', type: 'boolean', help: 'Leave the last prunable layer (the classifier) dense.' },
    { name: 'data', type: 'variable', check: checkDataset, help: 'Dataset for data-driven criteria (gradients, activations).' },
    { name: 'batches', type: 'int', min: 1, default: 1, help: 'Number of training batches data-driven criteria look at.' },
    { name: 'batch-size', type: 'int', min: 1, default: 128, help: 'Examples per such batch.' },
    { name: 'seed', type: 'int', help: 'Seed of random criteria and data batches (default: the %seed value).' },
  ],
  examples: [
    '%prune net magnitude --sparsity 0.9 --scope global --exclude fc3',
    '%prune net reconstruct --sparsity 0.8 --data ds --damping 1e-6',
    '%prune net fold-constant --data ds --tolerance 1e-4',
    '%prune net variance --sparsity 0.5 --data ds --batches 8 --keep-last-dense',
  ],
  api: "pl.prune(net, { criterion: 'magnitude', sparsity: 0.9, scope: 'global', exclude: ['fc3'] });",
  run({ args, names }, ctx) {
    const net = modelOf(args.model as tf.LayersModel | MaskedModel);
    const seed = (args.seed as number | undefined) ?? magicSeed();
    const name = args.method as string;
    const method = findMethod(name);
    const granularity = (args.granularity as string | undefined) ?? method?.granularity ?? 'element';
    const methodOptions = methodOptionsFromArgs('prune', 'one-shot', name, args, new Set(spec.args.map((a) => a.name)), magicUsage(spec));
    const ownMasks = method?.choosesOwnMasks === true;
    const options: PruneOptions = {
      ...(method ? { method: name, ...(Object.keys(methodOptions).length ? { methodOptions } : {}) } : { criterion: name }),
      granularity,
      ...(args.scope !== undefined ? { scope: args.scope as string } : {}),
      seed,
      ...(args.exclude ? { exclude: args.exclude as string[] } : {}),
      ...(args.include ? { include: args.include as string[] } : {}),
      ...(args['keep-first-dense'] ? { keepFirstDense: true } : {}),
      ...(args['keep-last-dense'] ? { keepLastDense: true } : {}),
    };
    const implied = resolveGranularity(granularity).impliedSparsity;
    if (implied !== undefined && args.schedule !== 'oneshot') {
      throw new OptionError(
        `%prune: --granularity ${granularity} fixes the sparsity at ${implied} (1 − N/M), so a schedule has nothing to ramp: ` +
          `use --schedule oneshot (the default), or an unstructured granularity for ${args.schedule}.`,
        'schedule',
      );
    }
    // an explicit --sparsity goes to prune() as given, so that a conflict with N:M is reported there
    const sparsity = ownMasks ? undefined : ((args.sparsity as number | undefined) ?? implied ?? DEFAULT_SPARSITY);
    if (ownMasks && args.schedule !== 'oneshot') throw new OptionError(`%prune: method '${name}' chooses its own masks (no sparsity to ramp); use --schedule oneshot.`);
    const data = args.data as Dataset | undefined;
    if (args.schedule !== 'oneshot') {
      setPendingSchedule(net, {
        kind: args.schedule as 'agp' | 'iterative',
        sparsity: sparsity!,
        rounds: args.rounds as number,
        options: { ...options, ...(data ? { data: () => pruneBatches(data, args.batches as number, args['batch-size'] as number, seed) } : {}) },
      });
      ctx.print(`${names.model}: ${args.schedule} pruning to ${(100 * sparsity!).toFixed(1)}% is set up; it runs during the next %finetune ${names.model}.`);
      return undefined;
    }
    const batchList = data ? pruneBatches(data, args.batches as number, args['batch-size'] as number, seed) : undefined;
    try {
      // an explicit --sparsity always reaches prune(), which says why a method cannot take one
      const given = (args.sparsity as number | undefined) ?? sparsity;
      const masked = prune(net, { ...options, ...(given !== undefined ? { sparsity: given } : {}), ...(batchList ? { data: batchList } : {}) });
      const s = sparsitySummary(masked);
      ctx.print(
        `pruned ${names.model} (${name}, ${granularity}, ${String(masked.history.at(-1)?.details.scope ?? args.scope ?? 'layerwise')}): ` +
          `${(100 * maskSparsity(masked)).toFixed(2)}% of prunable weights, ${(100 * s.total.sparsity).toFixed(2)}% of all parameters; ` +
          `${s.total.nonzeros.toLocaleString('en-US')} of ${s.total.params.toLocaleString('en-US')} left.`,
      );
    } finally {
      batchList?.forEach((b) => tf.dispose([b.xs, b.ys]));
    }
    return undefined;
  },
});
