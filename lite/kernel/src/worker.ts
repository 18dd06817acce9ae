// The cell side of the kernel: a module Web Worker exposed over comlink.
// A cell is TypeScript with magics, compiled by the shared cell transform
// (kernel/browser/cell-transform.ts): top-level declarations live in one scope
// object for the notebook, top-level await works, the last expression is the
// result. `tf` (tfjs 4.22) and `pl.backend()` are globals.
import { expose } from 'comlink';
import { CellSyntaxError, compileCell, runCompiledCell } from '../../../kernel/browser/cell-transform';
import { MagicSyntaxError, RUNTIME } from '../../../kernel/magic-transform';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type ExecResult =
  | { status: 'ok'; data?: Record<string, string> }
  | { status: 'error'; ename: string; evalue: string; traceback: string[] };

function send(name: 'stdout' | 'stderr', args: unknown[]): void {
  const text = args.map((a) => (typeof a === 'string' ? a : show(a))).join(' ') + '\n';
  postMessage({ type: 'stream', bundle: { name, text } });
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof tf.Tensor) return v.toString();
  try {
    return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}

/** Try backends in order; return the one tfjs ends up on and what each attempt said. */
async function chooseBackend(order = ['webgpu', 'webgl', 'wasm', 'cpu']) {
  const tried: Record<string, string> = {};
  for (const name of order) {
    if (!tf.engine().registryFactory[name]) {
      tried[name] = 'not registered';
      continue;
    }
    try {
      const ok = await tf.setBackend(name);
      if (ok) {
        await tf.ready();
        // prove it computes
        const s = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).sum());
        const v = (await s.data())[0];
        s.dispose();
        tried[name] = `ok (64x64 matmul sum = ${v})`;
        return { backend: tf.getBackend(), tried };
      }
      tried[name] = 'setBackend returned false';
    } catch (e) {
      tried[name] = `error: ${(e as Error).message}`;
    }
  }
  return { backend: tf.getBackend(), tried };
}

/** The notebook's variables: every cell's top-level declarations (see cell-transform.ts). */
const notebookScope: Record<string, unknown> = {
  // magic lines compile to calls of this runtime; no magic is declared in the browser yet
  // (their declarations import Node-only modules), so compiling one fails first
  [RUNTIME]: Object.fromEntries(['line', 'cell', 'help', 'inlineStart', 'inlineEnd'].map((name) => [name, magicsUnavailable])),
};

function magicsUnavailable(): never {
  throw new Error('Magics are not available in the browser kernel yet.');
}

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
  return { status: 'error', ename: err?.name ?? 'Error', evalue: err?.message ?? String(e), traceback };
}

const api = {
  async initialize(): Promise<void> {
    console.log = (...a: unknown[]) => send('stdout', a);
    console.info = console.log;
    console.error = (...a: unknown[]) => send('stderr', a);
    console.warn = console.error;
    // the wasm binaries are copied next to the worker chunk (static folder)
    setWasmPaths(new URL('./', self.location.href).href);
    (self as any).tf = tf;
    (self as any).pl = {
      backend: chooseBackend,
      isolated: () => (self as any).crossOriginIsolated === true,
      offscreen: () => typeof OffscreenCanvas !== 'undefined',
    };
  },

  async execute(code: string): Promise<ExecResult> {
    try {
      const compiled = compileCell(code, { scriptName: `prunelab-cell-${++cellCount}.js` });
      const value = await runCompiledCell(compiled, notebookScope);
      if (value === undefined) return { status: 'ok' };
      return { status: 'ok', data: { 'text/plain': show(value) } };
    } catch (e) {
      return errorResult(code, e);
    }
  },
};

export type WorkerApi = typeof api;
expose(api);
