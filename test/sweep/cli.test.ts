import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseSweepArgs } from '../../src/cli/sweep';
import { loadRecords } from '../../src/sweep/store';
import { cleanup, runCounts, tempDir, waitFor, writeFaultModule } from './helpers';

const CLI = path.resolve(__dirname, '../../src/cli/sweep.js');

describe('npm run sweep (the command line)', function () {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('parses its flags and refuses bad ones with the usage', () => {
    assert.deepEqual(parseSweepArgs(['s.json', '--dir', 'D', '--workers=3', '--rerun', 'failed', '--executor', 'local', '--executor-option', 'partition=debug', '--executor-option', 'cpus=2']), {
      command: 'run', target: 's.json', dir: 'D', workers: 3, rerun: 'failed', executor: 'local', executorOptions: { partition: 'debug', cpus: 2 },
    });
    assert.deepEqual(parseSweepArgs(['status', 'mnist']), { command: 'status', target: 'mnist', executorOptions: {} });
    assert.equal(parseSweepArgs(['--help']), 'help');
    assert.throws(() => parseSweepArgs(['s.json', '--workers', '0']), /--workers must be a whole number ≥ 1, got '0'.\nUsage: npm run sweep/);
    assert.throws(() => parseSweepArgs(['s.json', '--rerun', 'some']), /--rerun must be none, failed or all/);
    assert.throws(() => parseSweepArgs(['s.json', '--wrokers', '2']), /Unknown flag '--wrokers'/);
    assert.throws(() => parseSweepArgs([]), /Give one spec file/);
  });

  it('a bad spec file: exit status 2 and the message, before any trial starts', () => {
    const dir = tempDir();
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ name: 'x', trial: 'prune-finetune', grid: { sparsty: [0.5] } }));
    const r = spawnSync(process.execPath, [CLI, path.join(dir, 'spec.json'), '--dir', path.join(dir, 'out')], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /error: Sweep 'x' \(trial 'prune-finetune'\): unknown field 'sparsty'/);
    assert.ok(!fs.existsSync(path.join(dir, 'out')));
  });

  it('the driver killed mid-sweep (SIGKILL): a restart runs only the unfinished trials; no finished trial is lost or run twice', async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFaultModule(dir);
    // the module path is relative to the spec file
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ name: 'killed-driver', trial: 'fault.js#trial', grid: { index: [0, 1, 2, 3, 4] }, fixed: { sleep: 1.2 } }));
    const out = path.join(dir, 'out');
    const driver = spawn(process.execPath, [CLI, path.join(dir, 'spec.json'), '--dir', out, '--workers', '2'], { stdio: 'ignore' });
    const exited = new Promise<string | null>((resolve) => driver.on('exit', (_code, sig) => resolve(sig)));
    const recordCount = () => (fs.existsSync(path.join(out, 'trials')) ? fs.readdirSync(path.join(out, 'trials')).filter((f) => f.endsWith('.json')).length : 0);
    await waitFor(() => recordCount() >= 1, 30000, 'a first record');
    driver.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const before = loadRecords(out).records;
    assert.ok(before.size >= 1 && before.size < 5, `${before.size} records when the driver died`);
    // the workers it left exit with it (their IPC channel closed) instead of finishing unseen
    await new Promise((r) => setTimeout(r, 1800));
    assert.equal(loadRecords(out).records.size, before.size, 'no orphan worker wrote a record after the driver died');

    const restart = spawnSync(process.execPath, [CLI, path.join(dir, 'spec.json'), '--dir', out, '--workers', '2'], { encoding: 'utf8' });
    assert.equal(restart.status, 0, restart.stdout + restart.stderr);
    assert.match(restart.stdout, new RegExp(`5 done, 0 failed, ${before.size} already there`));
    const after = loadRecords(out).records;
    assert.equal(after.size, 5);
    for (const [id, r] of before) {
      assert.equal(after.get(id)!.startedAt, r.startedAt, `finished trial ${id} was kept, not run again`);
      assert.equal(runCounts(out).get(id), 1);
    }
    for (const r of after.values()) assert.equal(r.status, 'done');
    // the status subcommand reads the same directory
    const status = spawnSync(process.execPath, [CLI, 'status', out], { encoding: 'utf8' });
    assert.match(status.stdout, /sweep killed-driver at .*: 5\/5 done, 0 failed, 0 running, 0 waiting/);
  });
});
