/**
 * The tfjs backends of the Node edition and how each one's module is loaded (the browser build
 * substitutes `modules.browser.ts`: webgpu > webgl > wasm > cpu).
 */

/** Backends in preference order: native libtensorflow when it loads, then wasm, then plain JS. */
export const BACKEND_PREFERENCE = ['tensorflow', 'wasm', 'cpu'] as const;

/** The backend asked for by the environment (`PRUNELAB_BACKEND`), if any. */
export function requestedBackend(): string | undefined {
  return process.env.PRUNELAB_BACKEND?.trim() || undefined;
}

/** How a user picks a backend (appended to the error for an unknown name). */
export function howToChooseBackend(): string {
  return "Set PRUNELAB_BACKEND to one of them or call initBackend('wasm').";
}

/** How to get a backend that could not be loaded (appended to the error). */
export function backendAdvice(name: string, others: readonly string[]): string {
  return name === 'tensorflow'
    ? `It needs the optional dependency @tensorflow/tfjs-node, whose install downloads ` +
        `libtensorflow (internet, linux/macOS x64 or arm64); install it or use 'wasm' ` +
        `(initBackend('wasm') or PRUNELAB_BACKEND=wasm).`
    : `Try one of: ${others.join(', ')}.`;
}

/**
 * Makes the backend's module register itself with tfjs.
 * @returns true, or why it cannot load here.
 */
export function loadBackendModule(name: string): true | string {
  try {
    switch (name) {
      case 'tensorflow':
        require('@tensorflow/tfjs-node');
        return true;
      case 'wasm':
        require('@tensorflow/tfjs-backend-wasm');
        // Registers the kernels training needs that tfjs-backend-wasm lacks. The explicit
        // '/index' keeps a stale build/src/backend/wasm-kernels.js (the old placeholder) from
        // shadowing the folder.
        require('./wasm-kernels/index').registerMissingWasmKernels();
        return true;
      default:
        return true;
    }
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

/** Node knows no reason to refuse a backend before trying it. */
export async function precheckBackend(_name: string): Promise<true | string> {
  return true;
}

/** Node's backends compute what they are asked to once they start: nothing to verify. */
export async function verifyBackend(_name: string): Promise<true | string> {
  return true;
}

/** Node announces only its choice (tfjs-node is absent on most machines: saying so each time is noise). */
export function announceSkipped(): boolean {
  return false;
}

/** Why a backend's initialisation failed, when tfjs only logged it: nothing extra to say in Node. */
export function initFailure(_name: string): string | undefined {
  return undefined;
}
