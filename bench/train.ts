/**
 * Training-speed benchmark: one epoch of LeNet-300-100 on Fashion-MNIST (60k, batch 128, Adam)
 * and of LeNet-5-Caffe (batch 64, SGD) with prunelab's mask-aware loop, on each backend; as a
 * baseline in the same run, a plain tf.layers `model.fit` epoch of LeNet-300-100 on the same
 * backend; and, when /usr/bin/python3 has torch, PyTorch's epoch of the same models as a peer.
 * Median of `--repeats` (default 3). Prints a markdown table.
 *
 * Usage: node build/bench/train.js [--backends wasm,cpu] [--steps N] [--repeats 3]
 *          [--models lenet-300-100,lenet-5-caffe] [--no-fit] [--no-torch] [--torch-threads 1]
 *          [--wasm-native BatchMatMul,_FusedMatMul] [--core-fused-conv2d] [--masked 0.9 | --no-masked]
 * `--masked S` (default 0.9) also times each loop with the model magnitude-pruned to sparsity S
 * and its MaskedModel as the loop's mask source: the plain hard-mask path every pruning
 * schedule trains through, whose cost the methods core must not raise.
 * `--wasm-native K1,K2` also times the wasm loops with tfjs-backend-wasm's own versions of the
 * named kernels in place of prunelab's replacements (before/after in one run, same load).
 * `--core-fused-conv2d` also times them with tfjs-core's own tf.fused.conv2d, whose gradient
 * computes every input's gradient (see src/backend/gradients/fused-conv2d-grad.ts).
 * `--steps N` times N steps per run and extrapolates to a full epoch (marked "extrapolated").
 * Without it, wasm/tensorflow run full epochs and cpu runs 50 (LeNet-300-100) / 2 (LeNet-5)
 * steps, because tfjs-cpu's Conv2DBackpropFilter takes seconds per batch.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { installLazyFusedConv2d, uninstallLazyFusedConv2d } from '../src/backend/gradients/index';
import { loadDataset } from '../src/data';
import type { Examples } from '../src/data/types';
import { createModel } from '../src/models';
import { prune } from '../src/prune';
import { train } from '../src/train';
import { PEER_PYTHON, describePeerBlas, runTorchPeer, type PeerBlas } from './torch-peer';

interface Args {
  backends: string[];
  steps?: number;
  repeats: number;
  models: string[];
  fit: boolean;
  torch: boolean;
  torchThreads: number;
  wasmNative: string[];
  coreFusedConv2d: boolean;
  /** Sparsity of the masked-training rows; undefined: no such rows. */
  masked?: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { backends: ['wasm', 'cpu'], repeats: 3, models: ['lenet-300-100', 'lenet-5-caffe'], fit: true, torch: true, torchThreads: 1, wasmNative: [], coreFusedConv2d: false, masked: 0.9 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--backends') a.backends = v().split(',');
    else if (k === '--steps') a.steps = Number(v());
    else if (k === '--repeats') a.repeats = Number(v());
    else if (k === '--models') a.models = v().split(',');
    else if (k === '--no-fit') a.fit = false;
    else if (k === '--no-torch') a.torch = false;
    else if (k === '--torch-threads') a.torchThreads = Number(v());
    else if (k === '--wasm-native') a.wasmNative = v().split(',');
    else if (k === '--core-fused-conv2d') a.coreFusedConv2d = true;
    else if (k === '--masked') a.masked = Number(v());
    else if (k === '--no-masked') a.masked = undefined;
    else throw new Error(`Unknown flag ${k}. Flags: --backends, --steps, --repeats, --models, --no-fit, --no-torch, --torch-threads, --wasm-native, --core-fused-conv2d, --masked S, --no-masked`);
  }
  if (a.steps !== undefined && !(Number.isInteger(a.steps) && a.steps > 0)) throw new Error('--steps must be a positive integer');
  if (!(Number.isInteger(a.repeats) && a.repeats > 0)) throw new Error('--repeats must be a positive integer');
  if (a.masked !== undefined && !(a.masked >= 0 && a.masked < 1)) throw new Error('--masked must be a sparsity in [0, 1)');
  return a;
}

interface Row {
  backend: string;
  what: string;
  batch: number;
  steps: number;
  fullSteps: number;
  msPerStep: number;
  note?: string;
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

const CASES: Record<string, { optimizer: 'adam' | 'sgd'; lr: number; batch: number; flat: boolean; cpuSteps: number }> = {
  'lenet-300-100': { optimizer: 'adam', lr: 1e-3, batch: 128, flat: true, cpuSteps: 50 },
  'lenet-5-caffe': { optimizer: 'sgd', lr: 0.01, batch: 64, flat: false, cpuSteps: 2 },
};

/** Same examples with image shape [28,28,1] (the flat copy shares the buffer). */
function asImages(ex: Examples): Examples {
  return { ...ex, featureShape: [28, 28, 1] };
}

/**
 * Median ms per step of the prunelab loop.
 * @param sparsity when given, the model is magnitude-pruned to it first and trained with its masks.
 */
async function timeLoop(name: string, data: Examples, steps: number, repeats: number, sparsity?: number): Promise<number> {
  const c = CASES[name];
  const model = createModel(name, { seed: 0, inputShape: data.featureShape });
  const masks = sparsity === undefined ? undefined : prune(model, { sparsity });
  await train(model, data, { optimizer: c.optimizer, learningRate: c.lr, batchSize: c.batch, masks, steps: Math.min(3, Math.max(1, steps - 1)) }); // warm-up
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    const h = await train(model, data, { optimizer: c.optimizer, learningRate: c.lr, batchSize: c.batch, masks, steps, seed: r });
    times.push((performance.now() - t) / h.steps);
  }
  masks?.strip(); // frees the masks and kept originals
  model.dispose();
  return median(times);
}

async function timeFit(data: Examples, steps: number, repeats: number): Promise<number> {
  const n = Math.min(data.count, steps * 128);
  const model = createModel('lenet-300-100', { seed: 0 });
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  const xs = tf.tensor2d(data.x.subarray(0, n * 784), [n, 784]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(data.y.subarray(0, n), 'int32'), 10).toFloat());
  const warm = Math.min(n, 3 * 128);
  await model.fit(xs.slice(0, warm), ys.slice(0, warm), { batchSize: 128, epochs: 1, verbose: 0 });
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await model.fit(xs, ys, { batchSize: 128, epochs: 1, shuffle: true, verbose: 0 });
    times.push((performance.now() - t) / Math.ceil(n / 128));
  }
  tf.dispose([xs, ys]);
  model.dispose();
  return median(times);
}

function torchPeer(dataDir: string, args: Args): Row[] {
  const probe = spawnSync(PEER_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`(PyTorch peer skipped: ${PEER_PYTHON} cannot import torch)`);
    return [];
  }
  const py = [
    dataDir, '--threads', String(args.torchThreads), '--repeats', String(args.repeats),
    '--lenet300-steps', String(args.steps ?? 0),
    '--lenet5-steps', args.models.includes('lenet-5-caffe') ? String(args.steps ?? 0) : '-1',
  ];
  const out = runTorchPeer('torch_train.py', py, args.torchThreads, 1 << 20);
  if (out.status !== 0) {
    console.log(`(PyTorch peer failed: ${(out.error?.message ?? out.stderr.trim().split('\n').pop())})`);
    return [];
  }
  const res = JSON.parse(out.stdout.trim().split('\n').pop()!) as {
    torch: string; threads: number; blas?: PeerBlas; results: { model: string; ms_per_step: number; steps: number }[];
  };
  console.log(describePeerBlas(res.blas));
  const blasName = res.blas?.name ? `, ${res.blas.name.split(' (')[0]}` : '';
  return res.results
    .filter((r) => args.models.includes(r.model))
    .map((r) => ({
      backend: `torch ${res.torch} cpu${blasName} (${res.threads} thread${res.threads > 1 ? 's' : ''})`,
      what: `${r.model} ${CASES[r.model].optimizer} (PyTorch loop)`,
      batch: CASES[r.model].batch,
      steps: r.steps,
      fullSteps: Math.ceil(60000 / CASES[r.model].batch),
      msPerStep: r.ms_per_step,
    }));
}

/**
 * tfjs-backend-wasm's own configs of the named kernels, captured before prunelab replaces them
 * (so call before initBackend('wasm')).
 */
function captureNativeWasmKernels(names: string[]): tf.KernelConfig[] {
  if (names.length === 0) return [];
  require('@tensorflow/tfjs-backend-wasm');
  const { REPLACED_WASM_KERNELS } = require('../src/backend/wasm-kernels/index') as typeof import('../src/backend/wasm-kernels/index');
  return names.map((name) => {
    const native = tf.getKernel(name, 'wasm');
    if (native === undefined) throw new Error(`--wasm-native: tfjs-backend-wasm has no kernel '${name}'.`);
    if (!REPLACED_WASM_KERNELS.some((k) => k.kernelName === name)) {
      throw new Error(`--wasm-native: '${name}' is not replaced by prunelab. Replaced: ${REPLACED_WASM_KERNELS.map((k) => k.kernelName).join(', ')}`);
    }
    if (REPLACED_WASM_KERNELS.some((k) => k.kernelFunc === native.kernelFunc)) {
      throw new Error(`--wasm-native: '${name}' was already replaced before the bench could capture the native kernel.`);
    }
    return native;
  });
}

/** Swaps the given kernel configs into the registry (replacing whatever is registered). */
function swapIn(configs: tf.KernelConfig[]): void {
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, c.backendName) !== undefined) tf.unregisterKernel(c.kernelName, c.backendName);
    tf.registerKernel(c);
    // A native kernel replaced before the backend initialised never ran its setup (cwrap).
    if (tf.getBackend() === c.backendName) c.setupFunc?.(tf.backend());
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const natives = captureNativeWasmKernels(args.wasmNative);
  const ds = await loadDataset('fashion-mnist', { flatten: true });
  const flat = ds.train;
  console.log(`Fashion-MNIST: ${flat.count} training examples from ${ds.source}`);
  const rows: Row[] = [];
  const fitMs = new Map<string, number>();
  for (const backend of args.backends) {
    try {
      await initBackend(backend);
    } catch (e) {
      console.log(`(backend ${backend} skipped: ${(e as Error).message})`);
      continue;
    }
    for (const name of args.models) {
      const c = CASES[name];
      if (!c) throw new Error(`Unknown bench model '${name}'. Known: ${Object.keys(CASES).join(', ')}`);
      const full = Math.ceil(flat.count / c.batch);
      const steps = Math.min(full, args.steps ?? (backend === 'cpu' ? c.cpuSteps : full));
      const ms = await timeLoop(name, c.flat ? flat : asImages(flat), steps, args.repeats);
      rows.push({ backend, what: `${name} ${c.optimizer} (prunelab loop)`, batch: c.batch, steps, fullSteps: full, msPerStep: ms });
      console.log(`  ${backend} ${name}: ${ms.toFixed(2)} ms/step`);
      if (args.masked !== undefined) {
        const maskedMs = await timeLoop(name, c.flat ? flat : asImages(flat), steps, args.repeats, args.masked);
        rows.push({ backend, what: `${name} ${c.optimizer} (prunelab loop, ${100 * args.masked}% masks)`, batch: c.batch, steps, fullSteps: full, msPerStep: maskedMs, note: `${(maskedMs / ms).toFixed(2)}× the unmasked loop` });
        console.log(`  ${backend} ${name} masked ${args.masked}: ${maskedMs.toFixed(2)} ms/step`);
      }
      if (backend === 'wasm' && natives.length > 0) {
        swapIn(natives);
        try {
          const nativeMs = await timeLoop(name, c.flat ? flat : asImages(flat), steps, args.repeats);
          const label = `wasm (native ${args.wasmNative.join(', ')})`;
          rows.push({ backend: label, what: `${name} ${c.optimizer} (prunelab loop)`, batch: c.batch, steps, fullSteps: full, msPerStep: nativeMs, note: `${(nativeMs / ms).toFixed(2)}× the replaced kernels' time` });
          console.log(`  ${label} ${name}: ${nativeMs.toFixed(2)} ms/step`);
        } finally {
          (require('../src/backend/wasm-kernels/index') as typeof import('../src/backend/wasm-kernels/index')).registerMissingWasmKernels();
        }
      }
      if (backend === 'wasm' && args.coreFusedConv2d && uninstallLazyFusedConv2d()) {
        try {
          const coreMs = await timeLoop(name, c.flat ? flat : asImages(flat), steps, args.repeats);
          const label = 'wasm (core tf.fused.conv2d gradient)';
          rows.push({ backend: label, what: `${name} ${c.optimizer} (prunelab loop)`, batch: c.batch, steps, fullSteps: full, msPerStep: coreMs, note: `${(coreMs / ms).toFixed(2)}× the time with prunelab's` });
          console.log(`  ${label} ${name}: ${coreMs.toFixed(2)} ms/step`);
        } finally {
          installLazyFusedConv2d();
        }
      }
    }
    if (args.fit && args.models.includes('lenet-300-100')) {
      const full = Math.ceil(flat.count / 128);
      const steps = Math.min(full, args.steps ?? (backend === 'cpu' ? CASES['lenet-300-100'].cpuSteps : full));
      const ms = await timeFit(flat, steps, args.repeats);
      fitMs.set(backend, ms);
      rows.push({ backend, what: 'lenet-300-100 adam (tf.layers model.fit, baseline)', batch: 128, steps, fullSteps: full, msPerStep: ms });
      console.log(`  ${backend} model.fit: ${ms.toFixed(2)} ms/step`);
    }
  }
  if (args.torch) rows.push(...torchPeer(ds.source, args));

  console.log('\n| backend | model / loop | batch | steps timed | ms/step | epoch (s) | vs model.fit LeNet-300-100 |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const epoch = (r.msPerStep * r.fullSteps) / 1000;
    const extrap = r.steps < r.fullSteps ? ` (extrapolated from ${r.steps})` : '';
    const base = fitMs.get(r.backend);
    const ratio = base && r.what.startsWith('lenet-300-100') ? `${(r.msPerStep / base).toFixed(2)}×` : '';
    const note = r.note ? ` (${r.note})` : '';
    console.log(`| ${r.backend} | ${r.what}${note} | ${r.batch} | ${r.steps}/${r.fullSteps} | ${r.msPerStep.toFixed(2)} | ${epoch.toFixed(1)}${extrap} | ${ratio} |`);
  }
  console.log(`\nload average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores (other processes slow every number alike).`);
  console.log(`median of ${args.repeats} runs; targets on wasm: LeNet-300-100 ≤ 6 s/epoch, LeNet-5-Caffe ≤ 60 s/epoch.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
