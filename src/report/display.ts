/**
 * Rich display: turns values into Jupyter MIME bundles and sends them to a sink (the kernel
 * installs one; elsewhere the plain-text form is printed).
 *
 * Any object can take part by defining a method under {@link DISPLAY_SYMBOL} (the same
 * `Symbol.for('Jupyter.display')` convention Deno's kernel uses) that returns a MIME bundle,
 * or by registering a formatter with {@link registerFormatter}: the display registry, a list
 * of (test, format) pairs for kinds of values that cannot carry a method themselves. prunelab
 * registers plotly figures (`plot/figure.ts`), danfojs tables (`report/table.ts`) and models,
 * masked models and datasets (`report/summaries.ts`) there; a new kind of result (e.g. a sweep)
 * plugs in the same way:
 *
 * ```ts
 * registerFormatter({ name: 'sweep', test: (v) => v instanceof Sweep, format: (v) => tableBundle(...) });
 * ```
 */
import { inspectValue } from './inspect';
import { processTag } from '../env';
import { UserError } from '../errors';

/** `Symbol.for('Jupyter.display')`: `obj[DISPLAY_SYMBOL]()` returns the object's MIME bundle. */
export const DISPLAY_SYMBOL: unique symbol = Symbol.for('Jupyter.display') as never;

/**
 * A MIME bundle: MIME type to data. Text types hold strings; JSON types (`application/json`,
 * `application/vnd.plotly.v1+json`, ...) hold JSON-serialisable values.
 */
export type MimeBundle = Record<string, unknown>;

/** A formatter for one kind of value. */
export interface Formatter {
  /** Name, for `listFormatters` and replacement. */
  name: string;
  /** True when this formatter handles the value. */
  test(value: unknown): boolean;
  /** The bundle; should include `text/plain`. */
  format(value: unknown): MimeBundle;
}

/** Where display output goes (the kernel's iopub channel, or the console). */
export interface DisplaySink {
  /**
   * Shows a bundle.
   * @param displayId set for outputs that may be replaced later.
   * @param update true to replace the output that has this `displayId`.
   */
  show(bundle: MimeBundle, displayId: string | undefined, update: boolean): void;
}

/**
 * Marks values that are not a cell result of their own (display handles): a cell ending in
 * `pl.display(x)` shows `x` once, not also the handle.
 */
export const NO_RESULT: unique symbol = Symbol.for('prunelab.noResult') as never;

/** True for values marked with {@link NO_RESULT}. */
export function isNoResult(v: unknown): boolean {
  return !!v && typeof v === 'object' && (v as Record<symbol, unknown>)[NO_RESULT] === true;
}

/** A shown output that can be replaced in place (`update_display_data`). */
export interface DisplayHandle {
  /** The display id. */
  readonly id: string;
  /** Replaces the output with the display of `value`. */
  update(value: unknown): void;
}

const formatters: Formatter[] = [];

/**
 * Adds a formatter, tried before the ones registered earlier (a later registration for the same
 * kind of value wins). A formatter with the same name is replaced.
 */
export function registerFormatter(formatter: Formatter): void {
  const i = formatters.findIndex((f) => f.name === formatter.name);
  if (i >= 0) formatters.splice(i, 1);
  formatters.unshift(formatter);
}

/** @returns the names of the registered formatters, in the order they are tried. */
export function listFormatters(): string[] {
  return formatters.map((f) => f.name);
}

/** The plain-text form of any value, as Node's REPL shows it (strings quoted, like IPython's repr). */
export function plainText(value: unknown): string {
  return inspectValue(value, { depth: 4, maxArrayLength: 50, breakLength: 100 });
}

/** A bundle's values as they go on the wire: JSON types as objects, text types as strings. */
function normalise(bundle: MimeBundle): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, data] of Object.entries(bundle)) {
    if (data === undefined) continue;
    const isJson = mime === 'application/json' || mime.endsWith('+json');
    out[mime] = isJson || typeof data === 'string' ? data : String(data);
  }
  if (!('text/plain' in out)) out['text/plain'] = '';
  return out;
}

/**
 * The MIME bundle of a value: its own `[DISPLAY_SYMBOL]()` method first, then the registered
 * formatters (plotly figures, DataFrames, tensors, ...), then plain text.
 */
export function mimeBundle(value: unknown): MimeBundle {
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    const own = (value as Record<symbol, unknown>)[DISPLAY_SYMBOL];
    if (typeof own === 'function') {
      const bundle = own.call(value) as MimeBundle;
      if (!bundle || typeof bundle !== 'object') {
        throw new UserError('A [Symbol.for("Jupyter.display")]() method must return an object of MIME type → data.');
      }
      return normalise(bundle);
    }
  }
  for (const f of formatters) {
    if (!f.test(value)) continue;
    try {
      return normalise(f.format(value));
    } catch (e) {
      // A display must not turn a cell that worked into an error (e.g. a model whose tensors were
      // disposed); say what failed, with a one-level view of the value instead of a deep dump.
      return { 'text/plain': `${inspectValue(value, { depth: 0, breakLength: 100 })}\n(display formatter '${f.name}' failed: ${(e as Error)?.message ?? String(e)})` };
    }
  }
  return { 'text/plain': plainText(value) };
}

const consoleSink: DisplaySink = {
  show(bundle, _id, update) {
    if (!update) console.log(bundle['text/plain']);
  },
};

let sink: DisplaySink = consoleSink;

/**
 * Sets where displays go. The kernel sets its iopub sink per cell.
 * @param next the sink, or null for the console.
 * @returns the previous sink.
 */
export function setDisplaySink(next: DisplaySink | null): DisplaySink {
  const prev = sink;
  sink = next ?? consoleSink;
  return prev;
}

let counter = 0;

/** A new, process-unique display id. */
export function newDisplayId(): string {
  counter += 1;
  return `prunelab-${processTag()}-${Date.now().toString(36)}-${counter}`;
}

/**
 * Shows a value as rich output (in a notebook: a `display_data` message).
 *
 * @param value anything; see {@link mimeBundle}.
 * @returns a handle whose `update` replaces this output in place.
 */
export function display(value: unknown): DisplayHandle {
  const id = newDisplayId();
  // The sink is captured now, so updates from a callback that outlives the cell still go to
  // the cell that created the output.
  const target = sink;
  target.show(mimeBundle(value), id, false);
  return {
    id,
    update(next: unknown) {
      target.show(mimeBundle(next), id, true);
    },
    [NO_RESULT]: true,
  } as DisplayHandle;
}

/** A value that displays as the given bundle (e.g. `display(rawBundle({'text/html': '<b>hi</b>'}))`). */
export function rawBundle(bundle: MimeBundle): { [DISPLAY_SYMBOL](): MimeBundle } {
  return { [DISPLAY_SYMBOL]: () => bundle };
}

/** A value that displays as HTML (with the given plain-text fallback). */
export function html(markup: string, text = ''): { [DISPLAY_SYMBOL](): MimeBundle } {
  return rawBundle({ 'text/html': markup, 'text/plain': text });
}

/** Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
