/**
 * Tables for display: danfojs DataFrames and Series (and plain row arrays) as an HTML table
 * and an aligned plain-text table, the way pandas shows them in Jupyter.
 */
import { escapeHtml, registerFormatter, type MimeBundle } from './display';

/** A table as columns + rows of cells, the common form of DataFrames and row arrays. */
export interface TableData {
  /** Column headers. */
  columns: string[];
  /** Row labels (index). */
  index: (string | number)[];
  /** Rows of cells, `index.length` of them, each `columns.length` long. */
  rows: unknown[][];
}

/** Most rows shown before the middle is elided, like pandas' `display.max_rows`. */
export const MAX_ROWS = 60;

/** True for a danfojs DataFrame (duck-typed, so that danfojs need not be loaded to check). */
export function isDataFrame(v: unknown): v is { columns: string[]; index: (string | number)[]; values: unknown[][]; $isSeries: boolean } {
  return !!v && typeof v === 'object' && '$data' in v && '$columns' in v && (v as { $isSeries?: boolean }).$isSeries === false;
}

/** True for a danfojs Series. */
export function isSeries(v: unknown): v is { columns: string[]; index: (string | number)[]; values: unknown[]; $isSeries: boolean } {
  return !!v && typeof v === 'object' && '$data' in v && (v as { $isSeries?: boolean }).$isSeries === true;
}

/** The table of a DataFrame or Series. */
export function tableOf(v: unknown): TableData {
  if (isDataFrame(v)) return { columns: [...v.columns], index: [...v.index], rows: v.values.map((r) => [...r]) };
  if (isSeries(v)) return { columns: [...v.columns], index: [...v.index], rows: v.values.map((x) => [x]) };
  throw new Error('tableOf: expected a danfojs DataFrame or Series.');
}

/** Formats one cell: numbers with up to 6 significant digits, NaN/null as `NaN`. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return 'NaN';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e7)) return v.toExponential(4);
    return String(Number(v.toPrecision(6)));
  }
  if (Array.isArray(v)) return `[${v.map(formatCell).join(', ')}]`;
  return String(v);
}

/** Rows to show: all, or the first and last half of MAX_ROWS with `null` marking the gap. */
function visibleRows(n: number): (number | null)[] {
  if (n <= MAX_ROWS) return Array.from({ length: n }, (_, i) => i);
  const half = MAX_ROWS / 2;
  return [...Array.from({ length: half }, (_, i) => i), null, ...Array.from({ length: half }, (_, i) => n - half + i)];
}

/** The HTML of a table (`<table class="dataframe">`, like pandas). */
export function tableHtml(t: TableData): string {
  const head = `<thead><tr style="text-align: right;"><th></th>${t.columns.map((c) => `<th>${escapeHtml(String(c))}</th>`).join('')}</tr></thead>`;
  const body = visibleRows(t.rows.length)
    .map((i) =>
      i === null
        ? `<tr><th>...</th>${t.columns.map(() => '<td>...</td>').join('')}</tr>`
        : `<tr><th>${escapeHtml(String(t.index[i]))}</th>${t.rows[i].map((c) => `<td>${escapeHtml(formatCell(c))}</td>`).join('')}</tr>`,
    )
    .join('');
  const shape = t.rows.length > MAX_ROWS ? `<p>${t.rows.length} rows × ${t.columns.length} columns</p>` : '';
  return `<div><table border="1" class="dataframe">${head}<tbody>${body}</tbody></table>${shape}</div>`;
}

/** The plain text of a table: right-aligned columns under their headers. */
export function tableText(t: TableData): string {
  const shown = visibleRows(t.rows.length);
  const cells = shown.map((i) => (i === null ? ['...', ...t.columns.map(() => '...')] : [String(t.index[i]), ...t.rows[i].map(formatCell)]));
  const header = ['', ...t.columns.map(String)];
  const widths = header.map((h, j) => Math.max(h.length, ...cells.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  const out = [line(header), ...cells.map(line)];
  if (t.rows.length > MAX_ROWS) out.push('', `[${t.rows.length} rows x ${t.columns.length} columns]`);
  return out.join('\n');
}

/** The MIME bundle of a table: HTML + plain text. */
export function tableBundle(t: TableData): MimeBundle {
  return { 'text/html': tableHtml(t), 'text/plain': tableText(t) };
}

registerFormatter({
  name: 'danfojs',
  test: (v) => isDataFrame(v) || isSeries(v),
  format: (v) => tableBundle(tableOf(v)),
});

/** A results table: an array of row objects or a danfojs DataFrame. */
export type RowsLike = readonly Record<string, unknown>[] | { columns: string[]; values: unknown[][] };

/**
 * The rows of a results table as plain objects.
 * @param table an array of row objects or a danfojs DataFrame.
 * @throws for anything else.
 */
export function toRecords(table: unknown): Record<string, unknown>[] {
  if (Array.isArray(table)) {
    table.forEach((r, i) => {
      if (!r || typeof r !== 'object' || Array.isArray(r)) throw new Error(`Row ${i} of the results table is not an object.`);
    });
    return table as Record<string, unknown>[];
  }
  if (isDataFrame(table)) {
    const t = tableOf(table);
    return t.rows.map((r) => Object.fromEntries(t.columns.map((c, j) => [c, r[j]])));
  }
  throw new Error('Expected a results table: an array of row objects or a danfojs DataFrame.');
}
