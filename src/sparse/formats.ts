/**
 * Sparse matrix formats and exact conversion from / to a masked dense matrix.
 *
 * Every format describes a 2-D matrix A of shape [rows, cols] in row-major terms. For a layer
 * kernel the sparse core stores A = Wᵀ (rows = output units, cols = inputs; see
 * `kernelToSparse` in ./tensor.ts): the inference kernels are then row-parallel, each output
 * unit is one independent sparse dot product, and N:M groups run along the reduction (input)
 * dimension as in NVIDIA's 2:4 sparsity.
 *
 * The pattern (which entries are stored) is the mask when one is given, else the non-zero
 * entries. Conversion back with `sparseToDense` reproduces the masked matrix bit for bit.
 */
import { OptionError, ShapeError, UserError } from '../errors';

/** Names of the sparse formats. */
export type SparseFormat = 'coo' | 'csr' | 'csc' | 'bsr' | 'nm';
/** All format names, in the order they are reported. */
export const SPARSE_FORMATS: readonly SparseFormat[] = ['coo', 'csr', 'csc', 'bsr', 'nm'];

/** Index arrays use 16 bits when the indexed dimension allows it (halves index bytes). */
export type IndexArray = Uint16Array | Uint32Array;

interface SparseBase {
  /** [rows, cols] of the dense matrix. */
  shape: [number, number];
}

/** Coordinate list, sorted row-major. */
export interface CooMatrix extends SparseBase {
  /** Format tag. */
  format: 'coo';
  /** Row of each stored entry. */
  rowIdx: IndexArray;
  /** Column of each stored entry. */
  colIdx: IndexArray;
  /** Value of each stored entry. */
  values: Float32Array;
}

/** Compressed sparse rows. */
export interface CsrMatrix extends SparseBase {
  /** Format tag. */
  format: 'csr';
  /** rows + 1 offsets: the entries of row r are rowPtr[r] .. rowPtr[r+1]-1. */
  rowPtr: Uint32Array;
  /** Column of each stored entry, ascending within a row. */
  colIdx: IndexArray;
  /** Value of each stored entry. */
  values: Float32Array;
}

/** Compressed sparse columns. */
export interface CscMatrix extends SparseBase {
  /** Format tag. */
  format: 'csc';
  /** cols + 1 offsets: the entries of column c are colPtr[c] .. colPtr[c+1]-1. */
  colPtr: Uint32Array;
  /** Row of each stored entry, ascending within a column. */
  rowIdx: IndexArray;
  /** Value of each stored entry. */
  values: Float32Array;
}

/** Block sparse rows with dense R × C blocks (edge blocks are zero padded). */
export interface BsrMatrix extends SparseBase {
  /** Format tag. */
  format: 'bsr';
  /** [R, C], the block height and width. */
  blockShape: [number, number];
  /** ceil(rows / R) + 1 offsets into blockCol. */
  blockPtr: Uint32Array;
  /** Block column of each stored block, ascending within a block row. */
  blockCol: Uint32Array;
  /** Block values, [nBlocks, R, C] row-major; pattern zeros inside a block are stored as 0. */
  values: Float32Array;
}

/** N:M structured sparsity along the columns: at most N stored entries per M consecutive columns. */
export interface NmMatrix extends SparseBase {
  /** Format tag. */
  format: 'nm';
  /** Entries kept per group. */
  n: number;
  /** Group size (cols must be a multiple of M). */
  m: number;
  /** Values, [rows, cols / M, N]; groups with fewer than N entries are padded with zeros. */
  values: Float32Array;
  /** Position of each value inside its group (0 .. M-1, distinct within a group), same layout. */
  indices: Uint8Array;
}

/** Any sparse matrix. */
export type SparseMatrix = CooMatrix | CsrMatrix | CscMatrix | BsrMatrix | NmMatrix;

/** Options for {@link denseToSparse}. */
export interface ToSparseOptions {
  /** Pattern: entries with mask ≠ 0 are stored. Default: the non-zero entries of the values. */
  mask?: ArrayLike<number>;
  /** BSR block [R, C]. Default [4, 4]. */
  blockShape?: [number, number];
  /** N for N:M. Default 2. */
  n?: number;
  /** M for N:M. Default 4. */
  m?: number;
}

/** The smallest index array that holds indices below `bound`. */
export function makeIndexArray(length: number, bound: number): IndexArray {
  return bound <= 0x10000 ? new Uint16Array(length) : new Uint32Array(length);
}

function checkShape(shape: readonly number[], length: number, what: string): [number, number] {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${what}: shape must be [rows, cols] of non-negative integers, got [${shape.join(', ')}].`);
  }
  if (shape[0] * shape[1] !== length) {
    throw new ShapeError(`${what}: ${length} values do not fill shape [${shape.join(', ')}] (${shape[0] * shape[1]} needed).`);
  }
  return [shape[0], shape[1]];
}

/**
 * Converts a (masked) dense row-major matrix to a sparse format.
 *
 * @param data row-major values, length rows·cols.
 * @param shape [rows, cols].
 * @param format target format.
 * @param opts pattern mask, BSR block shape, N:M parameters.
 * @returns the sparse matrix; its `sparseToDense` equals `data` where the pattern holds, 0 elsewhere.
 * @throws on shape mismatch, a bad block shape, or a pattern that is not N:M.
 */
export function denseToSparse(
  data: ArrayLike<number>,
  shape: readonly number[],
  format: SparseFormat,
  opts: ToSparseOptions = {},
): SparseMatrix {
  const [rows, cols] = checkShape(shape, data.length, 'denseToSparse');
  const mask = opts.mask;
  if (mask !== undefined && mask.length !== data.length) {
    throw new ShapeError(`denseToSparse: mask has ${mask.length} entries but the matrix has ${data.length}; pass the mask of this weight.`);
  }
  const keep = mask ? (i: number) => mask[i] !== 0 : (i: number) => data[i] !== 0;
  switch (format) {
    case 'csr':
    case 'coo': {
      let nnz = 0;
      for (let i = 0; i < data.length; i++) if (keep(i)) nnz++;
      const rowPtr = new Uint32Array(rows + 1);
      const colIdx = makeIndexArray(nnz, cols);
      const values = new Float32Array(nnz);
      let p = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0, i = r * cols; c < cols; c++, i++) {
          if (keep(i)) {
            colIdx[p] = c;
            values[p++] = data[i];
          }
        }
        rowPtr[r + 1] = p;
      }
      if (format === 'csr') return { format, shape: [rows, cols], rowPtr, colIdx, values };
      const rowIdx = makeIndexArray(nnz, rows);
      for (let r = 0; r < rows; r++) rowIdx.fill(r, rowPtr[r], rowPtr[r + 1]);
      return { format, shape: [rows, cols], rowIdx, colIdx, values };
    }
    case 'csc': {
      const colPtr = new Uint32Array(cols + 1);
      for (let i = 0; i < data.length; i++) if (keep(i)) colPtr[(i % cols) + 1]++;
      for (let c = 0; c < cols; c++) colPtr[c + 1] += colPtr[c];
      const nnz = colPtr[cols];
      const rowIdx = makeIndexArray(nnz, rows);
      const values = new Float32Array(nnz);
      const next = colPtr.slice(0, cols);
      for (let r = 0; r < rows; r++) {
        for (let c = 0, i = r * cols; c < cols; c++, i++) {
          if (keep(i)) {
            const p = next[c]++;
            rowIdx[p] = r;
            values[p] = data[i];
          }
        }
      }
      return { format, shape: [rows, cols], colPtr, rowIdx, values };
    }
    case 'bsr': {
      const [R, C] = opts.blockShape ?? [4, 4];
      if (!Number.isInteger(R) || !Number.isInteger(C) || R < 1 || C < 1) {
        throw new OptionError(`denseToSparse: BSR block shape must be two positive integers, got [${R}, ${C}].`, 'blockShape');
      }
      const nbr = Math.ceil(rows / R);
      const nbc = Math.ceil(cols / C);
      const blockPtr = new Uint32Array(nbr + 1);
      const cols_: number[] = [];
      const vals: number[] = [];
      const used = new Uint8Array(nbc);
      for (let br = 0; br < nbr; br++) {
        used.fill(0);
        const r1 = Math.min(rows, (br + 1) * R);
        for (let r = br * R; r < r1; r++) for (let c = 0; c < cols; c++) if (keep(r * cols + c)) used[(c / C) | 0] = 1;
        for (let bc = 0; bc < nbc; bc++) {
          if (!used[bc]) continue;
          cols_.push(bc);
          for (let rr = 0; rr < R; rr++) {
            for (let cc = 0; cc < C; cc++) {
              const r = br * R + rr;
              const c = bc * C + cc;
              const i = r * cols + c;
              vals.push(r < rows && c < cols && keep(i) ? data[i] : 0);
            }
          }
        }
        blockPtr[br + 1] = cols_.length;
      }
      return {
        format,
        shape: [rows, cols],
        blockShape: [R, C],
        blockPtr,
        blockCol: Uint32Array.from(cols_),
        values: Float32Array.from(vals),
      };
    }
    case 'nm': {
      const n = opts.n ?? 2;
      const m = opts.m ?? 4;
      if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < 1 || n > m || m > 255) {
        throw new OptionError(`denseToSparse: invalid N:M = ${n}:${m}; need integers 1 ≤ N ≤ M ≤ 255 (e.g. 2:4).`, 'nm');
      }
      if (cols % m !== 0) {
        throw new ShapeError(`denseToSparse: N:M groups of ${m} need the column count (${cols}) to be a multiple of ${m}.`);
      }
      const G = cols / m;
      const values = new Float32Array(rows * G * n);
      const indices = new Uint8Array(rows * G * n);
      for (let r = 0; r < rows; r++) {
        for (let g = 0; g < G; g++) {
          const base = (r * G + g) * n;
          let k = 0;
          for (let j = 0; j < m; j++) {
            const i = r * cols + g * m + j;
            if (!keep(i)) continue;
            if (k === n) {
              throw new UserError(
                `denseToSparse: the pattern is not ${n}:${m}: row ${r}, columns ${g * m}..${g * m + m - 1} ` +
                  `hold more than ${n} entries. Prune with an N:M granularity first, or use 'csr'.`,
              );
            }
            values[base + k] = data[i];
            indices[base + k++] = j;
          }
          // Pad short groups with explicit zeros at unused positions, keeping indices distinct.
          for (let j = 0; k < n; j++) {
            let taken = false;
            for (let q = 0; q < k; q++) if (indices[base + q] === j) taken = true;
            if (!taken) indices[base + k++] = j;
          }
        }
      }
      return { format, shape: [rows, cols], n, m, values, indices };
    }
    default:
      throw new OptionError(`Unknown sparse format '${format as string}'. Known formats: ${SPARSE_FORMATS.join(', ')}.`, 'format');
  }
}

/**
 * Expands a sparse matrix to a dense row-major Float32Array (zeros outside the pattern).
 *
 * @param s the sparse matrix.
 * @returns rows·cols values.
 */
export function sparseToDense(s: SparseMatrix): Float32Array {
  const [rows, cols] = s.shape;
  const out = new Float32Array(rows * cols);
  switch (s.format) {
    case 'coo':
      for (let p = 0; p < s.values.length; p++) out[s.rowIdx[p] * cols + s.colIdx[p]] = s.values[p];
      break;
    case 'csr':
      for (let r = 0; r < rows; r++) for (let p = s.rowPtr[r]; p < s.rowPtr[r + 1]; p++) out[r * cols + s.colIdx[p]] = s.values[p];
      break;
    case 'csc':
      for (let c = 0; c < cols; c++) for (let p = s.colPtr[c]; p < s.colPtr[c + 1]; p++) out[s.rowIdx[p] * cols + c] = s.values[p];
      break;
    case 'bsr': {
      const [R, C] = s.blockShape;
      for (let br = 0; br + 1 < s.blockPtr.length; br++) {
        for (let p = s.blockPtr[br]; p < s.blockPtr[br + 1]; p++) {
          const bc = s.blockCol[p];
          for (let rr = 0; rr < R; rr++) {
            const r = br * R + rr;
            if (r >= rows) break;
            for (let cc = 0; cc < C; cc++) {
              const c = bc * C + cc;
              if (c < cols) out[r * cols + c] = s.values[(p * R + rr) * C + cc];
            }
          }
        }
      }
      break;
    }
    case 'nm': {
      const G = cols / s.m;
      for (let r = 0; r < rows; r++) {
        for (let g = 0; g < G; g++) {
          for (let k = 0; k < s.n; k++) {
            const q = (r * G + g) * s.n + k;
            // Padding entries hold 0 at positions outside the pattern (indices are distinct).
            out[r * cols + g * s.m + s.indices[q]] = s.values[q];
          }
        }
      }
      break;
    }
  }
  return out;
}

/**
 * Converts between formats (via CSR-order traversal; exact).
 *
 * @param s the source matrix.
 * @param format the target format.
 * @param opts BSR / N:M parameters for the target.
 */
export function convertSparse(s: SparseMatrix, format: SparseFormat, opts: Omit<ToSparseOptions, 'mask'> = {}): SparseMatrix {
  if (s.format === format && format !== 'bsr' && format !== 'nm') return s;
  const dense = sparseToDense(s);
  const mask = patternMask(s);
  return denseToSparse(dense, s.shape, format, { ...opts, mask });
}

/**
 * The pattern of a sparse matrix as a dense 0/1 array (padding zeros of BSR blocks and
 * N:M groups are not part of the pattern unless they came from the mask: BSR and N:M
 * store no pattern beyond the block / group, so their zeros count as pruned).
 */
export function patternMask(s: SparseMatrix): Uint8Array {
  const [rows, cols] = s.shape;
  const out = new Uint8Array(rows * cols);
  switch (s.format) {
    case 'coo':
      for (let p = 0; p < s.values.length; p++) out[s.rowIdx[p] * cols + s.colIdx[p]] = 1;
      break;
    case 'csr':
      for (let r = 0; r < rows; r++) for (let p = s.rowPtr[r]; p < s.rowPtr[r + 1]; p++) out[r * cols + s.colIdx[p]] = 1;
      break;
    case 'csc':
      for (let c = 0; c < cols; c++) for (let p = s.colPtr[c]; p < s.colPtr[c + 1]; p++) out[s.rowIdx[p] * cols + c] = 1;
      break;
    default: {
      const d = sparseToDense(s);
      for (let i = 0; i < d.length; i++) out[i] = d[i] !== 0 ? 1 : 0;
    }
  }
  return out;
}
