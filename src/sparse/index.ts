/**
 * The shared sparse-compute core: formats, byte accounting, kernels (WebAssembly SIMD and
 * tfjs ops), sparse and structurally shrunk models, and practical-vs-theoretical speedup.
 */
export * from './formats';
export * from './wasm';
export * from './bytes';
export * from './ops';
export * from './tfjs-ops';
export * from './layer-kernels';
export * from './sparse-model';
export * from './shrink';
export * from './mask-bits';
export * from './mask-select';
export * from './io';
export * from './speedup';
export * from './speedup-plot';
export * from './sparse-train';
