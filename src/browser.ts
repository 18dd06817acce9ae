/**
 * prunelab in the browser (the JupyterLite teaching edition): the API of `./index` without what
 * needs Node (files, sweeps and their worker processes, Slurm, tfjs-node). Modules with a
 * `*.browser.ts` sibling are replaced by it in the browser bundle (lite/rspack.config.js);
 * test/browser/import-graph.test.ts checks that nothing here reaches a Node-only module.
 */
export * from './errors';
export { Registry, allRegistries, DEFAULT_NAME_PATTERN, type RegisterOptions, type RegistryEntry, type RegistryOptions } from './registry';
export * from './backend';
export * from './data/core';
export * from './models';
export * from './train';
export { ambientSignal, setAmbientSignalSource, InterruptedError, type AmbientSignalSource } from './interrupt';
export * from './prune';
export * from './sparse';
export * as plot from './plot';
export * as report from './report-namespace';
export * as magics from './magics';
