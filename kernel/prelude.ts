/**
 * What every session starts with: `pl`, `tf` and `dfd` (danfojs) without imports, the magic
 * runtime, and the tfjs backend started while TypeScript checks the prelude.
 */
import * as path from 'path';
import { RUNTIME } from './transform';

/** Absolute path of the repository root (build/kernel/ → ../..). */
export function repoRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/**
 * The prelude's code: `pl`, `tf` and `dfd` (danfojs, loaded on first use by {@link lazyDanfo},
 * as it takes most of a second) without imports, plus the magic runtime.
 */
export function preludeCode(root = repoRoot()): string {
  const p = (rel: string) => JSON.stringify(path.join(root, rel).replace(/\\/g, '/'));
  return [
    `import * as pl from ${p('build/kernel/pl')};`,
    `import * as tf from ${p('node_modules/@tensorflow/tfjs')};`,
    `import * as ${RUNTIME} from ${p('build/kernel/runtime')};`,
    `declare const dfd: typeof import(${p('node_modules/danfojs-node')});`,
  ].join('\n');
}

/** A proxy that loads danfojs-node on first property access (the value of the prelude's `dfd`). */
export function lazyDanfo(root: string): unknown {
  let mod: Record<string | symbol, unknown> | null = null;
  const load = () => (mod ??= require(path.join(root, 'node_modules/danfojs-node')) as Record<string | symbol, unknown>);
  return new Proxy({}, {
    get: (_t, prop) => load()[prop],
    has: (_t, prop) => prop in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_t, prop) => {
      const d = Object.getOwnPropertyDescriptor(load(), prop);
      return d ? { ...d, configurable: true } : undefined;
    },
  });
}

/**
 * Starts prunelab's tfjs backend (compiling the wasm module); the executor runs it while the
 * prelude is type-checked, so that its one printed line stays out of the first cell's output.
 */
export async function startBackend(): Promise<void> {
  const b = await import('../src/backend');
  await b.initBackend();
}
