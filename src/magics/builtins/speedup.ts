/** `%speedup`: measured vs theoretical speedup of a pruned model (a thin layer over `pl.speedup`). */
import * as tf from '@tensorflow/tfjs';
import { speedup, speedupFigure, type SparseFormat, type SpeedupReport } from '../../sparse';
import { toDataFrame } from '../../report/frames';
import { defineMagic } from '../registry';
import { checkModel, modelOf } from './checks';
import { UserError } from '../../errors';
import { hasParametrizations } from '../../train/parametrize';
import { MaskedModel } from '../../prune';
import { OptionError } from '../../errors';

const FORMATS: SparseFormat[] = ['coo', 'csr', 'csc', 'bsr', 'nm'];

function positiveInts(flag: string, values: string[]): number[] {
  return values.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new OptionError(`%speedup: ${flag} takes positive whole numbers, got '${v}'.`, flag);
    return n;
  });
}

/** The report's rows as a table: one row per layer (or whole model), format and batch size. */
export function speedupTable(report: SpeedupReport) {
  const ms = (v: number) => Number(v.toFixed(4));
  return toDataFrame(
    report.rows.map((r) => ({
      layer: r.layer,
      shape: r.kind === 'model' ? 'model' : r.shape.join('x'),
      sparsity: Number(r.sparsity.toFixed(4)),
      batch: r.batch,
      variant: r.variant,
      'dense ms': ms(r.dense.median),
      'sparse ms': ms(r.sparse.median),
      'sparse ms IQR': `${ms(r.sparse.q1)}-${ms(r.sparse.q3)}`,
      measured: Number(r.measured.toFixed(2)),
      theoretical: Number(r.theoretical.toFixed(2)),
      'dense bytes': r.denseBytes,
      'variant bytes': r.variantBytes,
    })),
  );
}

defineMagic({
  name: 'speedup',
  summary: 'Measure dense vs sparse formats vs the shrunk model, beside the FLOP-based theoretical speedup.',
  args: [
    { name: 'model', kind: 'positional', type: 'variable', check: checkModel, help: 'A pruned model.' },
    { name: 'formats', type: 'list', choices: FORMATS, default: ['csr', 'bsr'], help: 'Sparse formats to time.' },
    { name: 'batch', type: 'list', default: ['1', '32'], help: 'Batch sizes to time.' },
    { name: 'repeats', type: 'int', min: 1, default: 20, help: 'Timed repeats per measurement (median reported).' },
    { name: 'no-sweep', type: 'boolean', help: 'Skip the break-even sweep over sparsity (faster).' },
    { name: 'as', type: 'identifier', default: 'speedupReport', help: 'Variable to store the full report in.' },
  ],
  assigns: { arg: 'as', type: 'pl.SpeedupReport' },
  examples: ['%speedup net --formats csr,bsr --batch 1,32', '%speedup net --no-sweep --as report'],
  api: "const report = pl.speedup(net, { formats: ['csr', 'bsr'], batchSizes: [1, 32] }); pl.speedupFigure(report)",
  run({ args, names }, ctx) {
    const net = modelOf(args.model as tf.LayersModel | MaskedModel);
    if (hasParametrizations(net)) {
      // the stored weights are not what the forward pass sees: timing them would mislead
      throw new UserError(
        `%speedup: ${names.model} still has weight parametrizations in its forward pass (methods ${[...(MaskedModel.existing(net)?.attachedMethods().keys() ?? [])].join(', ') || 'attached by code'}); ` +
          `run pl.finalize(${names.model}) first, which turns them into hard masks the sparse formats can use.`,
      );
    }
    const report = speedup(net, {
      formats: args.formats as SparseFormat[],
      batchSizes: positiveInts('--batch', args.batch as string[]),
      repeats: args.repeats as number,
      ...(args['no-sweep'] ? { breakEvenSparsities: [] } : {}),
    });
    ctx.display(speedupTable(report));
    if (report.sweep.length) ctx.display(speedupFigure(report));
    return report;
  },
});
