/**
 * The IDX format's pure part: header parsing, value decoding and shape checks on bytes in memory
 * (no file system, no zlib), shared by the Node reader (`./idx`) and the browser edition.
 * See `./idx` for the format.
 */
import { IdxFormatError } from './errors';

/** Element types an IDX file can hold. */
export type IdxDataType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** Typed array holding the values of an IDX file. */
export type IdxTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX array. */
export interface IdxArray {
  /** Element type from the header. */
  dtype: IdxDataType;
  /** Dimensions from the header, e.g. `[60000, 28, 28]`. */
  shape: number[];
  /** The values, row-major, in native byte order. */
  data: IdxTypedArray;
}

/** What the caller expects of a file; any mismatch is an {@link IdxFormatError}. */
export interface IdxExpectation {
  /** Required element type. */
  dtype?: IdxDataType;
  /** Required shape; `null` entries accept any size (e.g. `[null, 28, 28]`). Also fixes the rank. */
  shape?: (number | null)[];
}

/** How one IDX element type is stored. */
export interface TypeInfo {
  /** The type byte of the header (byte 2). */
  code: number;
  /** The element type's name. */
  name: IdxDataType;
  /** Bytes per element. */
  bytes: number;
}

/** The element types of the format, by type code. */
export const TYPES: readonly TypeInfo[] = [
  { code: 0x08, name: 'uint8', bytes: 1 },
  { code: 0x09, name: 'int8', bytes: 1 },
  { code: 0x0b, name: 'int16', bytes: 2 },
  { code: 0x0c, name: 'int32', bytes: 4 },
  { code: 0x0d, name: 'float32', bytes: 4 },
  { code: 0x0e, name: 'float64', bytes: 8 },
];

const typeByCode = (code: number) => TYPES.find((t) => t.code === code);
/** The stored form of a named element type. */
export const typeByName = (name: IdxDataType) => TYPES.find((t) => t.name === name)!;

function hex(bytes: Uint8Array, count: number): string {
  return Array.from(bytes.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(nothing)';
}

/** True when `bytes` starts with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses uncompressed IDX bytes. For `uint8` the result's data is a view on `bytes` (no copy).
 *
 * @param bytes the whole uncompressed file.
 * @param source file name used in error messages.
 * @throws IdxFormatError on a bad magic number, unknown type, zero rank, or a length that does
 *   not match the header (truncated or with trailing bytes).
 */
export function parseIdxContent(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4) {
    throw new IdxFormatError(
      source,
      `truncated IDX file: expected at least a 4-byte header (00 00 <type> <rank>), found ${bytes.length} bytes.`,
    );
  }
  const type = typeByCode(bytes[2]);
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type) {
    throw new IdxFormatError(
      source,
      `not an IDX file: expected magic bytes 00 00 <type> <rank> with type one of ` +
        `${TYPES.map((t) => `${t.code.toString(16).padStart(2, '0')} (${t.name})`).join(', ')} ` +
        `(e.g. 00 00 08 03 for uint8 images), found ${hex(bytes, 4)}.`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) throw new IdxFormatError(source, `IDX header declares 0 dimensions; expected at least 1.`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      source,
      `truncated IDX file: the header declares ${rank} dimensions, so expected a ${headerBytes}-byte header, ` +
        `found only ${bytes.length} bytes.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const dataBytes = count * type.bytes;
  const expectedTotal = headerBytes + dataBytes;
  if (bytes.length !== expectedTotal) {
    const what = bytes.length < expectedTotal ? 'truncated IDX file' : 'IDX file has trailing bytes';
    throw new IdxFormatError(
      source,
      `${what}: the header declares ${type.name} data of shape [${shape.join(', ')}] = ${dataBytes} bytes ` +
        `after the ${headerBytes}-byte header (${expectedTotal} bytes in all), found ${bytes.length} bytes.`,
    );
  }
  return { dtype: type.name, shape, data: decodeValues(bytes, headerBytes, count, type) };
}

function decodeValues(bytes: Uint8Array, offset: number, count: number, type: TypeInfo): IdxTypedArray {
  switch (type.name) {
    case 'uint8':
      return bytes.subarray(offset, offset + count);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
    default: {
      // Multi-byte values are big-endian in IDX: read them one by one through a DataView.
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * type.bytes);
      if (type.name === 'int16') {
        const out = new Int16Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, false);
        return out;
      }
      if (type.name === 'int32') {
        const out = new Int32Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, false);
        return out;
      }
      if (type.name === 'float32') {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, false);
        return out;
      }
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, false);
      return out;
    }
  }
}

/**
 * Checks a decoded array against what the caller expects.
 * @throws IdxFormatError naming the file, the expected and the found type or shape.
 */
export function checkIdxExpectation(idx: IdxArray, expect: IdxExpectation | undefined, source: string): void {
  if (!expect) return;
  if (expect.dtype && idx.dtype !== expect.dtype) {
    throw new IdxFormatError(source, `wrong IDX data type: expected ${expect.dtype}, found ${idx.dtype}.`);
  }
  if (expect.shape) {
    const want = expect.shape;
    const ok = want.length === idx.shape.length && want.every((d, i) => d === null || d === idx.shape[i]);
    if (!ok) {
      throw new IdxFormatError(
        source,
        `wrong IDX dimensions: expected [${want.map((d) => (d === null ? 'any' : d)).join(', ')}], ` +
          `found [${idx.shape.join(', ')}].`,
      );
    }
  }
}
