/**
 * Tables of experiment results: `mean ± 95% CI` summaries, long format for plotting, markdown
 * for the closing notes, "paper vs ours", and the notebooks' checked claims.
 */
import { formatSummary, summarizeGroups } from './stats';
import { UserError } from '../errors';

/** One line of a "paper vs ours" table. */
export interface PaperComparison {
  /** What is compared, e.g. `test error after pruning (%)`. */
  quantity: string;
  /** The paper's number (as printed there). */
  paper: string | number;
  /** Ours, e.g. `1.58 ± 0.05` from {@link formatSummary}. */
  ours: string | number;
  /** Optional remark (setting differences, tolerance). */
  note?: string;
}

/** A "paper vs ours" table as rows for `pl.report` display or a DataFrame. */
export function paperVsOurs(lines: readonly PaperComparison[]): Record<string, string | number>[] {
  return lines.map((l) => ({ quantity: l.quantity, paper: l.paper, ours: l.ours, note: l.note ?? '' }));
}

/**
 * Renders rows as a GitHub-style markdown table (for the closing notes and the text/plain view).
 * @param digits decimals of non-integer numbers (default 4).
 */
export function markdownTable(rowsIn: readonly object[], digits = 4): string {
  const rows = rowsIn as readonly Record<string, unknown>[];
  if (!rows.length) return '(no rows)';
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toFixed(digits))) : String(v ?? ''));
  return [
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |`),
  ].join('\n');
}

/**
 * Long format for plotting several columns as separate lines: one output row per input row and
 * column, with `series` = the column's label and `value` = its value; other columns are kept.
 *
 * @example meltColumns(rows, { accuracyPruned: 'after pruning', accuracyFinetuned: 'after fine-tuning' })
 */
export function meltColumns(rowsIn: readonly object[], columns: Record<string, string>): Record<string, unknown>[] {
  const rows = rowsIn as readonly Record<string, unknown>[];
  return rows.flatMap((r) => Object.entries(columns).map(([c, label]) => {
    if (!(c in r)) throw new UserError(`meltColumns: a row has no column '${c}'. Columns: ${Object.keys(r).join(', ')}.`);
    return { ...r, series: label, value: r[c] };
  }));
}

/**
 * A results table with `mean ± 95% CI` cells: rows grouped by `by` (one output row per group)
 * and one cell per value column, scaled (e.g. ×100 for percent).
 *
 * @param values value columns to their headers, e.g. `{ accuracyFinetuned: 'fine-tuned (%)' }`.
 * @param o scale (default 100) and decimals (default 2) of the value cells.
 */
export function summaryTable(
  rows: readonly object[],
  by: readonly string[],
  values: Record<string, string>,
  o: { scale?: number; digits?: number } = {},
): Record<string, string | number>[] {
  const g = summarizeGroups(rows, by, Object.keys(values));
  return g.map((r) => {
    const out: Record<string, string | number> = {};
    for (const c of by) out[c] = r[c];
    out.seeds = r.n;
    for (const [c, label] of Object.entries(values)) {
      out[label] = formatSummary({ mean: Number(r[`${c}_mean`]), ci: Number(r[`${c}_ci`]) }, o.scale ?? 100, o.digits ?? 2);
    }
    return out;
  });
}

/**
 * A notebook's claim: prints `✓ message` when it holds, throws `Claim failed: message` when it
 * does not, so that CI fails when a notebook stops showing what it says.
 *
 * @param holds the checked condition.
 * @param message what is claimed, with the measured numbers.
 */
export function claim(holds: boolean, message: string): void {
  if (!holds) throw new UserError(`Claim failed: ${message}`);
  console.log(`✓ ${message}`);
}
