/**
 * The browser build's gzip size: browsers compress only asynchronously (CompressionStream) and
 * the size report is synchronous, so the browser edition reports NaN ("not measured") rather
 * than a number from another compressor.
 */

/** NaN: gzip sizes are measured in the Node edition only. */
export function gzipBytes(_values: Float32Array): number {
  return NaN;
}
