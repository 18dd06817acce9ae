/**
 * prunelab in the browser (the JupyterLite teaching edition): the API of `./index` without what
 * needs Node (files, sweeps and their worker processes, Slurm, tfjs-node). Modules with a
 * `*.browser.ts` sibling are replaced by it in the browser bundle (lite/rspack.config.js);
 * test/browser/import-graph.test.ts checks that nothing here reaches a Node-only module.
 */
export * from './api-common';
export * from './data/core';

import { nodeOnly } from './node-only';
import { iterativeSweep, scheduleSweep, sparsitySweep, variantSweep } from './sweep/in-page';
/** Sweeps run trials in worker processes or on Slurm: Node only (calling it says so). */
export const sweep = nodeOnly('pl.sweep', 'sweeps run their trials in worker processes or on a Slurm cluster');
/**
 * The notebook drivers (`pl.sweeps.sparsitySweep`, `variantSweep`, `scheduleSweep`,
 * `iterativeSweep`) run their grids in this page (`sweep/in-page.ts`); the rest of the sweep
 * engine (results directories, status, executors) is Node only, and using it says so.
 */
export const sweeps = new Proxy({ sparsitySweep, variantSweep, scheduleSweep, iterativeSweep } as Record<string, unknown>, {
  get: (drivers, prop) =>
    typeof prop === 'symbol' ? undefined : prop in drivers ? drivers[prop] : prop === 'then' ? undefined : nodeOnly(`pl.sweeps.${prop}`, 'the sweep engine keeps its results on disk and runs trials in worker processes or on a Slurm cluster'),
}) as Pick<typeof import('./sweep/in-page'), 'sparsitySweep' | 'variantSweep' | 'scheduleSweep' | 'iterativeSweep'> & Record<string, any>;
/** The survey's comparison benchmark (a sweep): Node only. */
export const compare = nodeOnly('pl.compare', 'the comparison is a sweep of hundreds of trials');
/** The notebook experiment protocols (sweep-backed): Node only. */
export const experiments = nodeOnly('pl.experiments', 'the experiment protocols run as sweeps');
