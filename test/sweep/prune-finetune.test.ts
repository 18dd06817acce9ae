import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { disposeRuns, evaluateVariants, experimentData, recipeOptions, trainDenseRuns } from '../../src/experiments';
import { paretoFigure, seedBandFigure } from '../../src/plot';
import { meltColumns, summaryTable } from '../../src/report';
import { expandSpec } from '../../src/sweep/spec';
import { isDataFrame } from '../../src/report/table';
import { recipeFields, sweepDenseRun } from '../../src/sweep/builtin-trials';
import { checkpointDir, denseCheckpoint, disposeCheckpoint } from '../../src/sweep/checkpoints';
import { dataCacheDir, readSavedData, sweepData } from '../../src/sweep/data-cache';
import { loadSweep, rowsToDataFrame } from '../../src/sweep/store';
import { sweep } from '../../src/sweep/sweep';
import { cleanup, tempDir } from './helpers';

const data = { dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200 };
const dense = { steps: 20, batchSize: 50, learningRate: 0.05 };
const finetune = { steps: 5, batchSize: 50, learningRate: 0.01 };

describe('prune-finetune sweeps on tiny-fashion', function () {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('2 methods × 2 seeds: rows feed seedBandFigure/summaryTable unchanged, each dense model trained once, same numbers as evaluateVariants', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await sweep(
      {
        name: 'tiny-prune',
        trial: 'prune-finetune',
        // seed first: both trials of a seed start together, so one waits for the other's dense model
        grid: { seed: [1, 2], method: ['magnitude', 'random'] },
        fixed: { ...data, ...recipeFields('dense', dense), ...recipeFields('finetune', finetune), sparsity: 0.8 },
      },
      { dir, workers: 2, progress: 'none' },
    );
    assert.deepEqual([s.done, s.failed], [4, 0], JSON.stringify(s.failures));
    const rows = s.rows;
    for (const key of ['method', 'seed', 'target', 'sparsity', 'remaining', 'compression', 'accuracyDense', 'accuracyPruned', 'accuracyFinetuned']) {
      assert.ok(rows.every((r) => key in r), `every row has ${key}`);
    }
    // the dense model of each seed was trained by exactly one trial and loaded by the other
    for (const seed of [1, 2]) {
      const ofSeed = rows.filter((r) => r.seed === seed);
      assert.deepEqual(ofSeed.map((r) => r.denseCached).sort(), [false, true]);
      assert.equal(ofSeed[0].accuracyDense, ofSeed[1].accuracyDense);
    }
    const checkpoints = fs.readdirSync(path.join(dir, 'checkpoints'));
    assert.equal(checkpoints.filter((f) => !f.includes('.')).length, 2, `one checkpoint per seed: ${checkpoints}`);
    assert.equal(checkpoints.length, 2, 'no lock or temporary directory left behind');
    const trainedLines = s.rows.map((r) => fs.readFileSync(path.join(dir, 'logs', `${r.id}.log`), 'utf8')).join('').match(/training the dense/g) ?? [];
    assert.equal(trainedLines.length, 2, 'two dense trainings in all the logs');

    // the report helpers take the rows as they are
    const stages = { accuracyDense: 'dense', accuracyPruned: 'after pruning', accuracyFinetuned: 'after fine-tuning' };
    const fig = seedBandFigure(meltColumns(rows, stages), { x: 'target', y: 'value', group: 'series', yScale: 100 });
    assert.equal(fig.data.filter((t) => (t as { mode?: string }).mode?.includes('lines')).length >= 3, true);
    const table = summaryTable(rows, ['method'], { accuracyPruned: 'pruned (%)', accuracyFinetuned: 'fine-tuned (%)' });
    assert.deepEqual(table.map((r) => [r.method, r.seeds]), [['magnitude', 2], ['random', 2]]);
    assert.ok(paretoFigure(rows, { x: 'remaining', y: 'accuracyFinetuned', group: 'method' }).data.length > 0);
    assert.deepEqual(loadSweep(dir).rows.map((r) => r.id).sort(), rows.map((r) => r.id).sort());
    // the dense models the sweep pruned, as DenseRuns for the notebooks' other drivers
    const denseRuns = [await sweepDenseRun(dir, rows[0], () => {})];
    try {
      assert.equal(denseRuns[0].accuracy, rows[0].accuracyDense);
      assert.equal(denseRuns[0].seed, 1);
      assert.ok(denseRuns[0].history.steps === dense.steps);
      assert.equal(fs.readdirSync(path.join(dir, 'checkpoints')).length, 2, 'loaded, not trained again');
    } finally {
      disposeRuns(denseRuns);
    }
    const df = rowsToDataFrame(rows);
    assert.ok(isDataFrame(df));
    assert.equal(df.shape[0], 4);

    // the same numbers as the in-process drivers the notebooks use (magnitude: no random stream)
    const ds = await experimentData(data);
    const before = tf.memory().numTensors;
    const runs = await trainDenseRuns('lenet-300-100', ds, dense, [1, 2], () => {});
    try {
      const expected = await evaluateVariants(runs, ds, [{ method: 'magnitude', options: { criterion: 'magnitude', sparsity: 0.8 } }], finetune, () => {});
      for (const e of expected) {
        const got = rows.find((r) => r.method === 'magnitude' && r.seed === e.seed)!;
        for (const k of ['target', 'sparsity', 'remaining', 'compression', 'accuracyDense', 'accuracyPruned', 'accuracyFinetuned'] as const) {
          assert.equal(got[k], e[k], `seed ${e.seed} ${k}`);
        }
      }
    } finally {
      disposeRuns(runs);
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('a dense sweep reuses the checkpoints of the same (model, data, recipe, seed)', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const spec = { name: 'tiny-dense', trial: 'dense', grid: { seed: [1, 2] }, fixed: { ...data, ...recipeFields('dense', dense) } };
    const a = await sweep(spec, { dir, workers: 2, progress: 'none' });
    assert.deepEqual(a.rows.map((r) => r.denseCached), [false, false]);
    const b = await sweep(spec, { dir, workers: 2, progress: 'none', rerun: 'all' });
    assert.deepEqual(b.rows.map((r) => r.denseCached), [true, true]);
    assert.deepEqual(b.rows.map((r) => r.accuracyDense), a.rows.map((r) => r.accuracyDense));
  });

  it('input scaling and lr schedule are fields with keys of their own; specs without them keep the keys they had', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const recipe = { epochs: 30, batchSize: 128, optimizer: 'adam' as const, learningRate: 0.001, weightDecay: 0 };
    const base = { model: 'lenet-300-100', dataset: 'fashion-mnist', trainSubset: 60000, testSubset: 10000, recipe, seed: 1 };
    // the ids of the checkpoint and data cache that the paper runs of notebook 05 stored before these fields existed
    assert.equal(path.basename(checkpointDir(dir, base)), '8a185e1d205cd589');
    assert.equal(path.basename(dataCacheDir(dir, { dataset: 'fashion-mnist', trainSubset: 60000, testSubset: 10000 })), 'dcaad96f6f0b8244');
    assert.equal(path.basename(dataCacheDir(dir, { dataset: 'fashion-mnist', trainSubset: 60000, testSubset: 10000, normalize: 'unit' })), 'dcaad96f6f0b8244');
    assert.notEqual(checkpointDir(dir, { ...base, normalize: 'symmetric' }), checkpointDir(dir, base));
    // a raw spec spelling the default scaling out expands to the trials of one that leaves it out
    const needs: Record<string, object> = {
      dense: {}, 'prune-finetune': { sparsity: 0.5 }, 'train-method': { method: 'penalty' }, 'sparse-from-scratch': { sparsity: 0.9 }, compare: { label: 'magnitude', protocol: 'one-shot', method: 'magnitude', sparsity: 0.9, epochs: 3, denseEpochs: 2 },
    };
    for (const [trial, fields] of Object.entries(needs)) {
      const plain = { name: 'ids', trial, grid: { seed: [1] }, fixed: { dataset: 'mnist', ...fields } };
      const ids = (fixed: object) => expandSpec({ ...plain, fixed: { ...plain.fixed, ...fixed } }).trials.map((t) => t.id);
      assert.deepEqual(ids({ normalize: 'unit' }), ids({}), trial);
      assert.notDeepEqual(ids({ normalize: 'symmetric' }), ids({}), trial);
    }
    assert.notEqual(checkpointDir(dir, { ...base, recipe: { ...recipe, lrSchedule: 'multistep' } }), checkpointDir(dir, base));
    assert.deepEqual(recipeOptions({ lrSchedule: 'multistep' }, 1).schedule, { type: 'multistep', at: [0.5, 0.75], gamma: 0.1 });
    assert.equal(recipeOptions({ lrSchedule: 'constant' }, 1).schedule, undefined);

    const spec = {
      name: 'tiny-symmetric', trial: 'dense', grid: { seed: [1] },
      fixed: { ...data, normalize: 'symmetric', ...recipeFields('dense', { ...dense, optimizer: 'momentum', lrSchedule: 'multistep' }) },
    };
    const r = await sweep(spec, { dir, workers: 1, progress: 'none' });
    assert.deepEqual([r.done, r.failed], [1, 0], JSON.stringify(r.failures));
    assert.equal(r.rows[0].normalize, 'symmetric');
    assert.equal(r.rows[0].denseLrSchedule, 'multistep');
    const saved = readSavedData(dataCacheDir(dir, { ...data, normalize: 'symmetric' }))!;
    let lo = Infinity, hi = -Infinity;
    for (const v of saved.train.x) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    assert.deepEqual([lo, hi], [-1, 1], 'symmetric inputs span [−1, 1]');
    assert.equal(saved.normalization!.mode, 'symmetric');
    // a bad value is refused before any trial runs, naming the choices
    await assert.rejects(sweep({ ...spec, name: 'tiny-bad', fixed: { ...spec.fixed, normalize: 'pm1' } }, { dir, workers: 1, progress: 'none' }), /normalize.*unit, symmetric, standardize/);
    await assert.rejects(sweep({ ...spec, name: 'tiny-bad2', fixed: { ...spec.fixed, denseLrSchedule: 'steps' } }, { dir, workers: 1, progress: 'none' }), /denseLrSchedule.*constant, cosine, multistep/);
  });
});

describe('sweep data cache', () => {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('saves the experiment data once in the results directory and reads back exactly the same arrays', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const spec = { dataset: 'tiny-fashion', trainSubset: 120, testSubset: 60 };
    const fromDrivers = await experimentData(spec);
    const first = await sweepData(dir, spec);
    assert.equal(first, fromDrivers, 'the first call loads with experimentData');
    const cacheDir = dataCacheDir(dir, spec);
    assert.deepEqual(fs.readdirSync(cacheDir).sort(), ['meta.json', 'test-x.bin', 'test-y.bin', 'train-x.bin', 'train-y.bin']);
    // a fresh process reads the files: simulate it by reading them back here
    const again = readSavedData(cacheDir)!;
    assert.notEqual(again, fromDrivers);
    assert.deepEqual(again, fromDrivers);
    // a damaged copy is not used
    fs.writeFileSync(path.join(cacheDir, 'train-x.bin'), 'short');
    assert.equal(readSavedData(cacheDir), undefined);
  });
});

describe('dense checkpoints: the lock', () => {
  const dirs: string[] = [];
  after(() => cleanup(dirs));
  const key = { model: 'lenet-300-100', dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200, recipe: { steps: 3, batchSize: 50 }, seed: 7 };

  it('waits while a live process holds the lock, and takes over a lock whose process is gone', async () => {
    const ds = await experimentData(data);

    const live = tempDir();
    dirs.push(live);
    const lock = `${checkpointDir(live, key)}.lock`;
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname() }));
    const lines: string[] = [];
    let finished = false;
    const pending = denseCheckpoint(live, key, ds, { log: (l) => lines.push(l) }).then((c) => ((finished = true), c));
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(!finished, 'it waits for the holder');
    assert.ok(lines.some((l) => /is being trained by another trial; waiting/.test(l)));
    fs.rmSync(lock);
    const c = await pending;
    assert.equal(c.cached, false);
    disposeCheckpoint(c);

    const dead = tempDir();
    dirs.push(dead);
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadLock = `${checkpointDir(dead, key)}.lock`;
    fs.mkdirSync(path.dirname(deadLock), { recursive: true });
    fs.writeFileSync(deadLock, JSON.stringify({ pid: Number(gone.stdout.trim()), host: os.hostname() }));
    const lines2: string[] = [];
    const t0 = Date.now();
    const c2 = await denseCheckpoint(dead, key, ds, { log: (l) => lines2.push(l) });
    assert.ok(Date.now() - t0 < 10000);
    assert.ok(lines2.some((l) => /its trainer stopped without finishing; training it here/.test(l)), lines2.join('\n'));
    assert.equal(c2.accuracy, c.accuracy, 'the same dense model');
    assert.ok(!fs.existsSync(deadLock));
    disposeCheckpoint(c2);
    const c3 = await denseCheckpoint(dead, key, ds, { log: () => {} });
    assert.equal(c3.cached, true);
    disposeCheckpoint(c3);
  });
});
