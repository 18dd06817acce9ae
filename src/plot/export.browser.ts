/**
 * Figure export in the browser edition. The Node edition draws figures to PDF/SVG/PNG files in a
 * headless Chromium; in the browser the figure is already drawn by plotly.js in the page, whose
 * toolbar's camera button downloads it as PNG. The layout presets (`exportFigure`) work the same;
 * the file writers say where to go instead.
 */
import { UserError } from '../errors';
import type { Figure, StaticImage } from './figure';
import type { ExportFormat, ExportOptions, SavedFigure } from './export-layout';

export {
  EXPORT_FORMATS,
  PX_PER_INCH,
  PAPER_FONT,
  EXPORT_PRESETS,
  exportFigure,
  wrapText,
  formatOf,
  type ExportFormat,
  type ExportPreset,
  type PresetSpec,
  type ExportOptions,
  type SavedFigure,
} from './export-layout';

const WHY =
  'Saving figures to PDF/SVG/PNG files needs the Node edition (it draws them in a headless Chromium). In the browser, ' +
  "show the figure and use the camera button of its toolbar (\"Download plot as a png\"); pl.plot.exportFigure(fig, { preset: 'paper' }) gives it the paper layout first.";

/** How long the export browser stays open (Node edition only). */
export const BROWSER_IDLE_MS = 3000;

/** No Chromium path in the browser. */
export function chromiumPath(): string {
  return '';
}

/** Why figures cannot be exported to files here. */
export function exportUnavailable(): string | null {
  return WHY;
}

/** Nothing to close. */
export async function closeExportBrowser(): Promise<void> {}

/** No export browser is ever launched here. */
export function exportBrowserLaunches(): number {
  return 0;
}

/** No export browser is ever open here. */
export function exportBrowserOpen(): boolean {
  return false;
}

/** @throws UserError: file export needs the Node edition. */
export async function renderFigure(_fig: Figure, _format: ExportFormat, _options?: ExportOptions): Promise<Uint8Array> {
  throw new UserError(WHY);
}

/** @throws UserError: file export needs the Node edition. */
export async function saveFigure(_fig: Figure, _file: string, _options?: ExportOptions): Promise<SavedFigure> {
  throw new UserError(WHY);
}

export const save = saveFigure;

/** Options of {@link staticFigureImage}. */
export type StaticImageOptions = Omit<ExportOptions, 'title'>;

/** @throws UserError: static images are drawn in the Node edition's headless Chromium. */
export async function staticFigureImage(_fig: Figure, _options?: StaticImageOptions): Promise<StaticImage & { html: string }> {
  throw new UserError(WHY);
}
