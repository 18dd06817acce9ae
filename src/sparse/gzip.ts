/** gzip sizes for the byte accounting (the browser build substitutes `gzip.browser.ts`). */
import * as zlib from 'zlib';

/**
 * Bytes of gzip (level 9) of the dense float32 little-endian values.
 *
 * @param values the (masked) dense weights.
 */
export function gzipBytes(values: Float32Array): number {
  return zlib.gzipSync(Buffer.from(values.buffer, values.byteOffset, values.byteLength), { level: 9 }).length;
}
