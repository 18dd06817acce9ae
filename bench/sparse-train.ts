/**
 * Sparse-training benchmark (issue 16): one epoch of LeNet-300-100 on Fashion-MNIST, batch 128,
 * SGD with momentum 0.9, in one run:
 * - dense masked training: prunelab's training loop (`train()`, dense tfjs products with masks)
 *   with the model at 95% sparsity — the baseline every ratio below is against;
 * - sparse training (`trainSparse`, the wasm CSR/SDDMM kernels) at 90 / 95 / 98% sparsity,
 *   uniform random masks (every layer at the sparsity) and ERK masks, twice: every layer on the
 *   CSR kernels (`products: 'sparse'`), and each layer on CSR or dense kernels by its timed
 *   break-even (`'auto'`, the default; the chosen products per layer are printed);
 * - PyTorch's dense epoch (bench/torch_train.py: LeNet-300-100, batch 128, Adam, one thread) as
 *   the peer, when /usr/bin/python3 has torch.
 * Target: at 95% a sparse epoch ≥ 3× faster than our dense masked epoch, and faster than PyTorch's.
 * Median of `--repeats` (default 3) runs; dense and sparse runs alternate so a load change hits both.
 *
 * Usage: node build/bench/sparse-train.js [--repeats 3] [--steps N] [--no-torch] [--backend wasm]
 * `--steps N` times N steps per run and extrapolates to the epoch (469 steps).
 */
import * as os from 'os';
import { initBackend } from '../src/backend';
import { loadDataset } from '../src/data';
import type { Examples } from '../src/data/types';
import { createModel } from '../src/models';
import { MaskedModel, prune } from '../src/prune';
import { SparseMlpTrainer, trainSparse } from '../src/sparse';
import { train } from '../src/train';
import { PEER_PYTHON, describePeerBlas, runTorchPeer, type PeerBlas } from './torch-peer';
import { spawnSync } from 'child_process';

const BATCH = 128;
const SPARSITIES = [0.9, 0.95, 0.98];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function subset(ex: Examples, n: number): Examples {
  const dim = ex.featureShape.reduce((a, b) => a * b, 1);
  return { ...ex, x: ex.x.subarray(0, n * dim), y: ex.y.subarray(0, n), count: n };
}

/** ms per step of the prunelab loop with masks at `sparsity` (dense products). */
async function denseMasked(data: Examples, sparsity: number): Promise<number> {
  const net = createModel('lenet-300-100', { seed: 0 });
  const masked = prune(net, { method: 'static', sparsity, seed: 0, methodOptions: { distribution: 'uniform' } });
  const opts = { optimizer: 'momentum' as const, learningRate: 0.01, batchSize: BATCH, masks: masked };
  await train(net, subset(data, 3 * BATCH), { ...opts, epochs: 1 }); // warm-up
  const t = performance.now();
  const h = await train(net, data, { ...opts, epochs: 1 });
  const ms = (performance.now() - t) / h.steps;
  masked.strip();
  net.dispose();
  return ms;
}

/** ms per step of the sparse path at `sparsity`, and what each layer ran on ('d'/'s' per layer, density in %). */
function sparse(data: Examples, sparsity: number, distribution: string, products: 'sparse' | 'auto'): { ms: number; layers: string } {
  const net = createModel('lenet-300-100', { seed: 0 });
  const masked = prune(net, { method: 'static', sparsity, seed: 0, methodOptions: { distribution } });
  const opts = { epochs: 1, batchSize: BATCH, learningRate: 0.01, products };
  trainSparse(net, subset(data, 3 * BATCH), masked.masks(), opts); // warm-up
  const t = performance.now();
  const h = trainSparse(net, data, masked.masks(), opts);
  const ms = (performance.now() - t) / h.steps;
  masked.strip();
  net.dispose();
  return { ms, layers: h.layers.map((c) => `${c.products === 'dense' ? 'D' : 'S'} ${(100 * c.density).toPrecision(2)}%`).join(', ') };
}

/**
 * The per-layer break-even: a trainer with `products: 'auto'` times each layer's three products
 * on the CSR and the dense kernels; here at uniform densities from 10% to 100%.
 */
function breakEvenTable(): void {
  console.log(`\nPer-layer products of one training step at batch ${BATCH} (forward, weight gradient, input gradient), ms, as 'auto' timed them:`);
  console.log('\n| density | fc1 784×300 CSR / dense | fc2 300×100 CSR / dense | fc3 100×10 CSR / dense | chosen |');
  console.log('|---|---|---|---|---|');
  for (const density of [0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 1]) {
    const net = createModel('lenet-300-100', { seed: 0 });
    const masked = density < 1 ? prune(net, { method: 'static', sparsity: 1 - density, seed: 0, methodOptions: { distribution: 'uniform' } }) : MaskedModel.of(net);
    const trainer = new SparseMlpTrainer(net, masked.masks(), { batchSize: BATCH });
    const c = trainer.layerProducts();
    trainer.dispose();
    masked.strip();
    net.dispose();
    console.log(`| ${(100 * density).toFixed(0)}% | ${c.map((x) => `${x.sparseMs!.toFixed(2)} / ${x.denseMs!.toFixed(2)}`).join(' | ')} | ${c.map((x) => (x.products === 'dense' ? 'D' : 'S')).join(' ')} |`);
  }
}

function torchPeer(dataDir: string, repeats: number, steps: number | undefined): { ms: number; label: string } | undefined {
  const probe = spawnSync(PEER_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`(PyTorch peer skipped: ${PEER_PYTHON} cannot import torch)`);
    return undefined;
  }
  const out = runTorchPeer('torch_train.py', [dataDir, '--threads', '1', '--repeats', String(repeats), '--lenet300-steps', String(steps ?? 0), '--lenet5-steps', '-1'], 1, 1 << 20);
  if (out.status !== 0) {
    console.log(`(PyTorch peer failed: ${out.error?.message ?? out.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  const res = JSON.parse(out.stdout.trim().split('\n').pop()!) as { torch: string; threads: number; blas?: PeerBlas; results: { model: string; ms_per_step: number }[] };
  console.log(describePeerBlas(res.blas));
  const r = res.results.find((x) => x.model === 'lenet-300-100')!;
  return { ms: r.ms_per_step, label: `PyTorch ${res.torch} dense, Adam, ${res.threads} thread${res.threads > 1 ? 's' : ''}${res.blas?.name ? `, ${res.blas.name.split(' (')[0]}` : ''}` };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let repeats = 3, torch = true, steps: number | undefined, backend = 'wasm';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--repeats') repeats = Number(argv[++i]);
    else if (argv[i] === '--steps') steps = Number(argv[++i]);
    else if (argv[i] === '--no-torch') torch = false;
    else if (argv[i] === '--backend') backend = argv[++i];
    else throw new Error(`Unknown flag ${argv[i]}. Flags: --repeats N, --steps N, --no-torch, --backend NAME`);
  }
  await initBackend(backend);
  const ds = await loadDataset('fashion-mnist', { flatten: true });
  const full = Math.ceil(ds.train.count / BATCH);
  const data = steps ? subset(ds.train, Math.min(ds.train.count, steps * BATCH)) : ds.train;
  const denseRuns: number[] = [];
  const sparseRuns = new Map<string, number[]>();
  const layerChoices = new Map<string, string[]>();
  for (let r = 0; r < repeats; r++) {
    denseRuns.push(await denseMasked(data, 0.95));
    console.log(`  run ${r + 1}: dense masked ${denseRuns.at(-1)!.toFixed(2)} ms/step`);
    for (const s of SPARSITIES) {
      for (const dist of ['uniform', 'erk']) {
        for (const products of ['sparse', 'auto'] as const) {
          const key = `${s}/${dist}/${products}`;
          const { ms, layers } = sparse(data, s, dist, products);
          sparseRuns.set(key, [...(sparseRuns.get(key) ?? []), ms]);
          layerChoices.set(key, [...(layerChoices.get(key) ?? []), layers]);
          console.log(`  run ${r + 1}: sparse ${100 * s}% ${dist} ${products} ${ms.toFixed(2)} ms/step (${layers})`);
        }
      }
    }
  }
  const dense = median(denseRuns);
  const peer = torch ? torchPeer(ds.source, repeats, steps) : undefined;
  const epoch = (ms: number) => ((ms * full) / 1000).toFixed(2);
  console.log(`\nLeNet-300-100, Fashion-MNIST, batch ${BATCH}, SGD momentum 0.9, backend ${backend}; ${steps ? `${steps} steps timed, epoch extrapolated` : 'full epochs'}; median of ${repeats}.`);
  console.log('\n| training | sparsity | masks | layers (S: CSR, D: dense kernels; density) | ms/step | epoch (s) | speedup vs dense masked | vs PyTorch dense |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(`| dense masked (prunelab loop) | 95% | uniform | tfjs | ${dense.toFixed(2)} | ${epoch(dense)} | 1.00× | ${peer ? `${(peer.ms / dense).toFixed(2)}×` : ''} |`);
  for (const [key, runs] of sparseRuns) {
    const [s, dist, products] = key.split('/');
    const ms = median(runs);
    // the choice of the run nearest the median (timed choices can differ between runs)
    const layers = layerChoices.get(key)![runs.indexOf(ms)];
    const label = products === 'sparse' ? 'sparse, every layer CSR' : 'sparse, per-layer break-even';
    console.log(`| ${label} | ${100 * Number(s)}% | ${dist} | ${layers} | ${ms.toFixed(2)} | ${epoch(ms)} | ${(dense / ms).toFixed(2)}× | ${peer ? `${(peer.ms / ms).toFixed(2)}×` : ''} |`);
  }
  if (peer) console.log(`| ${peer.label} | 0% | — | dense | ${peer.ms.toFixed(2)} | ${epoch(peer.ms)} | ${(dense / peer.ms).toFixed(2)}× | 1.00× |`);
  breakEvenTable();
  console.log(`\nSpeedups > 1 mean faster. load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores.`);
  console.log('Target: sparse at 95% ≥ 3× the dense masked epoch, and faster than the PyTorch dense epoch.');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
