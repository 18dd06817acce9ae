/**
 * Loads danfojs in the browser build: danfojs-node's platform-independent core (DataFrame,
 * Series, transformers), whose only tie to Node is `@tensorflow/tfjs-node`, which the bundler
 * points at the page's `@tensorflow/tfjs` (as `vendor/tfjs-node-shim` does in Node). Its file
 * readers and writers (CSV, Excel, JSON streams) need Node and are left out.
 */
import type * as Danfo from 'danfojs-node';

/** The danfojs core module (DataFrame, Series, ...), typed as danfojs-node. */
export function loadDanfo(): typeof Danfo {
  return require('danfojs-node/dist/danfojs-base') as typeof Danfo;
}
