// The example of src/prune/methods/README.md ("adding a method"), end to end: a toy method with
// a learned gate in the forward pass, its own options, used from the API and from %prune and
// %finetune (options shown in `?` help and completed), saved and loaded with its state, finalized.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { completeMagicLine } from '../../../kernel/complete';
import { findMagicLines } from '../../../kernel/transform';
import { createMagicContext, magicHelp, runMagicLine } from '../../../src/magics';
import { mlp } from '../../../src/models';
import {
  baseWeightName, finalize, getMethod, maskState, MaskedModel, prune, registerMethod, trainingPlan, unregisterMethod, loadMasks, type PruningMethod,
} from '../../../src/prune';
import { evaluate, hasParametrizations, parametrize, train } from '../../../src/train';
import { blobs } from '../../train/fixtures/data';

// --- the method, as the guide shows it --------------------------------------------------------
/** Options of the toy gate, as declared below. */
type ToyGateOptions = { temperature: number; penalty: number };

/** A learned gate per weight, w ⊙ σ(a/T); a penalty λ·mean σ(a/T) pushes gates shut. */
const toyGate: PruningMethod<ToyGateOptions> = {
  name: 'toy-gate',
  description: 'a learned sigmoid gate per weight, pushed shut by a penalty (the guide example)',
  options: [
    { name: 'temperature', type: 'number', default: 1, min: 0, exclusiveMin: true, help: 'softness T of the gates' },
    { name: 'penalty', type: 'number', default: 1e-3, min: 0, help: 'weight λ of the mean open gate' },
  ],
  // one-shot use (%prune): keep the weights whose gates are most open (|w| before any training)
  scores(ctx) {
    const gates = MaskedModel.of(ctx.model).variables('toy-gate');
    return new Map(ctx.targets.map((t) => {
      const gate = gates.get(baseWeightName(t.name));
      return [t.name, tf.tidy(() => (gate ? tf.sigmoid(gate) : tf.abs(ctx.weights().get(t.name)!)))];
    }));
  },
  // training use (%finetune --method): the gates enter the forward pass; variables are reused after a load
  attach(masked, o) {
    for (const w of masked.prunableWeights()) {
      // keyed by the unsuffixed name (fc1/kernel), so a model rebuilt in another session finds them
      const key = baseWeightName(w.name);
      const a = masked.variables('toy-gate').get(key) ?? tf.variable(tf.fill(w.shape, 3), true, `toy_gate_${key.replace(/\W/g, '_')}_${Date.now()}`);
      masked.addVariables('toy-gate', { [key]: a });
      parametrize(masked.model, w.name, {
        name: 'toy-gate',
        variables: [a],
        forward: (weight) => tf.mul(weight, tf.sigmoid(tf.div(a, o.temperature))),
        penalty: () => tf.mul(tf.mean(tf.sigmoid(tf.div(a, o.temperature))), o.penalty) as tf.Scalar,
        finalize: (weight) => tf.tidy(() => ({ value: weight.clone(), mask: tf.cast(tf.greater(a, 0), 'float32') })),
      });
    }
  },
};
// ------------------------------------------------------------------------------------------------

describe('adding a method (the guide example, end to end)', () => {
  const data = blobs(96, { dim: 4, classes: 3, seed: 3 });
  const dataset = { name: 'blobs', train: data, test: data };
  before(() => registerMethod(toyGate));
  after(() => unregisterMethod('toy-gate'));

  it('API: trained through trainingPlan (gates and penalty in the loss), saved and loaded with its state, finalized to hard masks', async () => {
    const net = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 2 });
    const plan = trainingPlan(net, 'toy-gate', { penalty: 0.05 }, { totalSteps: 12 });
    assert.deepStrictEqual(plan.options, { temperature: 1, penalty: 0.05 });
    const h = await train(net, data, { steps: 12, batchSize: 16, learningRate: 0.05, ...plan.trainOptions });
    assert.ok(h.epochs[0].terms!['toy-gate'] > 0, 'the penalty is part of the loss');
    const masked = MaskedModel.of(net);
    const gated = evaluate(net, data).loss;

    // save while attached → a fresh model with the same weights → load: the same function, gates included
    const state = maskState(masked);
    assert.deepStrictEqual(state.methods, [{ name: 'toy-gate', options: { temperature: 1, penalty: 0.05 } }]);
    const twin = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 99 });
    twin.setWeights(net.getWeights());
    const plain = evaluate(twin, data).loss;
    loadMasks(twin, JSON.parse(JSON.stringify(state)));
    assert.ok(hasParametrizations(twin));
    assert.strictEqual(evaluate(twin, data).loss, gated, 'loaded: same gates, same loss');
    assert.notStrictEqual(plain, gated);

    // finalize: gates become hard masks (a > 0), parametrizations and variables go away
    const closedBefore = [...MaskedModel.of(twin).variables('toy-gate').values()].reduce((n, a) => n + tf.tidy(() => tf.sum(tf.lessEqual(a, 0)).dataSync()[0]), 0);
    finalize(twin);
    assert.ok(!hasParametrizations(twin));
    assert.strictEqual(MaskedModel.of(twin).variables('toy-gate').size, 0);
    const zeros = [...MaskedModel.of(twin).masks().values()].reduce((n, m) => n + tf.tidy(() => tf.sum(tf.equal(m, 0)).dataSync()[0]), 0);
    assert.strictEqual(zeros, closedBefore);
    assert.strictEqual(MaskedModel.of(twin).history.at(-1)!.method, 'finalize');
    finalize(net);
    twin.dispose();
    net.dispose();
  });

  it('%prune: the method and its own option are in %prune? and completion; a bad value is refused before anything changes', async () => {
    const net = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 4 });
    const ctx = createMagicContext({ variables: { net }, print: () => undefined });
    const help = magicHelp('prune');
    assert.match(help, /toy-gate\s+a learned sigmoid gate per weight/);
    assert.match(help, /Method options[^\n]*:\n[\s\S]*--temperature NUMBER\s+\[toy-gate\] softness T of the gates \(default 1\)/);
    const line = '%prune net toy-gate --temp';
    const completion = completeMagicLine(line, findMagicLines(line)[0], line.length, ['net']);
    assert.ok(completion.candidates.includes('--temperature'), `completion: ${completion.candidates.join(' ')}`);
    await assert.rejects(runMagicLine('%prune net toy-gate --sparsity 0.5 --temperature -1', ctx), /temperature must be > 0/);
    assert.strictEqual(MaskedModel.existing(net)?.masks().size ?? 0, 0);
    await assert.rejects(runMagicLine('%prune net magnitude --temperature 2', ctx), /--temperature is an option of toy-gate, not of 'magnitude'/);
    await runMagicLine('%prune net toy-gate --sparsity 0.5 --temperature 2', ctx);
    assert.deepStrictEqual(MaskedModel.of(net).history.at(-1)!.details.methodOptions, { temperature: 2, penalty: 1e-3 });
    prune(net, { method: 'toy-gate', sparsity: 0.5, methodOptions: { temperature: 2 } });
    net.dispose();
  });

  it('%finetune --method: trains with the gates; %finetune? lists the method', async () => {
    const net = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 5 });
    const ctx = createMagicContext({ variables: { net, ds: dataset }, print: () => undefined });
    assert.match(magicHelp('finetune'), /Training methods:[\s\S]*toy-gate/);
    // ltp declares --temperature as a schedule, toy-gate as a number: the shared flag takes text,
    // which each method reads as its own type (and refuses as its own option when it cannot)
    assert.match(magicHelp('finetune'), /--temperature VALUE\s+\[[^\]]*toy-gate[^\]]*\][^\n]*\(a (number or schedule|schedule or number), as the method declares it\)/);
    await assert.rejects(runMagicLine('%finetune net --data ds --epochs 1 --method toy-gate --temperature warm --no-test', ctx), /temperature/);
    assert.ok(!hasParametrizations(net), 'a refused option changes nothing');
    await runMagicLine('%finetune net --data ds --epochs 1 --batch-size 32 --method toy-gate --penalty 0.01 --temperature 2 --no-test', ctx);
    assert.ok(hasParametrizations(net));
    assert.deepStrictEqual(MaskedModel.of(net).attachedMethods().get('toy-gate'), { temperature: 2, penalty: 0.01 });
    assert.ok(getMethod('toy-gate').attach);
    finalize(net);
    net.dispose();
  });
});
