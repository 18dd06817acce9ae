/**
 * The browser build's sparse-kernel binary: fetched once when the kernel starts
 * ({@link fetchSparseWasmBinary}), then handed out synchronously like the Node file read.
 */
import { UserError } from '../errors';

let binary: Uint8Array | undefined;
let fetchError: string | undefined;

/** Fetches sparse.wasm (served beside the kernel's worker script); remembers why it failed, if it did. */
export async function fetchSparseWasmBinary(url: string): Promise<void> {
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    binary = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    fetchError = `${url}: ${(e as Error)?.message ?? String(e)}`;
  }
}

/**
 * The bytes fetched by {@link fetchSparseWasmBinary}.
 * @throws UserError when they are not there, with what the fetch said.
 */
export function sparseWasmBinary(): Uint8Array {
  if (binary) return binary;
  throw new UserError(
    `Sparse wasm kernels not loaded in this page (${fetchError ?? 'the kernel did not fetch sparse.wasm'}). ` +
      `Use impl: 'tfjs', which runs on every backend.`,
  );
}
