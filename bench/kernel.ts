/**
 * Kernel benchmark (not a test): start to first result, round trip of a trivial cell and of
 * `%sparsity` on LeNet-300-100, each as the median of several runs; inside a cell (what the
 * per-cell async tracking of interrupts costs): 200k awaits, and training steps per second. Baselines measured in the
 * same run: a `kernel_info` round trip (protocol cost alone), `node -e 0` (process start), and
 * the kernel without the TypeScript builder speed-up (PRUNELAB_TS_SPEEDUP=0).
 *
 * Targets (issue 4): start < 3 s, trivial cell < 30 ms.
 * Run: npx tsc -p . && node build/bench/kernel.js [--runs 30] [--starts 7]
 */
import { spawnSync } from 'child_process';
import { KernelClient } from '../kernel/client';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median round trip of `code(i)`; the code differs per run, so TypeScript re-checks every time. */
async function roundTrips(k: KernelClient, code: (i: number) => string, runs: number, warmup = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs + warmup; i++) {
    const t0 = performance.now();
    const { reply } = await k.execute(code(i));
    if (reply.content.status !== 'ok') throw new Error(`${code}: ${JSON.stringify(reply.content)}`);
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return median(times);
}

/** Median of a number the cell computes (its execute_result), over `runs` runs. */
async function cellValue(k: KernelClient, code: (i: number) => string, runs: number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { reply, iopub } = await k.execute(code(i));
    const result = iopub.find((m) => m.header.msg_type === 'execute_result');
    if (reply.content.status !== 'ok' || !result) throw new Error(`${code(i)}: ${JSON.stringify(reply.content)}`);
    values.push(Number((result.content.data as Record<string, string>)['text/plain']));
  }
  return median(values);
}

/** Inside cells: 200k awaits (ms) and LeNet-300-100 training on random data (steps/s, batch 64). */
async function inCell(k: KernelClient): Promise<{ awaits: number; steps: number }> {
  const awaits = await cellValue(k, (i) => `const a${i} = performance.now(); for (let i = 0; i < 200000; i++) await Promise.resolve(i); performance.now() - a${i}`, 5);
  const setup = await k.execute('const benchData = { x: new Float32Array(2048 * 784).map(() => Math.random()), y: new Int32Array(2048).map((_, i) => i % 10), count: 2048, featureShape: [784], numClasses: 10 };');
  if (setup.reply.content.status !== 'ok') throw new Error(JSON.stringify(setup.reply.content));
  const steps = await cellValue(k, (i) => `const s${i} = performance.now(); await pl.train(net, benchData, { epochs: 1, batchSize: 64, seed: ${i} }); 32 / ((performance.now() - s${i}) / 1000)`, 5);
  return { awaits, steps };
}

async function measure(env: Record<string, string>, runs: number, withCellWork = false) {
  const t0 = performance.now();
  const k = await KernelClient.start({ env });
  const kernelInfo = performance.now() - t0;
  const first = await k.execute('1 + 1');
  if (first.reply.content.status !== 'ok') throw new Error(JSON.stringify(first.reply.content));
  const start = performance.now() - t0;
  const infoTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await k.request('shell', 'kernel_info_request', {});
    infoTimes.push(performance.now() - t);
  }
  const trivial = await roundTrips(k, (i) => `${i}`, runs);
  const setup = await k.execute('%model lenet-300-100 --as net\n%prune net magnitude --sparsity 0.9');
  if (setup.reply.content.status !== 'ok') throw new Error(JSON.stringify(setup.reply.content));
  const sparsity = await roundTrips(k, (i) => `%sparsity net${' '.repeat(i)}`, Math.max(5, Math.floor(runs / 3)));
  const cellWork = withCellWork ? await inCell(k) : null;
  await k.shutdown();
  return { kernelInfo, start, info: median(infoTimes), trivial, sparsity, cellWork };
}

/** Start to first result (`1 + 1`) of one fresh kernel, in ms. */
async function startOnce(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const k = await KernelClient.start({ env });
  const first = await k.execute('1 + 1');
  const t = performance.now() - t0;
  await k.shutdown();
  if (first.reply.content.status !== 'ok') throw new Error(JSON.stringify(first.reply.content));
  return t;
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} takes a positive integer (got ${process.argv[i + 1]}); e.g. ${name} ${fallback}`);
  return v;
}

async function main(): Promise<void> {
  const runs = flag('--runs', 30);
  const starts = flag('--starts', 7);
  const env = { PRUNELAB_BACKEND: process.env.PRUNELAB_BACKEND ?? 'wasm' };
  const nodeTimes: number[] = [];
  for (let j = 0; j < 5; j++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    nodeTimes.push(performance.now() - t);
  }
  const nodeStart = median(nodeTimes);
  const defaultStarts: number[] = [];
  for (let j = 0; j < starts; j++) defaultStarts.push(await startOnce(env));
  const startMedian = median(defaultStarts);
  const fast = await measure(env, runs, true);
  const slow = await measure({ ...env, PRUNELAB_TS_SPEEDUP: '0' }, runs);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`prunelab kernel benchmark (backend ${env.PRUNELAB_BACKEND}, medians of ${runs} runs, Node ${process.version})`);
  console.log(`  kernel start to kernel_info reply      ${ms(fast.kernelInfo)}`);
  console.log(`  kernel start to first result           ${ms(startMedian)}   (median of ${starts}; target < 3000 ms; ${(startMedian / nodeStart).toFixed(1)}x a bare 'node -e 0' start of ${ms(nodeStart)})`);
  console.log(`  kernel_info round trip (baseline)      ${ms(fast.info)}`);
  console.log(`  trivial cell round trip                ${ms(fast.trivial)}   (target < 30 ms; ${(fast.trivial / fast.info).toFixed(1)}x the kernel_info round trip)`);
  console.log(`  %sparsity on LeNet-300-100             ${ms(fast.sparsity)}`);
  const bareAwaits = median([0, 1, 2, 3, 4].map(() => Number(spawnSync(process.execPath, ['-e', `(async () => { const t = performance.now(); for (let i = 0; i < 200000; i++) await Promise.resolve(i); console.log(performance.now() - t); })()`], { encoding: 'utf8' }).stdout)));
  const perAwait = (fast.cellWork!.awaits - bareAwaits) / 200; // ms per 200k → µs per await
  console.log(`  in a cell: 200k awaits                 ${ms(fast.cellWork!.awaits)}   (bare node ${ms(bareAwaits)}: the cell's async context costs ${perAwait.toFixed(2)} µs per await)`);
  console.log(`  in a cell: pl.train LeNet-300-100      ${fast.cellWork!.steps.toFixed(1)} steps/s   (batch 64, random data)`);
  console.log(`  without the TypeScript builder speed-up: trivial cell ${ms(slow.trivial)} (${(slow.trivial / fast.trivial).toFixed(2)}x slower), %sparsity ${ms(slow.sparsity)}, start ${ms(slow.start)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
