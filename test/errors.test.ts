/**
 * Typed errors: the caller's mistakes are UserError (OptionError, UnknownNameError, ShapeError and
 * the named errors of the data and magic modules), prunelab's own failures InternalError, so
 * callers and the kernel can tell them apart, also across two loaded copies of the module.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import * as pl from '../src';
import {
  InternalError, isInternalError, isUserError, OptionError, PrunelabError, ShapeError, UnknownNameError, UserError,
} from '../src/errors';
import { mlp } from './prune/helpers';
import { freshModuleCopy } from './module-copy';

/** The error `fn` throws (fails when it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected an error');
}

describe('errors: user errors and internal errors are different classes', () => {
  it('hierarchy: every class is a PrunelabError and an Error, named after its class', () => {
    const cases: [Error, string, boolean][] = [
      [new UserError('u'), 'UserError', true],
      [new OptionError('o', 'sparsity'), 'OptionError', true],
      [new UnknownNameError('criterion', 'nope', ['magnitude'], 'm'), 'UnknownNameError', true],
      [new ShapeError('s'), 'ShapeError', true],
      [new InternalError('i'), 'InternalError', false],
    ];
    for (const [e, name, user] of cases) {
      assert.ok(e instanceof Error && e instanceof PrunelabError, name);
      assert.strictEqual(e.name, name);
      assert.strictEqual(isUserError(e), user, `isUserError(${name})`);
      assert.strictEqual(isInternalError(e), !user, `isInternalError(${name})`);
      assert.strictEqual(String(e), `${name}: ${e.message}`);
    }
    const unknown = new UnknownNameError('criterion', 'nope', ['magnitude', 'random'], 'm');
    assert.deepStrictEqual([unknown.kind, unknown.unknown, unknown.known], ['criterion', 'nope', ['magnitude', 'random']]);
    assert.strictEqual(new OptionError('o', 'sparsity').option, 'sparsity');
    assert.ok(!isUserError(new Error('plain')) && !isInternalError(new Error('plain')));
    assert.ok(!isUserError(undefined) && !isUserError('OptionError') && !isUserError({ name: 'UserError' }));
  });

  it('the existing named errors are user errors of the right kind, and keep their names', () => {
    const named: [Error, string, Function][] = [
      [new pl.UnknownDatasetError('nope', ['mnist']), 'UnknownDatasetError', UnknownNameError],
      [new pl.DatasetNotFoundError('mnist', [], 'not found'), 'DatasetNotFoundError', UserError],
      [new pl.ChecksumMismatchError('f', ['a'], 'b'), 'ChecksumMismatchError', UserError],
      [new pl.IdxFormatError('f', 'bad'), 'IdxFormatError', UserError],
      [new pl.NonFiniteFeaturesError('training data', 1, 4, 0, NaN, [4]), 'NonFiniteFeaturesError', UserError],
      [new pl.magics.MagicArgumentError('%x: bad', '%x'), 'MagicArgumentError', OptionError],
      [new pl.magics.UnknownMagicError('Unknown magic %x.'), 'UnknownMagicError', UnknownNameError],
    ];
    for (const [e, name, parent] of named) {
      assert.strictEqual(e.name, name);
      assert.ok(e instanceof parent, `${name} is a ${parent.name}`);
      assert.ok(isUserError(e), `${name} is a user error`);
    }
    assert.ok(!isUserError(new pl.InterruptedError('stopped')), 'an interrupt is not the user\'s mistake');
  });

  it('isUserError and isInternalError recognise errors of a second loaded copy of the module', () => {
    const copy = freshModuleCopy<typeof import('../src/errors')>(require.resolve('../src/errors'));
    assert.notStrictEqual(copy.ShapeError, ShapeError);
    assert.ok(!(new copy.ShapeError('s') instanceof UserError), 'instanceof alone cannot tell');
    assert.ok(isUserError(new copy.ShapeError('s')));
    assert.ok(copy.isUserError(new OptionError('o')));
    assert.ok(isInternalError(new copy.InternalError('i')) && !isUserError(new copy.InternalError('i')));
  });

  describe('API calls throw the class that says whose mistake it is', () => {
    let net: tf.Sequential;
    beforeEach(() => {
      net = mlp([4, 6, 3], 5);
    });
    afterEach(() => {
      pl.MaskedModel.existing(net)?.strip();
      net.dispose();
    });

    it('prune with a bad option value or an unknown option: OptionError naming the option', () => {
      const bad = thrown(() => pl.prune(net, { sparsity: 1.5 }));
      assert.ok(bad instanceof OptionError, `${bad.name}: ${bad.message}`);
      assert.strictEqual(bad.option, 'sparsity');
      const unknown = thrown(() => pl.prune(net, { sparsity: 0.5, sparsty: 0.5 } as pl.PruneOptions));
      assert.ok(unknown instanceof OptionError, unknown.name);
      assert.match(unknown.message, /unknown option\(s\) sparsty/);
    });

    it('prune with an unknown criterion: UnknownNameError with the known names and a close match', () => {
      const e = thrown(() => pl.prune(net, { sparsity: 0.5, criterion: 'magnitud' }));
      assert.ok(e instanceof UnknownNameError, e.name);
      assert.strictEqual(e.kind, 'criterion');
      assert.strictEqual(e.unknown, 'magnitud');
      assert.deepStrictEqual(e.known, pl.criterionNames());
      assert.match(e.message, /Did you mean: magnitude\?/);
    });

    it('loading masks saved from a model of other shapes: ShapeError; from other names: UserError', () => {
      const other = mlp([4, 5, 3], 5);
      try {
        const state = pl.maskState(pl.prune(other, { sparsity: 0.5 }));
        const masked = pl.MaskedModel.of(net);
        const shapes = thrown(() => pl.applyMaskState(masked, state, { match: 'order' }));
        assert.ok(shapes instanceof ShapeError, `${shapes.name}: ${shapes.message}`);
        assert.match(shapes.message, /was saved with shape \[4,5\] but .* has shape \[4,6\]/);
        const names = thrown(() => pl.applyMaskState(masked, state));
        assert.ok(names instanceof UserError && !(names instanceof ShapeError), `${names.name}: ${names.message}`);
        assert.strictEqual(masked.currentMasks().size, 0, 'nothing was applied');
      } finally {
        pl.MaskedModel.existing(other)?.strip();
        other.dispose();
      }
    });

    it('a mask of the wrong shape in an edit, and N:M on a layer it does not fit: ShapeError', () => {
      const masked = pl.MaskedModel.of(net);
      const w = masked.prunableWeights()[0];
      const e = thrown(() => masked.edit((edit) => edit.setMask(w.name, tf.ones([2, 2]))));
      assert.ok(e instanceof ShapeError, `${e.name}: ${e.message}`);
      const nm = thrown(() => pl.prune(net, { granularity: '2:4' })); // first layer has 4 inputs, second 6
      assert.ok(nm instanceof ShapeError, `${nm.name}: ${nm.message}`);
    });

    it('an unknown dataset, model or optimizer: UnknownNameError', async () => {
      await assert.rejects(pl.loadDataset('mnst'), (e: Error) => e instanceof UnknownNameError && e.name === 'UnknownDatasetError');
      assert.throws(() => pl.createModel('resnet'), (e: Error) => e instanceof UnknownNameError && (e as UnknownNameError).kind === 'model');
      assert.throws(() => pl.createOptimizer('adagrad'), (e: Error) => e instanceof UnknownNameError && /Known optimizers: adam, momentum, nesterov, sgd/.test(e.message));
    });
  });
});
