// The cell side of the kernel: a module Web Worker exposed over comlink.
// For the spike a cell is plain JavaScript (top-level await allowed); `tf`
// (tfjs 4.22) and `pl.backend()` are globals.
import { expose } from 'comlink';
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
      let value: unknown;
      if (/\bawait\b/.test(code)) {
        // crude top-level await: the value of a trailing expression is returned
        const lines = code.trimEnd().split('\n');
        const last = lines.pop() ?? '';
        const body = /^\s*(const|let|var|if|for|while|return|throw|function|class)\b/.test(last)
          ? [...lines, last].join('\n')
          : [...lines, `return (${last.replace(/;\s*$/, '')});`].join('\n');
        const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
        value = await new AsyncFunction(body)();
      } else {
        value = (0, eval)(code);
        if (value instanceof Promise) value = await value;
      }
      if (value === undefined) return { status: 'ok' };
      return { status: 'ok', data: { 'text/plain': show(value) } };
    } catch (e) {
      const err = e as Error;
      return {
        status: 'error',
        ename: err?.name ?? 'Error',
        evalue: err?.message ?? String(e),
        traceback: [String(err?.stack ?? e)],
      };
    }
  },
};

export type WorkerApi = typeof api;
expose(api);
