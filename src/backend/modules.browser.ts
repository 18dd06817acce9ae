/**
 * The tfjs backends of the browser edition: WebGPU, then WebGL (through OffscreenCanvas in the
 * kernel's worker), then wasm (SIMD, threads when the page is cross-origin isolated), then plain
 * JS. The page's bundle has registered them all; whether one works is found by starting it.
 */
import * as tf from '@tensorflow/tfjs';
import { registerMissingWasmKernels } from './wasm-kernels/index';

/** Backends in preference order. */
export const BACKEND_PREFERENCE = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** Browsers have no environment variables: the preference order decides. */
export function requestedBackend(): string | undefined {
  return undefined;
}

/** How a user picks a backend (appended to the error for an unknown name): no environment here. */
export function howToChooseBackend(): string {
  return "Switch with %backend webgl (or webgpu, wasm, cpu) or pl.initBackend('wasm').";
}

/** How to get a backend that could not be loaded (appended to the error). */
export function backendAdvice(name: string, others: readonly string[]): string {
  const why =
    name === 'webgpu'
      ? 'WebGPU needs a hardware adapter exposed to workers (Chrome/Edge 113+; headless Chromium with --enable-unsafe-webgpu and a GPU). '
      : name === 'webgl'
        ? 'WebGL in the kernel worker needs OffscreenCanvas with a WebGL2 context. '
        : '';
  return `${why}Try one of: ${others.join(', ')}.`;
}

let webGpuGuarded = false;
/** Why the guarded WebGPU factory refused, for the error of `%backend webgpu` (tfjs only logs it). */
let webGpuRefusal: string | undefined;

/**
 * Puts a check in front of tfjs's WebGPU factory: a software adapter (SwiftShader, what headless
 * Chromium offers without a GPU) is refused before any device exists. Such a device is lost on
 * the first synchronous read (see {@link verifyBackend}), and in Chromium 156 taking it down
 * also takes WebGL down ("WebGL is not supported on this device"), so it must not be tried at all.
 */
type GpuNavigator = { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean; description?: string } } | null> };
function navigatorGpu(): GpuNavigator | undefined {
  return (globalThis as { navigator?: { gpu?: GpuNavigator } }).navigator?.gpu;
}

/** Asks for an adapter the way tfjs will; sets {@link webGpuRefusal} when there is none or only a software one. */
async function probeWebGpu(gpu: GpuNavigator): Promise<string | undefined> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) webGpuRefusal = 'navigator.gpu gives no adapter here';
  else if (adapter.info?.isFallbackAdapter) {
    webGpuRefusal = `the only WebGPU adapter is a software one (${adapter.info.description || 'SwiftShader'}), whose device is lost on the first synchronous read`;
  } else webGpuRefusal = undefined;
  return webGpuRefusal;
}

function guardWebGpu(): void {
  if (webGpuGuarded) return;
  webGpuGuarded = true;
  const original = tf.findBackendFactory('webgpu');
  const gpu = navigatorGpu();
  if (!original || !gpu) return;
  tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      // for a direct tf.setBackend('webgpu'): prunelab's own path refuses earlier (precheckBackend)
      const refusal = await probeWebGpu(gpu);
      if (refusal) throw new Error(refusal);
      return original();
    },
    3,
  );
}

/**
 * Refuses a backend before tfjs tries it, where the reason is known without starting it: WebGPU
 * with no adapter or only a software one. tfjs logs a failed factory with its stack on the
 * console, which reads like a crash to a student; refused here, it is one line in prunelab's
 * announcement instead.
 */
export async function precheckBackend(name: string): Promise<true | string> {
  const gpu = navigatorGpu();
  if (name !== 'webgpu' || !gpu) return true;
  return (await probeWebGpu(gpu)) ?? true;
}

/** @returns true: the bundle registered every backend; wasm also gets the kernels training needs, webgpu a guard against software adapters. */
export function loadBackendModule(name: string): true | string {
  if (name === 'wasm') registerMissingWasmKernels();
  if (name === 'webgpu') guardWebGpu();
  return true;
}

/**
 * Proves a GPU backend computes before prunelab uses it: a small product read back synchronously,
 * as pruning and reporting do (dataSync). Headless Chromium's software WebGPU (SwiftShader, seen
 * with Chromium 156) starts, computes asynchronously, but loses its device on the first
 * synchronous read ("A valid external Instance reference no longer exists") and from then on
 * gives zeros and fails every buffer: such a backend is refused here, and the next one in
 * {@link BACKEND_PREFERENCE} is taken. The broken backend is removed (tfjs cannot restart it).
 */
export async function verifyBackend(name: string): Promise<true | string> {
  if (name !== 'webgpu' && name !== 'webgl') return true;
  let value: number;
  try {
    value = tf.tidy(() => tf.matMul(tf.ones([8, 16]), tf.ones([16, 4])).sum().dataSync()[0]);
    await new Promise((resolve) => setTimeout(resolve, 0)); // a lost device reports itself on the next task
    const again = tf.tidy(() => tf.add(tf.ones([4]), tf.ones([4])).sum().dataSync()[0]);
    if (again !== 8) value = NaN;
  } catch (e) {
    value = NaN;
  }
  if (value === 512) return true;
  tf.removeBackend(name);
  return `it started but a synchronous read-back gave ${Number.isNaN(value) ? 'an error' : value} instead of 512 (its device is lost); it is removed for this session`;
}

/** The browser edition says why a preferred GPU backend was passed over (students wonder why not WebGPU). */
export function announceSkipped(): boolean {
  return true;
}

/** Why a backend's factory refused (tfjs logs the error and reports only `false`). */
export function initFailure(name: string): string | undefined {
  return name === 'webgpu' ? webGpuRefusal : undefined;
}
