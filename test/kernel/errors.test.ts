/**
 * How the kernel shows errors (kernel/errors.ts `runtimeError`), without starting a kernel: a
 * prunelab user error is its message and the user's own frames, with no count of prunelab's
 * hidden frames (there is nothing in them for the user); an internal error keeps the usual
 * display and ends asking for a report; other errors are shown as before. The real kernel path
 * is in traceback.test.ts.
 */
import * as assert from 'assert';
import * as path from 'path';
import { INTERNAL_ERROR_NOTE, runtimeError } from '../../kernel/errors';
import { InternalError, OptionError, UnknownNameError, UserError } from '../../src/errors';
import { setTracebackMode } from '../../src/magics/builtins/xmode';
import { freshModuleCopy } from '../module-copy';

/** A stack as V8 prints it: a frame of the user's own script between frames inside prunelab and Node. */
function withStack<E extends Error>(e: E): E {
  const src = path.resolve(__dirname, '..', '..', 'src');
  e.stack = [
    `${e.name}: ${e.message}`,
    `    at getCriterion (${src}/prune/criteria.js:60:12)`,
    `    at prune (${src}/prune/prune.js:150:21)`,
    '    at pruneAll (/home/me/experiment.js:12:5)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  ].join('\n');
  return e;
}

const HIDDEN = /frames? inside prunelab and Node\.js hidden/;

describe('kernel/errors: user errors, internal errors and other errors', () => {
  afterEach(() => setTracebackMode('context'));

  it('a user error shows `Name: message` and the user\'s frames only, never the hidden-frame count', () => {
    const e = withStack(new UnknownNameError('criterion', 'nope', ['magnitude', 'random'], "Unknown criterion 'nope'. Known criteria: magnitude, random."));
    const shown = runtimeError(e);
    assert.strictEqual(shown.ename, 'UnknownNameError');
    assert.strictEqual(shown.evalue, "Unknown criterion 'nope'. Known criteria: magnitude, random.");
    assert.deepStrictEqual(shown.traceback, [
      "UnknownNameError: Unknown criterion 'nope'. Known criteria: magnitude, random.",
      '    at pruneAll (/home/me/experiment.js:12:5)',
    ]);
  });

  it('any other error keeps the count of hidden frames and asks for no report', () => {
    const shown = runtimeError(withStack(new TypeError('x.y is not a function')));
    assert.strictEqual(shown.traceback[0], 'TypeError: x.y is not a function');
    assert.match(shown.traceback[shown.traceback.length - 1], /^\(3 frames inside prunelab and Node\.js hidden; %xmode verbose shows them\)$/);
    assert.ok(!shown.traceback.includes(INTERNAL_ERROR_NOTE));
  });

  it('an internal error is shown like other errors and its traceback ends asking for a report, with the %xmode verbose hint', () => {
    const shown = runtimeError(withStack(new InternalError('mask and weight disagree after commit')));
    assert.strictEqual(shown.ename, 'InternalError');
    assert.strictEqual(shown.traceback[0], 'InternalError: mask and weight disagree after commit');
    assert.ok(shown.traceback.some((l) => HIDDEN.test(l)), 'the hidden frames are counted as for any error');
    assert.strictEqual(shown.traceback[shown.traceback.length - 1], INTERNAL_ERROR_NOTE);
    assert.match(INTERNAL_ERROR_NOTE, /bug in prunelab.*report it.*%xmode verbose/);
  });

  it('%xmode verbose shows every frame of a user error too; %xmode minimal the message alone', () => {
    setTracebackMode('verbose');
    const verbose = runtimeError(withStack(new OptionError('sparsity must be a number in [0, 1); got 2.', 'sparsity')));
    assert.ok(verbose.traceback.some((l) => l.includes('prune/prune.js')), verbose.traceback.join('\n'));
    setTracebackMode('minimal');
    assert.deepStrictEqual(runtimeError(withStack(new OptionError('bad', 'x'))).traceback, ['OptionError: bad']);
  });

  it('recognises a user error of another loaded copy of prunelab (as a notebook cell\'s `pl` can be)', () => {
    const copy = freshModuleCopy<typeof import('../../src/errors')>(require.resolve('../../src/errors'));
    assert.notStrictEqual(copy.UserError, UserError, 'a second copy of the module');
    const foreign = withStack(new copy.OptionError('bad option', 'x'));
    assert.ok(!(foreign instanceof UserError));
    assert.deepStrictEqual(runtimeError(foreign).traceback, ['OptionError: bad option', '    at pruneAll (/home/me/experiment.js:12:5)']);
    const internal = runtimeError(withStack(new copy.InternalError('broken')));
    assert.strictEqual(internal.traceback[internal.traceback.length - 1], INTERNAL_ERROR_NOTE);
  });
});
