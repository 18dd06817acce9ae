/** `%sparsity`: the per-layer sparsity table of a model, or its activation sparsity on data. */
import * as tf from '@tensorflow/tfjs';
import { batches, type Dataset } from '../../data/core';
import { OptionError } from '../../errors';
import { activationSparsity, type MaskedModel } from '../../prune';
import { activationSparsityFigure } from '../../plot/activation-sparsity';
import { sparsityTable } from '../../report/sparsity';
import { defineMagic } from '../registry';
import { checkDataset, checkModel, modelOf } from './checks';

defineMagic({
  name: 'sparsity',
  summary: 'Per-layer table of parameters, non-zeros, sparsity, compression and FLOPs; with --activations, the activation sparsity on data.',
  args: [
    { name: 'model', kind: 'positional', type: 'variable', check: checkModel, help: 'The model.' },
    { name: 'activations', type: 'boolean', help: 'Measure activation sparsity instead: per layer whose output a Dense/Conv2D layer reads, the fraction of zero activations per example (needs --data).' },
    { name: 'data', type: 'variable', check: checkDataset, help: 'Dataset whose test examples --activations measures.' },
    { name: 'examples', type: 'int', min: 1, default: 1000, help: 'Test examples --activations looks at.' },
    { name: 'tolerance', type: 'number', min: 0, default: 0, help: 'Largest |activation| --activations counts as zero.' },
  ],
  examples: ['%sparsity net', '%sparsity net --activations --data ds'],
  api: 'pl.report.sparsityTable(net)   // --activations: pl.activationSparsity(net, { xs, ys }) and pl.activationSparsityFigure(...)',
  run({ args }, ctx) {
    if (!args.activations) {
      if (args.data) throw new OptionError('%sparsity: --data is for --activations (the weight sparsity table needs no data).', 'data');
      return sparsityTable(args.model as tf.LayersModel | MaskedModel);
    }
    const ds = args.data as Dataset | undefined;
    if (!ds) throw new OptionError('%sparsity --activations needs --data DATASET (its test examples are run through the model).', 'data');
    const net = modelOf(args.model as tf.LayersModel | MaskedModel);
    const b = batches(ds.test, { batchSize: Math.min(args.examples as number, ds.test.count), shuffle: false }).next().value!;
    try {
      const layers = activationSparsity(net, { xs: b.xs, ys: b.ys }, { tolerance: args.tolerance as number });
      for (const l of layers) {
        const sorted = [...l.perExample].sort((a, b2) => a - b2);
        const q = (p: number) => (100 * sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]).toFixed(1);
        ctx.print(`${l.layer} → ${l.into}: ${l.size} activations per example, ${(100 * l.mean).toFixed(1)}% zero on average (10% / 50% / 90% of examples: ${q(0.1)}% / ${q(0.5)}% / ${q(0.9)}%)`);
      }
      return activationSparsityFigure(layers, { title: `Activation sparsity of ${net.name} on ${b.size} test examples` });
    } finally {
      tf.dispose([b.xs, b.ys]);
    }
  },
});
