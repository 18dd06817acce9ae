/**
 * Compute-backend choice for prunelab.
 *
 * Preference order: `tensorflow` (tfjs-node, native libtensorflow, when it loads) > `wasm`
 * (SIMD, with the gradient kernels it lacks registered by `./wasm-kernels`) > `cpu`.
 * Overridable with the `PRUNELAB_BACKEND` environment variable or `initBackend(name)`.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

let announced = false;

function tryRequire(moduleName: string): boolean {
  try {
    require(moduleName);
    return true;
  } catch {
    return false;
  }
}

/** Makes the backend's module register itself with tfjs; false when it cannot load here. */
function loadBackendModule(name: BackendName): boolean {
  switch (name) {
    case 'tensorflow':
      return tryRequire('@tensorflow/tfjs-node');
    case 'wasm':
      if (!tryRequire('@tensorflow/tfjs-backend-wasm')) return false;
      // Registers the kernels training needs that tfjs-backend-wasm lacks.
      require('./wasm-kernels').registerMissingWasmKernels();
      return true;
    case 'cpu':
      return true;
  }
}

function checkName(name: string): BackendName {
  if ((BACKEND_PREFERENCE as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(
    `Unknown backend '${name}'. Known backends: ${BACKEND_PREFERENCE.join(', ')}. ` +
      `Set PRUNELAB_BACKEND to one of them or call initBackend('wasm').`,
  );
}

/**
 * Selects and initialises a backend, printing the choice once per process.
 *
 * @param requested a backend name; when omitted, `PRUNELAB_BACKEND` or the best available.
 * @returns the name of the active backend.
 * @throws when an explicitly requested backend cannot be loaded.
 */
export async function initBackend(requested?: BackendName | string): Promise<BackendName> {
  const wanted = requested ?? process.env.PRUNELAB_BACKEND;
  const candidates: BackendName[] = wanted ? [checkName(wanted)] : [...BACKEND_PREFERENCE];
  for (const name of candidates) {
    if (!loadBackendModule(name)) continue;
    if (await tf.setBackend(name)) {
      await tf.ready();
      if (!announced || requested !== undefined) {
        console.log(`prunelab: using the '${name}' backend` + (wanted ? '' : ' (best available)'));
        announced = true;
      }
      return name;
    }
  }
  throw new Error(
    wanted
      ? `Backend '${wanted}' could not be loaded here. ` +
          (wanted === 'tensorflow'
            ? `Install @tensorflow/tfjs-node (its install downloads libtensorflow and needs internet), or use 'wasm'.`
            : `Try one of: ${BACKEND_PREFERENCE.join(', ')}.`)
      : 'No tfjs backend could be initialised.',
  );
}

/** The name of the active backend. */
export function currentBackend(): string {
  return tf.getBackend();
}
