/** danfojs DataFrames from row objects (danfojs is loaded on first use: it takes most of a second). */
import type * as Danfo from 'danfojs-node';
import { loadDanfo } from './danfo-module';

let danfo: typeof Danfo | null = null;

/** The danfojs module (loaded on first call; danfojs-node in Node, its core in the browser). */
export function danfojs(): typeof Danfo {
  danfo ??= loadDanfo();
  return danfo;
}

/**
 * A DataFrame with one row per object and the given columns (default: the first row's keys).
 *
 * @param rows row objects; missing cells become NaN.
 * @param columns column order.
 */
export function toDataFrame(rows: readonly Record<string, unknown>[], columns?: string[]): Danfo.DataFrame {
  const cols = columns ?? (rows.length ? Object.keys(rows[0]) : []);
  const data = rows.map((r) => cols.map((c) => (r[c] === undefined ? NaN : r[c])));
  return new (danfojs().DataFrame)(data as never, { columns: cols });
}
