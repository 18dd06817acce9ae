/**
 * Where a training method's step time goes (issue 15's cost question): LeNet-300-100 on MNIST,
 * batch 100, Adam, on one backend, for plain training and each regularization method. Per step:
 * wall time (without the profiler), then from one `tf.profile`d run the time in matrix products
 * (BatchMatMul, _FusedMatMul), in every other kernel (and how many kernels a step launches), and
 * outside kernels (JavaScript: the tape, hooks, the optimizer's bookkeeping). The profiler itself
 * slows element-wise-heavy steps, so read its columns as shares of its own total.
 *
 * Usage: node build/bench/method-profile.js [--steps 20] [--backend wasm]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadDataset } from '../src/data';
import { createModel } from '../src/models';
import { finalize, MaskedModel, trainingPlan } from '../src/prune';
import { train } from '../src/train';

const METHODS = ['none', 'penalty', 'ltp', 'l0', 'sparse-vd'];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let steps = 20, backend = 'wasm';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--steps') steps = Number(argv[++i]);
    else if (argv[i] === '--backend') backend = argv[++i];
    else throw new Error(`Unknown flag ${argv[i]}. Flags: --steps N, --backend NAME`);
  }
  await initBackend(backend);
  const ds = await loadDataset('mnist', { flatten: true });
  const n = 100 * steps;
  const data = { ...ds.train, x: ds.train.x.subarray(0, n * 784), y: ds.train.y.subarray(0, n), count: n };
  const rows: string[] = [];
  let denseWall = NaN;
  for (const method of METHODS) {
    const net = createModel('lenet-300-100', { seed: 1 });
    try {
      const plan = method === 'none' ? undefined : trainingPlan(net, method, {}, { totalSteps: 3 * steps, stepsPerEpoch: steps, seed: 1 });
      const opts = { batchSize: 100, optimizer: 'adam' as const, learningRate: 1e-3, seed: 1, ...(plan?.trainOptions ?? {}) };
      await train(net, data, { ...opts, steps: 3 }); // warm-up
      const t = performance.now();
      await train(net, data, { ...opts, steps });
      const wall = (performance.now() - t) / steps;
      if (method === 'none') denseWall = wall;
      const t1 = performance.now();
      const prof = await tf.profile(async () => {
        await train(net, data, { ...opts, steps });
      });
      const profiled = (performance.now() - t1) / steps;
      let products = 0, other = 0, launched = 0;
      for (const k of prof.kernels) {
        if (k.name.endsWith('__op')) continue; // an op that wraps the kernels listed after it
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') products += ms;
        else {
          other += ms;
          launched++;
        }
      }
      products /= steps;
      other /= steps;
      rows.push(`| ${method} | ${wall.toFixed(1)} | ${(wall / denseWall).toFixed(2)}× | ${profiled.toFixed(1)} | ${products.toFixed(1)} | ${other.toFixed(1)} (${Math.round(launched / steps)}) | ${(profiled - products - other).toFixed(1)} |`);
    } finally {
      if (MaskedModel.existing(net)?.attachedMethods().size) finalize(net);
      MaskedModel.existing(net)?.strip();
      net.dispose();
    }
  }
  console.log(`\nLeNet-300-100, MNIST, batch 100, Adam, backend ${backend}, ${steps} steps; ms per step.\n`);
  console.log('| method | wall | vs plain | profiled wall | matrix products | other kernels (launched) | outside kernels |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
