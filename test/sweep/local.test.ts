import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { INTERRUPTED, loadSweep, sweepStatus, trialPaths } from '../../src/sweep/store';
import { sweep, type SweepSummary } from '../../src/sweep/sweep';
import type { SweepProgress, SweepSpec, TrialRecord } from '../../src/sweep/types';
import { cleanup, runCounts, tempDir, waitFor, writeFaultModule } from './helpers';

/** A sweep of the fault module over `index`. */
function faultSpec(moduleDir: string, name: string, indices: number[], fixed: Record<string, unknown> = {}): SweepSpec {
  return { name, trial: `${path.join(moduleDir, 'fault.js')}#trial`, grid: { index: indices }, fixed };
}

const record = (dir: string, id: string) => JSON.parse(fs.readFileSync(trialPaths(dir, id).record, 'utf8')) as TrialRecord;

describe('sweeps on the local executor: faults', function () {
  const dirs: string[] = [];
  let moduleDir: string;
  before(() => {
    moduleDir = tempDir('prunelab-sweep-module-');
    dirs.push(moduleDir);
    writeFaultModule(moduleDir);
  });
  after(() => cleanup(dirs));
  const resultsDir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };

  it('runs each trial in its own worker process and records metrics, timings, executor, environment and the log', async () => {
    const dir = resultsDir();
    const progress: SweepProgress[] = [];
    const s = await sweep(faultSpec(moduleDir, 'ok', [1, 2, 3]), { dir, workers: 2, progress: 'none', onProgress: (p) => progress.push(p) });
    assert.deepEqual([s.total, s.done, s.failed, s.ran, s.skipped, s.interrupted], [3, 3, 0, 3, 0, false]);
    assert.deepEqual(s.rows.map((r) => [r.index, r.double]), [[1, 2], [2, 4], [3, 6]]);
    const pids = new Set(s.rows.map((r) => r.pid));
    assert.equal(pids.size, 3, 'a fresh process per trial');
    assert.ok(!pids.has(process.pid));
    const r = record(dir, s.rows[0].id);
    assert.equal(r.status, 'done');
    assert.equal(r.executor.name, 'local');
    assert.equal(r.environment.prunelab, JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')).version);
    assert.ok(r.environment.backend && r.environment.node === process.version && r.seconds >= 0);
    assert.match(fs.readFileSync(path.join(dir, r.log), 'utf8'), /running index 1/);
    assert.ok(progress.some((p) => p.running === 2), 'two workers at once');
    assert.ok(progress.every((p) => p.running <= 2));
    const last = progress[progress.length - 1];
    assert.deepEqual([last.done, last.failed, last.running], [3, 0, 0]);
    assert.ok(last.etaSeconds !== undefined && last.etaSeconds === 0);
    assert.ok(!fs.existsSync(path.join(dir, 'running')) || fs.readdirSync(path.join(dir, 'running')).length === 0, 'no running marks left');

    // the same sweep again: nothing runs
    const again = await sweep(faultSpec(moduleDir, 'ok', [1, 2, 3]), { dir, workers: 2, progress: 'none' });
    assert.deepEqual([again.ran, again.skipped, again.done], [0, 3, 3]);
    assert.deepEqual([...runCounts(dir).values()], [1, 1, 1], 'no done trial runs twice');
    // a grown grid runs only the new trial; rerun all runs everything
    const grown = await sweep(faultSpec(moduleDir, 'ok', [1, 2, 3, 4]), { dir, workers: 2, progress: 'none' });
    assert.deepEqual([grown.ran, grown.skipped, grown.done], [1, 3, 4]);
    assert.deepEqual(loadSweep(dir).rows.map((r) => r.index), [1, 2, 3, 4], 'rows in grid order');
    const all = await sweep(faultSpec(moduleDir, 'ok', [1, 2]), { dir, workers: 2, progress: 'none', rerun: 'all' });
    assert.equal(all.ran, 2);
    assert.deepEqual([...runCounts(dir).entries()].map(([, n]) => n).sort(), [1, 1, 2, 2]);
  });

  it('a list of grids: one results directory, rows in the order of the grids', async () => {
    const dir = resultsDir();
    const spec: SweepSpec = { name: 'grids', trial: `${path.join(moduleDir, 'fault.js')}#trial`, grid: [{ index: [3, 1] }, { index: [2], sleep: [0.01] }] };
    const s = await sweep(spec, { dir, workers: 2, progress: 'none' });
    assert.deepEqual(s.rows.map((r) => r.index), [3, 1, 2]);
    assert.deepEqual(loadSweep(dir).rows.map((r) => r.index), [3, 1, 2]);
  });

  it('a trial that throws is recorded with its message and stack; the others finish', async () => {
    const dir = resultsDir();
    const s = await sweep(faultSpec(moduleDir, 'throws', [0, 1, 2], { throwAt: 1 }), { dir, workers: 2, progress: 'none' });
    assert.deepEqual([s.done, s.failed], [2, 1]);
    assert.deepEqual(s.rows.map((r) => r.index), [0, 2]);
    const f = s.failures[0];
    assert.equal(f.config.index, 1);
    assert.equal(f.error.name, 'RangeError');
    assert.equal(f.error.message, 'boom at index 1');
    assert.match(f.error.stack ?? '', /RangeError: boom at index 1\n\s+at .*fault\.js/);
    assert.match(fs.readFileSync(f.log, 'utf8'), /failed: RangeError: boom at index 1/);
    // failed trials are not run again unless asked
    const again = await sweep(faultSpec(moduleDir, 'throws', [0, 1, 2], { throwAt: 1 }), { dir, workers: 2, progress: 'none' });
    assert.deepEqual([again.ran, again.failed], [0, 1]);
  });

  it('a worker killed mid-trial (SIGKILL) is recorded as failed with the signal; the others finish; rerun failed completes it', async () => {
    const dir = resultsDir();
    const spec = faultSpec(moduleDir, 'killed', [0, 1, 2], { killAt: 1 });
    const s = await sweep(spec, { dir, workers: 2, progress: 'none' });
    assert.deepEqual([s.done, s.failed], [2, 1]);
    const f = s.failures[0];
    assert.equal(f.config.index, 1);
    assert.deepEqual(f.error, { name: 'Signal', message: 'killed by SIGKILL' });
    const killed = record(dir, f.id);
    assert.equal(killed.executor.name, 'local');
    assert.ok(!fs.existsSync(trialPaths(dir, f.id).running), 'the executor removed its running mark');

    const rerun = await sweep(spec, { dir, workers: 2, progress: 'none', rerun: 'failed' });
    assert.deepEqual([rerun.ran, rerun.skipped, rerun.done, rerun.failed], [1, 2, 3, 0]);
    assert.equal(rerun.rows.find((r) => r.index === 1)?.double, 2);
    const counts = runCounts(dir);
    assert.equal(counts.get(f.id), 2);
    assert.deepEqual([...counts.entries()].filter(([id]) => id !== f.id).map(([, n]) => n), [1, 1], 'done trials did not run again');
  });

  it('a worker that exits without writing a record: recorded as failed with the exit code and the end of its log', async () => {
    const dir = resultsDir();
    const s = await sweep(faultSpec(moduleDir, 'exits', [0, 1], { exitAt: 0 }), { dir, workers: 2, progress: 'none' });
    assert.deepEqual([s.done, s.failed], [1, 1]);
    assert.equal(s.failures[0].error.name, 'ExitCode');
    assert.match(s.failures[0].error.message, /^the worker exited with code 7 without writing a record; its log ends:\n(.*\n)*running index 0$/);
  });

  it('aborting the signal kills the running workers; their trials are recorded as interrupted and run on the next start', async () => {
    const dir = resultsDir();
    const spec = faultSpec(moduleDir, 'stopped', [0, 1, 2], { hangAt: 0 });
    const controller = new AbortController();
    const running = sweep(spec, { dir, workers: 1, progress: 'none', signal: controller.signal });
    await waitFor(() => fs.readdirSync(dir).some((f) => f.startsWith('hang-')), 20000, 'the hanging trial to start');
    const t0 = Date.now();
    controller.abort();
    const s = await running;
    assert.ok(Date.now() - t0 < 5000, 'stopped at once');
    assert.deepEqual([s.interrupted, s.done, s.failed, s.pending], [true, 0, 0, 3]);
    const hung = fs.readdirSync(dir).find((f) => f.startsWith('hang-'))!.slice(5);
    assert.equal(record(dir, hung).error?.name, INTERRUPTED);
    assert.equal(sweepStatus(dir).done, 0);

    const resumed = await sweep(spec, { dir, workers: 2, progress: 'none' });
    assert.deepEqual([resumed.ran, resumed.done, resumed.interrupted], [3, 3, false]);
    assert.equal(runCounts(dir).get(hung), 2);
  });

  /**
   * Runs `spec` on two workers, SIGTERMs the worker of the trial that waits (it writes `hang-<id>`
   * with its pid), and checks what every such stop must give: that trial recorded as interrupted
   * (not done), the other done, and the next start running it again.
   * @returns the stopped trial's record and the resumed sweep.
   */
  async function stopOneWithSigterm(spec: SweepSpec): Promise<{ stopped: TrialRecord; resumed: SweepSummary }> {
    const dir = resultsDir();
    const running = sweep(spec, { dir, workers: 2, progress: 'none' });
    await waitFor(() => fs.readdirSync(dir).some((f) => f.startsWith('hang-')), 20000, 'the waiting trial to start');
    const marker = fs.readdirSync(dir).find((f) => f.startsWith('hang-'))!;
    process.kill(Number(fs.readFileSync(path.join(dir, marker), 'utf8')), 'SIGTERM');
    const s = await running;
    const stopped = record(dir, marker.slice(5));
    assert.equal(stopped.status, 'failed');
    assert.equal(stopped.error?.name, INTERRUPTED);
    assert.deepEqual([s.done, s.failed, s.pending], [1, 0, 1]);
    const resumed = await sweep(spec, { dir, workers: 2, progress: 'none' });
    assert.deepEqual([resumed.ran, resumed.done], [1, 2]);
    return { stopped, resumed };
  }

  it('a worker stopped by SIGTERM or SIGINT (Ctrl-C in a terminal reaches the workers too) records its trial as interrupted; it runs again on the next start', async () => {
    const { stopped } = await stopOneWithSigterm(faultSpec(moduleDir, 'sigterm', [0, 1], { hangAt: 0 }));
    assert.equal(stopped.error?.message, 'stopped by the signal', 'the worker wrote it, not the executor');
  });

  it('a trial that returns after SIGTERM (its training stopped early, as train() does with the signal) is recorded as interrupted, not done; it runs again on the next start', async () => {
    const { stopped, resumed } = await stopOneWithSigterm(faultSpec(moduleDir, 'returns-when-stopped', [0, 1], { returnAt: 0 }));
    assert.equal(stopped.metrics, undefined, 'the partial metrics are not kept');
    assert.ok(resumed.rows.every((row) => row.partial === undefined));
  });

  it('a corrupt or truncated record is reported with its path, counts as not done, and its trial runs again', async () => {
    const dir = resultsDir();
    const spec = faultSpec(moduleDir, 'corrupt', [0, 1, 2]);
    const s = await sweep(spec, { dir, workers: 2, progress: 'none' });
    const [a, b] = s.rows.map((r) => r.id);
    const fileA = trialPaths(dir, a).record;
    const fileB = trialPaths(dir, b).record;
    const text = fs.readFileSync(fileA, 'utf8');
    fs.writeFileSync(fileA, text.slice(0, Math.floor(text.length / 2))); // truncated
    fs.writeFileSync(fileB, JSON.stringify({ ...JSON.parse(fs.readFileSync(fileB, 'utf8')), status: 'finished' }));

    const loaded = loadSweep(dir);
    assert.equal(loaded.rows.length, 1);
    assert.deepEqual(loaded.corrupt.map((c) => c.path).sort(), [fileA, fileB].sort());
    assert.match(loaded.corrupt.find((c) => c.path === fileA)!.problem, new RegExp(`${fileA.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it is not valid JSON.*truncated`));
    assert.match(loaded.corrupt.find((c) => c.path === fileB)!.problem, /Corrupt trial record .*: its status is "finished", not done or failed/);
    assert.equal(sweepStatus(dir).done, 1);

    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m);
    let again;
    try {
      again = await sweep(spec, { dir, workers: 2, progress: 'none' });
    } finally {
      console.warn = warn;
    }
    assert.deepEqual([again.ran, again.done, again.corrupt.length], [2, 3, 2]);
    assert.equal(warnings.length, 2);
    assert.ok(warnings.some((w) => w.includes(fileA) && /runs again/.test(w)));
    assert.equal(loadSweep(dir).corrupt.length, 0);
    assert.equal(runCounts(dir).get(a), 2);
  });
});
