/**
 * Benchmark of the second-order pruning methods on LeNet-300-100 (MNIST), one-shot to 90%, next
 * to one dense training epoch measured in the same run and to a PyTorch reference of the same
 * computations (bench/torch_second_order.py, float64 and float32, on the same weights and inputs).
 *
 * Methods timed (whole `prune()` call): OBD with the Gauss–Newton and the Fisher diagonal (N
 * examples), L-OBS for all three layers (Ψ from N inputs), WoodFisher with block 128 and N
 * per-example gradients, Woodbury recursion and direct block inverses.
 * Targets (issue 14): each within 2× of PyTorch; none slower than 10 dense epochs.
 *
 * Run: npm run bench:second-order  [-- --examples 1000 --no-torch]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { batches, loadDataset } from '../src/data';
import { lenet300100 } from '../src/models';
import { MaskedModel, prune, type PruneOptions } from '../src/prune';
import { train } from '../src/train';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const examples = arg('examples', 1000);
  const data = await loadDataset('mnist');
  const net = lenet300100({ seed: 1 });
  const t0 = performance.now();
  await train(net, data.train, { epochs: 1, batchSize: 100, optimizer: 'adam', learningRate: 1e-3, seed: 1 });
  const epoch = (performance.now() - t0) / 1000;
  const saved = net.getWeights().map((w) => w.clone());
  let calib: { xs: tf.Tensor; ys: tf.Tensor } | undefined;
  for (const b of batches(data.train, { batchSize: examples, seed: 2 })) {
    // the model takes flat [784] inputs (train() reshapes image batches itself)
    calib = { xs: b.xs.reshape([b.xs.shape[0], 784]), ys: b.ys };
    break;
  }
  console.log(`backend ${backend}; LeNet-300-100 on MNIST; one dense epoch (60k, batch 100, Adam): ${epoch.toFixed(1)} s; calibration N = ${examples}`);

  const cases: [string, PruneOptions][] = [
    ['OBD, Gauss–Newton diagonal', { method: 'obd', methodOptions: { diagonal: 'gauss-newton' } }],
    ['OBD, Fisher diagonal', { method: 'obd', methodOptions: { diagonal: 'fisher' } }],
    ['L-OBS, 3 layers', { method: 'l-obs' }],
    ['WoodFisher c=128, Woodbury', { method: 'woodfisher', scope: 'global', methodOptions: { blockSize: 128, fisherInverse: 'woodbury' } }],
    ['WoodFisher c=128, direct', { method: 'woodfisher', scope: 'global', methodOptions: { blockSize: 128, fisherInverse: 'direct' } }],
  ];
  const rows: { name: string; seconds: number; accuracy: number }[] = [];
  for (const [name, o] of cases) {
    net.setWeights(saved);
    const t = performance.now();
    prune(net, { ...o, sparsity: 0.9, data: calib });
    const seconds = (performance.now() - t) / 1000;
    const acc = tf.tidy(() => {
      const n = 10000;
      const xs = tf.tensor2d(data.test.x.subarray(0, n * 784), [n, 784]);
      const pred = (net.predict(xs) as tf.Tensor).argMax(-1).dataSync();
      let ok = 0;
      for (let i = 0; i < n; i++) if (pred[i] === data.test.y[i]) ok++;
      return ok / n;
    });
    MaskedModel.of(net).strip();
    rows.push({ name, seconds, accuracy: acc });
    console.log(`${name.padEnd(30)} ${seconds.toFixed(2).padStart(7)} s  (${(seconds / epoch).toFixed(2)} dense epochs)  test accuracy after pruning ${(100 * acc).toFixed(2)}%`);
  }

  if (!process.argv.includes('--no-torch')) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-bench-'));
    net.setWeights(saved);
    const w = saved.map((t) => Array.from(t.dataSync()));
    fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify({ shapes: saved.map((t) => t.shape), weights: w }));
    fs.writeFileSync(path.join(dir, 'x.f32'), Buffer.from((calib!.xs.dataSync() as Float32Array).buffer));
    fs.writeFileSync(path.join(dir, 'y.f32'), Buffer.from((calib!.ys.dataSync() as Float32Array).buffer));
    const r = spawnSync('/usr/bin/python3', [path.join(__dirname, '..', '..', 'bench', 'torch_second_order.py'), dir, String(examples)], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0) console.log(`PyTorch reference failed or unavailable: ${r.stderr.trim().split('\n').pop()}`);
    else {
      const ref = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { float64: number; float32: number }>;
      console.log(`\n${'method'.padEnd(30)} ${'ours (s)'.padStart(9)} ${'torch f64'.padStart(10)} ${'torch f32'.padStart(10)} ${'ours/f64'.padStart(9)}  ≤10 epochs`);
      const keys = ['obd-gn', 'obd-fisher', 'lobs', 'woodfisher-woodbury', 'woodfisher-direct'];
      rows.forEach((row, i) => {
        const t = ref[keys[i]];
        console.log(`${row.name.padEnd(30)} ${row.seconds.toFixed(2).padStart(9)} ${t.float64.toFixed(2).padStart(10)} ${t.float32.toFixed(2).padStart(10)} ${(row.seconds / t.float64).toFixed(1).padStart(8)}×  ${row.seconds <= 10 * epoch ? 'yes' : 'NO'}`);
      });
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
