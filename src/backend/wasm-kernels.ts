/** Kernels that training needs and tfjs-backend-wasm lacks (filled in by the backend work). */
export function registerMissingWasmKernels(): void {
  // placeholder: see issue 2, "Compute backends"
}
