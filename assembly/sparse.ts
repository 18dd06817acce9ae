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
// across, and the batch-1 kernels (`*Spmv`) do a scalar gather with four accumulators.
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

@inline
function csrSpmv<I>(rowPtr: usize, colIdx: usize, vals: usize, nRows: i32, x: usize, y: usize, bias: usize): void {
  const ish: usize = sizeof<I>() == 2 ? 1 : 2;
  for (let o = 0; o < nRows; o++) {
    let p = <usize>load<u32>(rowPtr + (<usize>o << 2));
    const e = <usize>load<u32>(rowPtr + ((<usize>o + 1) << 2));
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (; p + 4 <= e; p += 4) {
      const ip = colIdx + (p << ish);
      const vp = vals + (p << 2);
      s0 += load<f32>(vp) * load<f32>(x + (<usize>load<I>(ip) << 2));
      s1 += load<f32>(vp, 4) * load<f32>(x + (<usize>load<I>(ip, sizeof<I>()) << 2));
      s2 += load<f32>(vp, 8) * load<f32>(x + (<usize>load<I>(ip, 2 * sizeof<I>()) << 2));
      s3 += load<f32>(vp, 12) * load<f32>(x + (<usize>load<I>(ip, 3 * sizeof<I>()) << 2));
    }
    for (; p < e; p++) s0 += load<f32>(vals + (p << 2)) * load<f32>(x + (<usize>load<I>(colIdx + (p << ish)) << 2));
    store<f32>(y + (<usize>o << 2), (s0 + s1) + (s2 + s3) + biasAt(bias, o));
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

// N:M needs no kernel of its own: src/sparse/wasm.ts runs it on the CSR kernel with implied
// row pointers (every row holds exactly G·N entries).

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

