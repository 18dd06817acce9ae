/**
 * What notebook cells see as `pl`: the whole prunelab API plus plots, reports, display and the
 * magics, so that every magic has its TypeScript form (`pl.plot.sparsityBars(net)`).
 */
export * from '../src';
export { display, html, rawBundle, DISPLAY_SYMBOL, registerFormatter, mimeBundle } from '../src/report/display';
import { getCurrentSignal } from './signal';

/**
 * The AbortSignal of the cell whose code calls this (also from that cell's callbacks): aborted
 * when the user interrupts the kernel during that cell. prunelab's training already stops on it
 * by default (throwing KeyboardInterrupt); pass it to loops you write yourself, or to `pl.train`
 * to get `stopReason: 'aborted'` back instead of the error.
 */
export function interruptSignal(): AbortSignal {
  return getCurrentSignal();
}
