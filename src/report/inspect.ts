/** Plain-text views of values, as Node's REPL shows them (the browser build substitutes `inspect.browser.ts`). */
import { inspect } from 'util';

/** Options of {@link inspectValue}: the subset of `util.inspect`'s that prunelab uses. */
export interface InspectOptions {
  /** How many levels of nested objects to show. */
  depth: number;
  /** Longest array shown in full; more items are summarised as `... N more items`. */
  maxArrayLength?: number;
  /** Line width beyond which objects are broken over several lines. */
  breakLength?: number;
}

/** The text of a value as `util.inspect` writes it, without colours. */
export function inspectValue(value: unknown, options: InspectOptions): string {
  return inspect(value, { ...options, colors: false });
}
