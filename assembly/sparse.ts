// prunelab sparse kernels, compiled to WebAssembly (SIMD) by scripts/build-wasm.js.
//
// Memory is managed by the JavaScript side (src/sparse/wasm.ts): this module allocates
// nothing, every argument is a byte address inside the exported linear memory.
//
// Orientation. A Dense layer computes y = x · W with W of shape [in, out]. The kernels
// take A = Wᵀ (shape [out, in], rows = output units) in a sparse format, and the input
// transposed and zero-padded: XT of shape [in, Bp] (Bp = batch rounded up to 4).
// Why: each non-zero a[o, k] then multiplies a contiguous run XT[k, b..b+15] of batch
// values, so the inner loop is one scalar index load, one splat and a few f32x4 loads
// and multiply-adds, with all accumulators for a row held in registers ("register
// blocking over batch columns"). Rows of A are independent, so the output row o is
// finished in registers and written once. With batch 1 there is nothing to vectorise
// across, and the batch-1 kernels (`*Spmv`) gather four inputs into one vector per step.
// N:M at batch ≥ 16 packs the input into 16-column panels instead (see nmSpmmP16).
//
// Outputs are written straight into Y of shape [B, ldy] (row-major, the tfjs layout):
// y[b, o] = Σ_k a[o, k] · x[b, k] + bias[o].

/** First free byte after the module's static data: the JavaScript allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------
// Layout helpers

/**
 * XT[k, b] = X[b, k] for k < K, b < B; zeros in the padding (k < Kp, b < Bp).
 * Blocked 8 × 64 so both sides stay in cache.
 */
export function transposePad(x: usize, B: i32, K: i32, xt: usize, Kp: i32, Bp: i32): void {
  memory.fill(xt, 0, (<usize>Kp * <usize>Bp) << 2);
  for (let b0 = 0; b0 < B; b0 += 8) {
    const b1 = min(b0 + 8, B);
    for (let k0 = 0; k0 < K; k0 += 64) {
      const k1 = min(k0 + 64, K);
      for (let b = b0; b < b1; b++) {
        const src = x + ((<usize>b * <usize>K) << 2);
        for (let k = k0; k < k1; k++) {
          store<f32>(xt + ((<usize>k * <usize>Bp + <usize>b) << 2), load<f32>(src + (<usize>k << 2)));
        }
      }
    }
  }
}

/**
 * im2col for an NHWC input, written transposed: XT[k, n] with
 * k = (ky·kw + kx)·C + c (the row order of a tfjs [kh, kw, cin, cout] kernel flattened)
 * and n = (b·Ho + oy)·Wo + ox (the NHWC output pixel). Padding positions are zero.
 */
export function im2colT(
  x: usize, B: i32, H: i32, W: i32, C: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32,
  Ho: i32, Wo: i32, xt: usize, Kp: i32, Np: i32,
): void {
  memory.fill(xt, 0, (<usize>Kp * <usize>Np) << 2);
  const rowBytes = <usize>Np << 2;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const n = (b * Ho + oy) * Wo + ox;
        const dst0 = xt + (<usize>n << 2);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padTop + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padLeft + kx * dw;
            if (ix < 0 || ix >= W) continue;
            const src = x + ((<usize>((b * H + iy) * W + ix) * <usize>C) << 2);
            const kbase = <usize>((ky * kw + kx) * C);
            for (let c = 0; c < C; c++) {
              store<f32>(dst0 + (kbase + <usize>c) * rowBytes, load<f32>(src + (<usize>c << 2)));
            }
          }
        }
      }
    }
  }
}

// Writes the 4 lanes of v (batch columns b..b+3 of output unit o) into Y, skipping
// the batch padding.
@inline
function storeLanes(v: v128, y: usize, b: i32, B: i32, ldy: i32, o: i32, bias: f32): void {
  const base = y + ((<usize>b * <usize>ldy + <usize>o) << 2);
  const step = <usize>ldy << 2;
  if (b < B) store<f32>(base, f32x4.extract_lane(v, 0) + bias);
  if (b + 1 < B) store<f32>(base + step, f32x4.extract_lane(v, 1) + bias);
  if (b + 2 < B) store<f32>(base + 2 * step, f32x4.extract_lane(v, 2) + bias);
  if (b + 3 < B) store<f32>(base + 3 * step, f32x4.extract_lane(v, 3) + bias);
}

@inline
function biasAt(bias: usize, o: i32): f32 {
  return bias == 0 ? <f32>0 : load<f32>(bias + (<usize>o << 2));
}

// ---------------------------------------------------------------------------------------
// CSR: rowPtr u32[nRows + 1], colIdx I[nnz] (u16 or u32), vals f32[nnz]

@inline
function csrSpmmT<I>(
  rowPtr: usize, colIdx: usize, vals: usize, nRows: i32,
  xt: usize, Bp: i32, y: usize, B: i32, ldy: i32, bias: usize,
): void {
  const rs = <usize>Bp << 2;
  const ish: usize = sizeof<I>() == 2 ? 1 : 2;
  let b0 = 0;
  // 32 batch columns: 8 accumulators (fits the 16 SIMD registers of x86-64 with room).
  for (; b0 + 32 <= Bp; b0 += 32) {
    const xb = xt + (<usize>b0 << 2);
    for (let o = 0; o < nRows; o++) {
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      const e = <usize>load<u32>(rowPtr + ((<usize>o + 1) << 2));
      for (let p = <usize>load<u32>(rowPtr + (<usize>o << 2)); p < e; p++) {
        const xp = xb + <usize>load<I>(colIdx + (p << ish)) * rs;
        const w = v128.load32_splat(vals + (p << 2));
        a0 = f32x4.add(a0, f32x4.mul(w, v128.load(xp)));
        a1 = f32x4.add(a1, f32x4.mul(w, v128.load(xp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(w, v128.load(xp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(w, v128.load(xp, 48)));
        a4 = f32x4.add(a4, f32x4.mul(w, v128.load(xp, 64)));
        a5 = f32x4.add(a5, f32x4.mul(w, v128.load(xp, 80)));
        a6 = f32x4.add(a6, f32x4.mul(w, v128.load(xp, 96)));
        a7 = f32x4.add(a7, f32x4.mul(w, v128.load(xp, 112)));
      }
      const bv = biasAt(bias, o);
      storeLanes(a0, y, b0, B, ldy, o, bv);
      storeLanes(a1, y, b0 + 4, B, ldy, o, bv);
      storeLanes(a2, y, b0 + 8, B, ldy, o, bv);
      storeLanes(a3, y, b0 + 12, B, ldy, o, bv);
      storeLanes(a4, y, b0 + 16, B, ldy, o, bv);
      storeLanes(a5, y, b0 + 20, B, ldy, o, bv);
      storeLanes(a6, y, b0 + 24, B, ldy, o, bv);
      storeLanes(a7, y, b0 + 28, B, ldy, o, bv);
    }
  }
  for (; b0 + 16 <= Bp; b0 += 16) {
    const xb = xt + (<usize>b0 << 2);
    for (let o = 0; o < nRows; o++) {
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      const e = <usize>load<u32>(rowPtr + ((<usize>o + 1) << 2));
      for (let p = <usize>load<u32>(rowPtr + (<usize>o << 2)); p < e; p++) {
        const xp = xb + <usize>load<I>(colIdx + (p << ish)) * rs;
        const w = v128.load32_splat(vals + (p << 2));
        a0 = f32x4.add(a0, f32x4.mul(w, v128.load(xp)));
        a1 = f32x4.add(a1, f32x4.mul(w, v128.load(xp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(w, v128.load(xp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(w, v128.load(xp, 48)));
      }
      const bv = biasAt(bias, o);
      storeLanes(a0, y, b0, B, ldy, o, bv);
      storeLanes(a1, y, b0 + 4, B, ldy, o, bv);
      storeLanes(a2, y, b0 + 8, B, ldy, o, bv);
      storeLanes(a3, y, b0 + 12, B, ldy, o, bv);
    }
  }
  for (; b0 + 8 <= Bp; b0 += 8) {
    const xb = xt + (<usize>b0 << 2);
    for (let o = 0; o < nRows; o++) {
      let a0 = f32x4.splat(0), a1 = a0;
      const e = <usize>load<u32>(rowPtr + ((<usize>o + 1) << 2));
      for (let p = <usize>load<u32>(rowPtr + (<usize>o << 2)); p < e; p++) {
        const xp = xb + <usize>load<I>(colIdx + (p << ish)) * rs;
        const w = v128.load32_splat(vals + (p << 2));
        a0 = f32x4.add(a0, f32x4.mul(w, v128.load(xp)));
        a1 = f32x4.add(a1, f32x4.mul(w, v128.load(xp, 16)));
      }
      const bv = biasAt(bias, o);
      storeLanes(a0, y, b0, B, ldy, o, bv);
      storeLanes(a1, y, b0 + 4, B, ldy, o, bv);
    }
  }
  for (; b0 + 4 <= Bp; b0 += 4) {
    const xb = xt + (<usize>b0 << 2);
    for (let o = 0; o < nRows; o++) {
      let a0 = f32x4.splat(0);
      const e = <usize>load<u32>(rowPtr + ((<usize>o + 1) << 2));
      for (let p = <usize>load<u32>(rowPtr + (<usize>o << 2)); p < e; p++) {
        const xp = xb + <usize>load<I>(colIdx + (p << ish)) * rs;
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(vals + (p << 2)), v128.load(xp)));
      }
      storeLanes(a0, y, b0, B, ldy, o, biasAt(bias, o));
    }
  }
}

// Batch 1: a gather-dot per row. The four inputs of four consecutive non-zeros are gathered
// into one f32x4 (load32_lane) and multiplied by the four values with one f32x4 load: about
// 20% fewer instructions than the scalar loop, and two vector accumulators (8 entries per
// iteration) keep the add latency off the critical path. Empty rows cost one bias store.
@inline
function csrSpmv<I>(rowPtr: usize, colIdx: usize, vals: usize, nRows: i32, x: usize, y: usize, bias: usize): void {
  const ish: usize = sizeof<I>() == 2 ? 1 : 2;
  const isz: usize = sizeof<I>();
  let p = <usize>load<u32>(rowPtr);
  for (let o = 0; o < nRows; o++) {
    const e = <usize>load<u32>(rowPtr + ((<usize>o + 1) << 2));
    let a0 = f32x4.splat(0), a1 = a0;
    for (; p + 8 <= e; p += 8) {
      const ip = colIdx + (p << ish);
      const vp = vals + (p << 2);
      let g0 = v128.load32_zero(x + (<usize>load<I>(ip) << 2));
      let g1 = v128.load32_zero(x + (<usize>load<I>(ip, 4 * isz) << 2));
      g0 = v128.load32_lane(x + (<usize>load<I>(ip, isz) << 2), g0, 1);
      g1 = v128.load32_lane(x + (<usize>load<I>(ip, 5 * isz) << 2), g1, 1);
      g0 = v128.load32_lane(x + (<usize>load<I>(ip, 2 * isz) << 2), g0, 2);
      g1 = v128.load32_lane(x + (<usize>load<I>(ip, 6 * isz) << 2), g1, 2);
      g0 = v128.load32_lane(x + (<usize>load<I>(ip, 3 * isz) << 2), g0, 3);
      g1 = v128.load32_lane(x + (<usize>load<I>(ip, 7 * isz) << 2), g1, 3);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(vp), g0));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(vp, 16), g1));
    }
    if (p + 4 <= e) {
      const ip = colIdx + (p << ish);
      let g0 = v128.load32_zero(x + (<usize>load<I>(ip) << 2));
      g0 = v128.load32_lane(x + (<usize>load<I>(ip, isz) << 2), g0, 1);
      g0 = v128.load32_lane(x + (<usize>load<I>(ip, 2 * isz) << 2), g0, 2);
      g0 = v128.load32_lane(x + (<usize>load<I>(ip, 3 * isz) << 2), g0, 3);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(vals + (p << 2)), g0));
      p += 4;
    }
    a0 = f32x4.add(a0, a1);
    let s = (f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1)) + (f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3));
    for (; p < e; p++) s += load<f32>(vals + (p << 2)) * load<f32>(x + (<usize>load<I>(colIdx + (p << ish)) << 2));
    store<f32>(y + (<usize>o << 2), s + biasAt(bias, o));
  }
}

export function csrSpmmT16(rowPtr: usize, colIdx: usize, vals: usize, nRows: i32, xt: usize, Bp: i32, y: usize, B: i32, ldy: i32, bias: usize): void {
  csrSpmmT<u16>(rowPtr, colIdx, vals, nRows, xt, Bp, y, B, ldy, bias);
}
export function csrSpmmT32(rowPtr: usize, colIdx: usize, vals: usize, nRows: i32, xt: usize, Bp: i32, y: usize, B: i32, ldy: i32, bias: usize): void {
  csrSpmmT<u32>(rowPtr, colIdx, vals, nRows, xt, Bp, y, B, ldy, bias);
}
export function csrSpmv16(rowPtr: usize, colIdx: usize, vals: usize, nRows: i32, x: usize, y: usize, bias: usize): void {
  csrSpmv<u16>(rowPtr, colIdx, vals, nRows, x, y, bias);
}
export function csrSpmv32(rowPtr: usize, colIdx: usize, vals: usize, nRows: i32, x: usize, y: usize, bias: usize): void {
  csrSpmv<u32>(rowPtr, colIdx, vals, nRows, x, y, bias);
}

// ---------------------------------------------------------------------------------------
// N:M (e.g. 2:4): every row holds exactly per = G·N entries, so there are no row pointers;
// colIdx I[rows · per] holds the input index of each entry (group · M + in-group position,
// expanded once at upload), vals f32[rows · per].
//
// The input is packed into 16-column batch panels XP[p][k][16] (packPanels16): a row of A
// walks one contiguous 50 kB panel in increasing k (the N of every M consecutive rows), so
// the hardware prefetcher streams it, unlike XT rows of a whole batch that are a stride
// apart. Two entries per iteration are summed before they reach the 4 accumulators, which
// halves the loop-carried add chain, and the loop keeps 4 accumulators + 8 input vectors +
// 2 weights = 14 live vectors. Why not the 32-column CSR blocking: V8 (x64) has 15
// allocatable SIMD registers and schedules all loads of an iteration before the arithmetic,
// so 8 accumulators + 8 loads spill an accumulator to the stack every iteration
// (measured 1.4× slower on 2:4 300×784 at batch 32 and 128).

/** XP[p][k][j] = X[16p + j, k] for j < 16, zero for batch rows ≥ B. X is [B, K] row-major. */
export function packPanels16(x: usize, B: i32, K: i32, xp: usize): void {
  const P = (B + 15) >> 4;
  for (let p = 0; p < P; p++) {
    const dst = xp + ((<usize>p * <usize>K) << 6);
    const nb = min(16, B - (p << 4));
    if (nb < 16) memory.fill(dst, 0, <usize>K << 6);
    for (let j = 0; j < nb; j++) {
      const src = x + ((<usize>((p << 4) + j) * <usize>K) << 2);
      const d = dst + (<usize>j << 2);
      for (let k = 0; k < K; k++) store<f32>(d + (<usize>k << 6), load<f32>(src + (<usize>k << 2)));
    }
  }
}

@inline
function nmSpmmP16<I>(colIdx: usize, vals: usize, nRows: i32, per: i32, xp: usize, K: i32, y: usize, B: i32, ldy: i32, bias: usize): void {
  const isz: usize = sizeof<I>();
  const rowI = <usize>per * isz, rowV = <usize>per << 2;
  const P = (B + 15) >> 4;
  for (let p = 0; p < P; p++) {
    const xb = xp + ((<usize>p * <usize>K) << 6);
    const b0 = p << 4;
    for (let o = 0; o < nRows; o++) {
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      let ip = colIdx + <usize>o * rowI, vp = vals + <usize>o * rowV;
      const ie = ip + rowI;
      for (; ip + 2 * isz <= ie; ip += 2 * isz, vp += 8) {
        const xq = xb + (<usize>load<I>(ip) << 6);
        const xr = xb + (<usize>load<I>(ip, isz) << 6);
        const w = v128.load32_splat(vp);
        const u = v128.load32_splat(vp, 4);
        a0 = f32x4.add(a0, f32x4.add(f32x4.mul(w, v128.load(xq)), f32x4.mul(u, v128.load(xr))));
        a1 = f32x4.add(a1, f32x4.add(f32x4.mul(w, v128.load(xq, 16)), f32x4.mul(u, v128.load(xr, 16))));
        a2 = f32x4.add(a2, f32x4.add(f32x4.mul(w, v128.load(xq, 32)), f32x4.mul(u, v128.load(xr, 32))));
        a3 = f32x4.add(a3, f32x4.add(f32x4.mul(w, v128.load(xq, 48)), f32x4.mul(u, v128.load(xr, 48))));
      }
      if (ip < ie) {
        const xq = xb + (<usize>load<I>(ip) << 6);
        const w = v128.load32_splat(vp);
        a0 = f32x4.add(a0, f32x4.mul(w, v128.load(xq)));
        a1 = f32x4.add(a1, f32x4.mul(w, v128.load(xq, 16)));
        a2 = f32x4.add(a2, f32x4.mul(w, v128.load(xq, 32)));
        a3 = f32x4.add(a3, f32x4.mul(w, v128.load(xq, 48)));
      }
      const bv = biasAt(bias, o);
      storeLanes(a0, y, b0, B, ldy, o, bv);
      storeLanes(a1, y, b0 + 4, B, ldy, o, bv);
      storeLanes(a2, y, b0 + 8, B, ldy, o, bv);
      storeLanes(a3, y, b0 + 12, B, ldy, o, bv);
    }
  }
}

export function nmSpmmP16_16(colIdx: usize, vals: usize, nRows: i32, per: i32, xp: usize, K: i32, y: usize, B: i32, ldy: i32, bias: usize): void {
  nmSpmmP16<u16>(colIdx, vals, nRows, per, xp, K, y, B, ldy, bias);
}
export function nmSpmmP16_32(colIdx: usize, vals: usize, nRows: i32, per: i32, xp: usize, K: i32, y: usize, B: i32, ldy: i32, bias: usize): void {
  nmSpmmP16<u32>(colIdx, vals, nRows, per, xp, K, y, B, ldy, bias);
}

// ---------------------------------------------------------------------------------------
// BSR with R × C blocks: blockPtr u32[nBlockRows + 1], blockCol u32[nBlocks] (block column),
// vals f32[nBlocks, R, C] row-major. XT must have ceil(cols / C) · C rows (zero padded);
// output rows ≥ nRows (the padding of the last block row) are not written.

export function bsrSpmmT(
  blockPtr: usize, blockCol: usize, vals: usize, nBlockRows: i32, R: i32, C: i32, nRows: i32,
  xt: usize, Bp: i32, y: usize, B: i32, ldy: i32, bias: usize,
): void {
  const rs = <usize>Bp << 2;
  if (R == 4 && C == 4) {
    bsr44(blockPtr, blockCol, vals, nBlockRows, nRows, xt, Bp, y, B, ldy, bias);
    return;
  }
  const blockBytes = (<usize>R * <usize>C) << 2;
  for (let b0 = 0; b0 + 4 <= Bp; b0 += 4) {
    const xb = xt + (<usize>b0 << 2);
    for (let br = 0; br < nBlockRows; br++) {
      const s = <usize>load<u32>(blockPtr + (<usize>br << 2));
      const e = <usize>load<u32>(blockPtr + ((<usize>br + 1) << 2));
      for (let r = 0; r < R; r++) {
        const o = br * R + r;
        if (o >= nRows) break;
        let a0 = f32x4.splat(0);
        for (let p = s; p < e; p++) {
          const xp = xb + <usize>load<u32>(blockCol + (p << 2)) * <usize>C * rs;
          const vp = vals + p * blockBytes + ((<usize>r * <usize>C) << 2);
          for (let c = 0; c < C; c++) {
            a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(vp + (<usize>c << 2)), v128.load(xp + <usize>c * rs)));
          }
        }
        storeLanes(a0, y, b0, B, ldy, o, biasAt(bias, o));
      }
    }
  }
}

// 4 × 4 blocks, 8 batch columns per pass: 8 accumulators (4 rows × 2 vectors) and two
// input vectors per block column, so each loaded input is reused by 4 rows.
function bsr44(
  blockPtr: usize, blockCol: usize, vals: usize, nBlockRows: i32, nRows: i32,
  xt: usize, Bp: i32, y: usize, B: i32, ldy: i32, bias: usize,
): void {
  const rs = <usize>Bp << 2;
  const rs4 = rs << 2;
  let b0 = 0;
  for (; b0 + 8 <= Bp; b0 += 8) {
    const xb = xt + (<usize>b0 << 2);
    for (let br = 0; br < nBlockRows; br++) {
      let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      const e = <usize>load<u32>(blockPtr + ((<usize>br + 1) << 2));
      for (let p = <usize>load<u32>(blockPtr + (<usize>br << 2)); p < e; p++) {
        let xp = xb + <usize>load<u32>(blockCol + (p << 2)) * rs4;
        const vp = vals + (p << 6);
        // column 0
        let x0 = v128.load(xp), x1 = v128.load(xp, 16);
        let w = v128.load32_splat(vp, 0);
        a00 = f32x4.add(a00, f32x4.mul(w, x0)); a01 = f32x4.add(a01, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 16);
        a10 = f32x4.add(a10, f32x4.mul(w, x0)); a11 = f32x4.add(a11, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 32);
        a20 = f32x4.add(a20, f32x4.mul(w, x0)); a21 = f32x4.add(a21, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 48);
        a30 = f32x4.add(a30, f32x4.mul(w, x0)); a31 = f32x4.add(a31, f32x4.mul(w, x1));
        // column 1
        xp += rs;
        x0 = v128.load(xp); x1 = v128.load(xp, 16);
        w = v128.load32_splat(vp, 4);
        a00 = f32x4.add(a00, f32x4.mul(w, x0)); a01 = f32x4.add(a01, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 20);
        a10 = f32x4.add(a10, f32x4.mul(w, x0)); a11 = f32x4.add(a11, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 36);
        a20 = f32x4.add(a20, f32x4.mul(w, x0)); a21 = f32x4.add(a21, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 52);
        a30 = f32x4.add(a30, f32x4.mul(w, x0)); a31 = f32x4.add(a31, f32x4.mul(w, x1));
        // column 2
        xp += rs;
        x0 = v128.load(xp); x1 = v128.load(xp, 16);
        w = v128.load32_splat(vp, 8);
        a00 = f32x4.add(a00, f32x4.mul(w, x0)); a01 = f32x4.add(a01, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 24);
        a10 = f32x4.add(a10, f32x4.mul(w, x0)); a11 = f32x4.add(a11, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 40);
        a20 = f32x4.add(a20, f32x4.mul(w, x0)); a21 = f32x4.add(a21, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 56);
        a30 = f32x4.add(a30, f32x4.mul(w, x0)); a31 = f32x4.add(a31, f32x4.mul(w, x1));
        // column 3
        xp += rs;
        x0 = v128.load(xp); x1 = v128.load(xp, 16);
        w = v128.load32_splat(vp, 12);
        a00 = f32x4.add(a00, f32x4.mul(w, x0)); a01 = f32x4.add(a01, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 28);
        a10 = f32x4.add(a10, f32x4.mul(w, x0)); a11 = f32x4.add(a11, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 44);
        a20 = f32x4.add(a20, f32x4.mul(w, x0)); a21 = f32x4.add(a21, f32x4.mul(w, x1));
        w = v128.load32_splat(vp, 60);
        a30 = f32x4.add(a30, f32x4.mul(w, x0)); a31 = f32x4.add(a31, f32x4.mul(w, x1));
      }
      const o = br << 2;
      if (o < nRows) { const bv = biasAt(bias, o); storeLanes(a00, y, b0, B, ldy, o, bv); storeLanes(a01, y, b0 + 4, B, ldy, o, bv); }
      if (o + 1 < nRows) { const bv = biasAt(bias, o + 1); storeLanes(a10, y, b0, B, ldy, o + 1, bv); storeLanes(a11, y, b0 + 4, B, ldy, o + 1, bv); }
      if (o + 2 < nRows) { const bv = biasAt(bias, o + 2); storeLanes(a20, y, b0, B, ldy, o + 2, bv); storeLanes(a21, y, b0 + 4, B, ldy, o + 2, bv); }
      if (o + 3 < nRows) { const bv = biasAt(bias, o + 3); storeLanes(a30, y, b0, B, ldy, o + 3, bv); storeLanes(a31, y, b0 + 4, B, ldy, o + 3, bv); }
    }
  }
  for (; b0 + 4 <= Bp; b0 += 4) {
    const xb = xt + (<usize>b0 << 2);
    for (let br = 0; br < nBlockRows; br++) {
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      const e = <usize>load<u32>(blockPtr + ((<usize>br + 1) << 2));
      for (let p = <usize>load<u32>(blockPtr + (<usize>br << 2)); p < e; p++) {
        let xp = xb + <usize>load<u32>(blockCol + (p << 2)) * rs4;
        const vp = vals + (p << 6);
        for (let c = 0; c < 4; c++, xp += rs) {
          const x0 = v128.load(xp);
          const vc = vp + (<usize>c << 2);
          a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(vc, 0), x0));
          a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(vc, 16), x0));
          a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(vc, 32), x0));
          a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(vc, 48), x0));
        }
      }
      const o = br << 2;
      if (o < nRows) storeLanes(a0, y, b0, B, ldy, o, biasAt(bias, o));
      if (o + 1 < nRows) storeLanes(a1, y, b0, B, ldy, o + 1, biasAt(bias, o + 1));
      if (o + 2 < nRows) storeLanes(a2, y, b0, B, ldy, o + 2, biasAt(bias, o + 2));
      if (o + 3 < nRows) storeLanes(a3, y, b0, B, ldy, o + 3, biasAt(bias, o + 3));
    }
  }
}

/** Batch 1: x is the input row itself, padded with zeros to ceil(cols / C) · C entries. */
export function bsrSpmv(
  blockPtr: usize, blockCol: usize, vals: usize, nBlockRows: i32, R: i32, C: i32, nRows: i32,
  x: usize, y: usize, bias: usize,
): void {
  const blockBytes = (<usize>R * <usize>C) << 2;
  if (C == 4) {
    // One f32x4 load of the 4 inputs of a block column, dotted with each block row.
    for (let br = 0; br < nBlockRows; br++) {
      const s = <usize>load<u32>(blockPtr + (<usize>br << 2));
      const e = <usize>load<u32>(blockPtr + ((<usize>br + 1) << 2));
      for (let r = 0; r < R; r++) {
        const o = br * R + r;
        if (o >= nRows) break;
        let acc = f32x4.splat(0);
        for (let p = s; p < e; p++) {
          const xv = v128.load(x + (<usize>load<u32>(blockCol + (p << 2)) << 4));
          acc = f32x4.add(acc, f32x4.mul(v128.load(vals + p * blockBytes + (<usize>r << 4)), xv));
        }
        const sum = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        store<f32>(y + (<usize>o << 2), sum + biasAt(bias, o));
      }
    }
    return;
  }
  for (let br = 0; br < nBlockRows; br++) {
    const s = <usize>load<u32>(blockPtr + (<usize>br << 2));
    const e = <usize>load<u32>(blockPtr + ((<usize>br + 1) << 2));
    for (let r = 0; r < R; r++) {
      const o = br * R + r;
      if (o >= nRows) break;
      let acc: f32 = 0;
      for (let p = s; p < e; p++) {
        const xp = x + ((<usize>load<u32>(blockCol + (p << 2)) * <usize>C) << 2);
        const vp = vals + p * blockBytes + ((<usize>r * <usize>C) << 2);
        for (let c = 0; c < C; c++) acc += load<f32>(vp + (<usize>c << 2)) * load<f32>(xp + (<usize>c << 2));
      }
      store<f32>(y + (<usize>o << 2), acc + biasAt(bias, o));
    }
  }
}


// ---------------------------------------------------------------------------------------
// Sparse training: the weight gradient at the kept positions only (a sampled dense–dense
// product, SDDMM). With the layer input XT [K, Bp] and the output gradient DYT [nRows, Bp]
// both transposed (batch contiguous, zero padding), entry p = (o, k) of A's CSR gets
// out[p] = Σ_b DYT[o, b] · XT[k, b]: a dot product of two contiguous rows, 4 lanes at a time
// with two accumulators. Bp is a multiple of 4 (paddedBatch).
@inline
function csrSddmmT<I>(rowPtr: usize, colIdx: usize, nRows: i32, dyt: usize, xt: usize, Bp: i32, out: usize): void {
  const rs = <usize>Bp << 2;
  const ish: usize = sizeof<I>() == 2 ? 1 : 2;
  for (let o = 0; o < nRows; o++) {
    const d = dyt + <usize>o * rs;
    const e = <usize>load<u32>(rowPtr + ((<usize>o + 1) << 2));
    for (let p = <usize>load<u32>(rowPtr + (<usize>o << 2)); p < e; p++) {
      store<f32>(out + (p << 2), dotT(d, xt + <usize>load<I>(colIdx + (p << ish)) * rs, rs));
    }
  }
}

export function csrSddmmT16(rowPtr: usize, colIdx: usize, nRows: i32, dyt: usize, xt: usize, Bp: i32, out: usize): void {
  csrSddmmT<u16>(rowPtr, colIdx, nRows, dyt, xt, Bp, out);
}
export function csrSddmmT32(rowPtr: usize, colIdx: usize, nRows: i32, dyt: usize, xt: usize, Bp: i32, out: usize): void {
  csrSddmmT<u32>(rowPtr, colIdx, nRows, dyt, xt, Bp, out);
}

// ---------------------------------------------------------------------------------------
// Sparse training, dense layers: the products of a layer whose density is above the
// break-even, with A dense ([nRows, K] row-major, pruned entries held at zero).
// Both kernels sum in the same order as their CSR counterparts (over k in increasing order
// per output lane; over the batch with csrSddmmT's two alternating accumulators), and adding
// a zero product leaves a float sum unchanged: a layer gives the same bits on either path,
// so the per-layer choice (a timing) cannot change a training run's numbers.

/**
 * Y[b, o] = Σ_k A[o, k] · XT[k, b] + bias[o], as csrSpmmT on a full pattern. Register
 * blocking: 4 rows × 8 batch columns (8 accumulators); each XT load serves four rows.
 */
export function denseMmT(a: usize, nRows: i32, K: i32, xt: usize, Bp: i32, y: usize, B: i32, ldy: i32, bias: usize): void {
  const rs = <usize>Bp << 2;
  const ra = <usize>K << 2;
  let o = 0;
  for (; o + 4 <= nRows; o += 4) {
    const p0 = a + <usize>o * ra, p1 = p0 + ra, p2 = p1 + ra, p3 = p2 + ra;
    let b0 = 0;
    for (; b0 + 8 <= Bp; b0 += 8) {
      const xb = xt + (<usize>b0 << 2);
      let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (let k = 0; k < K; k++) {
        const xp = xb + <usize>k * rs;
        const x0 = v128.load(xp), x1 = v128.load(xp, 16);
        const off = <usize>k << 2;
        let w = v128.load32_splat(p0 + off);
        c00 = f32x4.add(c00, f32x4.mul(w, x0)); c01 = f32x4.add(c01, f32x4.mul(w, x1));
        w = v128.load32_splat(p1 + off);
        c10 = f32x4.add(c10, f32x4.mul(w, x0)); c11 = f32x4.add(c11, f32x4.mul(w, x1));
        w = v128.load32_splat(p2 + off);
        c20 = f32x4.add(c20, f32x4.mul(w, x0)); c21 = f32x4.add(c21, f32x4.mul(w, x1));
        w = v128.load32_splat(p3 + off);
        c30 = f32x4.add(c30, f32x4.mul(w, x0)); c31 = f32x4.add(c31, f32x4.mul(w, x1));
      }
      let bv = biasAt(bias, o);
      storeLanes(c00, y, b0, B, ldy, o, bv); storeLanes(c01, y, b0 + 4, B, ldy, o, bv);
      bv = biasAt(bias, o + 1);
      storeLanes(c10, y, b0, B, ldy, o + 1, bv); storeLanes(c11, y, b0 + 4, B, ldy, o + 1, bv);
      bv = biasAt(bias, o + 2);
      storeLanes(c20, y, b0, B, ldy, o + 2, bv); storeLanes(c21, y, b0 + 4, B, ldy, o + 2, bv);
      bv = biasAt(bias, o + 3);
      storeLanes(c30, y, b0, B, ldy, o + 3, bv); storeLanes(c31, y, b0 + 4, B, ldy, o + 3, bv);
    }
    for (; b0 + 4 <= Bp; b0 += 4) {
      const xb = xt + (<usize>b0 << 2);
      let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
      for (let k = 0; k < K; k++) {
        const x0 = v128.load(xb + <usize>k * rs);
        const off = <usize>k << 2;
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(p0 + off), x0));
        c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(p1 + off), x0));
        c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(p2 + off), x0));
        c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(p3 + off), x0));
      }
      storeLanes(c0, y, b0, B, ldy, o, biasAt(bias, o));
      storeLanes(c1, y, b0, B, ldy, o + 1, biasAt(bias, o + 1));
      storeLanes(c2, y, b0, B, ldy, o + 2, biasAt(bias, o + 2));
      storeLanes(c3, y, b0, B, ldy, o + 3, biasAt(bias, o + 3));
    }
  }
  for (; o < nRows; o++) {
    const p0 = a + <usize>o * ra;
    for (let b0 = 0; b0 + 4 <= Bp; b0 += 4) {
      const xb = xt + (<usize>b0 << 2);
      let c0 = f32x4.splat(0);
      for (let k = 0; k < K; k++) c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(p0 + (<usize>k << 2)), v128.load(xb + <usize>k * rs)));
      storeLanes(c0, y, b0, B, ldy, o, biasAt(bias, o));
    }
  }
}

@inline
function laneSum(a0: v128, a1: v128): f32 {
  const s = f32x4.add(a0, a1);
  return (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
}

/**
 * out[o·K + k] = Σ_b DYT[o, b] · XT[k, b] at every position: csrSddmmT on a full pattern,
 * blocked 2 rows × 2 columns so each loaded batch run serves two dot products.
 */
export function denseGradT(nRows: i32, K: i32, dyt: usize, xt: usize, Bp: i32, out: usize): void {
  const rs = <usize>Bp << 2;
  let o = 0;
  for (; o + 2 <= nRows; o += 2) {
    const d0 = dyt + <usize>o * rs, d1 = d0 + rs;
    const q0 = out + ((<usize>o * <usize>K) << 2), q1 = q0 + (<usize>K << 2);
    let k = 0;
    for (; k + 2 <= K; k += 2) {
      const x0 = xt + <usize>k * rs, x1 = x0 + rs;
      let a00 = f32x4.splat(0), b00 = a00, a01 = a00, b01 = a00, a10 = a00, b10 = a00, a11 = a00, b11 = a00;
      let b: usize = 0;
      for (; b + 32 <= rs; b += 32) {
        const u0 = v128.load(d0 + b), v0 = v128.load(d0 + b, 16), u1 = v128.load(d1 + b), v1 = v128.load(d1 + b, 16);
        const s0 = v128.load(x0 + b), t0 = v128.load(x0 + b, 16), s1 = v128.load(x1 + b), t1 = v128.load(x1 + b, 16);
        a00 = f32x4.add(a00, f32x4.mul(u0, s0)); b00 = f32x4.add(b00, f32x4.mul(v0, t0));
        a01 = f32x4.add(a01, f32x4.mul(u0, s1)); b01 = f32x4.add(b01, f32x4.mul(v0, t1));
        a10 = f32x4.add(a10, f32x4.mul(u1, s0)); b10 = f32x4.add(b10, f32x4.mul(v1, t0));
        a11 = f32x4.add(a11, f32x4.mul(u1, s1)); b11 = f32x4.add(b11, f32x4.mul(v1, t1));
      }
      if (b < rs) {
        const u0 = v128.load(d0 + b), u1 = v128.load(d1 + b), s0 = v128.load(x0 + b), s1 = v128.load(x1 + b);
        a00 = f32x4.add(a00, f32x4.mul(u0, s0)); a01 = f32x4.add(a01, f32x4.mul(u0, s1));
        a10 = f32x4.add(a10, f32x4.mul(u1, s0)); a11 = f32x4.add(a11, f32x4.mul(u1, s1));
      }
      store<f32>(q0 + (<usize>k << 2), laneSum(a00, b00));
      store<f32>(q0 + (<usize>k << 2), laneSum(a01, b01), 4);
      store<f32>(q1 + (<usize>k << 2), laneSum(a10, b10));
      store<f32>(q1 + (<usize>k << 2), laneSum(a11, b11), 4);
    }
    for (; k < K; k++) {
      store<f32>(q0 + (<usize>k << 2), dotT(d0, xt + <usize>k * rs, rs));
      store<f32>(q1 + (<usize>k << 2), dotT(d1, xt + <usize>k * rs, rs));
    }
  }
  for (; o < nRows; o++) {
    const d0 = dyt + <usize>o * rs, q0 = out + ((<usize>o * <usize>K) << 2);
    for (let k = 0; k < K; k++) store<f32>(q0 + (<usize>k << 2), dotT(d0, xt + <usize>k * rs, rs));
  }
}

// One dot product of two batch runs: csrSddmmT's, and denseGradT's order (two accumulators over
// alternating 4-lane chunks, then (l0 + l1) + (l2 + l3)).
@inline
function dotT(d: usize, x: usize, rs: usize): f32 {
  let a0 = f32x4.splat(0), a1 = a0;
  let b: usize = 0;
  for (; b + 32 <= rs; b += 32) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(d + b), v128.load(x + b)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(d + b, 16), v128.load(x + b, 16)));
  }
  if (b < rs) a0 = f32x4.add(a0, f32x4.mul(v128.load(d + b), v128.load(x + b)));
  return laneSum(a0, a1);
}
