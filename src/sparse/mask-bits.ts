/**
 * Bit-packed 0/1 masks for persistence: 8 mask entries per byte (LSB first), ~32× smaller than
 * float32. Masks stay float32 0/1 tensors in memory (the compute form); only files use bits.
 */
import { UserError } from '../errors';

/**
 * Packs a 0/1 array into bits. Any non-zero value counts as 1.
 *
 * @param values mask values in row-major order.
 * @returns `ceil(values.length / 8)` bytes, entry `i` at bit `i % 8` of byte `i >> 3`.
 */
export function packMaskBits(values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (values[i] !== 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/**
 * Unpacks bits made by {@link packMaskBits}.
 *
 * @param bits the packed bytes.
 * @param length number of mask entries (bits beyond it must be 0).
 * @returns a Float32Array of 0/1 values.
 * @throws when `bits` is too short or long for `length`, or has stray bits set past `length`.
 */
export function unpackMaskBits(bits: Uint8Array, length: number): Float32Array {
  const need = (length + 7) >> 3;
  if (bits.length !== need) {
    throw new UserError(`Mask bits hold ${bits.length} bytes but ${length} entries need ${need}; the file is truncated or belongs to another shape.`);
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (bits[i >> 3] >> (i & 7)) & 1;
  if (length & 7 && bits[need - 1] >> (length & 7)) {
    throw new UserError(`Mask bits have bits set past entry ${length}; the data is corrupt.`);
  }
  return out;
}

/** Number of ones in packed mask bits (population count). */
export function countMaskBits(bits: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i];
    while (b) {
      b &= b - 1;
      c++;
    }
  }
  return c;
}

/** Base64 text of bytes (for JSON files). */
export function bytesToBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  // browsers: btoa over a binary string, in chunks (spreading a large array overflows the stack)
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Bytes of base64 text. @throws on characters outside the base64 alphabet. */
export function base64ToBytes(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new UserError('Invalid base64 text in mask data.');
  if (typeof Buffer === 'undefined') return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
