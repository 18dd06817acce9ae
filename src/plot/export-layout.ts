/**
 * Figure layout for export (presets for papers and screens, title wrapping, formats): pure
 * functions shared by the Node edition's file export (`./export`) and the browser edition.
 */
import * as path from 'path';
import { isFigure, type Figure } from './figure';
import { OptionError, UserError } from '../errors';

/** The file formats {@link saveFigure} writes, by extension. */
export const EXPORT_FORMATS = ['pdf', 'svg', 'png'] as const;

/** A file format of {@link saveFigure}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** CSS pixels per inch: plotly sizes are CSS pixels; a PDF page of W px is W/96 inches. */
export const PX_PER_INCH = 96;

/** Size and style presets; see {@link EXPORT_PRESETS}. */
export type ExportPreset = 'paper' | 'paper-wide' | 'screen';

/** What a preset sets (sizes in CSS pixels, fonts in CSS pixels too). */
export interface PresetSpec {
  /** Figure width; undefined: the figure's own `layout.width`, else 720. */
  width?: number;
  /** Figure height; undefined: the figure's own `layout.height`, else 420. */
  height?: number;
  /** PNG pixels per CSS pixel. */
  scale: number;
  /** Font family; undefined keeps the figure's. */
  fontFamily?: string;
  /** Base font size (tick labels, legend); undefined keeps the figure's. */
  fontSize?: number;
  /** Title font size; undefined keeps the figure's. */
  titleSize?: number;
  /** Tight margins with axes pushing them out as far as their labels need (for small figures). */
  tight: boolean;
}

const pt = (points: number) => (points * PX_PER_INCH) / 72;

/** Serif fonts, in order of preference, ending with what every Debian machine has. */
export const PAPER_FONT = '"Times New Roman", Times, "Nimbus Roman", "Liberation Serif", "DejaVu Serif", serif';

/**
 * The presets:
 * - `paper`: one column of a two-column paper, 3.5 × 2.5 in, serif 8 pt (title 9 pt), PNG at 300 dpi;
 * - `paper-wide`: the full text width, 7 × 3 in, same fonts;
 * - `screen`: the figure as the notebook shows it (its own size and fonts), PNG at 2× for sharp screens.
 */
export const EXPORT_PRESETS: Readonly<Record<ExportPreset, PresetSpec>> = {
  paper: { width: 3.5 * PX_PER_INCH, height: 2.5 * PX_PER_INCH, scale: 300 / PX_PER_INCH, fontFamily: PAPER_FONT, fontSize: pt(8), titleSize: pt(9), tight: true },
  'paper-wide': { width: 7 * PX_PER_INCH, height: 3 * PX_PER_INCH, scale: 300 / PX_PER_INCH, fontFamily: PAPER_FONT, fontSize: pt(8), titleSize: pt(9), tight: true },
  screen: { scale: 2, tight: false },
};

/** Options of {@link saveFigure} and {@link renderFigure}. */
export interface ExportOptions {
  /** Size and font preset (default `paper`). The other options override it. */
  preset?: ExportPreset;
  /** Width in CSS pixels (96 per inch): a PDF page is `width / 96` inches wide, an SVG `width` wide. */
  width?: number;
  /** Height in CSS pixels. */
  height?: number;
  /** PNG pixels per CSS pixel: the PNG is `round(width × scale)` × `round(height × scale)` pixels. */
  scale?: number;
  /** Font family (CSS), e.g. `Helvetica, Arial, sans-serif`. */
  fontFamily?: string;
  /** Base font size in CSS pixels (1 pt = 4/3 px). */
  fontSize?: number;
  /** Keep the figure's title (default true; a paper's caption often replaces it). */
  title?: boolean;
}

/** What {@link saveFigure} wrote. */
export interface SavedFigure {
  /** Absolute path of the file. */
  file: string;
  /** Its format. */
  format: ExportFormat;
  /** Figure width and height in CSS pixels. */
  width: number;
  height: number;
  /** PNG pixels per CSS pixel (PNG only). */
  scale?: number;
  /** File size in bytes. */
  bytes: number;
}

function checkSize(name: string, v: number | undefined, max: number): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v < 10 || v > max) throw new OptionError(`Figure export: ${name} must be a number of CSS pixels between 10 and ${max} (96 per inch); got ${v}.`, name);
}

export function resolveOptions(fig: Figure, options: ExportOptions): { spec: PresetSpec; width: number; height: number; scale: number } {
  const known = ['preset', 'width', 'height', 'scale', 'fontFamily', 'fontSize', 'title'];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length) throw new OptionError(`Figure export: unknown option(s) ${unknown.join(', ')}. Known options: ${known.join(', ')}.`);
  const presetName = options.preset ?? 'paper';
  const spec = EXPORT_PRESETS[presetName];
  if (!spec) throw new OptionError(`Figure export: unknown preset '${presetName}'. Presets: ${Object.keys(EXPORT_PRESETS).join(', ')}.`, 'preset');
  checkSize('width', options.width, 20_000);
  checkSize('height', options.height, 20_000);
  if (options.scale !== undefined && !(Number.isFinite(options.scale) && options.scale > 0 && options.scale <= 20)) {
    throw new OptionError(`Figure export: scale must be a number in (0, 20]; got ${options.scale}.`, 'scale');
  }
  if (options.fontSize !== undefined && !(Number.isFinite(options.fontSize) && options.fontSize > 0)) {
    throw new OptionError(`Figure export: fontSize must be a positive number of CSS pixels; got ${options.fontSize}.`, 'fontSize');
  }
  const own = (k: 'width' | 'height') => (typeof fig.layout?.[k] === 'number' ? (fig.layout[k] as number) : undefined);
  const width = Math.round(options.width ?? spec.width ?? own('width') ?? 720);
  const height = Math.round(options.height ?? spec.height ?? own('height') ?? 420);
  return { spec, width, height, scale: options.scale ?? spec.scale };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** A copy of `base` with `over` merged in, objects recursively (arrays and values replaced). */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * The figure as it is exported: same traces, layout sized and styled by the preset and options
 * (fonts, tight margins with axes that push them out, white background). The input is not changed.
 */
export function exportFigure(fig: Figure, options: ExportOptions = {}): Figure & { layout: Record<string, unknown> } {
  if (!isFigure(fig)) throw new UserError('Figure export: expected a plotly figure ({data: [...traces], layout?}), e.g. what pl.plot.sparsityBars(net) returns.');
  const { spec, width, height } = resolveOptions(fig, options);
  let layout: Record<string, unknown> = merge(fig.layout ?? {}, { width, height, autosize: false, paper_bgcolor: 'white', plot_bgcolor: 'white' });
  const keepTitle = options.title ?? true;
  if (!keepTitle) delete layout.title;
  const family = options.fontFamily ?? spec.fontFamily;
  const size = options.fontSize ?? spec.fontSize;
  const font: Record<string, unknown> = {};
  if (family) font.family = family;
  if (size) font.size = size;
  if (spec.tight) font.color = 'black';
  if (Object.keys(font).length) layout = merge(layout, { font });
  const titleSize = options.fontSize !== undefined ? options.fontSize * 1.125 : spec.titleSize;
  if (layout.title && titleSize) layout = merge(layout, { title: typeof layout.title === 'string' ? { text: layout.title, font: { size: titleSize } } : { font: { size: titleSize } } });
  let data = fig.data;
  // Plotly does not wrap titles, and a notebook title is often wider than the exported figure.
  let wrappedTitle = false;
  if (layout.title) {
    const t = layout.title as Record<string, unknown>;
    const own = (t.font as { size?: number } | undefined)?.size ?? ((layout.font as { size?: number } | undefined)?.size ?? 12) * 1.4;
    const text = String(t.text ?? '');
    const wrapped = wrapText(text, width - 12, titleSize ?? own);
    wrappedTitle = wrapped !== text;
    layout = merge(layout, { title: { text: wrapped } });
  }
  if (spec.tight) {
    const hasTitle = !!layout.title;
    const base = size ?? 12;
    layout = merge(layout, {
      margin: { l: 6, r: 6, b: 6, t: 6, pad: 0 },
      legend: { font: { size: Math.max(6, base - 1) }, itemwidth: 30, tracegroupgap: 2 },
    });
    // Above the plot area, pushing the top margin as far as its lines need (title.automargin).
    if (hasTitle) layout = merge(layout, { title: { x: 0.5, xanchor: 'center', xref: 'paper', y: 1, yref: 'paper', yanchor: 'bottom', pad: { b: Math.round(0.5 * base) }, automargin: true } });
    // A legend placed below the plot at a fraction of its height lands on the x-axis title in
    // a smaller figure: put it at the bottom of the figure instead (the margin grows to fit it).
    const legend = layout.legend as Record<string, unknown> | undefined;
    if (legend && typeof legend.y === 'number' && legend.y < 0 && (legend.yref ?? 'paper') === 'paper') {
      layout = merge(layout, { legend: { yref: 'container', y: 0, yanchor: 'bottom' } });
    }
    // Colour bars: thinner, with text at the figure's size (plotly's default title is larger).
    data = data.map((t) => (isPlainObject(t.colorbar) || t.type === 'heatmap' ? { ...t, colorbar: merge(isPlainObject(t.colorbar) ? t.colorbar : {}, { thickness: 10, title: { font: { size: base } } }) } : t));
  }
  if (!spec.tight && wrappedTitle) {
    // Lines above the first would leave the top margin: it grows to fit them.
    layout = merge(layout, { title: { y: 1, yref: 'paper', yanchor: 'bottom', pad: { b: 10 }, automargin: true } });
  }
  // Every axis pushes the margins out as far as its tick labels and title need, so that nothing
  // is clipped or overlaps at any size (plotly's defaults assume the notebook's margins).
  for (const key of Object.keys(layout)) {
    if (!/^[xy]axis\d*$/.test(key) || !isPlainObject(layout[key])) continue;
    let axis = merge(layout[key] as Record<string, unknown>, { automargin: true });
    // Plotly draws axis titles larger than the tick labels; on a paper figure they match the text.
    if (spec.tight && axis.title) axis = merge(axis, { title: typeof axis.title === 'string' ? { text: axis.title, font: { size: size ?? 12 } } : { font: { size: size ?? 12 } } });
    layout[key] = axis;
  }
  if (!Object.keys(layout).some((k) => /^[xy]axis\d*$/.test(k)) && fig.data.some((t) => t.type !== 'pie')) {
    layout.xaxis = { automargin: true };
    layout.yaxis = { automargin: true };
  }
  return { data, layout, config: { ...(fig.config ?? {}), staticPlot: true, displayModeBar: false } };
}

/**
 * Breaks text into lines (`<br>`, plotly's line break) that fit `widthPx` at `fontPx`, at spaces,
 * estimating an average character at 0.58 em (DejaVu, the widest common fallback).
 */
export function wrapText(text: string, widthPx: number, fontPx: number): string {
  if (text.includes('<br>')) return text; // already laid out by hand
  const perLine = Math.max(8, Math.floor(widthPx / (0.58 * fontPx)));
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && (line + ' ' + w).length > perLine) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('<br>');
}

/** The format of a file name (by extension). @throws naming the supported extensions. */
export function formatOf(file: string): ExportFormat {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (!(EXPORT_FORMATS as readonly string[]).includes(ext)) {
    throw new UserError(`Figure export: cannot tell the format of '${file}'${ext ? ` (unknown extension .${ext})` : ' (no extension)'}: name the file .pdf, .svg or .png.`);
  }
  return ext as ExportFormat;
}
