// The cell side of the kernel: a module Web Worker exposed over comlink.
// A cell is TypeScript with magics, compiled by the shared cell transform
// (kernel/browser/cell-transform.ts): top-level declarations live in one scope
// object for the notebook, top-level await works, the last expression is the
// result. `pl` is prunelab's browser API (src/browser.ts) with the same magic
// registry as the Node kernel, `tf` is tfjs 4.22 and `dfd` is danfojs.
import { expose } from 'comlink';
import { CellSyntaxError, compileCell, runCompiledCell } from '../../../kernel/browser/cell-transform';
import { MagicSyntaxError, RUNTIME } from '../../../kernel/magic-transform';
import * as runtime from '../../../kernel/runtime';
import { completeMagicLine, magicInspect } from '../../../kernel/complete';
import { findMagicLines } from '../../../kernel/magic-transform';
import * as pl from '../../../src/browser';
import { DISPLAY_SYMBOL, display, html, isNoResult, mimeBundle, rawBundle, registerFormatter, setDisplaySink, type MimeBundle } from '../../../src/report/display';
import { createMagicContext, type MagicContext } from '../../../src/magics/context';
import { setAmbientSignalSource } from '../../../src/interrupt';
import { danfojs } from '../../../src/report/frames';
import { bytesToBase64 } from '../../../src/sparse/mask-bits';
import { setDatasetsBaseUrl } from '../../../src/data/shipped.browser';
import { fetchSparseWasmBinary } from '../../../src/sparse/wasm-binary.browser';
import { browserFilesStatus, listBrowserFiles, openBrowserFiles, readRegularFile, removeBrowserFile } from '../../../src/io/files.browser';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export type ExecResult =
  | { status: 'ok'; data?: MimeBundle }
  | { status: 'error'; ename: string; evalue: string; traceback: string[] };

function send(name: 'stdout' | 'stderr', text: string): void {
  postMessage({ type: 'stream', bundle: { name, text } });
}

function consoleText(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : String(mimeBundle(a)['text/plain'] ?? a))).join(' ') + '\n';
}

/** The notebook's variables: every cell's top-level declarations (see cell-transform.ts). */
const notebookScope: Record<string, unknown> = {};
// not enumerable: the runtime is no notebook variable (error suggestions, completion), yet `with` finds it
Object.defineProperty(notebookScope, RUNTIME, { value: runtime, enumerable: false });

/** Aborted by an interrupt of the running cell (the kernel posts {type: 'interrupt'}). */
let cellAbort = new AbortController();

/** What magics see of the notebook: its variables, output and interrupt signal. */
const magicContext: MagicContext = {
  ...createMagicContext({
    variables: notebookScope,
    print: (text) => send('stdout', text.endsWith('\n') ? text : text + '\n'),
    display: (value) => display(value),
  }),
  get signal() {
    return cellAbort.signal;
  },
};

let cellCount = 0;

/** `  2 | const x = (1 +;` and a caret under the column, as the Node kernel shows it. */
function sourceContext(code: string, line: number, column: number): string[] {
  const text = code.split('\n')[line];
  if (text === undefined) return [];
  const num = String(line + 1);
  return [`  ${num} | ${text}`, `  ${' '.repeat(num.length)} | ${' '.repeat(column)}^`];
}

function errorResult(code: string, e: unknown): ExecResult {
  const err = e as Error;
  let traceback = [String(err?.stack ?? e)];
  if (e instanceof CellSyntaxError) traceback = [err.message, ...sourceContext(code, e.line, e.column)];
  else if (e instanceof MagicSyntaxError) traceback = [`${err.name} in cell line ${e.line + 1}:`, ...sourceContext(code, e.line, 0), err.message];
  else if (e instanceof pl.UserError || (err && (runtime.MAGIC_ERROR_INFO as symbol) in err)) {
    // A user's mistake: the message says what to do; the bundle's stack helps nobody.
    const where = (err as unknown as Record<symbol, runtime.MagicErrorInfo>)[runtime.MAGIC_ERROR_INFO];
    traceback = [`${err.name}${where ? ` in ${where.magic} (cell line ${where.line + 1})` : ''}: ${err.message}`];
  }
  return { status: 'error', ename: err?.name ?? 'Error', evalue: err?.message ?? String(e), traceback };
}

/** Files saved in the browser's storage (saveMasks, saveModelToDir, ...), listed and downloadable. */
const files = {
  list: listBrowserFiles,
  remove: removeBrowserFile,
  status: browserFilesStatus,
  /** Shows a link that downloads a saved file. */
  download(file: string) {
    const bytes = readRegularFile(file);
    const name = file.split('/').pop() || 'file';
    return html(`<a download="${name}" href="data:application/octet-stream;base64,${bytesToBase64(bytes)}">download ${name}</a> (${bytes.length} bytes)`, `${file}: ${bytes.length} bytes`);
  },
};

/** The completion result the kernel sends back (offsets in the cell). */
export interface Completion {
  /** Start of the text the candidates replace. */
  start: number;
  /** End of that text. */
  end: number;
  /** Candidates, best first. */
  candidates: string[];
}

/**
 * Names an expression like `pl.plot.` or `net.lay` can continue with: the properties of the
 * object reached by the dotted path (notebook variables, then globals such as `pl` and `tf`),
 * read without calling anything. The Node kernel completes with TypeScript's language service;
 * here the live objects stand in for their types.
 */
function completeExpression(code: string, position: number): Completion {
  const before = code.slice(0, position);
  const m = /((?:[A-Za-z_$][\w$]*\.)*)([A-Za-z_$][\w$]*)?$/.exec(before)!;
  const path = m[1] ? m[1].slice(0, -1).split('.') : [];
  const prefix = m[2] ?? '';
  const start = position - prefix.length;
  let names: string[];
  if (path.length) {
    let obj: unknown = path[0] in notebookScope ? notebookScope[path[0]] : (self as unknown as Record<string, unknown>)[path[0]];
    for (const p of path.slice(1)) obj = obj == null ? undefined : (obj as Record<string, unknown>)[p];
    if (obj == null) return { start, end: position, candidates: [] };
    const seen = new Set<string>();
    for (let o: object | null = Object(obj); o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const k of Object.getOwnPropertyNames(o)) if (k !== 'constructor' && !k.startsWith('_')) seen.add(k);
    }
    names = [...seen];
  } else {
    names = [...Object.keys(notebookScope), 'pl', 'tf', 'dfd', 'await', 'const', 'let', 'function', 'console'];
  }
  const candidates = names.filter((n) => n.startsWith(prefix)).sort();
  return { start, end: position, candidates };
}

const api = {
  /** Starts the kernel: console to the notebook, data and kernels' URLs, storage, the best backend. */
  async initialize(): Promise<string> {
    console.log = (...a: unknown[]) => send('stdout', consoleText(a));
    console.info = console.log;
    console.error = (...a: unknown[]) => send('stderr', consoleText(a));
    console.warn = console.error;
    // the wasm binaries (tfjs's and prunelab's sparse kernels) are copied next to the worker chunk;
    // the site serves prunelab's datasets/ folder at its root
    const here = new URL('./', self.location.href);
    setWasmPaths(here.href);
    setDatasetsBaseUrl(new URL('../datasets/', here).href);
    await Promise.all([fetchSparseWasmBinary(new URL('sparse.wasm', here).href), openBrowserFiles()]);
    setDisplaySink({ show: (bundle, displayId, update) => postMessage({ type: 'display', bundle, displayId, update }) });
    setAmbientSignalSource(() => cellAbort.signal);
    runtime.setRuntimeHost({ context: () => magicContext });
    const g = self as unknown as Record<string, unknown>;
    g.tf = tf;
    g.pl = { ...pl, display, html, rawBundle, DISPLAY_SYMBOL, registerFormatter, mimeBundle, files, interruptSignal: () => cellAbort.signal };
    Object.defineProperty(g, 'dfd', { get: () => danfojs(), configurable: true });
    // the backend choice prints itself ("prunelab: using the 'webgpu' backend ...") on the first cell's output
    return pl.initBackend();
  },

  /** Aborts the running cell's signal: training loops stop at the next batch. */
  interrupt(): void {
    cellAbort.abort(new pl.InterruptedError('KeyboardInterrupt: the cell was interrupted.'));
  },

  /** Completion: magic names, options, choices and variables on magic lines; object members elsewhere. */
  complete(code: string, position: number): Completion {
    const line = findMagicLines(code).find((l) => position >= l.start && position <= l.end);
    if (line) {
      const info = completeMagicLine(code, line, position, Object.keys(notebookScope));
      return { start: info.start, end: info.end, candidates: info.candidates };
    }
    return completeExpression(code, position);
  },

  /** The help of the magic on the line at `position` (Shift+Tab), or null. */
  inspect(code: string, position: number): string | null {
    const line = findMagicLines(code).find((l) => position >= l.start && position <= l.end);
    return line ? magicInspect(line) : null;
  },

  async execute(code: string): Promise<ExecResult> {
    cellAbort = new AbortController();
    runtime.resetInline();
    try {
      const compiled = compileCell(code, { scriptName: `prunelab-cell-${++cellCount}.js` });
      const value = await runCompiledCell(compiled, notebookScope);
      if (value === undefined || isNoResult(value)) return { status: 'ok' };
      return { status: 'ok', data: mimeBundle(value) };
    } catch (e) {
      return errorResult(code, e);
    }
  },
};

export type WorkerApi = typeof api;
expose(api);
