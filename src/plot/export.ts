/**
 * Figure export for papers and static pages: a plotly figure to PDF, SVG or PNG, drawn by
 * plotly.js (from the installed `plotly.js-dist-min`, no CDN) in headless Chromium (the Debian
 * `chromium` package, driven by `playwright-core`).
 *
 * One browser serves every export of the process; it is closed after a few idle seconds (so
 * that a script that exported figures can exit) and when the process exits.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { figureHtml, isFigure, plotlyScriptPath, type Figure, type StaticImage } from './figure';
import { palettePng } from './png';
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

function resolveOptions(fig: Figure, options: ExportOptions): { spec: PresetSpec; width: number; height: number; scale: number } {
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

/** Path of the Chromium executable: `PRUNELAB_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.PRUNELAB_CHROMIUM || '/usr/bin/chromium';
}

/** Why figures cannot be exported on this machine (missing Chromium or playwright-core), or null. */
export function exportUnavailable(): string | null {
  const exe = chromiumPath();
  if (!fs.existsSync(exe)) {
    return `Figure export needs Chromium, which is not at ${exe}: install the Debian package 'chromium' (sudo apt-get install chromium), or set PRUNELAB_CHROMIUM to the path of a Chromium executable.`;
  }
  try {
    require.resolve('playwright-core');
  } catch {
    return "Figure export needs the npm package 'playwright-core' to drive Chromium (npm install playwright-core).";
  }
  return null;
}

/** How long the browser stays open after the last export (so that a loop of exports reuses it). */
export const BROWSER_IDLE_MS = 3000;

let browserPromise: Promise<Browser> | null = null;
let pagePromise: Promise<Page> | null = null;
let idleTimer: NodeJS.Timeout | null = null;
// Exports run one at a time on the shared page.
let queue: Promise<unknown> = Promise.resolve();
let pending = 0;
let launches = 0;

async function launch(): Promise<Browser> {
  const why = exportUnavailable();
  if (why) throw new UserError(why);
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  launches++;
  // The kernel handles SIGINT itself (interrupts) and must die on SIGTERM as before: playwright
  // must not install its own handlers for them. Its 'exit' handler still kills the browser.
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

async function openPage(): Promise<Page> {
  browserPromise ??= launch();
  let browser: Browser;
  try {
    browser = await browserPromise;
  } catch (e) {
    browserPromise = null;
    throw e;
  }
  const context = await browser.newContext();
  // Nothing leaves the machine: plotly.js comes from node_modules, the figure from here.
  await context.route(/^(https?|wss?|ftp):/, (route) => route.abort());
  const page = await context.newPage();
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0;background:white"><div id="fig"></div></body></html>');
  await page.addScriptTag({ path: plotlyScriptPath() });
  return page;
}

async function sharedPage(): Promise<Page> {
  pagePromise ??= openPage().catch((e) => {
    pagePromise = null;
    throw e;
  });
  return pagePromise;
}

/** Closes the export browser now (it is also closed after {@link BROWSER_IDLE_MS} idle and at exit). */
export async function closeExportBrowser(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const b = browserPromise;
  browserPromise = null;
  pagePromise = null;
  if (b) await b.then((x) => x.close()).catch(() => undefined);
}

/** How many times this process started the export browser (for tests of its reuse). */
export function exportBrowserLaunches(): number {
  return launches;
}

/** True while the export browser is open (for tests). */
export function exportBrowserOpen(): boolean {
  return browserPromise !== null;
}

function scheduleIdleClose(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = null;
    if (pending === 0) void closeExportBrowser();
  }, BROWSER_IDLE_MS);
  idleTimer.unref();
}

/** Runs `fn` on the shared page, one export at a time. */
function onPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  pending++;
  if (idleTimer) clearTimeout(idleTimer);
  const run = queue.then(async () => fn(await sharedPage()));
  queue = run.catch(() => undefined);
  return run.finally(() => {
    pending--;
    if (pending === 0) scheduleIdleClose();
  });
}

/** Draws the figure with plotly.js in the page and returns `Plotly.toImage`'s data URL. */
async function toImage(page: Page, fig: Figure, format: 'svg' | 'png', width: number, height: number, scale: number): Promise<string> {
  return page.evaluate(
    async ({ fig, format, width, height, scale }) => {
      const P = (window as unknown as { Plotly: { newPlot: Function; toImage: Function; purge: Function } }).Plotly;
      const el = document.getElementById('fig')!;
      try {
        await P.newPlot(el, fig.data, fig.layout, fig.config);
        return (await P.toImage(el, { format, width, height, scale })) as string;
      } finally {
        P.purge(el);
      }
    },
    { fig: JSON.parse(JSON.stringify(fig)) as Figure, format, width, height, scale },
  );
}

function decodeDataUrl(url: string): Buffer {
  const comma = url.indexOf(',');
  const head = url.slice(0, comma);
  const body = url.slice(comma + 1);
  return head.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
}

/**
 * Renders a figure as a PDF, SVG or PNG file's bytes.
 *
 * @param fig a plotly figure (what `pl.plot.*` returns).
 * @param format `pdf` (vector, one page of the figure's size), `svg` (vector) or `png`.
 * @param options preset (default `paper`), size, scale, fonts; see {@link ExportOptions}.
 */
export async function renderFigure(fig: Figure, format: ExportFormat, options: ExportOptions = {}): Promise<Buffer> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new OptionError(`Figure export: unknown format '${format}'. Formats: ${EXPORT_FORMATS.join(', ')}.`, 'format');
  const out = exportFigure(fig, options);
  const { width, height, scale } = resolveOptions(fig, options);
  return onPage(async (page) => {
    if (format === 'png') return decodeDataUrl(await toImage(page, out, 'png', width, height, scale));
    const svg = decodeDataUrl(await toImage(page, out, 'svg', width, height, 1)).toString('utf8');
    if (format === 'svg') return Buffer.from(svg, 'utf8');
    // PDF: the SVG printed on a page of exactly its size, so that the PDF stays vector.
    const print = await page.context().newPage();
    try {
      await print.setContent(
        `<!doctype html><html><head><meta charset="utf-8"><style>@page{size:${width}px ${height}px;margin:0}` +
          `html,body{margin:0;padding:0;width:${width}px;height:${height}px;overflow:hidden;background:white}svg{display:block}</style></head>` +
          `<body>${svg.replace(/^<\?xml[^>]*>/, '')}</body></html>`,
      );
      return await print.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: '1', margin: { top: '0', right: '0', bottom: '0', left: '0' } });
    } finally {
      await print.close();
    }
  });
}

/**
 * Saves a figure as a PDF, SVG or PNG file (the format comes from the extension), sized and
 * styled for a paper by default: `await pl.plot.save(fig, 'fig.pdf')`. The file is written
 * atomically (a temporary file renamed into place), so a failed export leaves no partial file.
 *
 * @param fig a plotly figure (what `pl.plot.*` returns).
 * @param file `*.pdf`, `*.svg` or `*.png`; its directory must exist.
 * @param options preset (`paper` by default, `paper-wide`, `screen`), width/height in CSS px, PNG scale, fonts, title.
 * @returns what was written.
 * @throws for an unknown extension, a missing directory, a non-figure, or when Chromium is missing.
 */
export async function saveFigure(fig: Figure, file: string, options: ExportOptions = {}): Promise<SavedFigure> {
  if (typeof file !== 'string' || !file) throw new UserError('Figure export: give the file to write, e.g. pl.plot.save(fig, "fig.pdf").');
  const format = formatOf(file);
  const target = path.resolve(file);
  const dir = path.dirname(target);
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new UserError(`Figure export: cannot write '${file}': the directory ${dir} does not exist (create it first).`);
  const { width, height, scale } = resolveOptions(fig, options);
  exportFigure(fig, options); // validates the figure before Chromium starts
  const bytes = await renderFigure(fig, format, options);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new UserError(`Figure export: cannot write '${file}': ${(e as Error).message}`);
  }
  return { file: target, format, width, height, ...(format === 'png' ? { scale } : {}), bytes: bytes.length };
}

/** Short name of {@link saveFigure}: `pl.plot.save(fig, 'fig.pdf', options?)`. */
export const save = saveFigure;

/** The RGBA pixels of a figure rendered as a PNG would be (for re-encoding). */
async function renderPixels(fig: Figure, options: ExportOptions): Promise<{ rgba: Buffer; width: number; height: number }> {
  const out = exportFigure(fig, options);
  const { width, height, scale } = resolveOptions(fig, options);
  return onPage(async (page) => {
    const url = await toImage(page, out, 'png', width, height, scale);
    const r = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let bin = '';
      for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
      return { base64: btoa(bin), width: canvas.width, height: canvas.height };
    }, url);
    return { rgba: Buffer.from(r.base64, 'base64'), width: r.width, height: r.height };
  });
}

/** Options of {@link staticFigureImage}: the screen preset at 1 PNG pixel per CSS pixel by default. */
export type StaticImageOptions = Omit<ExportOptions, 'title'>;

/**
 * A static PNG of a figure as the notebook shows it (its own size and fonts), for outputs that
 * must render where plotly.js cannot run: committed notebooks on GitHub, nbconvert to HTML/PDF.
 *
 * @returns the PNG (base64) with its CSS size, and the figure's HTML output showing that image
 *   until plotly.js draws the interactive figure in its place.
 */
export async function staticFigureImage(fig: Figure, options: StaticImageOptions = {}): Promise<StaticImage & { html: string }> {
  const opts: ExportOptions = { preset: 'screen', scale: 1, ...options };
  const { width, height } = resolveOptions(fig, opts);
  // An 8-bit palette PNG: a third of the browser's RGBA PNG, and these images are committed.
  const pixels = await renderPixels(fig, opts);
  const { png } = palettePng(pixels.rgba, pixels.width, pixels.height);
  const image = { pngBase64: png.toString('base64'), width, height };
  return { ...image, html: figureHtml(fig, image) };
}
