/**
 * Compute-backend choice for prunelab.
 *
 * Preference order: `tensorflow` (tfjs-node, native libtensorflow, when it loads) > `wasm`
 * (SIMD, with the gradient kernels it lacks registered by `./wasm-kernels`) > `cpu`.
 * Overridable with the `PRUNELAB_BACKEND` environment variable or `initBackend(name)`.
 * Whatever the backend, the gradients tfjs-core lacks for second-order derivatives are
 * registered by `./gradients`.
 */
import * as tf from '@tensorflow/tfjs';
import { registerMissingGradients } from './gradients/index';
import { InternalError, UnknownNameError, UserError } from '../errors';
import { BACKEND_PREFERENCE, backendAdvice, howToChooseBackend, loadBackendModule as loadModule, requestedBackend, verifyBackend, announceSkipped, initFailure, precheckBackend } from './modules';

export { registerMissingGradients } from './gradients/index';

/** A backend prunelab can run on (which of them exist depends on the edition: see ./modules). */
export type BackendName = (typeof BACKEND_PREFERENCE)[number];
export { BACKEND_PREFERENCE };

/** The backend last announced on the console; the choice is printed once per change. */
let announced: BackendName | undefined;
/** Serialises concurrent initBackend calls (tf.setBackend is not re-entrant). */
let pending: Promise<unknown> = Promise.resolve();

/** Why a backend module could not be loaded, by backend name (for error messages). */
const loadErrors = new Map<BackendName, string>();

/** Makes the backend's module register itself with tfjs; false when it cannot load here. */
function loadBackendModule(name: BackendName): boolean {
  const loaded = loadModule(name);
  if (loaded !== true) loadErrors.set(name, loaded);
  return loaded === true;
}

function checkName(name: string): BackendName {
  const normalised = name.trim().toLowerCase();
  if ((BACKEND_PREFERENCE as readonly string[]).includes(normalised)) return normalised as BackendName;
  throw new UnknownNameError(
    'backend',
    name,
    BACKEND_PREFERENCE,
    `Unknown backend '${name}'. Known backends: ${BACKEND_PREFERENCE.join(', ')}. ` +
      howToChooseBackend(),
  );
}

/**
 * Switches tfjs to `name`; on failure restores the previous backend (tf.setBackend leaves the
 * engine pointing at a backend whose initialisation failed) and returns false.
 */
async function trySetBackend(name: BackendName): Promise<boolean> {
  // A module that loaded but registered with another copy of tfjs-core leaves no factory here.
  if (tf.findBackendFactory(name) == null) {
    // keep an earlier, more specific reason (a backend removed after it failed its check)
    if (!loadErrors.has(name)) loadErrors.set(name, `the module loaded but registered no '${name}' backend with this @tensorflow/tfjs`);
    return false;
  }
  const refusal = await precheckBackend(name);
  if (refusal !== true) {
    loadErrors.set(name, refusal);
    return false;
  }
  const previous = tf.engine().backendName;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    if (ok) {
      const verdict = await verifyBackend(name);
      if (verdict !== true) {
        loadErrors.set(name, verdict);
        ok = false;
      }
    }
  } catch (e) {
    loadErrors.set(name, e instanceof Error ? e.message.split('\n')[0] : String(e));
    ok = false;
  }
  if (!ok) {
    if (!loadErrors.has(name)) loadErrors.set(name, initFailure(name) ?? 'its initialisation failed');
    if (previous && previous !== name) await tf.setBackend(previous).catch(() => false);
  }
  return ok;
}

/**
 * Selects and initialises a backend, printing the choice once (and again only when it changes).
 *
 * @param requested a backend name; when omitted, `PRUNELAB_BACKEND` or the best available.
 * @returns the name of the active backend.
 * @throws when the name is unknown or an explicitly requested backend cannot be loaded; the
 *   previously active backend then stays active.
 */
export function initBackend(requested?: BackendName | string): Promise<BackendName> {
  const run = pending.then(() => initBackendNow(requested));
  pending = run.catch(() => undefined);
  return run;
}

/**
 * tfjs's `cpu` backend prints a "use tfjs-node" banner on its first tensor in Node. prunelab
 * announces its own backend choice (and how to get `tensorflow`), so the banner only confuses.
 */
function silenceTfjsNodeBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

async function initBackendNow(requested?: BackendName | string): Promise<BackendName> {
  const fromEnv = requestedBackend();
  const wanted = requested ?? (fromEnv ? fromEnv : undefined);
  const candidates: BackendName[] = wanted !== undefined ? [checkName(wanted)] : [...BACKEND_PREFERENCE];
  registerMissingGradients();
  silenceTfjsNodeBanner();
  for (const name of candidates) {
    if (!loadBackendModule(name)) continue;
    if (await trySetBackend(name)) {
      if (announced !== name) {
        let why = requested !== undefined ? '' : wanted !== undefined ? ' (PRUNELAB_BACKEND)' : ' (best available)';
        // the browser edition says why a preferred GPU backend was passed over
        const skipped = announceSkipped() ? candidates.slice(0, candidates.indexOf(name)).filter((b) => loadErrors.has(b)) : [];
        if (skipped.length) why += `; not ${skipped.map((b) => `'${b}': ${loadErrors.get(b)}`).join('; ')}`;
        console.log(`prunelab: using the '${name}' backend${why}`);
        announced = name;
      }
      return name;
    }
  }
  if (wanted === undefined) throw new InternalError('No tfjs backend could be initialised.');
  const name = candidates[0];
  const cause = loadErrors.get(name) ?? 'unknown reason';
  throw new UserError(
    `Backend '${name}' could not be loaded here (${cause}). ` + backendAdvice(name, BACKEND_PREFERENCE.filter((b) => b !== name)),
  );
}

/** The name of the active backend. */
export function currentBackend(): string {
  return tf.getBackend();
}
