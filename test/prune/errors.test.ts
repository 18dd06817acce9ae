// Bad input gives a clear error and leaves every weight and mask exactly as it was.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { OptionError, ShapeError, UnknownNameError, UserError } from '../../src/errors';
import { prunableWeights, prune, registerCriterion, unregisterCriterion, type PruneOptions, type PruneUpdate } from '../../src/prune';
import { assertSameSnapshot, cnn, snapshot } from './helpers';

describe('prune: bad input leaves the model unchanged', () => {
  const net = cnn(21);
  const [conv, fc1] = prunableWeights(net);
  before(() => {
    prune(net, { sparsity: 0.3, scope: 'global' }); // existing masks must survive failing calls too
    registerCriterion('test-nan', (ctx) =>
      new Map(ctx.targets.map((t, i) => [t.name, i === 1 ? tf.fill(t.shape, NaN) : tf.abs(ctx.weights().get(t.name)!)])),
    );
  });
  after(() => {
    unregisterCriterion('test-nan');
    net.dispose();
  });
  const failingUpdate: PruneUpdate = {
    name: 'test-fails',
    apply(edit) {
      edit.setValue(fc1.name, tf.zeros(fc1.shape)); // staged, then the update fails
      throw new Error('update failed on purpose');
    },
  };

  // the error class tells the caller's mistakes (all UserError subclasses) from prunelab's bugs
  const cases: [string, PruneOptions, RegExp, Function][] = [
    ['sparsity 1', { sparsity: 1 }, /sparsity must be a number in \[0, 1\)/, OptionError],
    ['negative sparsity', { sparsity: -0.1 }, /sparsity must be a number in \[0, 1\)/, OptionError],
    ['NaN sparsity', { sparsity: NaN }, /got NaN/, OptionError],
    ['string sparsity', { sparsity: '0.5' as unknown as number }, /got 0.5/, OptionError],
    ['missing sparsity', {}, /give a sparsity/, OptionError],
    ['N:M with M not dividing the input', { granularity: '2:4' }, /input dimension of '.*' \(shape \[3,3,3,8\], input size 3\) to be a multiple of 4/, ShapeError],
    ['unknown criterion', { sparsity: 0.5, criterion: 'magnitud' }, /Unknown criterion 'magnitud'. Known criteria: .*magnitude/, UnknownNameError],
    ['unknown granularity', { sparsity: 0.5, granularity: 'row' }, /Unknown granularity 'row'. Known granularities:/, UnknownNameError],
    ['unknown scope', { sparsity: 0.5, scope: 'globl' }, /Unknown scope 'globl'. Known scopes: er, erk, global, layerwise, or \{ perLayer: .*Did you mean: global\?/, UnknownNameError],
    ['unknown group reduce', { sparsity: 0.5, groupReduce: 'l3' as 'l1' }, /Unknown groupReduce 'l3'/, OptionError],
    ['unknown option', { sparsity: 0.5, sparsty: 0.5 } as PruneOptions, /unknown option\(s\) sparsty/, OptionError],
    ['layer without a prunable kernel', { sparsity: 0.5, include: ['__flat__'] }, /has no prunable kernel; prunable layers are:/, OptionError],
    ['NaN scores', { sparsity: 0.5, criterion: 'test-nan' }, /gave NaN scores for '.*'/, UserError],
    ['an update that throws after staging', { sparsity: 0.9, update: failingUpdate }, /update failed on purpose/, Error],
    ['data criterion without data', { sparsity: 0.5, update: 'reconstruct' }, /needs data/, OptionError],
  ];
  for (const [what, opts, message, errorClass] of cases) {
    it(what, () => {
      const o = { ...opts, include: opts.include?.map((s) => (s === '__flat__' ? net.layers[1].name : s)) };
      if (!opts.include) delete o.include;
      const before = snapshot(net);
      const tensors = tf.memory().numTensors;
      assert.throws(() => prune(net, o), (e: Error) => {
        assert.match(e.message, message);
        assert.ok(e instanceof errorClass, `${what}: ${e.name} should be a ${errorClass.name}`);
        return true;
      });
      assertSameSnapshot(before, snapshot(net), what);
      assert.strictEqual(tf.memory().numTensors, tensors, 'no tensors leaked by the failing call');
    });
  }

  it('NaN weights give a clear error (magnitude scores are NaN)', () => {
    const w = conv.variable.read();
    const saved = w.clone();
    const bad = tf.tidy(() => tf.where(tf.equal(tf.range(0, conv.size).reshape(conv.shape), 5), tf.scalar(NaN), saved));
    conv.variable.write(bad);
    bad.dispose();
    const before = snapshot(net);
    assert.throws(() => prune(net, { sparsity: 0.5 }), /NaN scores for '.*' \(first at index 5\)/);
    assertSameSnapshot(before, snapshot(net), 'NaN weights');
    conv.variable.write(saved);
    saved.dispose();
  });
});
