/**
 * Plot builders: each returns a plain plotly figure (`{data, layout}`) that displays as an
 * interactive plot in notebooks (see `figure.ts` for the MIME bundle).
 */
export * from './figure';
export * from './histogram';
export * from './heatmap';
export * from './curves';
export * from './tradeoff';
export * from './sparsity-bars';
export * from './export';
export * from './seed-bands';
export * from './input-mask';
export * from './activation-sparsity';
export * from './unit-images';
