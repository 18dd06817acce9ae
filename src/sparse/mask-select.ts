/**
 * Exact-count selection of the lowest scores, the core of every "prune the k least important"
 * decision. Selection runs in O(n) by quickselect on a copy (no full sort), so global magnitude
 * pruning of 10M weights takes a fraction of a second.
 */

/**
 * Rounds half to even, like Python 3's `round`: torch.nn.utils.prune computes the number of
 * entries to prune as `round(amount * n)`, and we match its counts exactly.
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The k-th smallest value (0-based) of `values`, found by iterative quickselect with
 * median-of-three pivots. Reorders `values` in place (pass a copy).
 *
 * @param values scores, no NaN.
 * @param k index in sorted order, `0 <= k < values.length`.
 */
export function kthSmallestInPlace(values: Float32Array, k: number): number {
  if (!(k >= 0 && k < values.length)) throw new RangeError(`k=${k} outside [0, ${values.length})`);
  let lo = 0;
  let hi = values.length - 1;
  const a = values;
  while (hi > lo) {
    // median of three as pivot: guards against sorted input
    const mid = (lo + hi) >>> 1;
    let x = a[lo], y = a[mid], z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    // three-way partition (Dijkstra) so that runs of equal values (ties, -Infinity) end fast
    let lt = lo, i = lo, gt = hi;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i] = a[lt]; a[lt] = v; lt++; i++;
      } else if (v > pivot) {
        a[i] = a[gt]; a[gt] = v; gt--;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return a[k];
}

/** Sortable unsigned key of a float32 bit pattern: keys compare like the floats (−0 < +0 aside). */
function floatKey(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/**
 * The k-th smallest value (0-based) without modifying `values`: a radix pass on the top 16 bits
 * of each float's sortable key finds the bucket holding the k-th value, then quickselect runs
 * on that bucket alone. Two linear passes plus a small select: much faster than a full sort.
 *
 * @param values scores, no NaN.
 * @param k index in sorted order, `0 <= k < values.length`.
 */
export function kthSmallest(values: Float32Array, k: number): number {
  const n = values.length;
  if (!(k >= 0 && k < n)) throw new RangeError(`k=${k} outside [0, ${n})`);
  if (n < 4096) return kthSmallestInPlace(Float32Array.from(values), k);
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  const hist = new Uint32Array(65536);
  for (let i = 0; i < n; i++) hist[floatKey(bits[i]) >>> 16]++;
  let bucket = 0, below = 0;
  while (below + hist[bucket] <= k) below += hist[bucket++];
  const cand = new Float32Array(hist[bucket]);
  let c = 0;
  for (let i = 0; i < n; i++) if (floatKey(bits[i]) >>> 16 === bucket) cand[c++] = values[i];
  return kthSmallestInPlace(cand, k - below);
}

/**
 * Chooses exactly `k` entries with the lowest scores to drop; ties at the threshold are broken
 * by position (earlier entries drop first), so the result is deterministic.
 *
 * @param scores scores per entry; higher means more important. Must contain no NaN.
 * @param k number of entries to drop, clamped to `[0, n]`.
 * @returns keep flags, 1 = keep, 0 = drop.
 */
export function keepAllButLowest(scores: Float32Array, k: number): Uint8Array {
  const n = scores.length;
  const keep = new Uint8Array(n).fill(1);
  k = Math.max(0, Math.min(n, Math.floor(k)));
  if (k === 0) return keep;
  if (k === n) return keep.fill(0);
  const t = kthSmallest(scores, k - 1);
  let below = 0;
  for (let i = 0; i < n; i++) if (scores[i] < t) below++;
  let tiesToDrop = k - below;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (s < t) keep[i] = 0;
    else if (s === t && tiesToDrop > 0) {
      keep[i] = 0;
      tiesToDrop--;
    }
  }
  return keep;
}

/**
 * Full-sort baseline of {@link keepAllButLowest} (sorts indices by score); for benchmarks and
 * as a reference in tests.
 */
export function keepAllButLowestBySort(scores: Float32Array, k: number): Uint8Array {
  const n = scores.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => scores[a] - scores[b] || a - b);
  const keep = new Uint8Array(n).fill(1);
  for (let j = 0; j < Math.min(n, k); j++) keep[idx[j]] = 0;
  return keep;
}
