/**
 * Experiment drivers of the method notebooks: train dense baselines over seeds, prune them in
 * many ways, fine-tune, and collect one row per (variant, seed), so that every curve can show a
 * mean with a confidence interval (see `report/stats.ts`). A notebook calls these in one line
 * each and keeps its cells for the idea, the plots and the claims; the logic lives here,
 * unit-tested. Their figures are in `plot/seed-bands.ts`, their tables in `report/result-tables.ts`.
 *
 * Conventions:
 * - Data subsets are drawn once with seed 0 and shared by all seeds; a seed changes the
 *   model's initialisation and the order of the training examples.
 * - Every pruned variant starts from the same dense weights of its seed (restored exactly),
 *   and fine-tunes with a fresh optimizer and the masks held.
 * - Accuracies are on the (possibly subsetted) test split, never seen in training.
 */
export * from './budget';
export * from './data';
export type { Logger } from './log';
export * from './runs';
export * from './variants';
export * from './protocols';
export * from './speedup';
export * from './method-cost';
