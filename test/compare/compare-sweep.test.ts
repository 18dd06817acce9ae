// The comparison end to end on a tiny budget: a user's method added by one file and one line of
// the definition appears in every table; every trial used the same budget; the sparsity is the
// one measured on the final model (a method that kills whole units gets more than it asked
// for); bad definitions name the problem.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as compare from '../../src/compare';
import { OptionError, UnknownNameError } from '../../src/errors';
import { createModel } from '../../src/models';
import { MaskedModel, prune, unregisterMethod } from '../../src/prune';
import { expandSpec } from '../../src/sweep/spec';
import { cleanup, tempDir } from '../sweep/helpers';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * A user's method in its own CommonJS file: magnitude, except that the first output unit of every
 * layer scores lowest, so it loses its whole fan-in first and dies (shrinking then removes its
 * fan-out too: the measured sparsity exceeds the target).
 */
const TOY_METHOD = `
const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs', { paths: [ROOT] }))});
const pl = require(${JSON.stringify(path.join(ROOT, 'build/src'))});
if (!pl.listMethods().some((m) => m.name === 'toy-first-unit')) {
  pl.registerMethod({
    name: 'toy-first-unit',
    description: 'magnitude, but the first unit of every layer goes first (a test method)',
    scores(ctx) {
      return new Map(ctx.targets.map((t) => [t.name, tf.tidy(() => {
        const w = tf.abs(ctx.weights().get(t.name));
        const [rows, cols] = w.shape;
        return tf.concat([tf.fill([rows, 1], -1), w.slice([0, 1], [rows, cols - 1])], 1);
      })]));
    },
  });
}
`;

function definition(dir: string): compare.BenchmarkDefinition {
  fs.writeFileSync(path.join(dir, 'toy-method.js'), TOY_METHOD);
  return {
    name: 'tiny-comparison',
    baseDir: dir,
    methods: [
      { label: 'magnitude', family: 'magnitude', protocol: 'one-shot', method: 'magnitude' },
      { label: 'SNIP', family: 'from-scratch', protocol: 'from-scratch', method: 'snip' },
      // adding a method: its file, and this one line
      { label: 'toy', family: 'user', protocol: 'one-shot', method: 'toy-first-unit', module: 'toy-method.js' },
    ],
    budgets: {
      tiny: {
        models: ['lenet-300-100'], datasets: ['tiny-fashion'], sparsities: [0.5, 0.9], seeds: [1, 2],
        fixed: { epochs: 2, denseEpochs: 1, trainSubset: 400, testSubset: 200, latencyRepeats: 2, pruneBatchSize: 64 },
      },
    },
    paper: [{ label: 'toy', model: 'lenet-300-100', dataset: 'tiny-fashion', sparsity: 0.9, accuracy: 0.5, source: 'made up for the test' }],
  };
}

describe('the comparison (pl.compare)', function () {
  const dirs: string[] = [];
  after(() => {
    cleanup(dirs);
    unregisterMethod('toy-first-unit'); // registered in this process by the driver's check of the line
  });

  it("runs a budget as one sweep: a user's method from one file and one line is in every table, every trial used the budget", async () => {
    const dir = tempDir('prunelab-compare-');
    dirs.push(dir);
    const c = await compare.run({ definition: definition(dir), budget: 'tiny', dir: path.join(dir, 'results'), workers: 2, progress: 'none' });
    assert.equal(c.sweep.failures.length, 0, JSON.stringify(c.sweep.failures.map((f) => f.error.message)));
    assert.equal(c.rows.length, 12);
    const tables = {
      accuracy: compare.accuracyTable(c.rows), rank: compare.rankTable(c.rows), compute: compare.computeTable(c.rows),
      budget: compare.budgetTable(c.rows), paper: compare.paperTable(c.rows, c.definition.paper!),
    };
    for (const [name, t] of Object.entries(tables)) assert.ok(t.some((r) => r.method === 'toy'), `toy is in the ${name} table`);
    const figure = compare.accuracyFigure(c.rows, { model: 'lenet-300-100', dataset: 'tiny-fashion' });
    assert.ok(figure.data.some((t) => String(t.name).startsWith('toy')), 'and in the figure');
    const pareto = compare.paretoPlot(c.rows, { model: 'lenet-300-100', dataset: 'tiny-fashion' }, 'flopsLeft');
    assert.ok(pareto.data.some((t) => String(t.name).startsWith('toy')), 'and in the Pareto figure');
    // one budget: every trial trained exactly 2 epochs, the dense one included
    for (const r of c.rows) assert.equal(r.epochsUsed, 2, `${r.label} @ ${r.target} seed ${r.seed}: ${r.epochsUsed} epochs`);
    // the same dense checkpoint for every method that starts trained: one per seed
    const checkpoints = fs.readdirSync(path.join(dir, 'results', 'checkpoints')).filter((f) => !f.startsWith('.'));
    assert.equal(checkpoints.length, 2, checkpoints.join(', '));
    // measured, not configured: the toy's dead first units take their fan-out with them
    for (const target of [0.5, 0.9]) {
      const toy = c.rows.filter((r) => r.label === 'toy' && r.target === target);
      for (const r of toy) assert.ok(r.sparsity > target + 1e-4, `toy @ ${target}: measured ${r.sparsity}`);
      const mag = c.rows.filter((r) => r.label === 'magnitude' && r.target === target);
      for (const r of mag) assert.ok(r.sparsity >= target - 1e-3, `magnitude @ ${target}: measured ${r.sparsity}`);
    }
    // running again resumes: nothing left to run
    const again = await compare.run({ definition: definition(dir), budget: 'tiny', dir: path.join(dir, 'results'), workers: 2, progress: 'none' });
    assert.equal(again.sweep.ran, 0);
  });

  it('a structured method matched to equal weights: the shrunk model has at most the target left, within one unit', async () => {
    const { pruneMatched } = await import('../../src/sweep/compare-trial');
    const net = createModel('lenet-300-100', { seed: 2, inputShape: [784], classes: 10 });
    const xs = tf.randomUniform([64, 784], 0, 1, 'float32', 1);
    const ys = tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 10), 'int32'), 10).toFloat();
    try {
      const f = pruneMatched(net, { method: 'variance', sparsity: 0.9, seed: 1 }, () => [{ xs, ys, size: 64 }], 'params');
      MaskedModel.of(net).strip();
      const m = compare.measureFinalModel(net, { batchSizes: [] });
      assert.ok(m.sparsity >= 0.9, `measured ${m.sparsity} at unit fraction ${f}`);
      // one more unit of fc1 (784 + 100 weights) would have been within the target
      assert.ok(m.sparsity < 0.9 + (784 + 100) / 266200 + 1e-9, `measured ${m.sparsity}`);
      assert.match(m.architecture, /^\d+-\d+-10$/);
    } finally {
      tf.dispose([xs, ys]);
      net.dispose();
    }
  });

  it('measures only plain models: one with masks is refused, naming the fix', () => {
    const net = createModel('lenet-300-100', { seed: 2, inputShape: [784], classes: 10 });
    prune(net, { method: 'magnitude', sparsity: 0.5 });
    assert.throws(() => compare.measureFinalModel(net, { batchSizes: [] }), /still carries masks.*strip\(\)/);
    MaskedModel.of(net).strip();
    const m = compare.measureFinalModel(net, { batchSizes: [1], repeats: 2, warmup: 1 });
    assert.ok(Math.abs(m.sparsity - 0.5) < 0.01, `${m.sparsity}`);
    assert.equal(m.latency.length, 1);
    assert.ok(['dense', 'csr', 'shrunk'].includes(m.latency[0].best));
    net.dispose();
  });

  it('bad definitions and lines name the problem', () => {
    const dir = tempDir('prunelab-compare-');
    dirs.push(dir);
    const def = definition(dir);
    assert.throws(() => compare.benchmarkSweepSpec(def, 'paper'), (e: Error) => e instanceof UnknownNameError && /no budget 'paper'.*tiny/.test(e.message));
    assert.throws(() => compare.checkBenchmark({ ...def, methods: [...def.methods, { label: 'toy', protocol: 'one-shot', method: 'magnitude' }] }), /two method lines are labelled 'toy'/);
    assert.throws(() => compare.checkBenchmark({ ...def, budgets: { x: { ...def.budgets.tiny, methods: ['nope'] } } }), /names method 'nope'/);
    const spec = compare.benchmarkSweepSpec({ ...def, methods: [{ label: 'L1', protocol: 'regularize', method: 'magnitude' }] }, 'tiny');
    assert.throws(() => expandSpec(spec), (e: Error) => e instanceof UnknownNameError && /not a method that acts during training/.test(e.message));
    const noDense = compare.benchmarkSweepSpec({ ...def, methods: [def.methods[0]], budgets: { tiny: { ...def.budgets.tiny, fixed: { epochs: 2 } } } }, 'tiny');
    assert.throws(() => expandSpec(noDense), (e: Error) => e instanceof OptionError && /give denseEpochs/.test(e.message));
    // identity: a from-scratch trial carries no dense recipe; L0's training-set size is the trial's own unless given
    const [l0, scratch] = expandSpec(compare.benchmarkSweepSpec({ ...def, methods: [
      { label: 'L0', protocol: 'regularize', method: 'l0' }, { label: 'SNIP', protocol: 'from-scratch', method: 'snip' },
    ] }, 'tiny')).trials.filter((t) => t.config.seed === 1 && t.config.sparsity === 0.5);
    assert.equal(l0.config.trainSize, undefined);
    assert.equal(l0.config.denseEpochs, 1);
    assert.equal(scratch.config.denseEpochs, undefined);
    const matchOnElements = compare.benchmarkSweepSpec({ ...def, methods: [{ label: 'm', protocol: 'one-shot', method: 'magnitude', match: 'params' }] }, 'tiny');
    assert.throws(() => expandSpec(matchOnElements), /match 'params' is for structured granularities/);
  });
});
