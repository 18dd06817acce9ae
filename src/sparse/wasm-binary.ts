/** Finds and reads the compiled sparse kernels (the browser build substitutes `wasm-binary.browser.ts`). */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../errors';

/** Where the compiled kernels are looked for (first existing wins). */
function wasmCandidates(): string[] {
  const env = process.env.PRUNELAB_SPARSE_WASM;
  // build/src/sparse/wasm-binary.js -> build/wasm/sparse.wasm
  return [...(env ? [env] : []), path.resolve(__dirname, '..', '..', 'wasm', 'sparse.wasm')];
}

/**
 * The bytes of build/wasm/sparse.wasm (or `PRUNELAB_SPARSE_WASM`).
 * @throws UserError when it is missing, with the command that builds it.
 */
export function sparseWasmBinary(): Uint8Array {
  const file = wasmCandidates().find((f) => fs.existsSync(f));
  if (!file) {
    throw new UserError(
      `Sparse wasm kernels not found (looked in ${wasmCandidates().join(', ')}). ` +
        `Build them with 'npm run build:wasm' (node scripts/build-wasm.js), or use impl: 'tfjs'.`,
    );
  }
  return fs.readFileSync(file);
}
