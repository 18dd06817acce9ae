/**
 * The sweep-backed experiment drivers (`pl.sweeps.sparsitySweep`, `variantSweep`,
 * `scheduleSweep`) against their in-process twins (`pl.report.*`): the same rows, in the same
 * order and columns, the same curves; a second call runs no trial again.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { OptionError, UnknownNameError, UserError } from '../../src/errors';
import {
  disposeRuns, experimentData, iterativePruneRetrain, measuredSparsity, scheduleComparison, scheduleSweep as scheduleInProcess, sparsitySweep as sparsityInProcess, variantSweep as variantInProcess,
  type DenseRun, type PruneVariant,
} from '../../src/experiments';
import * as swept from '../../src/sweep/experiments';
import { expandSpec } from '../../src/sweep/spec';
import { defaultSweepDir, loadRecords, loadSweep } from '../../src/sweep/store';
import { sweep } from '../../src/sweep/sweep';
import { cleanup, tempDir } from './helpers';

const data = { dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200 };
const dense = { steps: 20, batchSize: 50, learningRate: 0.05 };
const finetune = { steps: 5, batchSize: 50, learningRate: 0.01 };
const seeds = [1, 2];
const quiet = () => {};

/** Same length, order, columns; numbers equal to 1e-6 (NaN equals NaN). */
function assertSameRows(got: readonly object[], want: readonly object[], what: string): void {
  assert.equal(got.length, want.length, `${what}: number of rows`);
  got.forEach((g, i) => {
    const a = g as Record<string, unknown>;
    const b = want[i] as Record<string, unknown>;
    assert.deepEqual(Object.keys(a), Object.keys(b), `${what} row ${i}: columns`);
    for (const k of Object.keys(b)) {
      if (typeof b[k] === 'number') {
        const x = a[k] as number;
        const y = b[k] as number;
        assert.ok(Object.is(x, y) || Math.abs(x - y) <= 1e-6, `${what} row ${i} ${k}: ${x} (sweep) vs ${y} (in-process)`);
      } else assert.equal(a[k], b[k], `${what} row ${i} ${k}`);
    }
  });
}

/** When each trial of a results directory started, by id. */
function startTimes(dir: string): Map<string, string> {
  return new Map([...loadRecords(dir).records.values()].map((r) => [r.id, r.startedAt]));
}

describe('sweep-backed experiment drivers (tiny-fashion, 2 seeds)', function () {
  const dirs: string[] = [];
  const runs: DenseRun[] = [];
  let tensorsBefore = 0;
  before(async () => {
    await experimentData(data);
    tensorsBefore = tf.memory().numTensors;
  });
  after(() => {
    disposeRuns(runs.splice(0));
    cleanup(dirs);
  });
  const fresh = () => {
    const d = tempDir('prunelab-exp-');
    dirs.push(d);
    return d;
  };

  it('sparsitySweep: the rows and dense runs of pl.report.sparsitySweep; a second call runs nothing again', async () => {
    const dir = fresh();
    const options = { data, seeds, sparsities: [0.5, 0.9], dense, finetune, log: quiet };
    const local = await sparsityInProcess(options);
    runs.push(...local.runs);
    const s = await swept.sparsitySweep({ ...options, name: 'exp-sparsity', dir, workers: 2, progress: 'none' });
    runs.push(...s.runs);
    assertSameRows(s.rows, local.rows, 'sparsitySweep');
    assert.deepEqual(s.rows.map((r) => [r.method, r.target, r.seed]), [['magnitude', 0.5, 1], ['magnitude', 0.5, 2], ['magnitude', 0.9, 1], ['magnitude', 0.9, 2]]);
    assert.equal(s.data, local.data, 'the same dataset object (experimentData)');
    assert.deepEqual(s.runs.map((r) => [r.seed, r.accuracy, r.modelName]), local.runs.map((r) => [r.seed, r.accuracy, r.modelName]));
    assert.equal(s.sweep.dir, dir);
    assert.equal(s.sweep.ran, 4);

    const started = startTimes(dir);
    const again = await swept.sparsitySweep({ ...options, name: 'exp-sparsity', dir, workers: 2, progress: 'none' });
    runs.push(...again.runs);
    assert.deepEqual([again.sweep.ran, again.sweep.skipped], [0, 4]);
    assert.deepEqual(startTimes(dir), started, 'no trial ran again');
    assertSameRows(again.rows, s.rows, 'resumed');
  });

  it('variantSweep: labels as methods, 2:4 without a target, the rows of pl.report.variantSweep; a second call with one more variant runs only it, on the cached dense models', async () => {
    const dir = fresh();
    const variants: PruneVariant[] = [
      { method: 'global', options: { criterion: 'magnitude', scope: 'global', sparsity: 0.8 } },
      { method: '2:4', options: { criterion: 'magnitude', granularity: '2:4', keepLastDense: true } },
    ];
    const local = await variantInProcess({ data, seeds, dense, variants, finetune, log: quiet });
    runs.push(...local.runs);
    const s = await swept.variantSweep({ data, seeds, dense, variants, finetune, log: quiet, name: 'exp-variants', dir, workers: 2, progress: 'none' });
    runs.push(...s.runs);
    assertSameRows(s.rows, local.rows, 'variantSweep');
    assert.deepEqual(s.rows.map((r) => r.method), ['global', 'global', '2:4', '2:4']);
    assert.ok(s.rows.filter((r) => r.method === '2:4').every((r) => Number.isNaN(r.target)), 'N:M implies its sparsity: target NaN as evaluateVariants gives it');

    const started = startTimes(dir);
    const more = [...variants, { method: 'neuron', options: { criterion: 'magnitude', granularity: 'neuron', sparsity: 0.5, keepLastDense: true } }];
    const withFt = await swept.variantSweep({ data, seeds, dense, variants: more, finetune, log: quiet, name: 'exp-variants', dir, workers: 2, progress: 'none' });
    runs.push(...withFt.runs);
    assert.deepEqual(withFt.rows.map((r) => r.method), ['global', 'global', '2:4', '2:4', 'neuron', 'neuron']);
    assert.deepEqual([withFt.sweep.ran, withFt.sweep.skipped], [2, 4], 'only the new variant ran');
    assertSameRows(withFt.rows.slice(0, 4), s.rows, 'the kept trials');
    for (const [id, at] of started) assert.equal(startTimes(dir).get(id), at, 'kept trials did not run again');
    const records = [...loadRecords(dir).records.values()];
    const newOnes = records.filter((r) => r.config.label === 'neuron' && r.config.finetune === true);
    assert.deepEqual(newOnes.map((r) => r.metrics!.denseCached), [true, true], 'the new trials loaded the dense models of the first call');
  });

  it('scheduleSweep: the rows and curves of pl.report.scheduleSweep, one schedule-finetune trial per (schedule, seed)', async () => {
    const dir = fresh();
    const options = {
      data, seeds, dense, sparsity: 0.8, steps: 12, rounds: 2, evalEvery: 4, curveExamples: 50,
      finetune: { batchSize: 50, learningRate: 0.01 }, log: quiet,
    };
    const local = await scheduleInProcess(options);
    runs.push(...local.runs);
    const s = await swept.scheduleSweep({ ...options, name: 'exp-schedules', dir, workers: 2, progress: 'none' });
    runs.push(...s.runs);
    assert.equal(s.sweep.ran, 6);
    assertSameRows(s.rows, local.rows, 'schedule rows');
    assertSameRows(s.curves, local.curves, 'curves');
    assert.deepEqual([...new Set(s.rows.map((r) => r.method))], ['one-shot', 'iterative (2 rounds)', 'gradual (AGP)']);
    const record = [...loadRecords(dir).records.values()][0];
    assert.equal(record.trial, 'schedule-finetune');
    assert.ok(Array.isArray(record.metrics!.curveStep) && (record.metrics!.curveStep as number[]).length > 4, 'the curve is in the record');

    const started = startTimes(dir);
    const again = await swept.scheduleSweep({ ...options, name: 'exp-schedules', dir, workers: 2, progress: 'none' });
    runs.push(...again.runs);
    assert.equal(again.sweep.ran, 0);
    assert.deepEqual(startTimes(dir), started);
    assertSameRows(again.curves, s.curves, 'resumed curves');
  });

  it("iterativeSweep: Han et al.'s protocol, one iterative-prune-retrain trial per seed on another sweep's dense checkpoints (none trained again): the rows and measured sparsity of pl.report.iterativePruneRetrain", async () => {
    const source = fresh();
    const dir = fresh();
    const one = await swept.sparsitySweep({ data, seeds, sparsities: [0.5], dense, finetune, name: 'exp-source', dir: source, workers: 2, progress: 'none', log: quiet });
    runs.push(...one.runs);
    const protocol = { density: { fc1: 0.2, fc2: 0.3, fc3: 0.6 }, rounds: 2, retrain: { steps: 4, batchSize: 50, learningRate: 0.01 }, finalRetrain: { steps: 6, batchSize: 50, learningRate: 0.005 } };
    const s = await swept.iterativeSweep({ ...protocol, data, seeds, dense, name: 'exp-han', dir, denseFrom: source, workers: 2, progress: 'none' });
    assert.equal(s.sweep.ran, 2);
    assert.ok(!fs.existsSync(path.join(dir, 'checkpoints')), 'no dense model of its own');
    const records = [...loadRecords(dir).records.values()];
    assert.deepEqual(records.map((r) => r.metrics!.denseCached), [true, true], 'both dense models came from the source sweep');
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'spec.json'), 'utf8')).checkpoints, path.relative(dir, path.join(source, 'checkpoints')));
    // in this process, on the same dense runs
    const want = [];
    const measured = [];
    for (const run of one.runs) {
      want.push(...await iterativePruneRetrain(run, one.data, protocol, quiet));
      measured.push(measuredSparsity(run.model));
    }
    assertSameRows(s.rows, want, 'rounds');
    assert.deepEqual(s.rows.map((r) => [r.seed, r.round]), [[1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2]]);
    assert.deepEqual(s.measured, measured);
    assert.ok(Math.abs(s.measured[0].kept.fc1 - 0.2) < 0.01, `fc1 kept ${s.measured[0].kept.fc1}`);

    const again = await swept.iterativeSweep({ ...protocol, data, seeds, dense, name: 'exp-han', dir, denseFrom: source, workers: 2, progress: 'none' });
    assert.equal(again.sweep.ran, 0);
    assertSameRows(again.rows, s.rows, 'resumed rounds');
    // bad input, before any trial
    await assert.rejects(
      swept.iterativeSweep({ ...protocol, density: { fc1: 1.5 }, data, seeds, dense, name: 'exp-han-bad', dir: fresh(), progress: 'none' }),
      (e: Error) => e instanceof OptionError && /field 'density': 'fc1=1.5' is not layer=fraction with a fraction kept in \(0, 1\]/.test(e.message),
    );
    await assert.rejects(
      swept.iterativeSweep({ ...protocol, data, seeds, dense, name: 'exp-han-bad', dir: fresh(), denseFrom: 'no-such-sweep-here', progress: 'none' }),
      (e: Error) => e instanceof UserError && /no-such-sweep-here/.test(e.message),
    );
  });

  it('frees every tensor it made (dense runs disposed), and the in-process twins free their runs when a variant fails', async () => {
    disposeRuns(runs.splice(0));
    assert.equal(tf.memory().numTensors, tensorsBefore);
    const bad: PruneVariant = { method: 'too much', options: { criterion: 'magnitude', sparsity: 1.5 } };
    await assert.rejects(variantInProcess({ data, seeds, dense, variants: [bad], finetune, log: quiet }), /sparsity/);
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });
});

describe('sweep-backed experiment drivers: bad input and failed trials', function () {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('refuses what a trial cannot take, naming the variant, before any trial starts', async () => {
    const dir = tempDir('prunelab-exp-');
    dirs.push(dir);
    const perLayer = { method: 'mine', options: { scope: { perLayer: { fc1: 0.5 } } } } as PruneVariant;
    await assert.rejects(
      swept.variantSweep({ data, seeds, dense, variants: [perLayer], finetune, name: 'bad', dir, progress: 'none' }),
      (e: Error) => e instanceof OptionError && /variant 'mine': scope must be a name in a sweep.*pl\.report\.variantSweep/.test(e.message),
    );
    const withData = { method: 'obd', options: { criterion: 'magnitude', sparsity: 0.5, update: 'reconstruct' } } as PruneVariant;
    await assert.rejects(
      swept.variantSweep({ data, seeds, dense, variants: [withData], finetune, name: 'bad', dir, progress: 'none' }),
      /variant 'obd': option 'update' cannot go into a sweep/,
    );
    await assert.rejects(
      swept.variantSweep({ data, seeds, dense, variants: [{ method: 'x', options: { criterion: 'magnitud', sparsity: 0.5 } }], finetune, name: 'bad', dir, progress: 'none' }),
      (e: Error) => e instanceof UnknownNameError && /unknown method 'magnitud'.*magnitude/.test(e.message),
    );
    await assert.rejects(
      swept.scheduleSweep({ data, seeds, dense, sparsity: 0.8, steps: 10, rounds: 2, evalEvery: 5, finetune: {}, schedules: ['two-shot'], name: 'bad', dir, progress: 'none' }),
      (e: Error) => e instanceof UnknownNameError && /unknown schedule 'two-shot'.*one-shot, iterative \(2 rounds\), gradual \(AGP\)/.test(e.message),
    );
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing was written');
    // the in-process driver refuses the same label with the same message
    await assert.rejects(
      scheduleComparison([], await experimentData(data), { sparsity: 0.8, steps: 10, rounds: 2, evalEvery: 5, finetune: {}, schedules: ['two-shot'] }, quiet),
      /scheduleComparison: unknown schedule 'two-shot'.*one-shot, iterative \(2 rounds\), gradual \(AGP\)/,
    );
    // the trial itself checks its fields (a spec written by hand)
    assert.throws(
      () => expandSpec({ name: 'x', trial: 'schedule-finetune', grid: { seed: [1] }, fixed: { schedule: 'one-shot', sparsity: 0.9, steps: 10 } }),
      /give evalEvery/,
    );
    assert.throws(
      () => expandSpec({ name: 'x', trial: 'schedule-finetune', grid: { seed: [1] }, fixed: { schedule: 'iterative (3 rounds)', rounds: 4, sparsity: 0.9, steps: 10, evalEvery: 2 } }),
      /unknown schedule 'iterative \(3 rounds\)'.*iterative \(4 rounds\)/,
    );
  });

  it('a failed trial: an error that lists it with its log and says how to run it again; the done trials are kept', async () => {
    const dir = tempDir('prunelab-exp-');
    dirs.push(dir);
    // more test examples than tiny-fashion has: every worker fails loading the data
    const tooMany = { ...data, testSubset: 10_000_000 };
    const err = await swept.sparsitySweep({ data: tooMany, seeds, sparsities: [0.5], dense, name: 'fails', dir, workers: 2, progress: 'none', log: quiet })
      .then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof UserError, String(err));
    assert.match(err!.message, /Sweep 'fails': 2 of 2 trials failed:\n {2}label "magnitude", method "magnitude", sparsity 0\.5, seed 1: .*\(log: .*logs.*\.log\)/);
    assert.match(err!.message, /rerun: 'failed'/);
    assert.ok(fs.readdirSync(path.join(dir, 'trials')).length === 2, 'the failures are recorded');
  });
});

describe('sweep results root (PRUNELAB_SWEEP_ROOT)', () => {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('without a dir, a sweep goes to $PRUNELAB_SWEEP_ROOT/<name> (a shared file system for Slurm) and loads by name from there', async () => {
    const root = tempDir('prunelab-root-');
    dirs.push(root);
    const saved = process.env.PRUNELAB_SWEEP_ROOT;
    process.env.PRUNELAB_SWEEP_ROOT = root;
    try {
      assert.equal(defaultSweepDir('01-mnist-paper'), path.join(root, '01-mnist-paper'));
      const s = await sweep({ name: 'rooted', trial: 'empty', grid: { n: [1, 2] } }, { workers: 2, progress: 'none' });
      assert.equal(s.dir, path.join(root, 'rooted'));
      assert.equal(loadSweep('rooted').rows.length, 2);
    } finally {
      if (saved === undefined) delete process.env.PRUNELAB_SWEEP_ROOT;
      else process.env.PRUNELAB_SWEEP_ROOT = saved;
    }
    assert.notEqual(defaultSweepDir('rooted'), path.join(root, 'rooted'), 'unset: the user cache again');
  });
});
