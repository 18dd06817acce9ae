/**
 * The part of the public API that both editions export unchanged: `./index` (Node) and
 * `./browser` (the JupyterLite edition) each add their own data module and the sweep-backed parts.
 */
export * from './errors';
export { Registry, allRegistries, DEFAULT_NAME_PATTERN, type RegisterOptions, type RegistryEntry, type RegistryOptions } from './registry';
export * from './backend';
export * from './models';
export * from './train';
export { ambientSignal, setAmbientSignalSource, InterruptedError, type AmbientSignalSource } from './interrupt';
export * from './prune';
export * from './sparse';
export * as plot from './plot';
export * as report from './report-namespace';
export * as magics from './magics';
export * as course from './course';
