/**
 * What `pl.report` holds: the reports of `src/report`, plus the experiment drivers
 * (`src/experiments`, also `pl.experiments`) and their figures (`src/plot`, also `pl.plot`).
 * They were all one module before the split, and the committed notebooks call them as
 * `pl.report.*`; this file keeps those names working without making `report` import `plot`
 * (which imports `report`).
 */
export * from './report';
export * from './experiments';
export { inputMaskImage, paretoFigure, seedBandFigure, type SeedBandOptions } from './plot';
