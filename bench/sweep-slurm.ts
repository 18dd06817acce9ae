/**
 * Sweep benchmark row (issue 12): the same empty trials through the one-node Slurm cluster on
 * 127.0.0.1 (scripts/slurm-local.sh) and through plain local child processes, 2 at a time (the
 * cluster's node has this machine's CPUs, so both run as many at once) → the per-trial overhead
 * of each (wall time × slots / trials: how long a trial holds a slot) and their ratio, each the
 * median of several runs. Not a test.
 *
 * The trial is test/sweep/fixtures/record-worker.js (reads queue/<id>.json, writes its record):
 * the core's `empty` trial through build/src/sweep/worker.js replaces it when both are merged
 * (pass `workerCommand`).
 *
 * Run: npm run build && node build/bench/sweep-slurm.js [--trials 4] [--runs 3]
 * (as root, with Debian's slurm-wlm and munge; uses $SLURM_CONF's cluster when set, else starts
 * and stops one of its own).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SlurmExecutor } from '../src/sweep/executors/slurm';
import type { TrialSpec } from '../src/sweep/types';

const repo = path.resolve(__dirname, '..', '..');

/** What {@link slurmOverheadRow} measured. */
export interface SlurmOverheadRow {
  /** Trials per run. */
  trials: number;
  /** Trials at once, in both (the node's CPUs, at most 2). */
  slots: number;
  /** Median wall seconds for all trials, local child processes. */
  localWall: number;
  /** Median wall seconds for all trials through sbatch/squeue. */
  slurmWall: number;
  /** Seconds a trial holds a slot, local (wall × slots / trials). */
  localPerTrial: number;
  /** Seconds a trial holds a slot, through Slurm. */
  slurmPerTrial: number;
  /** slurmPerTrial / localPerTrial. */
  ratio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A results directory as the driver leaves it: spec.json and queue/<id>.json. */
function makeSweep(name: string, n: number): { dir: string; trials: TrialSpec[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pl-bench-${name}-`));
  fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ name, trial: 'empty', grid: {} }));
  fs.mkdirSync(path.join(dir, 'queue'));
  fs.mkdirSync(path.join(dir, 'logs'));
  const trials = Array.from({ length: n }, (_, i) => ({ id: `${name}-${i}`, trial: 'empty', config: { x: i } }));
  for (const t of trials) fs.writeFileSync(path.join(dir, 'queue', `${t.id}.json`), JSON.stringify(t));
  return { dir, trials };
}

/** Runs the worker command for each trial, `slots` at a time, output to logs/<id>.log. */
async function runLocal(command: string[], dir: string, trials: TrialSpec[], slots: number): Promise<void> {
  const queue = [...trials];
  const one = async (): Promise<void> => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const log = fs.openSync(path.join(dir, 'logs', `${t.id}.log`), 'w');
      const code = await new Promise<number | null>((resolve) => {
        spawn(command[0], [...command.slice(1), dir, t!.id], { stdio: ['ignore', log, log] }).on('exit', resolve);
      });
      fs.closeSync(log);
      if (code !== 0) throw new Error(`local trial ${t.id} exited with ${code}; see ${dir}/logs/${t.id}.log`);
    }
  };
  await Promise.all(Array.from({ length: slots }, one));
}

function checkRecords(dir: string, trials: TrialSpec[]): void {
  for (const t of trials) {
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'trials', `${t.id}.json`), 'utf8'));
    if (r.status !== 'done') throw new Error(`trial ${t.id} did not finish: ${JSON.stringify(r.error)}`);
  }
}

/**
 * Measures the row on the cluster of `$SLURM_CONF` (which must be up).
 *
 * @param options trials per run (4), runs (3), the worker command (default: the fixture
 *   worker), the squeue poll interval (0.25 s: the end of the sweep is seen at most this late).
 */
export async function slurmOverheadRow(options: { trials?: number; runs?: number; workerCommand?: string[]; pollSeconds?: number } = {}): Promise<SlurmOverheadRow> {
  const n = options.trials ?? 4;
  const runs = options.runs ?? 3;
  const command = options.workerCommand ?? [process.execPath, path.join(repo, 'test', 'sweep', 'fixtures', 'record-worker.js')];
  const slots = Math.min(2, os.cpus().length);
  const executor = new SlurmExecutor({ pollSeconds: options.pollSeconds ?? 0.25, workerCommand: command, maxParallel: slots });
  const local: number[] = [];
  const slurm: number[] = [];
  for (let r = 0; r < runs; r++) {
    const a = makeSweep(`local${r}`, n);
    let t0 = performance.now();
    await runLocal(command, a.dir, a.trials, slots);
    local.push((performance.now() - t0) / 1000);
    checkRecords(a.dir, a.trials);
    fs.rmSync(a.dir, { recursive: true, force: true });

    const b = makeSweep(`slurm${r}`, n);
    t0 = performance.now();
    await executor.run(b);
    slurm.push((performance.now() - t0) / 1000);
    checkRecords(b.dir, b.trials);
    fs.rmSync(b.dir, { recursive: true, force: true });
  }
  const localWall = median(local);
  const slurmWall = median(slurm);
  const localPerTrial = (localWall * slots) / n;
  const slurmPerTrial = (slurmWall * slots) / n;
  return { trials: n, slots, localWall, slurmWall, localPerTrial, slurmPerTrial, ratio: slurmPerTrial / localPerTrial };
}

/** The row as printed lines. */
export function formatSlurmOverheadRow(row: SlurmOverheadRow): string {
  const f = (x: number) => x.toFixed(2);
  return [
    `${row.trials} empty trials, ${row.slots} at a time (median wall; per trial = wall × ${row.slots} / ${row.trials}):`,
    `  local child processes   wall ${f(row.localWall)} s   per-trial overhead ${f(row.localPerTrial)} s`,
    `  Slurm job array (1 node) wall ${f(row.slurmWall)} s   per-trial overhead ${f(row.slurmPerTrial)} s`,
    `  Slurm / local per-trial overhead: ${row.ratio.toFixed(1)}x`,
  ].join('\n');
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  let state: string | undefined;
  if (!process.env.SLURM_CONF) {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-slurm-bench-'));
    const r = spawnSync('bash', [path.join(repo, 'scripts', 'slurm-local.sh'), 'start', state], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`sweep-slurm: skipped, the Slurm daemons could not start: ${r.stderr.trim()}`);
      return;
    }
    process.env.SLURM_CONF = path.join(state, 'slurm.conf');
  }
  try {
    console.log(formatSlurmOverheadRow(await slurmOverheadRow({ trials: arg('--trials', 4), runs: arg('--runs', 3) })));
  } finally {
    if (state) {
      spawnSync('bash', [path.join(repo, 'scripts', 'slurm-local.sh'), 'stop', state]);
      fs.rmSync(state, { recursive: true, force: true });
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
