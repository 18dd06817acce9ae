/**
 * Byte accounting: the storage of a weight in each sparse format (values + indices +
 * pointers, as held in memory: 16-bit indices where the dimension allows, 32-bit pointers,
 * one byte per N:M position), next to dense float32, a bit-packed mask, and gzip of the
 * dense masked weights (the number TF-MOT's tutorials report). For "model size vs sparsity".
 */
import { gzipBytes } from './gzip';

export { gzipBytes };
import { denseToSparse, SparseFormat, SparseMatrix, ToSparseOptions } from './formats';

/** Storage of one sparse matrix, in bytes. */
export interface SparseBytes {
  /** Stored values (float32), padding zeros of BSR blocks / N:M groups included. */
  values: number;
  /** Column / row / block-column / in-group indices. */
  indices: number;
  /** Row / column / block-row offsets. */
  pointers: number;
  /** values + indices + pointers. */
  total: number;
}

/**
 * Bytes held by a sparse matrix.
 *
 * @param s the matrix.
 */
export function sparseBytes(s: SparseMatrix): SparseBytes {
  let indices = 0;
  let pointers = 0;
  switch (s.format) {
    case 'coo':
      indices = s.rowIdx.byteLength + s.colIdx.byteLength;
      break;
    case 'csr':
      indices = s.colIdx.byteLength;
      pointers = s.rowPtr.byteLength;
      break;
    case 'csc':
      indices = s.rowIdx.byteLength;
      pointers = s.colPtr.byteLength;
      break;
    case 'bsr':
      indices = s.blockCol.byteLength;
      pointers = s.blockPtr.byteLength;
      break;
    case 'nm':
      indices = s.indices.byteLength;
      break;
  }
  const values = s.values.byteLength;
  return { values, indices, pointers, total: values + indices + pointers };
}

/** Bytes of the dense float32 matrix. */
export function denseBytes(shape: readonly number[]): number {
  return 4 * shape.reduce((a, b) => a * b, 1);
}

/** Bytes of a bit-packed 0/1 mask of this shape (1 bit per weight, see ./mask-bits.ts). */
export function maskBitsBytes(shape: readonly number[]): number {
  return Math.ceil(shape.reduce((a, b) => a * b, 1) / 8);
}

/** One row of a size report. */
export interface SizeRow {
  /** Weight name (or 'total'). */
  name: string;
  /** Weight shape (empty for the total). */
  shape: number[];
  /** Fraction of pruned (zero) weights. */
  sparsity: number;
  /** Dense float32 bytes. */
  dense: number;
  /** gzip of the dense masked float32 bytes. */
  gzip: number;
  /** Bit-packed mask bytes. */
  maskBits: number;
  /** Total bytes per format (formats that do not apply, e.g. N:M on a non-N:M pattern, are absent). */
  formats: Partial<Record<SparseFormat, number>>;
}

/** Options of {@link sizeReport}. */
export interface SizeReportOptions extends Omit<ToSparseOptions, 'mask'> {
  /** Formats to account; default all five. */
  formats?: SparseFormat[];
}

/**
 * Size of each weight and of all together in every format.
 *
 * @param weights name → { values (masked, row-major as A = Wᵀ or any 2-D view), shape [rows, cols] }.
 * @param opts formats and their parameters.
 * @returns one row per weight plus a final 'total' row.
 */
export function sizeReport(
  weights: Map<string, { values: Float32Array; shape: [number, number] }>,
  opts: SizeReportOptions = {},
): SizeRow[] {
  const formats = opts.formats ?? (['coo', 'csr', 'csc', 'bsr', 'nm'] as SparseFormat[]);
  const rows: SizeRow[] = [];
  const total: SizeRow = { name: 'total', shape: [], sparsity: 0, dense: 0, gzip: 0, maskBits: 0, formats: {} };
  let zeros = 0;
  let count = 0;
  const allValid = new Set<SparseFormat>(formats);
  for (const [name, w] of weights) {
    let z = 0;
    for (let i = 0; i < w.values.length; i++) if (w.values[i] === 0) z++;
    const row: SizeRow = {
      name,
      shape: [...w.shape],
      sparsity: w.values.length ? z / w.values.length : 0,
      dense: denseBytes(w.shape),
      gzip: gzipBytes(w.values),
      maskBits: maskBitsBytes(w.shape),
      formats: {},
    };
    for (const f of formats) {
      try {
        row.formats[f] = sparseBytes(denseToSparse(w.values, w.shape, f, opts)).total;
      } catch {
        allValid.delete(f); // e.g. the pattern is not N:M
      }
    }
    zeros += z;
    count += w.values.length;
    total.dense += row.dense;
    total.gzip += row.gzip;
    total.maskBits += row.maskBits;
    rows.push(row);
  }
  for (const f of allValid) total.formats[f] = rows.reduce((s, r) => s + (r.formats[f] ?? 0), 0);
  total.sparsity = count ? zeros / count : 0;
  rows.push(total);
  return rows;
}
