/**
 * How a check shows values to a student: short, exact enough to compare with the expectation,
 * never a wall of digits (a 784×300 mask shows its first values and its length).
 */

/** Values of an array shown before "…". */
const SHOWN_ITEMS = 8;
/** Longest text shown for any one value. */
const MAX_TEXT = 80;

/** A number with up to 4 significant digits (integers exactly; tiny ones in exponent form). */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** An array's first items and, when longer, its length. */
export function formatArray(values: readonly unknown[]): string {
  const shown = values.slice(0, SHOWN_ITEMS).map((v) => formatValue(v)).join(', ');
  return values.length > SHOWN_ITEMS ? `[${shown}, … (${values.length} values)]` : `[${shown}]`;
}

/** Any value as the student would recognise it: numbers rounded, strings quoted, arrays clipped. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return clip(JSON.stringify(value));
  if (value === undefined || value === null || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (Array.isArray(value)) return formatArray(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return formatArray(Array.from(value as unknown as ArrayLike<number>));
  if (typeof value === 'symbol') return value.toString();
  const ctor = (value as object).constructor?.name;
  try {
    const json = JSON.stringify(value);
    return clip(json === undefined ? `a ${ctor ?? 'value'}` : `${ctor && ctor !== 'Object' ? `${ctor} ` : ''}${json}`);
  } catch {
    return `a ${ctor ?? 'value'}`;
  }
}
