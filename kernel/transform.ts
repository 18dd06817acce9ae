/**
 * The Node kernel's magic transform: the shared, browser-safe {@link transformMagics}
 * (`magic-transform.ts`) plus noting each cell's code for stack-frame mapping
 * (`cell-scripts.ts`, which needs Node's `vm`).
 */
import { noteCellSource } from './cell-scripts';
import { transformMagics, type Transformed, type TransformOptions } from './magic-transform';

export * from './magic-transform';

/**
 * Transforms a cell. Line count and the text of non-magic lines are preserved.
 * Outside `analysis`, the result is also noted as the code about to run, so that stack frames
 * of its compiled JavaScript map back to the cell's lines (`cell-scripts.ts`).
 *
 * @throws MagicSyntaxError for an unknown magic or a bad argument (unless `analysis`).
 */
export function transformCell(cell: string, options: TransformOptions = {}): Transformed {
  const t = transformMagics(cell, options);
  if (!options.analysis) noteCellSource(cell, t.code);
  return t;
}
