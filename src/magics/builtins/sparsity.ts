/** `%sparsity`: the per-layer sparsity table of a model. */
import type * as tf from '@tensorflow/tfjs';
import type { MaskedModel } from '../../prune';
import { sparsityTable } from '../../report/sparsity';
import { defineMagic } from '../registry';
import { checkModel } from './checks';

defineMagic({
  name: 'sparsity',
  summary: 'Per-layer table of parameters, non-zeros, sparsity, compression and FLOPs.',
  args: [{ name: 'model', kind: 'positional', type: 'variable', check: checkModel, help: 'The model.' }],
  examples: ['%sparsity net'],
  api: 'pl.report.sparsityTable(net)   // or pl.sparsitySummary(pl.MaskedModel.of(net)).text',
  run({ args }) {
    return sparsityTable(args.model as tf.LayersModel | MaskedModel);
  },
});
