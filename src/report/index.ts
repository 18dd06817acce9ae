/** Reports: rich display (MIME bundles), tables (danfojs DataFrames), per-layer summaries, progress bars. */
export * from './display';
export * from './table';
export * from './frames';
export * from './sparsity';
export * from './summaries';
export * from './weights';
export * from './progress';
export * from './stats';
export * from './result-tables';
