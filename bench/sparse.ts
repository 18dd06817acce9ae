/**
 * Sparse-kernel benchmark (`npm run bench:sparse`; not a test). For each weight shape
 * (out × in, PyTorch's Linear convention: 300×784, 500×800, 4096×4096), sparsity and batch:
 * the speedup of the sparse kernels over dense tfjs `matMul` on the same backend in the same
 * run, for CSR on random unstructured masks, BSR 4×4 on 4×4-block masks, and 2:4 at its
 * natural 50%. With /usr/bin/python3 + torch, also the ratio to PyTorch's CSR `torch.sparse`
 * (single-threaded like wasm) on this machine. Every number is a median of repeated runs,
 * each including the creation and read-back of the output tensor. Dense and sparse runs
 * alternate (so a change in machine load hits both sides alike), and short products get more
 * repeats (about 0.3 s per point): a 10 µs batch-1 product needs hundreds for a stable median.
 *
 * Env: PRUNELAB_BACKEND (default: best available), BENCH_QUICK=1 (fewer shapes / sparsities),
 * BENCH_JSON=path (also write the rows as JSON).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import { initBackend } from '../src/backend';
import { denseToSparse, SparseFormat, SparseLinear, transpose2d } from '../src/sparse';
import { PEER_PYTHON, describePeerBlas, runTorchPeer, type PeerBlas } from './torch-peer';

const QUICK = process.env.BENCH_QUICK === '1';
const SHAPES: Array<[number, number]> = QUICK ? [[500, 800]] : [[300, 784], [500, 800], [4096, 4096]];
const SPARSITIES = QUICK ? [0.7, 0.9] : [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99];
const BATCHES = [1, 32, 128];

interface Row {
  shape: string;
  pattern: string;
  format: SparseFormat;
  sparsity: number;
  batch: number;
  denseMs: number;
  sparseMs: number;
  speedup: number;
  torchCsrMs?: number;
  torchDenseMs?: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Masked A [out, in] for a pattern. */
function makeWeights(out: number, inn: number, pattern: 'random' | 'block4x4' | '2:4', sparsity: number, r: () => number): Float32Array {
  const a = new Float32Array(out * inn);
  if (pattern === 'random') {
    for (let i = 0; i < a.length; i++) if (r() >= sparsity) a[i] = r() * 2 - 1;
  } else if (pattern === 'block4x4') {
    for (let br = 0; br < out; br += 4) for (let bc = 0; bc < inn; bc += 4) {
      if (r() < sparsity) continue;
      for (let i = br; i < Math.min(out, br + 4); i++) for (let j = bc; j < Math.min(inn, bc + 4); j++) a[i * inn + j] = r() * 2 - 1;
    }
  } else {
    for (let i = 0; i < out; i++) for (let g = 0; g < inn; g += 4) {
      const p = Math.floor(r() * 4);
      const q = (p + 1 + Math.floor(r() * 3)) % 4;
      a[i * inn + g + p] = r() * 2 - 1;
      a[i * inn + g + q] = r() * 2 - 1;
    }
  }
  return a;
}

/** Medians (ms) of `a` and `b` timed alternately; repeats scale with their cost. */
function pairedMedians(a: () => void, b: () => void, minRepeats: number): [number, number] {
  const time = (f: () => void): number => { const s = performance.now(); f(); return performance.now() - s; };
  const est = time(a) + time(b) + time(a) + time(b);
  const repeats = Math.max(minRepeats, Math.min(1000, Math.ceil(600 / Math.max(est, 1e-3))));
  for (let i = 0; i < Math.max(3, repeats >> 3); i++) { a(); b(); }
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < repeats; i++) {
    if (i & 1) { tb.push(time(b)); ta.push(time(a)); } else { ta.push(time(a)); tb.push(time(b)); }
  }
  const med = (t: number[]): number => { t.sort((x, y) => x - y); return t[t.length >> 1]; };
  return [med(ta), med(tb)];
}

function torchPeer(): Map<string, { dense: number; csr: number }> | undefined {
  if (!fs.existsSync(PEER_PYTHON)) return undefined;
  const threads = 1;
  const cfg = JSON.stringify({ shapes: SHAPES, sparsities: SPARSITIES, batches: BATCHES, threads });
  const out = runTorchPeer('torch_sparse.py', [cfg], threads);
  if (out.status !== 0) {
    console.log(`PyTorch comparison skipped: ${(out.error?.message ?? out.stderr.trim().split('\n').pop() ?? '').split('\n')[0]}`);
    return undefined;
  }
  try {
    const res = JSON.parse(out.stdout) as {
      torch: string;
      threads: number;
      blas?: PeerBlas;
      rows: Array<{ out: number; in: number; sparsity: number; batch: number; dense_ms: number; csr_ms: number }>;
    };
    console.log(`PyTorch ${res.torch} (${res.threads} thread${res.threads > 1 ? 's' : ''}) found: comparing with torch.sparse CSR.`);
    console.log(describePeerBlas(res.blas));
    return new Map(res.rows.map((r) => [`${r.out}x${r.in}|${r.sparsity}|${r.batch}`, { dense: r.dense_ms, csr: r.csr_ms }]));
  } catch (e) {
    console.log(`PyTorch comparison skipped: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const backend = await initBackend();
  console.log(`# Sparse kernels vs dense tfjs matMul on '${backend}' (speedup = dense ms / sparse ms; > 1 is faster)`);
  const torch = torchPeer();
  const rows: Row[] = [];
  for (const [out, inn] of SHAPES) {
    const big = out * inn > 4e6;
    const minRepeats = big ? 5 : 15;
    const cases: Array<{ pattern: 'random' | 'block4x4' | '2:4'; format: SparseFormat; sparsities: number[] }> = [
      { pattern: 'random', format: 'csr', sparsities: SPARSITIES },
      { pattern: 'block4x4', format: 'bsr', sparsities: SPARSITIES },
      { pattern: '2:4', format: 'nm', sparsities: [0.5] },
      { pattern: '2:4', format: 'csr', sparsities: [0.5] },
    ];
    for (const c of cases) {
      for (const s of c.sparsities) {
        const r = lcg(out * 31 + Math.round(s * 1000));
        const a = makeWeights(out, inn, c.pattern, s, r);
        const w = tf.tensor2d(transpose2d(a, out, inn), [inn, out]);
        const op = new SparseLinear(denseToSparse(a, [out, inn], c.format, { blockShape: [4, 4], n: 2, m: 4 }));
        for (const B of BATCHES) {
          const x = tf.randomUniform([B, inn], -1, 1, 'float32', B) as tf.Tensor2D;
          const [denseMs, sparseMs] = pairedMedians(
            () => tf.tidy(() => { tf.matMul(x, w).dataSync(); }),
            () => { const y = op.apply(x); y.dataSync(); y.dispose(); },
            minRepeats,
          );
          const dense = { median: denseMs }, sp = { median: sparseMs };
          const t = c.pattern === 'random' ? torch?.get(`${out}x${inn}|${s}|${B}`) : undefined;
          const row: Row = {
            shape: `${out}x${inn}`, pattern: c.pattern, format: c.format, sparsity: s, batch: B,
            denseMs: dense.median, sparseMs: sp.median, speedup: dense.median / sp.median,
            torchCsrMs: t?.csr, torchDenseMs: t?.dense,
          };
          rows.push(row);
          console.log(
            `${row.shape.padEnd(10)} ${c.pattern.padEnd(8)} ${c.format.padEnd(4)} s=${(s * 100).toFixed(0).padStart(2)}% B=${String(B).padStart(3)}  ` +
              `dense ${dense.median.toFixed(3).padStart(8)} ms  sparse ${sp.median.toFixed(3).padStart(8)} ms  ${row.speedup.toFixed(2).padStart(6)}× dense` +
              (t ? `   torch CSR ${t.csr.toFixed(3)} ms (${(t.dense / t.csr).toFixed(2)}× torch dense; ours ${(t.csr / sp.median).toFixed(1)}× faster than torch CSR)` : ''),
          );
          x.dispose();
        }
        op.dispose();
        w.dispose();
      }
    }
  }
  // Markdown summary: CSR speedups by sparsity (rows) and shape/batch (columns).
  console.log('\n## Speedup over dense tfjs matMul (' + backend + '), CSR on random masks / BSR 4×4 on block masks\n');
  const cols = SHAPES.flatMap(([o, i]) => BATCHES.map((b) => `${o}x${i}|${b}`));
  console.log(`| format | sparsity | ${cols.map((c) => c.replace('|', ' B=')).join(' | ')} |`);
  console.log(`|---|---|${cols.map(() => '---').join('|')}|`);
  for (const f of ['csr', 'bsr'] as SparseFormat[]) {
    for (const s of SPARSITIES) {
      const cells = cols.map((c) => {
        const [shape, b] = c.split('|');
        const r = rows.find((x) => x.format === f && x.pattern !== '2:4' && x.shape === shape && x.batch === Number(b) && x.sparsity === s);
        return r ? r.speedup.toFixed(2) : '';
      });
      console.log(`| ${f} | ${(s * 100).toFixed(0)}% | ${cells.join(' | ')} |`);
    }
  }
  for (const f of ['nm', 'csr'] as SparseFormat[]) {
    const cells = cols.map((c) => {
      const [shape, b] = c.split('|');
      const r = rows.find((x) => x.pattern === '2:4' && x.format === f && x.shape === shape && x.batch === Number(b));
      return r ? r.speedup.toFixed(2) : '';
    });
    console.log(`| 2:4 as ${f} | 50% | ${cells.join(' | ')} |`);
  }
  if (torch) {
    console.log('\n## PyTorch CSR (1 thread) on the same machine: torch dense ms / torch CSR ms, and our CSR vs torch CSR\n');
    console.log('| shape | batch | ' + SPARSITIES.map((s) => `${(s * 100).toFixed(0)}%`).join(' | ') + ' |');
    console.log(`|---|---|${SPARSITIES.map(() => '---').join('|')}|`);
    for (const [o, i] of SHAPES) for (const b of BATCHES) {
      const cells = SPARSITIES.map((s) => {
        const r = rows.find((x) => x.format === 'csr' && x.pattern === 'random' && x.shape === `${o}x${i}` && x.batch === b && x.sparsity === s);
        return r?.torchCsrMs ? `${(r.torchDenseMs! / r.torchCsrMs).toFixed(2)} / ${(r.torchCsrMs / r.sparseMs).toFixed(1)}×` : '';
      });
      console.log(`| ${o}x${i} | ${b} | ${cells.join(' | ')} |`);
    }
  }
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(rows, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
