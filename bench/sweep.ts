/**
 * Sweep benchmark (`npm run bench:sweep`):
 * 1. 8 quick `prune-finetune` trials (LeNet-300-100 on an MNIST subset, 2 methods × 4 seeds, one
 *    dense model per seed shared through the checkpoint cache) on the local pool of 2 workers vs
 *    sequentially in this one process (the trial functions called in-process): the wall-time
 *    speedup (target ≥ 1.7× on a 2-core machine). The pool of 1 worker in between separates the
 *    cost of a fresh process per trial from the gain of running two at once.
 * 2. The per-trial overhead of the local executor: `empty` trials through a pool of 1 worker,
 *    wall time per trial (process start, backend, reading the trial, writing the record).
 *    Target ≤ 1.5 s.
 * 3. `--executors local,NAME,...`: the same 4 quick trials through each executor, and each
 *    one's overhead over the local pool.
 *
 * Usage: node build/bench/sweep.js [--workers 2] [--empty 8] [--executors local] [--dataset mnist]
 *          [--train-subset 6000] [--dense-steps 400] [--finetune-steps 250] [--skip-quick]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/backend';
import { recipeFields } from '../src/sweep/builtin-trials';
import { expandSpec } from '../src/sweep/spec';
import { ensureLayout, writeQueue, writeSpec } from '../src/sweep/store';
import { sweep, type SweepSummary } from '../src/sweep/sweep';
import type { SweepSpec } from '../src/sweep/types';
import { executeTrial } from '../src/sweep/worker';

interface Args {
  workers: number;
  empty: number;
  executors: string[];
  dataset: string;
  trainSubset: number;
  denseSteps: number;
  finetuneSteps: number;
  skipQuick: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { workers: 2, empty: 8, executors: ['local'], dataset: 'mnist', trainSubset: 6000, denseSteps: 400, finetuneSteps: 250, skipQuick: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--workers': a.workers = Number(value()); break;
      case '--empty': a.empty = Number(value()); break;
      case '--executors': a.executors = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--dataset': a.dataset = value(); break;
      case '--train-subset': a.trainSubset = Number(value()); break;
      case '--dense-steps': a.denseSteps = Number(value()); break;
      case '--finetune-steps': a.finetuneSteps = Number(value()); break;
      case '--skip-quick': a.skipQuick = true; break;
      default: throw new Error(`Unknown flag ${flag}`);
    }
  }
  return a;
}

/** The quick trials: 2 methods × `seeds`, method outermost so that each seed's dense model is trained once. */
function quickSpec(a: Args, name: string, seeds: number[]): SweepSpec {
  return {
    name,
    trial: 'prune-finetune',
    grid: { method: ['magnitude', 'random'], seed: seeds },
    fixed: {
      dataset: a.dataset, trainSubset: a.trainSubset, testSubset: 2000, sparsity: 0.9,
      ...recipeFields('dense', { steps: a.denseSteps, batchSize: 64, learningRate: 0.05 }),
      ...recipeFields('finetune', { steps: a.finetuneSteps, batchSize: 64, learningRate: 0.005 }),
    },
  };
}

const fresh = (root: string, name: string) => {
  const d = path.join(root, name);
  fs.rmSync(d, { recursive: true, force: true });
  return d;
};

/** CPU seconds used by this process and its finished children (Linux: /proc/self/stat). */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // fields after the command name: cutime and cstime are the 14th and 15th, in clock ticks (100 Hz)
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    children = NaN;
  }
  return (own.user + own.system) / 1e6 + children;
}

/** Runs `fn`, measuring wall seconds and the cores it kept busy on average (CPU seconds / wall seconds). */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; cores: number }> {
  const t0 = process.hrtime.bigint();
  const c0 = cpuSeconds();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { value, seconds, cores: (cpuSeconds() - c0) / seconds };
}

/** Runs the trials of a spec one after the other in this process, as the worker would. */
async function sequential(spec: SweepSpec, dir: string): Promise<number[]> {
  const { spec: normalised, trials } = expandSpec(spec);
  ensureLayout(dir);
  writeSpec(dir, normalised);
  writeQueue(dir, trials);
  const seconds: number[] = [];
  for (const t of trials) {
    const r = await executeTrial(dir, t, { sweep: spec.name, log: () => {} });
    if (r.status !== 'done') throw new Error(`trial ${t.id} failed: ${r.error?.message}`);
    seconds.push(r.seconds);
  }
  return seconds;
}

function check(s: SweepSummary): SweepSummary {
  if (s.failed) throw new Error(`${s.failed} trials failed: ${s.failures.map((f) => f.error.message).join('; ')}`);
  return s;
}

const f2 = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const backend = await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-bench-sweep-'));
  const lines: string[] = [];
  const out = (l: string) => {
    lines.push(l);
    console.log(l);
  };
  out(`# sweep benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), backend ${backend}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  try {
    if (!a.skipQuick) {
      const seeds = [1, 2, 3, 4];
      const seq = await timed(() => sequential(quickSpec(a, 'bench-seq', seeds), fresh(root, 'seq')));
      const pool = await timed(async () => check(await sweep(quickSpec(a, 'bench-pool', seeds), { dir: fresh(root, 'pool'), workers: a.workers, executor: 'local', progress: 'none' })));
      // one worker: the same fresh process per trial without parallelism (what the pool scales from)
      const single = await timed(async () => check(await sweep(quickSpec(a, 'bench-pool1', seeds), { dir: fresh(root, 'pool1'), workers: 1, executor: 'local', progress: 'none' })));
      const trialSeconds = seq.value;
      out('');
      out(`## 8 quick prune-finetune trials (${a.dataset} ${a.trainSubset} examples, LeNet-300-100, ${a.denseSteps} dense + ${a.finetuneSteps} fine-tuning steps; 2 methods × 4 seeds)`);
      out('');
      out('| run | wall (s) | per trial (s, min–max) | cores busy (CPU s / wall s) | speedup |');
      out('|---|---|---|---|---|');
      out(`| sequential, in one process | ${f2(seq.seconds)} | ${f2(Math.min(...trialSeconds))}–${f2(Math.max(...trialSeconds))} | ${f2(seq.cores)} | 1.00× |`);
      const range = (s: SweepSummary) => `${f2(Math.min(...s.rows.map((r) => r.seconds)))}–${f2(Math.max(...s.rows.map((r) => r.seconds)))}`;
      out(`| local pool, 1 worker (a fresh process per trial) | ${f2(single.seconds)} | ${range(single.value)} | ${f2(single.cores)} | ${f2(seq.seconds / single.seconds)}× |`);
      out(`| local pool, ${a.workers} workers | ${f2(pool.seconds)} | ${range(pool.value)} | ${f2(pool.cores)} | ${f2(seq.seconds / pool.seconds)}× (target ≥ 1.7×); ${f2(single.seconds / pool.seconds)}× over 1 worker |`);
      out('');
      out(`(other jobs on the machine: load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; a pool that keeps fewer than ${a.workers} cores busy was not given them)`);
    }

    const emptySpec: SweepSpec = { name: 'bench-empty', trial: 'empty', grid: { n: Array.from({ length: a.empty }, (_, i) => i) } };
    const empty = await timed(async () => check(await sweep(emptySpec, { dir: fresh(root, 'empty'), workers: 1, executor: 'local', progress: 'none' })));
    const inWorker = empty.value.rows.reduce((s, r) => s + r.seconds, 0) / empty.value.rows.length;
    out('');
    out(`## per-trial overhead: ${a.empty} empty trials, local pool of 1 worker`);
    out('');
    out('| measure | seconds |');
    out('|---|---|');
    out(`| wall per trial (process start, backend, trial read, record write) | ${f2(empty.seconds / a.empty)} (target ≤ 1.5) |`);
    out(`| of which inside the trial function and record write | ${inWorker.toFixed(4)} |`);

    // ---- executors compared on the same 4 trials ----------------------------------------------
    // Hook for other engines: `--executors local,slurm` runs the same 4 quick trials through each
    // registered executor. An engine that needs a service (the single-node Slurm cluster) starts
    // and stops it around its row here.
    if (a.executors.length > 1 || a.executors[0] !== 'local') {
      const four = quickSpec(a, 'bench-executors', [11, 12]);
      const rows: { name: string; seconds: number }[] = [];
      for (const name of a.executors) {
        const r = await timed(async () => check(await sweep({ ...four, name: `bench-${name}` }, { dir: fresh(root, `exec-${name}`), executor: name, workers: a.workers, progress: 'none' })));
        rows.push({ name, seconds: r.seconds });
      }
      const local = rows.find((r) => r.name === 'local');
      out('');
      out(`## the same 4 quick trials through each executor (${a.workers} at a time)`);
      out('');
      out('| executor | wall (s) | overhead vs local (s) |');
      out('|---|---|---|');
      for (const r of rows) out(`| ${r.name} | ${f2(r.seconds)} | ${local ? f2(r.seconds - local.seconds) : '—'} |`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
