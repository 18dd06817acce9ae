/**
 * Dense float64 linear algebra for second-order pruning (tfjs has no Cholesky, solve or
 * inverse). Matrices are row-major `Float64Array`s of n×n; everything symmetric is stored full.
 * Kept in float64 throughout: OBS-style downdates repeated thousands of times lose positive
 * definiteness in float32 (the OBC reference code's known weakness).
 */
import { UserError } from '../../errors';

/**
 * Lower-triangular Cholesky factor L (row-major, upper part zero) of a symmetric positive
 * definite matrix: A = L Lᵀ.
 *
 * @param a n×n symmetric matrix (only the lower triangle is read).
 * @throws UserError when A is not positive definite (the message says to add damping).
 */
export function cholesky(a: Float64Array, n: number, what = 'matrix', fix = 'add damping'): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    for (let j = 0; j <= i; j++) {
      const lj = j * n;
      let s = a[li + j];
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      if (i === j) {
        if (!(s > 0)) {
          throw new UserError(`cholesky: the ${what} is not positive definite (pivot ${i} is ${s.toExponential(3)}); ${fix}.`);
        }
        l[li + i] = Math.sqrt(s);
      } else l[li + j] = s / l[lj + j];
    }
  }
  return l;
}

/** Solves L Lᵀ x = b given the Cholesky factor L. */
export function choleskySolveFactored(l: Float64Array, b: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    const li = i * n;
    for (let k = 0; k < i; k++) s -= l[li + k] * y[k];
    y[i] = s / l[li + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** Solves `A x = b` for symmetric positive definite `A` (n×n, row-major) by Cholesky. */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  return choleskySolveFactored(cholesky(a, n), b, n);
}

/**
 * Inverse of a symmetric positive definite matrix by Cholesky: A⁻¹ = L⁻ᵀ L⁻¹ (≈ n³ flops).
 * @param fix what the error message tells the user to do when A is not positive definite.
 * @throws UserError when A is not positive definite.
 */
export function spdInverse(a: Float64Array, n: number, what = 'matrix', fix = 'add damping'): Float64Array {
  const l = cholesky(a, n, what, fix);
  // M = L⁻¹ (lower triangular), row by row: M[i, :i] = −(Σ_{k<i} L[i,k] M[k, :]) / L[i,i], which
  // reads rows of M (contiguous memory) instead of columns
  const m = new Float64Array(n * n);
  const acc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    acc.fill(0, 0, i);
    for (let k = 0; k < i; k++) {
      const lik = l[li + k];
      if (lik === 0) continue;
      const mk = k * n;
      for (let j = 0; j <= k; j++) acc[j] += lik * m[mk + j];
    }
    const d = l[li + i];
    for (let j = 0; j < i; j++) m[li + j] = -acc[j] / d;
    m[li + i] = 1 / d;
  }
  // A⁻¹[i][j] = Σ_k M[k][i] M[k][j] over k ≥ max(i, j); fill the lower triangle and mirror it
  const inv = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const mk = k * n;
    for (let i = 0; i <= k; i++) {
      const mki = m[mk + i];
      if (mki === 0) continue;
      const ii = i * n;
      for (let j = 0; j <= i; j++) inv[ii + j] += mki * m[mk + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[j * n + i] = inv[i * n + j];
  return inv;
}

/** y = A x for an n×n matrix A. */
export function matVec(a: Float64Array, x: ArrayLike<number>, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ai = i * n;
    let s = 0;
    for (let k = 0; k < n; k++) s += a[ai + k] * x[k];
    y[i] = s;
  }
  return y;
}

/**
 * Woodbury (Sherman–Morrison) rank-one update in place: given `inv` = A⁻¹ (symmetric), makes it
 * (A + g gᵀ / denominatorScale)⁻¹ = A⁻¹ − (A⁻¹g)(A⁻¹g)ᵀ / (denominatorScale + gᵀA⁻¹g).
 * With `denominatorScale` = N this is the empirical-Fisher recursion of WoodFisher and of
 * Hassibi & Stork's outer-product Hessian (F = λI + (1/N) Σ g gᵀ).
 *
 * @param u scratch of length n (avoids an allocation per call in the hot loop).
 */
export function woodburyRankOne(inv: Float64Array, g: ArrayLike<number>, n: number, denominatorScale: number, u = new Float64Array(n)): void {
  // per-example gradients are often sparse (zero inputs: image borders, dead ReLUs): A⁻¹g only
  // needs the columns where g is non-zero
  const nz: number[] = [];
  for (let k = 0; k < n; k++) if (g[k] !== 0) nz.push(k);
  if (nz.length === 0) return;
  let dot = 0;
  for (let i = 0; i < n; i++) {
    const ai = i * n;
    let s = 0;
    for (const k of nz) s += inv[ai + k] * g[k];
    u[i] = s;
  }
  for (const k of nz) dot += g[k] * u[k];
  const c = 1 / (denominatorScale + dot);
  for (let i = 0; i < n; i++) {
    const ui = u[i] * c;
    if (ui === 0) continue;
    const ai = i * n;
    for (let j = 0; j < n; j++) inv[ai + j] -= ui * u[j];
  }
}

/**
 * Removes coordinate p from a symmetric inverse in place (the OBS / OBC downdate): with
 * `inv` = H⁻¹, makes `inv − inv[:,p] inv[p,:] / inv[p,p]`, which is the inverse of H restricted
 * to the other coordinates (row and column p become zero).
 */
export function removeFromInverse(inv: Float64Array, n: number, p: number): void {
  const d = inv[p * n + p];
  if (!(d > 0)) throw new UserError(`removeFromInverse: diagonal entry ${p} of the inverse is ${d}; the Hessian is singular there (add damping).`);
  const col = new Float64Array(n);
  for (let i = 0; i < n; i++) col[i] = inv[i * n + p];
  for (let i = 0; i < n; i++) {
    const ci = col[i] / d;
    if (ci === 0) continue;
    const ai = i * n;
    for (let j = 0; j < n; j++) inv[ai + j] -= ci * col[j];
  }
  // exact zeros (round-off would leave ~1e-17 there)
  for (let i = 0; i < n; i++) {
    inv[i * n + p] = 0;
    inv[p * n + i] = 0;
  }
}

/**
 * Removes a set Q of coordinates at once (the joint OBS downdate):
 * `inv − inv[:,Q] (inv[Q,Q])⁻¹ inv[Q,:]`.
 */
export function removeSetFromInverse(inv: Float64Array, n: number, q: readonly number[]): void {
  const k = q.length;
  if (k === 0) return;
  if (k === 1) return removeFromInverse(inv, n, q[0]);
  const qq = subMatrix(inv, n, q);
  const qqInv = spdInverse(qq, k, 'block of the inverse Hessian');
  const cols = new Float64Array(n * k); // inv[:, Q]
  for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) cols[i * k + a] = inv[i * n + q[a]];
  const t = new Float64Array(n * k); // inv[:,Q] (inv[Q,Q])⁻¹
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let a = 0; a < k; a++) s += cols[i * k + a] * qqInv[a * k + b];
      t[i * k + b] = s;
    }
  }
  for (let i = 0; i < n; i++) {
    const ai = i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let b = 0; b < k; b++) s += t[i * k + b] * cols[j * k + b];
      inv[ai + j] -= s;
    }
  }
  for (const p of q) {
    for (let i = 0; i < n; i++) {
      inv[i * n + p] = 0;
      inv[p * n + i] = 0;
    }
  }
}

/** The |Q|×|Q| submatrix A[Q, Q]. */
export function subMatrix(a: Float64Array, n: number, q: readonly number[]): Float64Array {
  const k = q.length;
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i * k + j] = a[q[i] * n + q[j]];
  return out;
}

/** Adds λ to the diagonal in place. */
export function addDiagonal(a: Float64Array, n: number, lambda: number): void {
  for (let i = 0; i < n; i++) a[i * n + i] += lambda;
}

/** Mean of the diagonal (the scale relative dampings refer to). */
export function meanDiagonal(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i];
  return n ? s / n : 0;
}

/**
 * Gram matrix Yᵀ Y / rows (+ nothing else) of a row-major rows×cols matrix, accumulated in
 * float64 (the layer-input Hessian Ψ of L-OBS, the Fisher block Gᵀ G / N).
 */
export function gram(y: ArrayLike<number>, rows: number, cols: number, scale = 1 / rows): Float64Array {
  const out = new Float64Array(cols * cols);
  const row = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    for (let i = 0; i < cols; i++) row[i] = y[off + i];
    for (let i = 0; i < cols; i++) {
      const yi = row[i];
      if (yi === 0) continue;
      const oi = i * cols;
      for (let j = 0; j <= i; j++) out[oi + j] += yi * row[j];
    }
  }
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j <= i; j++) {
      const v = out[i * cols + j] * scale;
      out[i * cols + j] = v;
      out[j * cols + i] = v;
    }
  }
  return out;
}
