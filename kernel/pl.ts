/**
 * What notebook cells see as `pl`: the whole prunelab API plus plots, reports, display and the
 * magics, so that every magic has its TypeScript form (`pl.plot.sparsityBars(net)`).
 */
export * from '../src';
export { display, html, rawBundle, DISPLAY_SYMBOL, registerFormatter, mimeBundle } from '../src/report/display';
import { getCurrentSignal } from './signal';

/**
 * The AbortSignal of the running cell: aborted when the user interrupts the kernel. Pass it to
 * long loops you write yourself (`pl.train(net, data, { signal: pl.interruptSignal() })`).
 */
export function interruptSignal(): AbortSignal {
  return getCurrentSignal();
}
