/**
 * The tfjs backends of the browser edition: WebGPU, then WebGL (through OffscreenCanvas in the
 * kernel's worker), then wasm (SIMD, threads when the page is cross-origin isolated), then plain
 * JS. The page's bundle has registered them all; whether one works is found by starting it.
 */
import { registerMissingWasmKernels } from './wasm-kernels/index';

/** Backends in preference order. */
export const BACKEND_PREFERENCE = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** Browsers have no environment variables: the preference order decides. */
export function requestedBackend(): string | undefined {
  return undefined;
}

/** How to get a backend that could not be loaded (appended to the error). */
export function backendAdvice(name: string, others: readonly string[]): string {
  const why =
    name === 'webgpu'
      ? 'WebGPU needs a browser that exposes navigator.gpu to workers (Chrome/Edge 113+; headless Chromium with --enable-unsafe-webgpu). '
      : name === 'webgl'
        ? 'WebGL in the kernel worker needs OffscreenCanvas with a WebGL2 context. '
        : '';
  return `${why}Try one of: ${others.join(', ')}.`;
}

/** @returns true: the bundle registered every backend; the wasm one also gets the kernels training needs. */
export function loadBackendModule(name: string): true | string {
  if (name === 'wasm') registerMissingWasmKernels();
  return true;
}
