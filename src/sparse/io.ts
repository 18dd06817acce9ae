/**
 * Sparse-matrix files (.plsp) and validation of sparse data from outside.
 *
 * Layout (little endian): "PLSP" · u32 version (1) · u32 header bytes · header JSON (UTF-8),
 * zero padded to a multiple of 8 · the arrays named in the header, each padded to 8 bytes.
 * The header names the format, shape, format parameters and, for every array, its dtype and
 * length, so a truncated or tampered file is detected before anything is built. Saving writes
 * a temporary file and renames it: a failed save leaves no half-written file, and an unwritable
 * path gives an error naming it (never a hang).
 */
import { readRegularFile, writeFileAtomic } from '../io/files';
import { SparseMatrix, SPARSE_FORMATS } from './formats';
import { scanNonFinite } from '../data/finite';
import { UserError } from '../errors';

const MAGIC = 0x50534c50; // "PLSP" little endian
const VERSION = 1;

type ArrayDtype = 'uint8' | 'uint16' | 'uint32' | 'float32';
type Typed = Uint8Array | Uint16Array | Uint32Array | Float32Array;
const CTORS: Record<ArrayDtype, { new (buf: ArrayBuffer, off: number, len: number): Typed; BYTES_PER_ELEMENT: number }> = {
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, float32: Float32Array,
};

function dtypeOf(a: Typed): ArrayDtype {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Uint16Array) return 'uint16';
  return 'uint8';
}

/** The arrays of each format, in file order. */
const ARRAYS: Record<SparseMatrix['format'], string[]> = {
  coo: ['rowIdx', 'colIdx', 'values'],
  csr: ['rowPtr', 'colIdx', 'values'],
  csc: ['colPtr', 'rowIdx', 'values'],
  bsr: ['blockPtr', 'blockCol', 'values'],
  nm: ['values', 'indices'],
};

function fail(msg: string): never {
  throw new UserError(`Invalid sparse data: ${msg}`);
}

function checkIndex(a: ArrayLike<number>, bound: number, what: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!(a[i] < bound)) fail(`${what}[${i}] = ${a[i]} is out of range (must be < ${bound}).`);
  }
}

function checkPointers(ptr: ArrayLike<number>, count: number, nnz: number, what: string): void {
  if (ptr.length !== count + 1) fail(`${what} has ${ptr.length} entries, expected ${count + 1}.`);
  if (ptr[0] !== 0) fail(`${what}[0] = ${ptr[0]}, expected 0.`);
  for (let i = 0; i < count; i++) if (ptr[i + 1] < ptr[i]) fail(`${what} decreases at ${i} (${ptr[i]} > ${ptr[i + 1]}).`);
  if (ptr[count] !== nnz) fail(`${what} ends at ${ptr[count]} but ${nnz} entries are stored.`);
}

function checkAscending(ptr: ArrayLike<number>, idx: ArrayLike<number>, what: string): void {
  for (let r = 0; r + 1 < ptr.length; r++) {
    for (let p = ptr[r] + 1; p < ptr[r + 1]; p++) if (!(idx[p] > idx[p - 1])) fail(`${what} not strictly ascending in segment ${r} (duplicate or unsorted index ${idx[p]}).`);
  }
}

/**
 * Checks a sparse matrix for internal consistency: array lengths, pointer monotonicity,
 * indices in range and strictly ascending within a row / column, N:M positions distinct, finite
 * values (a NaN weight would otherwise load silently).
 *
 * @param s the matrix (e.g. decoded from a file or built by hand).
 * @throws an Error naming the first problem.
 */
export function validateSparse(s: SparseMatrix): void {
  if (!s || !SPARSE_FORMATS.includes(s.format)) fail(`unknown format '${(s as { format?: string })?.format}'; known formats: ${SPARSE_FORMATS.join(', ')}.`);
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`shape must be [rows, cols] of non-negative integers.`);
  const [rows, cols] = shape;
  if (!(s.values instanceof Float32Array)) fail('values must be a Float32Array (float32 weights).');
  const nonFinite = scanNonFinite(s.values);
  if (nonFinite) {
    fail(`values[${nonFinite.firstIndex}] = ${nonFinite.firstValue} is not finite: the weights are corrupt or come from a diverged training run.`);
  }
  switch (s.format) {
    case 'coo':
      if (s.rowIdx.length !== s.values.length || s.colIdx.length !== s.values.length) fail(`COO arrays differ in length (${s.rowIdx.length}, ${s.colIdx.length}, ${s.values.length}).`);
      checkIndex(s.rowIdx, rows, 'rowIdx');
      checkIndex(s.colIdx, cols, 'colIdx');
      for (let p = 1; p < s.values.length; p++) {
        const a = s.rowIdx[p - 1] * cols + s.colIdx[p - 1];
        const b = s.rowIdx[p] * cols + s.colIdx[p];
        if (!(b > a)) fail(`COO entries not strictly row-major sorted at ${p}.`);
      }
      break;
    case 'csr':
      checkPointers(s.rowPtr, rows, s.values.length, 'rowPtr');
      if (s.colIdx.length !== s.values.length) fail(`colIdx has ${s.colIdx.length} entries, values ${s.values.length}.`);
      checkIndex(s.colIdx, cols, 'colIdx');
      checkAscending(s.rowPtr, s.colIdx, 'colIdx');
      break;
    case 'csc':
      checkPointers(s.colPtr, cols, s.values.length, 'colPtr');
      if (s.rowIdx.length !== s.values.length) fail(`rowIdx has ${s.rowIdx.length} entries, values ${s.values.length}.`);
      checkIndex(s.rowIdx, rows, 'rowIdx');
      checkAscending(s.colPtr, s.rowIdx, 'rowIdx');
      break;
    case 'bsr': {
      const [R, C] = s.blockShape ?? [];
      if (!Number.isInteger(R) || !Number.isInteger(C) || R < 1 || C < 1) fail(`blockShape must be two positive integers.`);
      checkPointers(s.blockPtr, Math.ceil(rows / R), s.blockCol.length, 'blockPtr');
      checkIndex(s.blockCol, Math.ceil(cols / C), 'blockCol');
      checkAscending(s.blockPtr, s.blockCol, 'blockCol');
      if (s.values.length !== s.blockCol.length * R * C) fail(`BSR values hold ${s.values.length} numbers, ${s.blockCol.length} blocks of ${R}×${C} need ${s.blockCol.length * R * C}.`);
      break;
    }
    case 'nm': {
      const { n, m } = s;
      if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || n > m || m > 255) fail(`invalid N:M = ${n}:${m}; need integers 1 ≤ N ≤ M ≤ 255.`);
      if (cols % m !== 0) fail(`N:M needs cols (${cols}) to be a multiple of M = ${m}.`);
      const need = rows * (cols / m) * n;
      if (s.values.length !== need || s.indices.length !== need) fail(`N:M arrays hold ${s.values.length} values / ${s.indices.length} indices, shape [${rows}, ${cols}] at ${n}:${m} needs ${need}.`);
      checkIndex(s.indices, m, 'indices');
      for (let g = 0; g < need; g += n) {
        for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) {
          if (s.indices[g + a] === s.indices[g + b]) fail(`N:M group ${g / n} repeats position ${s.indices[g + a]}.`);
        }
      }
      break;
    }
  }
}

/**
 * Serialises a sparse matrix.
 *
 * @param s the matrix (validated first).
 * @returns the file bytes.
 */
export function encodeSparse(s: SparseMatrix): Uint8Array {
  validateSparse(s);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const arrays = ARRAYS[s.format].map((name) => ({ name, data: (s as any)[name] as Typed }));
  const header = {
    format: s.format,
    shape: s.shape,
    ...(s.format === 'bsr' ? { blockShape: s.blockShape } : {}),
    ...(s.format === 'nm' ? { n: s.n, m: s.m } : {}),
    arrays: arrays.map((a) => ({ name: a.name, dtype: dtypeOf(a.data), length: a.data.length })),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  let size = pad8(12 + headerBytes.length);
  for (const a of arrays) size += pad8(a.data.byteLength);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  let off = pad8(12 + headerBytes.length);
  for (const a of arrays) {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), off);
    off += pad8(a.data.byteLength);
  }
  return out;
}

/**
 * Parses and validates sparse-matrix file bytes.
 *
 * @param bytes the file content.
 * @returns the matrix (its arrays are copies, aligned).
 * @throws on a wrong magic number or version, a truncated file, a header that does not match
 *   its arrays, or inconsistent data (out-of-range indices, invalid N:M, ...).
 */
export function decodeSparse(bytes: Uint8Array): SparseMatrix {
  if (bytes.length < 12) fail(`file too short (${bytes.length} bytes); it is truncated or not a .plsp file.`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) fail('not a prunelab sparse file (bad magic number).');
  const version = dv.getUint32(4, true);
  if (version !== VERSION) fail(`file version ${version}; this prunelab reads version ${VERSION}.`);
  const hlen = dv.getUint32(8, true);
  if (12 + hlen > bytes.length) fail(`header of ${hlen} bytes runs past the end of the file (${bytes.length} bytes): the file is truncated.`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let header: any;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + hlen)));
  } catch (e) {
    fail(`unreadable header (${(e as Error).message}).`);
  }
  const format = header?.format as SparseMatrix['format'];
  if (!SPARSE_FORMATS.includes(format)) fail(`unknown format '${format}' in header; known formats: ${SPARSE_FORMATS.join(', ')}.`);
  const expected = ARRAYS[format];
  const listed = header.arrays as Array<{ name: string; dtype: ArrayDtype; length: number }>;
  if (!Array.isArray(listed) || listed.length !== expected.length || listed.some((a, i) => a?.name !== expected[i])) {
    fail(`header lists arrays ${JSON.stringify(listed?.map?.((a) => a?.name))}, format '${format}' needs ${JSON.stringify(expected)}.`);
  }
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  let off = pad8(12 + hlen);
  const out: Record<string, unknown> = { format, shape: header.shape };
  if (format === 'bsr') out.blockShape = header.blockShape;
  if (format === 'nm') {
    out.n = header.n;
    out.m = header.m;
  }
  for (const a of listed) {
    const ctor = CTORS[a.dtype];
    if (!ctor) fail(`array '${a.name}' has unknown dtype '${a.dtype}'.`);
    if (!Number.isInteger(a.length) || a.length < 0) fail(`array '${a.name}' has invalid length ${a.length}.`);
    const nbytes = a.length * ctor.BYTES_PER_ELEMENT;
    if (off + nbytes > bytes.length) fail(`array '${a.name}' needs ${nbytes} bytes at offset ${off} but the file has ${bytes.length}: the file is truncated.`);
    const copy = new ArrayBuffer(nbytes);
    new Uint8Array(copy).set(bytes.subarray(off, off + nbytes));
    out[a.name] = new ctor(copy, 0, a.length);
    off += pad8(nbytes);
  }
  if (off > bytes.length) fail(`the file ends ${off - bytes.length} bytes early (padding of the last array missing): the file is truncated.`);
  if (off < bytes.length) fail(`${bytes.length - off} unexpected bytes after the last array.`);
  for (const k of ['colIdx', 'rowIdx']) {
    const v = out[k];
    if (v !== undefined && !(v instanceof Uint16Array) && !(v instanceof Uint32Array)) fail(`'${k}' must be uint16 or uint32.`);
  }
  const s = out as unknown as SparseMatrix;
  validateSparse(s);
  return s;
}

/**
 * Writes a sparse matrix to a file atomically (temporary file + rename; the directory is created).
 *
 * @param file destination path.
 * @param s the matrix.
 * @throws Error naming `file` when the matrix is invalid or the file cannot be written (no path hangs).
 */
export function saveSparse(file: string, s: SparseMatrix): void {
  const bytes = encodeSparse(s); // validates before touching the disk
  writeFileAtomic(file, bytes, 'sparse matrix file');
}

/**
 * Reads and validates a sparse-matrix file.
 *
 * @param file path of a .plsp file.
 */
export function loadSparse(file: string): SparseMatrix {
  const bytes = new Uint8Array(readRegularFile(file, 'sparse matrix file')); // errors name the file
  try {
    return decodeSparse(bytes);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
}
