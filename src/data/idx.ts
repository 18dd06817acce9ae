/**
 * Reader and writer for the IDX format of MNIST, Fashion-MNIST, KMNIST, EMNIST:
 *
 * ```
 * byte 0-1  0x00 0x00
 * byte 2    data type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 * byte 3    number of dimensions d
 * then      d big-endian uint32 sizes, then the values, big-endian, row-major
 * ```
 *
 * Files may be raw or gzip-compressed; which one is told by the magic bytes (1f 8b for gzip),
 * never by the file name. Everything is validated: a truncated or corrupt file gives an
 * {@link IdxFormatError} naming the file, what was expected and what was found.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { promisify } from 'util';
import { IdxFormatError } from './errors';
import { sha256Hex } from './checksum';
import { OptionError, ShapeError } from '../errors';

const gunzipAsync = promisify(zlib.gunzip);

export {
  isGzip,
  parseIdxContent,
  checkIdxExpectation,
  type IdxDataType,
  type IdxTypedArray,
  type IdxArray,
  type IdxExpectation,
} from './idx-parse';
import { TYPES, typeByName, isGzip, parseIdxContent, checkIdxExpectation, type IdxArray, type IdxExpectation, type IdxDataType, type IdxTypedArray } from './idx-parse';

function gzipError(source: string, err: unknown): IdxFormatError {
  const msg = err instanceof Error ? err.message : String(err);
  const truncated = /unexpected end/i.test(msg);
  return new IdxFormatError(
    source,
    `${truncated ? 'truncated' : 'corrupt'} gzip stream (zlib: ${msg}); expected a complete gzip-compressed ` +
      `IDX file. Delete the file and fetch it again.`,
  );
}

/** Decompresses gzip bytes synchronously, with errors that name `source`. */
export function gunzipIdxSync(bytes: Uint8Array, source: string): Uint8Array {
  try {
    return zlib.gunzipSync(bytes);
  } catch (err) {
    throw gzipError(source, err);
  }
}

/** Decompresses gzip bytes on the libuv thread pool (keeps the event loop responsive). */
export async function gunzipIdx(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  try {
    return await gunzipAsync(bytes);
  } catch (err) {
    throw gzipError(source, err);
  }
}

/**
 * Parses an IDX file held in memory, raw or gzip-compressed (detected by magic bytes).
 *
 * @param bytes file contents.
 * @param source name for error messages (a path, a URL, ...).
 * @param expect optional required type and shape.
 * @returns the decoded array.
 */
export function parseIdx(bytes: Uint8Array, source = '<buffer>', expect?: IdxExpectation): IdxArray {
  const content = isGzip(bytes) ? gunzipIdxSync(bytes, source) : bytes;
  const idx = parseIdxContent(content, source);
  checkIdxExpectation(idx, expect, source);
  return idx;
}

/** An IDX file read from disk, with the digests the checksum code needs. */
export interface IdxFile {
  /** Absolute path of the file. */
  path: string;
  /** Size of the file on disk, in bytes. */
  bytes: number;
  /** Whether the file is gzip-compressed. */
  gzipped: boolean;
  /** SHA-256 (lower-case hex) of the file as stored on disk. */
  fileSha256: string;
  /** SHA-256 of the uncompressed IDX bytes (equals `fileSha256` for a raw file); computed on first call. */
  contentSha256(): string;
  /** The decoded array. Shared by every reader of this file in this process: do not modify it. */
  idx: IdxArray;
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  file: Promise<IdxFile>;
}

/** Parsed files by absolute path; an entry is reused while the file's size and mtime are unchanged. */
const fileCache = new Map<string, CacheEntry>();

/** Forgets every cached IDX file (frees their memory). */
export function clearIdxCache(): void {
  fileCache.clear();
}

async function readAndParse(absPath: string): Promise<IdxFile> {
  let stored: Uint8Array;
  try {
    stored = await fsp.readFile(absPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IdxFormatError(absPath, `cannot read the file (${code ?? (err as Error).message}).`);
  }
  const gzipped = isGzip(stored);
  const fileSha256 = sha256Hex(stored);
  const content = gzipped ? await gunzipIdx(stored, absPath) : stored;
  const idx = parseIdxContent(content, absPath);
  let contentSha: string | undefined = gzipped ? undefined : fileSha256;
  // Keep only `content` (which `idx.data` views for uint8 anyway), not the compressed bytes.
  return {
    path: absPath,
    bytes: stored.length,
    gzipped,
    fileSha256,
    contentSha256: () => (contentSha ??= sha256Hex(content)),
    idx,
  };
}

/**
 * Reads and parses an IDX file (raw or gzip), caching the result in-process by path so that
 * loading the same dataset twice costs nothing. The cache entry is dropped if the file's size
 * or modification time changes.
 *
 * @param filePath path of the file.
 * @param expect optional required type and shape (checked on every call, also on cache hits).
 * @param options `cache: false` bypasses the in-process cache.
 * @throws IdxFormatError when the file is unreadable, not IDX, truncated, corrupt or unexpected.
 */
export async function readIdxFile(
  filePath: string,
  expect?: IdxExpectation,
  options: { cache?: boolean } = {},
): Promise<IdxFile> {
  const absPath = path.resolve(filePath);
  let stat;
  try {
    stat = await fsp.stat(absPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IdxFormatError(absPath, `cannot read the file (${code ?? (err as Error).message}).`);
  }
  let entry = options.cache === false ? undefined : fileCache.get(absPath);
  if (!entry || entry.size !== stat.size || entry.mtimeMs !== stat.mtimeMs) {
    entry = { size: stat.size, mtimeMs: stat.mtimeMs, file: readAndParse(absPath) };
    if (options.cache !== false) {
      fileCache.set(absPath, entry);
      const mine = entry;
      // A failed read must not stay cached: the user may fix the file and retry.
      mine.file.catch(() => {
        if (fileCache.get(absPath) === mine) fileCache.delete(absPath);
      });
    }
  }
  const file = await entry.file;
  checkIdxExpectation(file.idx, expect, absPath);
  return file;
}

/**
 * Encodes an array as IDX bytes (for tests, tiny datasets and exporting).
 *
 * @param array type, shape and row-major values (`data.length` must equal the shape's product).
 * @param options `gzip: true` compresses the result (level 9, no file name or time stamp, so the
 *   output is byte-for-byte reproducible).
 * @returns the file contents.
 */
export function encodeIdx(
  array: { dtype: IdxDataType; shape: number[]; data: ArrayLike<number> },
  options: { gzip?: boolean } = {},
): Buffer {
  const type = typeByName(array.dtype);
  if (!type) throw new OptionError(`encodeIdx: unknown dtype '${array.dtype}'. Known: ${TYPES.map((t) => t.name).join(', ')}.`, 'dtype');
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.shape.length === 0 || array.shape.length > 255) {
    throw new ShapeError(`encodeIdx: rank must be 1..255; got shape [${array.shape.join(', ')}].`);
  }
  if (array.data.length !== count) {
    throw new ShapeError(`encodeIdx: shape [${array.shape.join(', ')}] holds ${count} values but data has ${array.data.length}.`);
  }
  const header = 4 + 4 * array.shape.length;
  const out = Buffer.alloc(header + count * type.bytes);
  out[2] = type.code;
  out[3] = array.shape.length;
  array.shape.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < count; i++) {
    const v = array.data[i];
    const at = header + i * type.bytes;
    switch (type.name) {
      case 'uint8': view.setUint8(at, v); break;
      case 'int8': view.setInt8(at, v); break;
      case 'int16': view.setInt16(at, v, false); break;
      case 'int32': view.setInt32(at, v, false); break;
      case 'float32': view.setFloat32(at, v, false); break;
      case 'float64': view.setFloat64(at, v, false); break;
    }
  }
  return options.gzip ? zlib.gzipSync(out, { level: 9 }) : out;
}
