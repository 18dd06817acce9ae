// The `slurm` sweep executor: the parsers of what the Slurm commands print, its options, and
// real runs on a one-node Slurm cluster on 127.0.0.1 (munged + slurmctld + slurmd from Debian's
// munge and slurm-wlm, started by scripts/slurm-local.sh in a temporary directory).
//
// The trials run test/sweep/fixtures/record-worker.js, a stand-in with the worker's command line
// and contract (queue/<id>.json in, trials/<id>.json out), because the real worker and trial
// functions live on the sweep-core branch. At merge the first integration test switches to the
// real worker (`workerScript()` from src/sweep, an `empty`-like trial) — the rest keep the
// fixture, which can sleep past a time limit or crash on demand.
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OptionError, UserError } from '../../src/errors';
import { createSlurmExecutor, resolveSlurmOptions, SlurmExecutor, slurmExecutorFactory, type SlurmExecutorOptions } from '../../src/sweep/executors/slurm';
import { parseIndexList, parseSacct, parseScontrol, parseSqueue, slurmTrialError, stateFromLog } from '../../src/sweep/executors/slurm-states';
import type { SweepProgress, TrialConfig, TrialRecord, TrialSpec } from '../../src/sweep/types';
import { sweep as sweep_ } from '../../src/sweep';

const repo = path.resolve(__dirname, '..', '..', '..');
const clusterScript = path.join(repo, 'scripts', 'slurm-local.sh');
const fixtureWorker = path.join(repo, 'test', 'sweep', 'fixtures', 'record-worker.js');

/** A results directory as the sweep driver leaves it for an executor: spec.json and queue/<id>.json. */
function makeSweep(name: string, configs: TrialConfig[]): { dir: string; trials: TrialSpec[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pl-sweep-${name}-`));
  fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ name, trial: 'fixture', grid: {} }));
  fs.mkdirSync(path.join(dir, 'queue'));
  const trials = configs.map((config, i) => ({ id: `${name}-${i}`, trial: 'fixture', config }));
  for (const t of trials) fs.writeFileSync(path.join(dir, 'queue', `${t.id}.json`), JSON.stringify(t));
  return { dir, trials };
}

function record(dir: string, id: string): TrialRecord {
  return JSON.parse(fs.readFileSync(path.join(dir, 'trials', `${id}.json`), 'utf8')) as TrialRecord;
}

/** The submissions the executor saved (one per sbatch). */
function submissions(dir: string): { jobId: string; ids: string[]; command: string[] }[] {
  const slurmDir = path.join(dir, 'slurm');
  return fs
    .readdirSync(slurmDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(slurmDir, f), 'utf8')));
}

function fixtureExecutor(options: SlurmExecutorOptions = {}): SlurmExecutor {
  return new SlurmExecutor({ pollSeconds: 0.3, workerCommand: [process.execPath, fixtureWorker], ...options });
}

/** What squeue still lists of a job ('' when nothing). */
function queued(jobId: string): string {
  return spawnSync('squeue', ['-h', '-j', jobId], { encoding: 'utf8' }).stdout.trim();
}

/** A shell script standing in for a Slurm command. */
function stubCommand(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('slurm executor: reading what squeue, sacct, scontrol and the logs say', () => {
  it('expands array index lists in every form Slurm prints', () => {
    assert.deepEqual(parseIndexList('3'), [3]);
    assert.deepEqual(parseIndexList('[0-3%2]'), [0, 1, 2, 3]);
    assert.deepEqual(parseIndexList('1,4-5'), [1, 4, 5]);
    assert.deepEqual(parseIndexList('0-6:3'), [0, 3, 6]);
    assert.deepEqual(parseIndexList('N/A'), []);
  });

  it('parses squeue -r lines, keeping only the tasks of our batch script', () => {
    const text = '0|RUNNING|/r/slurm/a.sh\n1|COMPLETING|/r/slurm/a.sh\n2|PENDING|/r/slurm/a.sh\n7|RUNNING|/other/job.sh\n';
    const tasks = parseSqueue(text, '/r/slurm/a.sh');
    assert.deepEqual([...tasks], [[0, 'RUNNING'], [1, 'COMPLETING'], [2, 'PENDING']]);
  });

  it('parses sacct -P lines of array tasks, skipping steps and other jobs', () => {
    const text = [
      '41_0|COMPLETED|0:0|n1|2026-01-31T12:00:00|2026-01-31T12:00:05',
      '41_0.batch|COMPLETED|0:0|n1|2026-01-31T12:00:00|2026-01-31T12:00:05',
      '41_1|TIMEOUT|0:15|n2|2026-01-31T12:00:00|2026-01-31T12:01:30',
      '41_2|CANCELLED by 0|0:15|n1|2026-01-31T12:00:00|2026-01-31T12:00:09',
      '41_3|OUT_OF_MEMORY|0:125|n3|Unknown|Unknown',
      '41_[4-5]|PENDING|0:0|None assigned|Unknown|Unknown',
      '410_1|FAILED|1:0|n1|Unknown|Unknown',
    ].join('\n');
    const tasks = parseSacct(text, '41');
    assert.deepEqual(
      tasks.map((t) => [t.index, t.state, t.exitCode]),
      [[0, 'COMPLETED', '0:0'], [1, 'TIMEOUT', '0:15'], [2, 'CANCELLED', '0:15'], [3, 'OUT_OF_MEMORY', '0:125'], [4, 'PENDING', '0:0'], [5, 'PENDING', '0:0']],
    );
    assert.equal(tasks[1].node, 'n2');
    assert.equal(tasks[1].end, '2026-01-31T12:01:30');
    assert.equal(tasks[3].start, undefined, "'Unknown' is no time");
  });

  it('parses scontrol show job -o lines (a cluster without accounting)', () => {
    const text = [
      'JobId=12 ArrayJobId=9 ArrayTaskId=0 JobName=x JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15 StartTime=2026-01-31T12:00:00 EndTime=2026-01-31T12:01:31 BatchHost=vm NodeList=vm',
      'JobId=9 ArrayJobId=9 ArrayTaskId=2-3 JobName=x JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 StartTime=Unknown EndTime=Unknown NodeList=',
      'JobId=13 ArrayJobId=91 ArrayTaskId=1 JobState=FAILED ExitCode=1:0',
    ].join('\n');
    const tasks = parseScontrol(text, '9');
    assert.deepEqual(
      tasks.map((t) => [t.index, t.state, t.exitCode, t.node]),
      [[0, 'TIMEOUT', '0:15', 'vm'], [2, 'PENDING', '0:0', undefined], [3, 'PENDING', '0:0', undefined]],
    );
  });

  it("reads how a task ended from slurmstepd's line in its log", () => {
    assert.equal(stateFromLog('x\nslurmstepd-vm: error: *** JOB 15 ON vm CANCELLED AT 2026-11-29T11:00:54 DUE TO TIME LIMIT ***\n'), 'TIMEOUT');
    assert.equal(stateFromLog('slurmstepd: error: *** JOB 15 ON n1 CANCELLED AT 2026-11-29T11:00:54 DUE TO NODE FAILURE ***'), 'NODE_FAIL');
    assert.equal(stateFromLog('slurmstepd-vm: error: *** JOB 15 ON vm CANCELLED AT 2026-11-29T11:00:54 ***'), 'CANCELLED');
    assert.equal(stateFromLog('slurmstepd: error: Detected 1 oom-kill event(s) in StepId=15.batch.'), 'OUT_OF_MEMORY');
    assert.equal(stateFromLog('record-worker: exiting with code 3'), undefined);
  });

  it('names the Slurm state, the job, the exit code and the remedy in the trial error', () => {
    const e = slurmTrialError({ index: 1, state: 'OUT_OF_MEMORY', exitCode: '0:125', node: 'n3' }, '41_1', 'logs/a.log');
    assert.equal(e.name, 'OUT_OF_MEMORY');
    assert.equal(e.message, 'Slurm job 41_1 ended OUT_OF_MEMORY, exit code 0:125 on n3: it ran out of memory; ask for more with the memory option. Log: logs/a.log.');
    assert.equal(slurmTrialError({ index: 0, state: 'COMPLETED', exitCode: '0:0' }, '41_0', 'l').name, 'FAILED', 'no record is a failure');
    assert.match(slurmTrialError({ index: 0, state: 'FAILED', exitCode: '0:9' }, '41_0', 'l').message, /ended FAILED, exit code 0:9: the worker was killed by signal 9 \(SIGKILL\) before writing/);
    assert.equal(slurmTrialError({ index: 0, state: 'UNKNOWN' }, '41_0', 'l').name, 'FAILED');
  });
});

describe('slurm executor: options', () => {
  it('rejects bad options with OptionError naming the option and what is accepted, before anything is submitted', () => {
    const bad: [SlurmExecutorOptions, RegExp][] = [
      [{ timeLimit: '1h' } as SlurmExecutorOptions, /timeLimit '1h' is not a Slurm time limit; give minutes \(e\.g\. 30\) or 'HH:MM:SS'/],
      [{ timeLimit: 0 }, /timeLimit in minutes must be a whole number ≥ 1/],
      [{ timeLimit: '00:00:00' }, /at least one minute/],
      [{ memory: '2 GB' }, /memory '2 GB' is not a Slurm memory size; .* e\.g\. '2G'/],
      [{ cpusPerTask: 0 }, /cpusPerTask must be ≥ 1; got 0/],
      [{ maxParallel: 1.5 }, /maxParallel must be an integer/],
      [{ partition: 'a b' }, /partition 'a b' is not a partition name.*sinfo -s/],
      [{ extraArgs: ['--qos=short', '--array=0-9'] }, /extraArgs must not contain '--array': the executor sets it itself.*maxParallel/],
      [{ extraArgs: '--qos=short' } as unknown as SlurmExecutorOptions, /extraArgs must be a list of arguments/],
      [{ pollSeconds: 0 }, /pollSeconds must be > 0/],
      [{ workerCommand: [] }, /workerCommand must be a non-empty list/],
      [{ partiton: 'short' } as SlurmExecutorOptions, /unknown option 'partiton'\. Did you mean: partition\?.*Its options: partition, timeLimit/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => new SlurmExecutor(options), (e: unknown) => e instanceof OptionError && message.test((e as Error).message), JSON.stringify(options));
    }
    // ...and through the registry's factory, with a bad value from the environment
    const saved = process.env.PRUNELAB_SLURM_CPUS;
    process.env.PRUNELAB_SLURM_CPUS = 'two';
    try {
      assert.throws(() => createSlurmExecutor(), /PRUNELAB_SLURM_CPUS='two' is not a number/);
    } finally {
      if (saved === undefined) delete process.env.PRUNELAB_SLURM_CPUS;
      else process.env.PRUNELAB_SLURM_CPUS = saved;
    }
  });

  it('fills defaults, takes minutes as a number, and reads PRUNELAB_SLURM_* under the options given', () => {
    const o = resolveSlurmOptions({ timeLimit: 90, memory: '2G' });
    assert.equal(o.timeLimit, '90');
    assert.equal(o.pollSeconds, 5);
    assert.deepEqual(o.extraArgs, []);
    assert.equal(o.sbatch, 'sbatch');
    assert.equal(o.workerCommand[0], process.execPath);
    assert.match(o.workerCommand[1], /build[/\\]src[/\\]sweep[/\\]worker\.js$/);
    const env = { PRUNELAB_SLURM_PARTITION: 'gpu', PRUNELAB_SLURM_TIME: '02:00:00', PRUNELAB_SLURM_ARGS: '--qos=short  --account lab' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const e = createSlurmExecutor({ timeLimit: '10' });
      assert.equal(e.options.partition, 'gpu');
      assert.equal(e.options.timeLimit, '10', 'the option given wins over the environment');
      assert.deepEqual(e.options.extraArgs, ['--qos=short', '--account', 'lab']);
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    }
  });

  it("the registry's factory takes the sweep's workers as the array's %N", () => {
    assert.equal((slurmExecutorFactory.create({ workers: 3, partition: 'short' }) as SlurmExecutor).options.maxParallel, 3);
    assert.equal((slurmExecutorFactory.create({ workers: 3, partition: 'short' }) as SlurmExecutor).options.partition, 'short');
    assert.throws(() => slurmExecutorFactory.create({ workers: 3, maxParallel: 4 }), /workers \(3\) and maxParallel \(4\) both set how many trials run at once; give one of them/);
    assert.throws(() => slurmExecutorFactory.create({ workers: 0 }), /maxParallel must be ≥ 1/);
  });

  it('says how to fix a missing sbatch', async () => {
    const { dir, trials } = makeSweep('nosbatch', [{ x: 1 }]);
    try {
      await assert.rejects(
        fixtureExecutor({ sbatch: path.join(dir, 'no-such-sbatch') }).run({ dir, trials }),
        (e: unknown) => e instanceof UserError && /the command '.*no-such-sbatch' was not found\. Run the sweep on a machine with the Slurm commands/.test((e as Error).message),
      );
      assert.equal(fs.existsSync(path.join(dir, 'trials')), false, 'no record for a trial that never ran');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('slurm executor on a one-node Slurm cluster on 127.0.0.1', function () {
  this.timeout(60_000);
  let state = '';
  let started = false;
  const savedConf = process.env.SLURM_CONF;
  const dirs: string[] = [];
  // Slurm's least time limit is one minute, checked every 30 s: the TIMEOUT sweep takes 60-90 s,
  // so it starts first and the other tests run meanwhile; its test, last, waits for it.
  let timeoutSweep: { dir: string; trials: TrialSpec[]; done: Promise<unknown> } | undefined;
  const stopTimeoutSweep = new AbortController();

  before(function () {
    this.timeout(60_000);
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-slurm-'));
    const r = spawnSync('bash', [clusterScript, 'start', state], { encoding: 'utf8', timeout: 50_000 });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || `exit code ${r.status}`).trim();
      console.log(`    skipped: the Slurm daemons could not start here (bash scripts/slurm-local.sh start): ${why}`);
      this.skip();
    }
    started = true;
    process.env.SLURM_CONF = path.join(state, 'slurm.conf');

    // trial 0 stops on SIGTERM like the real worker, recording Interrupted: Slurm's TIMEOUT must win
    const sweep = makeSweep('timeout', [{ sleep: 600, onTerm: 'interrupted' }, { exit: 3 }, { exit: 0 }]);
    dirs.push(sweep.dir);
    const done = fixtureExecutor({ timeLimit: 1, recordGraceSeconds: 1 }).run({ ...sweep, signal: stopTimeoutSweep.signal });
    done.catch(() => undefined); // awaited (and its error shown) by the last test
    timeoutSweep = { ...sweep, done };
  });

  after(async function () {
    this.timeout(60_000);
    // When its test did not run (--grep) or failed early: cancel it, or it would poll on
    stopTimeoutSweep.abort();
    await timeoutSweep?.done.catch(() => undefined);
    if (started) spawnSync('bash', [clusterScript, 'stop', state], { encoding: 'utf8', timeout: 50_000 });
    if (savedConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = savedConf;
    for (const d of [state, ...dirs]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  function sweep(name: string, configs: TrialConfig[]) {
    const s = makeSweep(name, configs);
    dirs.push(s.dir);
    return s;
  }

  it('runs 4 trials as one job array through sbatch: each gets its record with the metrics, and its own log', async () => {
    // Each trial sleeps 1 s so that a 0.3 s squeue poll sees it RUNNING even on a slow machine
    // (CI once saw four instant trials start and finish between two polls).
    const { dir, trials } = sweep('four', [1, 2, 3, 4].map((x) => ({ x, sleep: 1 })));
    const progress: SweepProgress[] = [];
    await fixtureExecutor().run({ dir, trials, onProgress: (p) => progress.push(p) });

    const subs = submissions(dir);
    assert.equal(subs.length, 1, 'one sbatch');
    assert.deepEqual(subs[0].ids, trials.map((t) => t.id));
    assert.ok(subs[0].command.includes('--array=0-3'), subs[0].command.join(' '));
    const jobId = subs[0].jobId;
    trials.forEach((t, i) => {
      const r = record(dir, t.id);
      assert.equal(r.status, 'done');
      assert.deepEqual(r.metrics, { doubled: 2 * (i + 1) });
      assert.deepEqual(r.config, { x: i + 1, sleep: 1 });
      assert.equal(r.executor.name, 'slurm', 'PRUNELAB_SWEEP_EXECUTOR reaches the worker');
      assert.equal(r.executor.jobId, `${jobId}_${i}`, 'array index i ran trial i');
      const log = fs.readFileSync(path.join(dir, 'logs', `${t.id}.log`), 'utf8');
      assert.match(log, new RegExp(`prunelab: trial ${t.id}, Slurm job ${jobId}_${i} on `));
      assert.match(log, new RegExp(`record-worker: trial ${t.id} config`));
    });
    assert.deepEqual(progress.at(-1), { total: 4, done: 4, failed: 0, running: 0, skipped: 0, etaSeconds: 0 });
    assert.ok(progress.some((p) => p.running > 0), `running was reported: ${JSON.stringify(progress)}`);
    assert.equal(queued(jobId), '');
  });

  it('end to end: pl.sweep with executor slurm runs a user trial module through the real worker (4 trials), and a second run resumes with nothing to do', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-sweep-e2e-'));
    const mod = path.join(tmp, 'trial.js');
    fs.writeFileSync(mod, "module.exports.square = { fields: [{ name: 'x', type: 'number', help: 'input' }], run: async (c) => ({ squared: c.x * c.x, pid: process.pid }) };\n");
    const spec = { name: 'e2e-slurm', trial: `${mod}#square`, grid: { x: [1, 2, 3, 4] } };
    const dir = path.join(tmp, 'results');
    const first = await sweep_(spec, { dir, executor: 'slurm', executorOptions: { pollSeconds: 0.3 }, progress: 'none' });
    assert.deepEqual(first.rows.map((r) => r.squared), [1, 4, 9, 16]);
    for (const r of first.rows) {
      const rec = record(dir, String(r.id));
      assert.equal(rec.executor.name, 'slurm');
      assert.match(String(rec.executor.jobId), /^\d+_\d$/);
      assert.equal(rec.environment.prunelab.length > 0, true);
    }
    assert.equal(new Set(first.rows.map((r) => r.pid)).size, 4, 'a fresh process per trial');
    const again = await sweep_(spec, { dir, executor: 'slurm', executorOptions: { pollSeconds: 0.3 }, progress: 'none' });
    assert.equal(submissions(dir).length, 1, 'resumed: nothing submitted the second time');
    assert.deepEqual(again.rows.map((r) => r.squared), [1, 4, 9, 16]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a failed trial run again: its old record does not count, the run waits for the new one', async () => {
    const { dir, trials } = sweep('rerun', [{ x: 5, sleep: 1 }]);
    const old: Partial<TrialRecord> = { format: 'prunelab-trial', version: 1, id: trials[0].id, status: 'failed', error: { name: 'TIMEOUT', message: 'an earlier attempt' }, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', executor: { name: 'slurm', host: 'n1', jobId: '1_0' } };
    fs.mkdirSync(path.join(dir, 'trials'));
    fs.writeFileSync(path.join(dir, 'trials', `${trials[0].id}.json`), JSON.stringify(old));
    await fixtureExecutor().run({ dir, trials });
    const r = record(dir, trials[0].id);
    assert.equal(r.status, 'done', JSON.stringify(r));
    assert.deepEqual(r.metrics, { doubled: 10 });
  });

  it('an interrupt cancels the array with scancel: every task recorded Interrupted (Slurm: CANCELLED), to run again; no job or worker left', async () => {
    // the first two stop on SIGTERM like the real worker; the others are killed, or never start
    const { dir, trials } = sweep('abort', [{ sleep: 600, onTerm: 'interrupted' }, { sleep: 600, onTerm: 'interrupted' }, { sleep: 600 }, { sleep: 600 }]);
    const controller = new AbortController();
    let abortedAt = 0;
    const run = fixtureExecutor({ maxParallel: 2 }).run({
      dir,
      trials,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.running > 0 && !abortedAt) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    await run;
    assert.ok(abortedAt > 0, 'a task ran');
    assert.ok(Date.now() - abortedAt < 15_000, `the run ended ${Date.now() - abortedAt} ms after the interrupt`);
    const [sub] = submissions(dir);
    assert.ok(sub.command.includes('--array=0-3%2'));
    for (const t of trials) {
      const r = record(dir, t.id);
      assert.equal(r.status, 'failed');
      // 'Interrupted': the store's name for a trial to run again on the next start
      assert.equal(r.error?.name, 'Interrupted', JSON.stringify(r.error));
      const ours = new RegExp(`^Slurm job ${sub.jobId}_\\d ended CANCELLED.*: the sweep was interrupted, and this run cancelled job ${sub.jobId} \\(scancel\\); it runs again on the next start`);
      const workers = /^stopped with the sweep \(SIGTERM\)/; // a worker that stopped in time records itself
      assert.ok(ours.test(r.error!.message) || workers.test(r.error!.message), r.error!.message);
    }
    assert.equal(queued(sub.jobId), '', 'no task of the array is left in squeue');
    const workers = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(dir));
    assert.deepEqual(workers, [], 'no worker process left');
  });

  it('sbatch refusing the array (no such partition) is a UserError naming the command and what sbatch said', async () => {
    const { dir, trials } = sweep('partition', [{ x: 1 }]);
    await assert.rejects(fixtureExecutor({ partition: 'nosuchpartition' }).run({ dir, trials }), (e: unknown) => {
      const m = (e as Error).message;
      assert.ok(e instanceof UserError, String(e));
      assert.match(m, /^sbatch refused the sweep \(exit code 1\): .*invalid partition specified: nosuchpartition/i);
      assert.match(m, /\nCommand: sbatch --parsable --array=0-0 .*--partition=nosuchpartition /);
      assert.match(m, /sinfo -s/);
      return true;
    });
    assert.equal(submissions(dir).length, 0);
    assert.equal(fs.existsSync(path.join(dir, 'trials')), false);
  });

  it('takes how a task ended from sacct where the cluster keeps accounting', async () => {
    const { dir, trials } = sweep('sacct', [{ exit: 137 }]);
    // This cluster has no slurmdbd; a stand-in sacct answers like one that has.
    const sacct = stubCommand(dir, 'sacct', 'echo "$*" >> "$(dirname "$0")/sacct.calls"\necho "${2}_0|OUT_OF_MEMORY|0:125|vm|Unknown|Unknown"');
    await fixtureExecutor({ sacct, memory: '100M' }).run({ dir, trials });
    const r = record(dir, trials[0].id);
    const { jobId } = submissions(dir)[0];
    assert.equal(r.error?.name, 'OUT_OF_MEMORY');
    assert.match(r.error!.message, new RegExp(`^Slurm job ${jobId}_0 ended OUT_OF_MEMORY, exit code 0:125 on vm: it ran out of memory \\(memory 100M\\); ask for more`));
    assert.match(fs.readFileSync(path.join(dir, 'sacct.calls'), 'utf8'), new RegExp(`^-j ${jobId} -X -n -P -o JobID,State,ExitCode`));
  });

  it('without sacct and scontrol, reads from the log how a task ended (here: cancelled by someone else)', async () => {
    const { dir, trials } = sweep('admin', [{ sleep: 600 }]);
    const failing = stubCommand(dir, 'nothing', 'echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1');
    let cancelled = false;
    await fixtureExecutor({ sacct: failing, scontrol: failing, recordGraceSeconds: 0 }).run({
      dir,
      trials,
      onProgress: (p) => {
        if (p.running > 0 && !cancelled) {
          cancelled = true; // an administrator's scancel, not ours
          assert.equal(spawnSync('scancel', [submissions(dir)[0].jobId]).status, 0);
        }
      },
    });
    const r = record(dir, trials[0].id);
    assert.equal(r.error?.name, 'CANCELLED');
    assert.match(r.error!.message, /ended CANCELLED: it was cancelled \(scancel: an interrupt of the sweep, or the cluster administrator\)/);
    assert.match(fs.readFileSync(path.join(dir, 'logs', `${trials[0].id}.log`), 'utf8'), /\*\*\* JOB \d+ ON \S+ CANCELLED AT/);
  });

  it('waits for the array of a driver that died instead of submitting the trials again', async function () {
    this.timeout(90_000);
    const { dir, trials } = sweep('resume', [{ x: 1, sleep: 3 }, { x: 2, sleep: 3 }]);
    const executorModule = path.join(repo, 'build', 'src', 'sweep', 'executors', 'slurm.js');
    const driver = spawn(
      process.execPath,
      ['-e', `new (require(${JSON.stringify(executorModule)}).SlurmExecutor)({ pollSeconds: 0.3, workerCommand: ${JSON.stringify([process.execPath, fixtureWorker])} }).run({ dir: ${JSON.stringify(dir)}, trials: ${JSON.stringify(trials)} })`],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(path.join(dir, 'slurm')) || submissions(dir).length === 0) {
      assert.ok(Date.now() < deadline, 'the first driver submitted');
      await new Promise((r) => setTimeout(r, 100));
    }
    driver.kill('SIGKILL');
    const [first] = submissions(dir);
    assert.notEqual(queued(first.jobId), '', 'its tasks are still queued or running');

    await fixtureExecutor().run({ dir, trials });
    assert.equal(submissions(dir).length, 1, 'no second sbatch');
    trials.forEach((t, i) => {
      const r = record(dir, t.id);
      assert.equal(r.status, 'done');
      assert.equal(r.executor.jobId, `${first.jobId}_${i}`);
    });
  });

  it('records a trial past its time limit as TIMEOUT, a crashed worker as FAILED with its exit code, and one that wrote no record as FAILED', async function () {
    this.timeout(180_000); // Slurm ends a job over its 1-minute limit 60-90 s after it started
    const { dir, trials, done } = timeoutSweep!;
    await done;
    const { jobId } = submissions(dir)[0];
    // This cluster keeps no accounting: the states came from scontrol.
    const sacct = spawnSync('sacct', ['-j', jobId], { encoding: 'utf8' });
    assert.notEqual(sacct.status, 0);
    assert.match(sacct.stderr, /accounting storage is disabled/);

    const timedOut = record(dir, trials[0].id);
    assert.equal(timedOut.status, 'failed');
    assert.equal(timedOut.error?.name, 'TIMEOUT', JSON.stringify(timedOut.error));
    assert.match(
      timedOut.error!.message,
      new RegExp(`^Slurm job ${jobId}_0 ended TIMEOUT, exit code 0:\\d+ on \\S+: it ran past its time limit \\(timeLimit 1\\); give trials more time.* The worker had stopped on Slurm's SIGTERM and recorded: stopped with the sweep`),
    );
    assert.ok(timedOut.seconds >= 59, `ran ${timedOut.seconds} s before the limit`);
    assert.equal(timedOut.environment.prunelab, 'fixture', "the worker's own record was the start");
    const log = fs.readFileSync(path.join(dir, 'logs', `${trials[0].id}.log`), 'utf8');
    assert.match(log, /record-worker: SIGTERM, recording Interrupted/);
    assert.equal(stateFromLog(log), 'TIMEOUT', log);

    const crashed = record(dir, trials[1].id);
    assert.equal(crashed.error?.name, 'FAILED');
    assert.match(crashed.error!.message, new RegExp(`^Slurm job ${jobId}_1 ended FAILED, exit code 3:0 on \\S+: the worker exited with an error before writing the result record\\. Log: logs/${trials[1].id}\\.log\\.$`));

    const silent = record(dir, trials[2].id);
    assert.equal(silent.error?.name, 'FAILED');
    assert.match(silent.error!.message, new RegExp(`^Slurm job ${jobId}_2 ended COMPLETED, exit code 0:0 on \\S+: the worker exited without writing the result record`));
    assert.equal(queued(jobId), '');
  });
});
