/**
 * Short rich displays of prunelab's big objects: a model (`tf.LayersModel`), a `MaskedModel`,
 * a `Dataset` and one split of it (`Examples`). Without them a cell ending in `net` prints the
 * whole object graph (tens of kilobytes); with them it shows a summary table like Keras'
 * `model.summary()`, plus non-zeros and sparsity when the model has masks.
 *
 * The formatters are registered in the display registry (`registerFormatter`) when this module
 * is loaded (the kernel loads it through `pl`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Examples } from '../data/types';
import { sizeOf } from '../models/shapes';
import { MaskedModel, sparsitySummary, type PruneRecord } from '../prune';
import { escapeHtml, registerFormatter, type MimeBundle } from './display';
import { formatPercent, formatRatio, tableHtml, tableText, type TableData } from './table';

/** One layer of a {@link ModelSummary}. */
export interface LayerSummary {
  /** Layer name. */
  name: string;
  /** Layer class, e.g. `Dense`. */
  type: string;
  /** Output shape as text, e.g. `[null, 300]` (`?` when the layer has none yet). */
  outputShape: string;
  /** Parameters of the layer (all its weights). */
  params: number;
  /** Parameters left: masked weights count their mask's ones, the others count fully. */
  nonzeros: number;
}

/** What a model's display shows: its layers, parameter counts and, when pruned, what is left. */
export interface ModelSummary {
  /** Model name. */
  name: string;
  /** Model class, e.g. `Sequential`. */
  className: string;
  /** One entry per layer, in order. */
  layers: LayerSummary[];
  /** All parameters. */
  params: number;
  /** Trainable parameters. */
  trainable: number;
  /** Parameters left after masking (equal to `params` without masks). */
  nonzeros: number;
  /** True when the model has at least one mask. */
  masked: boolean;
  /** The pruning operations applied so far (oldest first; empty without a MaskedModel). */
  pruning: PruneRecord[];
}

/** True for a tf.LayersModel (the class, or a look-alike from another copy of tfjs). */
export function isLayersModel(v: unknown): v is tf.LayersModel {
  if (v instanceof tf.LayersModel) return true;
  const m = v as Partial<tf.LayersModel> | null;
  return !!m && typeof m === 'object' && Array.isArray(m.layers) && typeof m.countParams === 'function' && typeof m.predict === 'function' && typeof m.getClassName === 'function';
}

function shapeText(layer: tf.layers.Layer): string {
  try {
    const s = layer.outputShape as (number | null)[] | (number | null)[][];
    const one = (x: (number | null)[]) => `[${x.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
    return Array.isArray(s[0]) ? (s as (number | null)[][]).map(one).join(', ') : one(s as (number | null)[]);
  } catch {
    return '?'; // a layer that was never called has no output shape
  }
}

/**
 * The summary of a model or its MaskedModel. Reading it creates no MaskedModel and leaves no
 * tensors behind.
 */
export function modelSummary(model: tf.LayersModel | MaskedModel): ModelSummary {
  const net = model instanceof MaskedModel ? model.model : model;
  const masked = model instanceof MaskedModel ? model : MaskedModel.existing(net);
  const hasMasks = !!masked && masked.currentMasks().size > 0;
  const prunedByLayer = new Map<string, number>();
  if (hasMasks) {
    for (const r of sparsitySummary(masked!).rows) prunedByLayer.set(r.layer, (prunedByLayer.get(r.layer) ?? 0) + r.params - r.nonzeros);
  }
  const layers = net.layers.map((l) => {
    const params = l.countParams();
    return { name: l.name, type: l.getClassName(), outputShape: shapeText(l), params, nonzeros: params - (prunedByLayer.get(l.name) ?? 0) };
  });
  // weight shapes are concrete (no null batch dimension)
  const params = net.weights.reduce((a, w) => a + sizeOf(w.shape as number[]), 0);
  const trainable = net.trainableWeights.reduce((a, w) => a + sizeOf(w.shape as number[]), 0);
  const pruned = [...prunedByLayer.values()].reduce((a, b) => a + b, 0);
  return { name: net.name, className: net.getClassName(), layers, params, trainable, nonzeros: params - pruned, masked: hasMasks, pruning: masked ? [...masked.history] : [] };
}

const int = (n: number) => n.toLocaleString('en-US');

function pruningText(r: PruneRecord): string {
  const details = Object.entries(r.details)
    .filter(([, v]) => v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v)))
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(', ');
  const line = details ? `${r.method} (${details})` : r.method;
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** The caption lines above a model's table. */
function modelCaption(s: ModelSummary, isMasked: boolean): string[] {
  const head = `${isMasked ? 'MaskedModel of ' : 'Model '}'${s.name}' (${s.className}): ${int(s.params)} parameters (${int(s.trainable)} trainable)`;
  const lines = [head];
  if (s.masked) {
    lines.push(`masks keep ${int(s.nonzeros)} of ${int(s.params)}: ${formatPercent(1 - s.nonzeros / s.params)} sparse, ${formatRatio(s.params / s.nonzeros)} fewer parameters`);
  } else if (isMasked) {
    lines.push('no masks yet');
  }
  const shown = s.pruning.slice(-3);
  if (shown.length) lines.push(`pruning: ${s.pruning.length > shown.length ? `... ${s.pruning.length - shown.length} earlier, ` : ''}${shown.map(pruningText).join('; ')}`);
  return lines;
}

/** The summary as a table: one row per layer and a total. */
export function modelSummaryTable(s: ModelSummary): TableData {
  const columns = s.masked ? ['Output shape', 'Params', 'Non-zeros', 'Sparsity'] : ['Output shape', 'Params'];
  const cells = (params: number, nonzeros: number) =>
    s.masked ? [int(params), params ? int(nonzeros) : '', params ? formatPercent(1 - nonzeros / params) : ''] : [int(params)];
  return {
    indexName: 'Layer (type)',
    columns,
    leftAligned: ['Output shape'],
    index: [...s.layers.map((l) => `${l.name} (${l.type})`), 'Total'],
    rows: [...s.layers.map((l) => [l.outputShape, ...cells(l.params, l.nonzeros)]), ['', ...cells(s.params, s.nonzeros)]],
  };
}

/** A caption (one paragraph per line) above a table, as text and HTML. */
function bundleOf(caption: string[], table: TableData): MimeBundle {
  return {
    'text/plain': [...caption, tableText(table)].join('\n'),
    'text/html': `<div class="prunelab-summary">${caption.map((l) => `<p style="margin:0.2em 0">${escapeHtml(l)}</p>`).join('')}${tableHtml(table)}</div>`,
  };
}

/** The MIME bundle of a model or MaskedModel: caption + summary table, as text and HTML. */
export function modelBundle(model: tf.LayersModel | MaskedModel): MimeBundle {
  const s = modelSummary(model);
  const caption = modelCaption(s, model instanceof MaskedModel);
  return bundleOf(caption, modelSummaryTable(s));
}

/** Count, value range (NaN-aware) and per-class counts of one split. */
function splitStats(e: Examples): { min: number; max: number; nan: number; perClass: number[] } {
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  for (let i = 0; i < e.x.length; i++) {
    const v = e.x[i];
    if (v !== v) nan++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const perClass = new Array<number>(e.numClasses).fill(0);
  for (let i = 0; i < e.y.length; i++) if (e.y[i] >= 0 && e.y[i] < e.numClasses) perClass[e.y[i]]++;
  return { min, max, nan, perClass };
}

const num = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v));

function splitsTable(splits: [string, Examples][]): TableData {
  return {
    indexName: 'split',
    columns: ['examples', 'feature shape', 'values', 'per class'],
    leftAligned: ['feature shape', 'values'],
    index: splits.map(([n]) => n),
    rows: splits.map(([, e]) => {
      const st = splitStats(e);
      const range = e.x.length === st.nan ? 'all NaN' : `[${num(st.min)}, ${num(st.max)}]${st.nan ? `, ${int(st.nan)} NaN` : ''}`;
      const lo = Math.min(...st.perClass);
      const hi = Math.max(...st.perClass);
      return [int(e.count), `[${e.featureShape.join(', ')}]`, range, e.numClasses ? (lo === hi ? int(lo) : `${int(lo)}–${int(hi)}`) : ''];
    }),
  };
}

/** True for one split of a dataset (`Examples`: features, labels, count, shape, classes). */
export function isExamples(v: unknown): v is Examples {
  const e = v as Examples | null;
  return !!e && typeof e === 'object' && e.x instanceof Float32Array && e.y instanceof Int32Array && typeof e.count === 'number' && Array.isArray(e.featureShape);
}

/** True for a Dataset (a name and `train`/`test` splits). */
export function isDatasetValue(v: unknown): v is Dataset {
  const d = v as Dataset | null;
  return !!d && typeof d === 'object' && typeof d.name === 'string' && isExamples(d.train) && isExamples(d.test);
}

function classList(names: readonly string[]): string {
  return names.length > 12 ? `${names.slice(0, 12).join(', ')}, ... (${names.length})` : names.join(', ');
}


/** The MIME bundle of a Dataset: name, classes, source, then one row per split. */
export function datasetBundle(d: Dataset): MimeBundle {
  const splits: [string, Examples][] = [['train', d.train], ...(d.validation ? [['validation', d.validation] as [string, Examples]] : []), ['test', d.test]];
  const norm = d.normalization ? `, normalized: ${d.normalization.mode} (${d.normalization.scope})` : '';
  const caption = [
    `Dataset '${d.name}': ${d.train.numClasses} classes, features [${d.train.featureShape.join(', ')}]${norm}`,
    `source: ${d.source}`,
    `classes: ${classList(d.classNames)}`,
  ];
  return bundleOf(caption, splitsTable(splits));
}

/** The MIME bundle of one split. */
export function examplesBundle(e: Examples): MimeBundle {
  return bundleOf([`Examples: ${int(e.count)} × [${e.featureShape.join(', ')}], ${e.numClasses} classes`], splitsTable([['examples', e]]));
}

registerFormatter({ name: 'examples', test: isExamples, format: (v) => examplesBundle(v as Examples) });
registerFormatter({ name: 'dataset', test: isDatasetValue, format: (v) => datasetBundle(v as Dataset) });
registerFormatter({ name: 'model', test: (v) => v instanceof MaskedModel || isLayersModel(v), format: (v) => modelBundle(v as tf.LayersModel | MaskedModel) });
