/** Loads danfojs for Node (the browser build substitutes `danfo-module.browser.ts`). */
import type * as Danfo from 'danfojs-node';

/** The danfojs-node module; it takes most of a second, so callers load it on first use. */
export function loadDanfo(): typeof Danfo {
  return require('danfojs-node') as typeof Danfo;
}
