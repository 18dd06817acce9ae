import { allocationNames } from '../../src/prune/allocation';
import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { OptionError, UnknownNameError } from '../../src/errors';
import { canonicalJson, packageVersion, trialId } from '../../src/sweep/ids';
import { expandSpec } from '../../src/sweep/spec';
import { sweep } from '../../src/sweep/sweep';
import { recipeFields } from '../../src/sweep/builtin-trials';
import { registerTrial, unregisterTrial } from '../../src/sweep/trials';
import type { SweepSpec } from '../../src/sweep/types';
import { cleanup, tempDir, writeFaultModule } from './helpers';

const tiny = { dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200, denseSteps: 5, sparsity: 0.5 };
const base = (over: Partial<SweepSpec> = {}): SweepSpec => ({ name: 'bad', trial: 'prune-finetune', grid: { seed: [1, 2] }, fixed: tiny, ...over });

describe('sweep specs: bad input is refused before any trial starts', () => {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  const refuses = (spec: unknown, kind: typeof OptionError | typeof UnknownNameError, pattern: RegExp) =>
    assert.throws(() => expandSpec(spec as SweepSpec), (e: unknown) => {
      assert.ok(e instanceof kind, `expected ${kind.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
      assert.match((e as Error).message, pattern);
      return true;
    });

  it('an unknown top-level field, with the known ones and a close match', () => {
    refuses({ ...base(), grids: {} }, OptionError, /unknown field 'grids'.*did you mean: grid\?.*Known fields: name, trial, grid, fixed/i);
  });

  it('an unknown grid or fixed field, naming the trial fields and the method options', () => {
    refuses(base({ grid: { sparsty: [0.5] } }), OptionError, /unknown field 'sparsty'.*sparsity.*Its fields: dataset, .*method, sparsity/s);
    refuses(base({ fixed: { ...tiny, learningRate: 0.1 } }), OptionError, /unknown field 'learningRate'.*denseLearningRate/s);
  });

  it('an empty grid, an empty value list, a value that is not a list', () => {
    refuses(base({ grid: {} }), OptionError, /the grid is empty; give at least one field/);
    refuses(base({ grid: { seed: [] } }), OptionError, /grid field 'seed' has an empty list of values/);
    refuses(base({ grid: { seed: 1 as never } }), OptionError, /grid field 'seed' must be a list of values.*Put single values in 'fixed'/);
    refuses(base({ grid: { seed: [1, 1] } }), OptionError, /grid field 'seed' lists 1 twice/);
  });

  it('a value of the wrong type or out of range, naming the field', () => {
    refuses(base({ grid: { sparsity: ['0.5'] }, fixed: { ...tiny, sparsity: undefined } }), OptionError, /sparsity must be a finite number; got "0.5"/);
    refuses(base({ grid: { sparsity: [0.5, 1.2] }, fixed: { ...tiny, sparsity: undefined } }), OptionError, /sparsity must be ≥ 0 and < 1; got 1.2/);
    refuses(base({ grid: { seed: [1.5] } }), OptionError, /seed must be an integer/);
    refuses(base({ grid: { keepLastDense: ['yes'] } }), OptionError, /keepLastDense must be true or false/);
    refuses(base({ grid: { scope: ['globl'] } }), OptionError, /scope must be one of er, erk, global, layerwise/);
  });

  it('an unknown method, dataset, model or optimizer, listing the known names', () => {
    refuses(base({ grid: { method: ['magnitude', 'magnitud'] } }), UnknownNameError, /field 'method': unknown method 'magnitud'. Known one-shot methods: .*magnitude.*random/);
    refuses(base({ grid: { dataset: ['mnsit'] }, fixed: { ...tiny, dataset: undefined } }), UnknownNameError, /field 'dataset'.*mnsit.*mnist/s);
    refuses(base({ grid: { model: ['lenet-301'] } }), UnknownNameError, /field 'model': unknown model 'lenet-301'. Known models: .*lenet-300-100/);
    refuses(base({ grid: { denseOptimizer: ['sgdd'] } }), UnknownNameError, /field 'denseOptimizer': unknown optimizer 'sgdd'. Known optimizers: .*sgd/);
  });

  it("method options are checked against the method's declarations", () => {
    refuses(base({ grid: { method: ['reconstruct'], damping: [-1] } }), OptionError, /method 'reconstruct'.*damping must be ≥ 0/);
    refuses(base({ grid: { method: ['magnitude'], damping: [0.1] } }), OptionError, /field 'damping' is used by none of its trials \(it is an option of method reconstruct; this sweep's methods are magnitude\)/);
    refuses(base({ grid: { method: ['set'] } }), OptionError, /method 'set' acts during training, not once/);
    refuses(base({ grid: { granularity: ['2:4'] } }), OptionError, /granularity '2:4' fixes the sparsity at 0.5; leave sparsity out/);
    refuses(base({ fixed: { ...tiny, sparsity: undefined } }), OptionError, /give a sparsity in \[0, 1\)/);
    refuses(base({ grid: { granularity: ['bloc:4x4'] } }), UnknownNameError, /field 'granularity': Unknown granularity 'bloc:4x4'. Known granularities: .*block:RxC/);
  });

  it('a field both in grid and fixed, a bad name, an unknown trial function or module', () => {
    refuses(base({ grid: { sparsity: [0.5] } }), OptionError, /field 'sparsity' is both in grid and in fixed/);
    refuses(base({ name: 'my sweep' }), OptionError, /name must start with a letter or digit.*got string "my sweep"/);
    refuses(base({ trial: 'prune-finetun' }), UnknownNameError, /Unknown trial function 'prune-finetun'.*Known trial functions: compare, dense, empty, iterative-prune-retrain, prune-finetune, .*did you mean/is);
    assert.throws(() => expandSpec(base({ trial: './nope.js#run' })), /Trial module .*nope.js does not exist/);
    const dir = tempDir();
    dirs.push(dir);
    writeFaultModule(dir);
    assert.throws(() => expandSpec(base({ trial: 'fault.js#trail', grid: { index: [1] }, fixed: {} }), { baseDir: dir }), /has no export 'trail'.*did you mean: trial\?.*Its exports: trial/is);
    assert.throws(() => expandSpec(base({ trial: 'fault.js#trial', grid: { index: ['1'] }, fixed: {} }), { baseDir: dir }), /index must be a finite number/);
  });

  it('sweep() refuses a bad spec before it creates the results directory', async () => {
    const dir = path.join(tempDir(), 'results');
    dirs.push(path.dirname(dir));
    await assert.rejects(sweep(base({ grid: { sparsty: [0.5] } }), { dir, progress: 'none' }), /unknown field 'sparsty'/);
    await assert.rejects(sweep(base(), { dir, progress: 'none', executor: 'kubernetes' }), /Unknown executor 'kubernetes'. Known executors: local/);
    await assert.rejects(sweep(base(), { dir, progress: 'none', workers: 0 }), /workers must be a whole number ≥ 1/);
    await assert.rejects(sweep(base(), { dir, progress: 'none', rerun: 'some' as never }), /rerun must be one of none, failed, all; got "some"/);
    assert.ok(!fs.existsSync(dir), 'nothing was written');
    // a directory that holds another sweep's results is left alone
    const other = tempDir();
    dirs.push(other);
    fs.writeFileSync(path.join(other, 'spec.json'), JSON.stringify({ name: 'someone-else', trial: 'dense', grid: { seed: [1] } }));
    await assert.rejects(sweep(base(), { dir: other, progress: 'none' }), /holds the results of sweep 'someone-else' \(trial 'dense'\), not of 'bad'.*give another dir/);
    assert.deepEqual(fs.readdirSync(other), ['spec.json']);
  });
});

describe('sweep specs: expansion and ids', () => {
  it('expands the grid (first field slowest), fills defaults, and drops options of methods a trial does not use', () => {
    const { trials } = expandSpec({
      name: 'grid', trial: 'prune-finetune',
      grid: { method: ['magnitude', 'reconstruct'], damping: [0.1, 0.2], seed: [1, 2] },
      fixed: tiny,
    });
    // magnitude ignores damping: its 2 damping values are one trial
    assert.equal(trials.length, 2 + 4);
    assert.deepEqual(trials.map((t) => [t.config.method, t.config.damping, t.config.seed]), [
      ['magnitude', undefined, 1], ['magnitude', undefined, 2],
      ['reconstruct', 0.1, 1], ['reconstruct', 0.1, 2], ['reconstruct', 0.2, 1], ['reconstruct', 0.2, 2],
    ]);
    const c = trials[0].config;
    assert.equal(c.model, 'lenet-300-100');
    assert.equal(c.finetune, true);
    // the default fine-tuning: the dense recipe at a tenth of its learning rate for one epoch (as sparsitySweep)
    assert.deepEqual([c.denseSteps, c.denseBatchSize, c.denseOptimizer, c.denseLearningRate], [5, 64, 'momentum', 0.01]);
    assert.deepEqual([c.finetuneEpochs, c.finetuneSteps, c.finetuneLearningRate], [1, undefined, 0.001]);
  });

  it('a list of grids runs the union of their products (variants with different fields), one trial per distinct config', () => {
    const seed = [1, 2];
    const { trials } = expandSpec({
      name: 'structure', trial: 'prune-finetune',
      grid: [
        { label: ['unstructured'], granularity: ['element'], sparsity: [0.5, 0.75], seed },
        { label: ['neuron'], granularity: ['neuron'], sparsity: [0.5], seed },
        { label: ['2:4'], granularity: ['2:4'], seed },
        { label: ['unstructured'], granularity: ['element'], sparsity: [0.5], seed }, // already in the first grid
      ],
      fixed: { ...tiny, sparsity: undefined, keepLastDense: true },
    });
    assert.deepEqual(trials.map((t) => `${t.config.label} ${t.config.sparsity ?? '-'} ${t.config.seed}`), [
      'unstructured 0.5 1', 'unstructured 0.5 2', 'unstructured 0.75 1', 'unstructured 0.75 2', 'neuron 0.5 1', 'neuron 0.5 2', '2:4 - 1', '2:4 - 2',
    ]);
    assert.throws(() => expandSpec({ name: 'x', trial: 'empty', grid: [] }), /the list of grids is empty/);
    assert.throws(() => expandSpec({ name: 'x', trial: 'empty', grid: [{ n: [1] }, {}] }), /grid 2 of 2 is empty/);
    assert.throws(() => expandSpec({ name: 'x', trial: 'empty', grid: [{ n: [1] }, { n: [] }] }), /grid field 'n' has an empty list/);
    assert.throws(() => expandSpec({ name: 'x', trial: 'empty', grid: [{ n: [1] }, { m: [2] }] }), /unknown field 'm'. Its fields: n/);
  });

  it('ids: a SHA-256 of the canonical JSON, stable across key order and spellings, different for other configs or versions', () => {
    const config = { b: 2, a: { y: [1, 2], x: 'z' } };
    assert.equal(canonicalJson(config), '{"a":{"x":"z","y":[1,2]},"b":2}');
    const expected = createHash('sha256').update(`{"config":{"a":{"x":"z","y":[1,2]},"b":2},"trial":"t","version":"9.9.9"}`).digest('hex').slice(0, 16);
    assert.equal(trialId('t', config, '9.9.9'), expected);
    assert.equal(trialId('t', { a: { x: 'z', y: [1, 2] }, b: 2 }, '9.9.9'), expected);
    assert.notEqual(trialId('t', config, '9.9.10'), expected, 'another version, another id');
    assert.notEqual(trialId('t', { ...config, b: 3 }, '9.9.9'), expected, 'another config, another id');
    assert.notEqual(trialId('u', config, '9.9.9'), expected, 'another trial function, another id');

    const a = expandSpec({ name: 's', trial: 'prune-finetune', grid: { seed: [1, 2], sparsity: [0.5] }, fixed: { dataset: 'tiny-fashion', denseSteps: 5 } });
    // the same trials written otherwise: other key order, defaults spelled out, the recipe as recipeFields()
    const b = expandSpec({
      name: 's', trial: 'prune-finetune', grid: { sparsity: [0.5], seed: [2, 1] },
      fixed: { model: 'lenet-300-100', ...recipeFields('dense', { steps: 5, batchSize: 64, optimizer: 'momentum' }), dataset: 'tiny-fashion', method: 'magnitude' },
    });
    assert.deepEqual(a.trials.map((t) => t.id).sort(), b.trials.map((t) => t.id).sort());
    assert.ok(a.trials.every((t) => /^[0-9a-f]{16}$/.test(t.id)));
    assert.equal(a.trials[0].id, trialId('prune-finetune', a.trials[0].config, packageVersion()));
    const other = expandSpec({ name: 's', trial: 'prune-finetune', grid: { seed: [1, 2], sparsity: [0.5] }, fixed: { dataset: 'tiny-fashion', denseSteps: 6 } });
    assert.ok(other.trials.every((t) => !a.trials.some((u) => u.id === t.id)), 'a changed recipe changes every id');
    assert.notEqual(expandSpec({ name: 's', trial: 'prune-finetune', grid: { seed: [1] }, fixed: { dataset: 'tiny-fashion', sparsity: 0.5 } }, { version: '0.0.1' }).trials[0].id,
      expandSpec({ name: 's', trial: 'prune-finetune', grid: { seed: [1] }, fixed: { dataset: 'tiny-fashion', sparsity: 0.5 } }).trials[0].id);
  });

  it('a registered trial function: fields declared as OptionSpecs, validated; unregistering removes it', () => {
    registerTrial('square', { description: 'x²', fields: [{ name: 'x', type: 'number', min: 0, help: 'the number' }], run: (c) => ({ y: (c.x as number) ** 2 }) });
    try {
      const { trials } = expandSpec({ name: 'sq', trial: 'square', grid: { x: [1, 2, 3] } });
      assert.deepEqual(trials.map((t) => t.config), [{ x: 1 }, { x: 2 }, { x: 3 }]);
      assert.throws(() => expandSpec({ name: 'sq', trial: 'square', grid: { x: [-1] } }), /x must be ≥ 0; got -1/);
      assert.throws(() => expandSpec({ name: 'sq', trial: 'square', grid: { z: [1] } }), /unknown field 'z'. Its fields: x/);
      assert.throws(() => registerTrial('bad', { description: 'no run' } as never), /needs a run\(config, ctx\) function/);
    } finally {
      unregisterTrial('square');
    }
    assert.throws(() => expandSpec({ name: 'sq', trial: 'square', grid: { x: [1] } }), /Unknown trial function 'square'/);
  });
});

describe('prune-finetune: scope', () => {
  it('takes every registered allocation (er included) and names them for an unknown one', () => {
    for (const scope of allocationNames()) {
      const { trials } = expandSpec({ name: 'scopes', trial: 'prune-finetune', grid: { seed: [1] }, fixed: { sparsity: 0.9, scope } });
      assert.equal(trials[0].config.scope, scope);
    }
    assert.ok(allocationNames().includes('er'));
    assert.throws(
      () => expandSpec({ name: 'scopes', trial: 'prune-finetune', grid: { seed: [1] }, fixed: { sparsity: 0.9, scope: 'erk2' } }),
      /scope.*er, erk, global, layerwise/,
    );
  });
});
