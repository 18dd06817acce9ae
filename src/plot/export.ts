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

export {
  EXPORT_FORMATS,
  type ExportFormat,
  PX_PER_INCH,
  type ExportPreset,
  type PresetSpec,
  PAPER_FONT,
  EXPORT_PRESETS,
  type ExportOptions,
  type SavedFigure,
  exportFigure,
  wrapText,
  formatOf,
} from './export-layout';
import { EXPORT_FORMATS, exportFigure, formatOf, resolveOptions, type ExportFormat, type ExportOptions, type SavedFigure } from './export-layout';

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
