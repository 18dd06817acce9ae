// The method registry and the moved methods through it: options validated from their
// declarations, one-shot vs training methods, drop-and-grow by gradient from the step's own
// gradients, and the magics' flags.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { OptionError, UnknownNameError, UserError } from '../../../src/errors';
import { createMagicContext, runMagicLine } from '../../../src/magics';
import { mlp } from '../../../src/models';
import {
  criterionNames, describeOptions, getMethod, listMethods, MaskedModel, methodNames, prune, registerMethod, trainingPlan, unregisterMethod,
} from '../../../src/prune';
import { train, type TrainHook } from '../../../src/train';
import { blobs } from '../../train/fixtures/data';

const masksOf = (net: tf.LayersModel) => [...MaskedModel.of(net).masks().values()].map((m) => Array.from(m.dataSync()));

describe('pruning methods: registry and options declared once', () => {
  const data = blobs(96, { dim: 4, classes: 3, seed: 11 });
  const batch = () => ({ xs: tf.tensor2d(data.x, [data.count, 4]), ys: tf.oneHot(tf.tensor1d(data.y, 'int32'), 3).toFloat() });

  it('lists the built-in methods, one per file, with descriptions; a scoring method is also a criterion', () => {
    assert.deepStrictEqual(methodNames(), [
      'apoz', 'correlation-merge', 'data-free-merge', 'fold-constant', 'grasp', 'l-obs', 'l0', 'ltp', 'magnitude', 'mean-activation', 'neuron-merging',
      'obd', 'obs', 'penalty', 'random', 'random-units', 'reconstruct', 'rigl', 'set', 'snip', 'sparse-vd', 'static', 'unit-norm', 'variance', 'woodfisher',
    ]);
    for (const m of listMethods()) assert.ok(m.description.length > 10 && !m.description.includes('\n'), m.name);
    assert.ok(['magnitude', 'random', 'reconstruct'].every((n) => criterionNames().includes(n)));
    assert.ok(!criterionNames().includes('set'), 'a training method is not a criterion');
    assert.match(describeOptions(getMethod('set').options!), /dropFraction \(schedule; default 0\.3\): fraction ζ/);
  });

  it('prune({ method }) validates the method options from their declaration (unknown, type, range) and leaves the model unchanged', () => {
    const net = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const { xs, ys } = batch();
    const bad = (methodOptions: Record<string, unknown>, re: RegExp) =>
      assert.throws(() => prune(net, { method: 'reconstruct', sparsity: 0.5, data: { xs, ys }, methodOptions }), (e: unknown) => e instanceof OptionError && re.test((e as Error).message));
    bad({ dampng: 1 }, /prune \(method 'reconstruct'\): unknown option 'dampng'\. Did you mean: damping\? Its options: damping\./);
    bad({ damping: -1 }, /damping must be ≥ 0; got -1/);
    bad({ damping: 'x' }, /damping must be a finite number/);
    assert.throws(() => prune(net, { method: 'nope', sparsity: 0.5 }), UnknownNameError);
    assert.throws(() => prune(net, { method: 'set', sparsity: 0.5 }), /method 'set' acts during training, not once; use trainingPlan/);
    assert.throws(() => prune(net, { method: 'magnitude', criterion: 'random', sparsity: 0.5 }), /give method or criterion, not both/);
    assert.throws(() => prune(net, { method: 'fold-constant', sparsity: 0.5, data: { xs, ys } }), /chooses its own masks .* drop the sparsity/);
    assert.strictEqual(MaskedModel.existing(net)?.masks().size ?? 0, 0, 'nothing applied');
    // the method with its default damping = magnitude masks + the 'reconstruct' update
    const twin = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    prune(net, { method: 'reconstruct', sparsity: 0.5, data: { xs, ys } });
    prune(twin, { criterion: 'magnitude', update: 'reconstruct', sparsity: 0.5, data: { xs, ys } });
    assert.deepStrictEqual(net.getWeights().map((w) => Array.from(w.dataSync())), twin.getWeights().map((w) => Array.from(w.dataSync())));
    assert.deepStrictEqual(MaskedModel.of(net).history[0].details.methodOptions, { damping: 1e-8 });
    tf.dispose([xs, ys]);
    net.dispose();
    twin.dispose();
  });

  it('registerMethod refuses malformed methods and option declarations, duplicates without replace, and core option names', () => {
    const ok = { name: 'tmp-method', description: 'temporary', scores: () => new Map() };
    try {
      assert.throws(() => registerMethod({ ...ok, description: '' }), /needs a one-line description/);
      assert.throws(() => registerMethod({ name: 'tmp-method', description: 'x' } as never), /it does nothing/);
      assert.throws(() => registerMethod({ ...ok, options: [{ name: 'Bad-Name', type: 'number', help: 'h' }] }), /must be camelCase/);
      assert.throws(() => registerMethod({ ...ok, options: [{ name: 'k', type: 'int', default: 0.5, help: 'h' }] }), /invalid default: .*k must be an integer/);
      assert.throws(() => registerMethod({ ...ok, options: [{ name: 'sparsity', type: 'number', help: 'h' }] }), /would shadow the core option/);
      registerMethod(ok);
      assert.throws(() => registerMethod(ok), (e: unknown) => e instanceof UserError && /already registered; pass \{ replace: true \}/.test((e as Error).message));
      registerMethod({ ...ok, description: 'replaced' }, { replace: true });
      assert.strictEqual(getMethod('tmp-method').description, 'replaced');
    } finally {
      unregisterMethod('tmp-method');
    }
    assert.ok(!methodNames().includes('tmp-method') && !criterionNames().includes('tmp-method'), 'unregistered with its criterion');
  });

  it("rigl regrows where the training step's own dense gradient is largest (no extra pass)", async () => {
    const net = mlp({ inputShape: [4], hidden: [16], classes: 3, seed: 3 });
    prune(net, { criterion: 'random', sparsity: 0.8, seed: 1 });
    const masked = MaskedModel.of(net);
    const before = masksOf(net);
    let expected: number[] | undefined;
    let expectedMask: number[] | undefined;
    // observer hook before the method's: the update at step 4 drops floor(α·active) smallest |w|
    // and grows as many at the largest |g| among the positions not kept (just-dropped included)
    const observer: TrainHook = {
      onGradients(info) {
        if (info.step !== 4) return;
        const w = masked.prunableWeights()[0];
        const m = Array.from(masked.mask(w.name)!.dataSync());
        const v = w.variable.read().dataSync();
        const g = info.gradient(w.name)!.dataSync();
        const active = [...m.keys()].filter((i) => m[i]);
        const k = Math.floor(0.25 * active.length);
        const kept = new Set(active.sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b).slice(0, active.length - k));
        const grow = [...m.keys()].filter((i) => !kept.has(i)).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]) || a - b).slice(0, k);
        expected = grow.filter((i) => !m[i]).sort((a, b) => a - b);
        expectedMask = m.map((_, i) => (kept.has(i) || grow.includes(i) ? 1 : 0));
      },
    };
    let forwards = 0;
    const counter: TrainHook = { onStepBegin: () => void forwards++ };
    const plan = trainingPlan(net, 'rigl', { dropFraction: 0.25, decay: 'constant', interval: 4, stopAt: 1, noise: 0 }, { totalSteps: 5, stepsPerEpoch: 3 });
    await train(net, data, { steps: 5, batchSize: 16, ...plan.trainOptions, hooks: [observer, counter, ...plan.trainOptions.hooks] });
    const after = masksOf(net);
    const grown = [...after[0].keys()].filter((i) => after[0][i] && !before[0][i]);
    // step 0 updated too; the last update is step 4's, and its mask is exactly the expected one
    const last = MaskedModel.of(net).history.filter((h) => h.method === 'rigl').at(-1)!;
    assert.strictEqual(last.details.step, 4);
    assert.deepStrictEqual(after[0], expectedMask);
    assert.ok(expected!.every((i) => grown.includes(i) || before[0][i]), 'grown by gradient');
    assert.strictEqual(after.flat().reduce((a, b) => a + b, 0), before.flat().reduce((a, b) => a + b, 0), 'sparsity unchanged');
    assert.strictEqual(forwards, 5, 'one forward/backward per step');
    masked.strip();
    net.dispose();
  });

  it('%prune fold-constant and %finetune --method set take the methods\' flags; a flag of another method is refused', async () => {
    const net = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 5 });
    const ds = { name: 'blobs', train: data, test: data };
    const ctx = createMagicContext({ variables: { net, ds }, print: () => undefined });
    // make neuron 0 of the hidden layer constant: zero incoming weights (its output is relu(bias))
    const k = net.layers[0].getWeights();
    const w = k[0].arraySync() as number[][];
    w.forEach((row) => (row[0] = 0));
    net.layers[0].setWeights([tf.tensor(w), k[1]]);
    await assert.rejects(runMagicLine('%prune net fold-constant --data ds --sparsity 0.5', ctx), /chooses its own masks/);
    await runMagicLine('%prune net fold-constant --data ds --tolerance 1e-6', ctx);
    assert.strictEqual(MaskedModel.of(net).history.at(-1)!.method, 'fold-constant');
    const col = MaskedModel.of(net).mask(MaskedModel.of(net).prunableWeights()[0].name)!.arraySync() as number[][];
    assert.ok(col.every((row) => row[0] === 0), 'neuron 0 folded away');
    await assert.rejects(runMagicLine('%finetune net --data ds --method set --damping 1', ctx), /unknown option --damping\. Options: .*--drop-fraction/);
    await assert.rejects(runMagicLine('%finetune net --data ds --drop-fraction 0.2', ctx), /--drop-fraction is an option of method rigl, set; choose the method too \(--method rigl\)/);
    await runMagicLine('%finetune net --data ds --method set --drop-fraction 0.2 --interval 2 --no-test', ctx);
    assert.ok(MaskedModel.of(net).history.some((h) => h.method === 'set'));
    MaskedModel.of(net).strip();
    net.dispose();
  });
});
