/**
 * prunelab in the browser (the JupyterLite teaching edition): the API of `./index` without what
 * needs Node (files, sweeps and their worker processes, Slurm, tfjs-node). Modules with a
 * `*.browser.ts` sibling are replaced by it in the browser bundle (lite/rspack.config.js);
 * test/browser/import-graph.test.ts checks that nothing here reaches a Node-only module.
 */
export * from './api-common';
export * from './data/core';

import { nodeOnly } from './node-only';
/** Sweeps run trials in worker processes or on Slurm: Node only (calling it says so). */
export const sweep = nodeOnly('pl.sweep', 'sweeps run their trials in worker processes or on a Slurm cluster');
/** The sweep-backed notebook drivers (`pl.sweeps.sparsitySweep`, ...): Node only. */
export const sweeps = nodeOnly('pl.sweeps', 'sweeps run their trials in worker processes or on a Slurm cluster');
/** The survey's comparison benchmark (a sweep): Node only. */
export const compare = nodeOnly('pl.compare', 'the comparison is a sweep of hundreds of trials');
/** The notebook experiment protocols (sweep-backed): Node only. */
export const experiments = nodeOnly('pl.experiments', 'the experiment protocols run as sweeps');
