/**
 * Tables for display: danfojs DataFrames and Series (and plain row arrays) as an HTML table
 * and an aligned plain-text table, the way pandas shows them in Jupyter.
 */
import { escapeHtml, registerFormatter, type MimeBundle } from './display';
import { UserError } from '../errors';

/** A table as columns + rows of cells, the common form of DataFrames and row arrays. */
export interface TableData {
  /** Column headers. */
  columns: string[];
  /** Row labels (index). */
  index: (string | number)[];
  /** Rows of cells, `index.length` of them, each `columns.length` long. */
  rows: unknown[][];
  /** Header of the index column (default: empty, like pandas). */
  indexName?: string;
  /** How to show the cells of some columns (by column name); the others use {@link formatCell}. */
  formats?: Record<string, ColumnFormat>;
  /** Columns whose plain text is left-aligned (labels, shapes); the others are right-aligned like numbers. */
  leftAligned?: string[];
}

/**
 * How a column's numbers are shown (the values themselves stay as they are):
 * - `percent`: a fraction as a percentage, `0.941297` → `94.1%`;
 * - `ratio`: a factor, `17.0348` → `17.0×`;
 * - `integer`: with thousands separators, `266610` → `266,610`;
 * - or a function of the cell.
 */
export type ColumnFormat = 'percent' | 'ratio' | 'integer' | ((value: unknown) => string);

/**
 * A fraction as a percentage with one decimal, or more when one decimal would round a value
 * that is not exactly 0 or 1 to `0.0%` or `100.0%` (a layer 99.96% pruned is not "100.0%").
 */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return Number.isNaN(fraction) ? 'NaN' : `${fraction > 0 ? '' : '-'}∞%`;
  if (fraction === 0 || fraction === 1) return `${fraction * 100}%`;
  const pct = 100 * fraction;
  let digits = 1;
  while (digits < 4 && (Number(pct.toFixed(digits)) === 0 || Number(pct.toFixed(digits)) === 100)) digits++;
  return `${pct.toFixed(digits)}%`;
}

/** A factor with three significant digits (`1.04×`, `17.0×`, `123×`), thousands separated above 1000. */
export function formatRatio(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞×' : '-∞×';
  if (Math.abs(x) >= 1000) return `${Math.round(x).toLocaleString('en-US')}×`;
  return `${x.toPrecision(3)}×`;
}

/** One cell in the given column format. Non-numbers (labels in a total row, NaN) fall back to {@link formatCell}. */
export function formatAs(value: unknown, format: ColumnFormat | undefined): string {
  if (typeof format === 'function') return format(value);
  if (format === undefined || typeof value !== 'number') return formatCell(value);
  if (format === 'percent') return formatPercent(value);
  if (format === 'ratio') return formatRatio(value);
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : formatCell(value);
}

// Keyed by the DataFrame object: the formats describe that table's columns only, so frames made
// from it by danfojs operations (which may reorder or recompute columns) display plainly again.
const columnFormats = new WeakMap<object, Record<string, ColumnFormat>>();

/**
 * Sets how a DataFrame's columns are displayed (e.g. `{sparsity: 'percent'}`), without changing
 * its values: code reading the frame still gets the raw numbers.
 *
 * @returns the same DataFrame.
 */
export function setColumnFormats<T extends object>(frame: T, formats: Record<string, ColumnFormat>): T {
  if (!isDataFrame(frame)) throw new UserError('setColumnFormats: expected a danfojs DataFrame.');
  const unknown = Object.keys(formats).filter((c) => !frame.columns.includes(c));
  if (unknown.length) throw new UserError(`setColumnFormats: no column ${unknown.map((c) => `'${c}'`).join(', ')}. Columns: ${frame.columns.join(', ')}.`);
  columnFormats.set(frame, { ...formats });
  return frame;
}

/** The display formats set with {@link setColumnFormats} (empty when none). */
export function columnFormatsOf(frame: object): Record<string, ColumnFormat> {
  return { ...(columnFormats.get(frame) ?? {}) };
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
  if (isDataFrame(v)) return { columns: [...v.columns], index: [...v.index], rows: v.values.map((r) => [...r]), formats: columnFormatsOf(v) };
  if (isSeries(v)) return { columns: [...v.columns], index: [...v.index], rows: v.values.map((x) => [x]) };
  throw new UserError('tableOf: expected a danfojs DataFrame or Series.');
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
  const head = `<thead><tr style="text-align: right;"><th>${escapeHtml(t.indexName ?? '')}</th>${t.columns.map((c) => `<th>${escapeHtml(String(c))}</th>`).join('')}</tr></thead>`;
  const body = visibleRows(t.rows.length)
    .map((i) =>
      i === null
        ? `<tr><th>...</th>${t.columns.map(() => '<td>...</td>').join('')}</tr>`
        : `<tr><th>${escapeHtml(String(t.index[i]))}</th>${t.rows[i].map((c, j) => `<td>${escapeHtml(cellText(t, c, j))}</td>`).join('')}</tr>`,
    )
    .join('');
  const shape = t.rows.length > MAX_ROWS ? `<p>${t.rows.length} rows × ${t.columns.length} columns</p>` : '';
  return `<div><table border="1" class="dataframe">${head}<tbody>${body}</tbody></table>${shape}</div>`;
}

/** A cell as shown: in its column's format, if the table has one. */
function cellText(t: TableData, value: unknown, column: number): string {
  return formatAs(value, t.formats?.[t.columns[column]]);
}

/** The plain text of a table: right-aligned columns under their headers. */
export function tableText(t: TableData): string {
  const shown = visibleRows(t.rows.length);
  const cells = shown.map((i) => (i === null ? ['...', ...t.columns.map(() => '...')] : [String(t.index[i]), ...t.rows[i].map((c, j) => cellText(t, c, j))]));
  const header = [t.indexName ?? '', ...t.columns.map(String)];
  const widths = header.map((h, j) => Math.max(h.length, ...cells.map((r) => r[j].length)));
  const left = header.map((h, j) => j === 0 || !!t.leftAligned?.includes(h));
  const line = (r: string[]) => r.map((c, j) => (left[j] ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
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
      if (!r || typeof r !== 'object' || Array.isArray(r)) throw new UserError(`Row ${i} of the results table is not an object.`);
    });
    return table as Record<string, unknown>[];
  }
  if (isDataFrame(table)) {
    const t = tableOf(table);
    return t.rows.map((r) => Object.fromEntries(t.columns.map((c, j) => [c, r[j]])));
  }
  throw new UserError('Expected a results table: an array of row objects or a danfojs DataFrame.');
}
