/** `%plot`: the plot builders of `pl.plot` as a magic. */
import * as tf from '@tensorflow/tfjs';
import { MaskedModel } from '../../prune';
import { accuracyVsSparsity, pareto } from '../../plot/tradeoff';
import { maskHeatmap } from '../../plot/heatmap';
import { weightHistogram, type ValueSeries } from '../../plot/histogram';
import { trainingCurves } from '../../plot/curves';
import { sparsityBars } from '../../plot/sparsity-bars';
import type { Figure } from '../../plot/figure';
import { EXPORT_PRESETS, saveFigure, type ExportOptions, type ExportPreset } from '../../plot/export';
import { flatValues, isWeightSnapshot, maskValues, selectWeightNames, weightSnapshot, type WeightSnapshot } from '../../report/weights';
import { defineMagic } from '../registry';
import { describe, isModel, modelOf } from './checks';
import { UserError } from '../../errors';

/** Plot kinds and what their target is. */
export const PLOT_KINDS = {
  sparsity: 'a model: fraction pruned per layer',
  weights: 'a model: histogram of its weights (with --before: before vs after)',
  mask: 'a model: heatmap of one layer’s mask (--layer)',
  curves: 'a training history (what %finetune / pl.train return, or tf model.fit’s History): loss and accuracy per epoch',
  accuracy: 'a results table (rows or DataFrame): accuracy vs sparsity per method',
  pareto: 'a results table: all runs and the Pareto front',
} as const;

function needModel(kind: string, v: unknown, name: string): tf.LayersModel {
  if (!isModel(v)) throw new UserError(`%plot ${kind}: '${name}' is ${describe(v)}; this plot takes a model.`);
  return modelOf(v);
}

defineMagic({
  name: 'plot',
  summary: 'Plot sparsity per layer, weight histograms, masks, training curves, accuracy vs sparsity, Pareto fronts.',
  description: Object.entries(PLOT_KINDS)
    .map(([k, v]) => `  ${k.padEnd(9)} <target> is ${v}`)
    .join('\n'),
  args: [
    { name: 'kind', kind: 'positional', choices: Object.keys(PLOT_KINDS), help: 'What to plot.' },
    { name: 'target', kind: 'positional', type: 'variable', help: 'The model, history or results table.' },
    { name: 'layer', help: 'Layer (or weight) name for weights/mask plots.' },
    { name: 'before', type: 'variable', help: 'For weights: a pl.report.weightSnapshot(...) or a model to compare with.' },
    { name: 'x', help: 'Results column for the x axis (default sparsity).' },
    { name: 'y', help: 'Results column for the y axis (default accuracy).' },
    { name: 'group', help: 'Results column that names the series (default method).' },
    { name: 'minimize-x', type: 'boolean', help: 'For pareto: smaller x is better (parameters, FLOPs).' },
    { name: 'bins', type: 'int', min: 1, default: 60, help: 'Histogram bins.' },
    { name: 'title', help: 'Figure title.' },
    { name: 'save', metavar: 'FILE', help: 'Also save the figure as FILE (.pdf, .svg or .png), sized for a paper (see --preset).' },
    { name: 'preset', choices: Object.keys(EXPORT_PRESETS), default: 'paper', help: 'For --save: paper (3.5 in wide, serif 8 pt), paper-wide (7 in) or screen (as shown).' },
    { name: 'width', type: 'number', min: 10, metavar: 'PX', help: 'For --save: width in CSS pixels (96 per inch).' },
    { name: 'height', type: 'number', min: 10, metavar: 'PX', help: 'For --save: height in CSS pixels (96 per inch).' },
    { name: 'scale', type: 'number', min: 0, exclusiveMin: true, max: 20, help: 'For --save as PNG: pixels per CSS pixel (paper default 3.125 = 300 dpi).' },
  ],
  examples: ['%plot sparsity net', '%plot weights net --before w0', '%plot curves history --save curves.pdf', '%plot pareto results --x sparsity --y accuracy'],
  api: "pl.plot.sparsityBars(net)  // weightHistogram, maskHeatmap, trainingCurves, accuracyVsSparsity, pareto\nawait pl.plot.save(fig, 'fig.pdf', { preset: 'paper' })  // --save",
  async run(invocation, ctx): Promise<Figure> {
    const fig = buildFigure(invocation.args, invocation.names);
    const file = invocation.args.save as string | undefined;
    if (file !== undefined) {
      const options: ExportOptions = { preset: invocation.args.preset as ExportPreset };
      for (const k of ['width', 'height', 'scale'] as const) if (invocation.args[k] !== undefined) options[k] = invocation.args[k] as number;
      const saved = await saveFigure(fig, file, options);
      const inches = `${(saved.width / 96).toFixed(2)} × ${(saved.height / 96).toFixed(2)} in`;
      ctx.print(`saved ${saved.file} (${saved.format.toUpperCase()}, ${inches}${saved.scale ? `, ${Math.round(saved.width * saved.scale)} × ${Math.round(saved.height * saved.scale)} px` : ''})`);
    } else {
      const given = (['width', 'height', 'scale'] as const).filter((k) => invocation.args[k] !== undefined);
      if (given.length) throw new UserError(`%plot: --${given.join(', --')} size${given.length === 1 ? 's' : ''} the saved file; add --save FILE.`);
    }
    return fig;
  },
});

/** The figure a %plot line asks for. */
function buildFigure(args: Record<string, unknown>, names: Record<string, string>): Figure {
  const kind = args.kind as keyof typeof PLOT_KINDS;
  const target = args.target;
  const title = args.title as string | undefined;
  switch (kind) {
    case 'sparsity':
      return sparsityBars(needModel(kind, target, names.target), title ? { title } : {});
    case 'weights': {
      const net = needModel(kind, target, names.target);
      const layer = args.layer as string | undefined;
      const chosen = selectWeightNames(net, layer);
      const after = weightSnapshot(net, layer);
      const series: ValueSeries[] = [];
      if (args.before !== undefined) {
        const b = args.before;
        let snap: WeightSnapshot;
        if (isWeightSnapshot(b)) snap = b;
        else if (isModel(b)) snap = weightSnapshot(modelOf(b), layer);
        else throw new UserError(`%plot weights: --before '${names.before}' is ${describe(b)}; give a pl.report.weightSnapshot(net) taken before pruning, or a model.`);
        const keys = [...snap.values.keys()];
        const use = layer ? keys.filter((n) => chosen.includes(n)) : keys;
        series.push({ name: 'before', values: flatValues(snap, use.length ? use : keys) });
      }
      series.push({ name: args.before !== undefined ? 'after' : names.target, values: flatValues(after) });
      return weightHistogram(series, { bins: args.bins as number, title: title ?? `Weights of ${names.target}${layer ? ` (${layer})` : ''}` });
    }
    case 'mask': {
      const net = needModel(kind, target, names.target);
      const layer = args.layer as string | undefined;
      const masked = MaskedModel.existing(net);
      const candidates = selectWeightNames(net, layer);
      const name = candidates.find((n) => masked?.mask(n)) ?? candidates[0];
      return maskHeatmap(maskValues(net, name), { title: title ?? `Mask of ${name}` });
    }
    case 'curves':
      return trainingCurves(target as never, title ? { title } : {});
    case 'accuracy':
    case 'pareto': {
      const opts = { x: args.x as string | undefined, y: args.y as string | undefined, group: args.group as string | undefined, title, minimizeX: args['minimize-x'] as boolean };
      return kind === 'accuracy' ? accuracyVsSparsity(target, opts) : pareto(target, opts);
    }
  }
}
