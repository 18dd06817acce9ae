/** Progress lines of the experiment drivers. */

/** What the drivers print progress with (default `console.log`; pass `() => {}` for silence). */
export type Logger = (line: string) => void;

/** `x` as a percentage with `digits` decimals, for progress lines. */
export function pct(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)}%`;
}
