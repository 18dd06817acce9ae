/**
 * The course's check API (pl.course): what a check cell prints when the answer is right, wrong,
 * missing (pl.course.TODO) or cannot be computed, and that none of these throw; only a malformed
 * check (a lesson bug) does.
 */
import { strict as assert } from 'assert';
import { inspect } from 'util';
import * as tf from '@tensorflow/tfjs';
import * as course from '../../src/course';
import { OptionError, isUserError } from '../../src/errors';

/** Runs `fn` with console.log captured; returns its value and the printed lines. */
function printed<T>(fn: () => T): { value: T; lines: string[] } {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  try {
    return { value: fn(), lines };
  } finally {
    console.log = original;
  }
}

describe('course: checks', () => {
  beforeEach(() => course.resetProgress());
  after(() => course.resetProgress());

  it('prints ✗ with what was expected, what the student got and the hint, without throwing', () => {
    const { value, lines } = printed(() =>
      course.check('Exercise 2', { what: 'sparsity in layer dense_1', got: 0.5, expected: 0.9, tolerance: 0.01 }, { hint: 'prune with --sparsity 0.9.' }));
    assert.deepEqual(lines, ['✗ Exercise 2: expected sparsity in layer dense_1 0.9 ± 0.01, got 0.5 — hint: prune with --sparsity 0.9.']);
    assert.equal(value.passed, false);
    assert.equal(value.notAnswered, false);
    assert.equal(value.message, lines[0]);
  });

  it('prints ✓ with the value and the expectation when every expectation holds', () => {
    const { value, lines } = printed(() => course.check('Exercise 2', [
      { what: 'sparsity in layer dense_1', got: 0.905, expected: 0.9, tolerance: 0.01 },
      { what: 'accuracy', got: () => 0.93, atLeast: 0.85 },
    ], { hint: 'never shown when it passes' }));
    assert.deepEqual(lines, ['✓ Exercise 2: sparsity in layer dense_1 = 0.905 (expected 0.9 ± 0.01); accuracy = 0.93 (expected ≥ 0.85)']);
    assert.equal(value.passed, true);
  });

  it('lists every failed expectation, each with its own hint before the check\'s', () => {
    const r = course.verify('Exercise 3', [
      { what: 'sparsity', got: 0.9, expected: 0.9, tolerance: 0.01 },
      { what: 'accuracy', got: 0.4, atLeast: 0.8, hint: 'use the global scope.' },
      { what: 'layers', got: 2, atLeast: 3, atMost: 5 },
    ], { hint: 'see section 3.' });
    assert.equal(r.message, '✗ Exercise 3: expected accuracy ≥ 0.8, got 0.4; expected layers in [3, 5], got 2 — hint: use the global scope. see section 3.');
    assert.deepEqual(r.outcomes.map((o) => o.passed), [true, false, false]);
  });

  it('says "not answered yet" for pl.course.TODO, given as the value or used by the code the check runs', () => {
    const uses: [string, () => unknown][] = [
      ['the value itself', () => course.TODO],
      ['a property of it', () => course.TODO.shape],
      ['a call of it', () => course.TODO(3)],
      ['arithmetic with it', () => course.TODO * 2],
      ['a template with it', () => `${course.TODO}`],
    ];
    for (const [how, got] of uses) {
      const r = course.verify('Exercise 1.1', { what: 'mask', got, expected: [1, 0] }, { hint: 'sort |w|.' });
      assert.equal(r.passed, false, how);
      assert.equal(r.notAnswered, true, how);
      assert.equal(r.message, '✗ Exercise 1.1: not answered yet (replace pl.course.TODO in the exercise cell with your code, run that cell, then this check again) — hint: sort |w|.', how);
    }
    assert.equal(course.verify('E', { what: 'x', got: course.TODO, atLeast: 1 }).notAnswered, true, 'TODO given directly, not in a thunk');
  });

  it('reports an error of the student\'s code as "could not compute", without throwing', () => {
    const r = course.verify('Exercise 4', { what: 'the mask', got: () => (undefined as unknown as { dataSync(): void }).dataSync(), expected: [1] });
    assert.equal(r.passed, false);
    assert.match(r.message, /^✗ Exercise 4: could not compute the mask \(TypeError: Cannot read properties of undefined \(reading 'dataSync'\)\)$/);
    const failing = course.verify('Exercise 4', { what: 'x', got: 1, satisfies: { description: 'is odd', test: () => { throw new RangeError('bad'); } } });
    assert.match(failing.message, /expected x is odd, could not test it \(RangeError: bad\)/);
  });

  it('reads tensors and typed arrays as numbers, and says when a tensor was disposed', () => {
    const t = tf.tensor2d([[1, 0], [0, 1]]);
    const s = tf.scalar(3);
    assert.equal(course.verify('E', { what: 'mask', got: t, expected: [1, 0, 0, 1] }).passed, true);
    assert.equal(course.verify('E', { what: 'count', got: () => s, expected: 3 }).passed, true);
    assert.equal(course.verify('E', { what: 'values', got: new Float32Array([0.5, 0.25]), expected: [0.5, 0.25] }).passed, true);
    s.dispose();
    assert.match(course.verify('E', { what: 'count', got: s, expected: 3 }).message, /could not compute count \(Error: the tensor was disposed before the check read it/);
    t.dispose();
  });

  it('compares lists element by element and shows the first difference', () => {
    assert.equal(course.verify('E', { what: 'mask', got: [0, 1, 1, 0, 1], expected: [0, 1, 0, 0, 1] }).message,
      '✗ E: expected mask [0, 1, 0, 0, 1], got [0, 1, 1, 0, 1] (first difference at index 2: expected 0, got 1)');
    assert.equal(course.verify('E', { what: 'mask', got: [0, 1], expected: [0, 1, 0] }).message, '✗ E: expected mask [0, 1, 0], got 2 values instead of 3: [0, 1]');
    assert.equal(course.verify('E', { what: 'w', got: [0.101, 0.2], expected: [0.1, 0.2], tolerance: 0.01 }).passed, true);
    const long = Array.from({ length: 300 }, (_, i) => i);
    assert.match(course.verify('E', { what: 'units', got: long.map((x) => x + 1), expected: long }).message, /got \[1, 2, 3, 4, 5, 6, 7, 8, … \(300 values\)\] \(first difference at index 0: expected 0, got 1\)/);
    assert.equal(course.verify('E', { what: 'mask', got: [1, 0], expected: [1, 0] }).message, '✓ E: mask as expected');
  });

  it('fails wrong kinds of values with a readable reason: NaN, text for a number, a Promise', () => {
    assert.equal(course.verify('E', { what: 'loss', got: NaN, expected: 0.1, tolerance: 0.1 }).message, '✗ E: expected loss 0.1 ± 0.1, got NaN');
    assert.equal(course.verify('E', { what: 'loss', got: '0.1', expected: 0.1 }).message, '✗ E: expected loss 0.1, got the text "0.1", not a number');
    assert.equal(course.verify('E', { what: 'acc', got: undefined, atLeast: 0.5 }).message, '✗ E: expected acc ≥ 0.5, got undefined, not a number');
    assert.match(course.verify('E', { what: 'acc', got: Promise.resolve(1), atLeast: 0.5 }).message, /acc: it is a Promise \(await it/);
    assert.equal(course.verify('E', { what: 'scope', got: 'layerwise', expected: 'global' }).message, '✗ E: expected scope "global", got "layerwise"');
  });

  it('shows tolerances as given: absolute, relative, none', () => {
    assert.equal(course.verify('E', { what: 'bytes', got: 100, expected: 142324, relativeTolerance: 0.01 }).message, '✗ E: expected bytes 142324 ± 1%, got 100');
    assert.equal(course.verify('E', { what: 'bytes', got: 142000, expected: 142324, relativeTolerance: 0.01 }).passed, true);
    assert.equal(course.verify('E', { what: 'n', got: 10.5, expected: 10 }).message, '✗ E: expected n 10, got 10.5');
    assert.equal(course.verify('E', { what: 'tiny', got: 3e-7, atMost: 1e-4 }).passed, true);
    assert.equal(course.verify('E', { what: 'tiny', got: 3e-3, atMost: 1e-4 }).message, '✗ E: expected tiny ≤ 1.00e-4, got 0.003');
  });

  it('records the last result of each exercise; progress() counts them and names those not checked', () => {
    printed(() => {
      course.check('Exercise 1.1', { what: 'x', got: 1, expected: 2 });
      course.check('Exercise 1.1', { what: 'x', got: 2, expected: 2 });
      course.check('Exercise 1.2', { what: 'x', got: course.TODO, expected: 2 });
    });
    assert.deepEqual(course.results().map((r) => [r.exercise, r.passed]), [['Exercise 1.1', true], ['Exercise 1.2', false]]);
    const { value, lines } = printed(() => course.progress(['Exercise 1.1', 'Exercise 1.2', 'Exercise 1.3']));
    assert.deepEqual(value, { passed: 1, total: 3 });
    assert.deepEqual(lines[0].split('\n'), ['1 of 3 exercises passed', '  ✓ Exercise 1.1', '  ✗ Exercise 1.2 (not answered yet)', '  · Exercise 1.3 (not checked yet)']);
    assert.match(printed(() => course.progress(['Exercise 1.1'])).lines[0], /^1 of 1 exercises passed — well done!/);
  });

  it('marks its results as no cell result, so the kernel does not show them twice', () => {
    const { value } = printed(() => course.check('E', { what: 'x', got: 1, expected: 1 }));
    assert.equal((value as unknown as Record<symbol, unknown>)[Symbol.for('prunelab.noResult')], true);
    assert.equal((printed(() => course.progress()).value as unknown as Record<symbol, unknown>)[Symbol.for('prunelab.noResult')], true);
  });

  it('throws an OptionError for a malformed check (a lesson bug), naming what is missing', () => {
    const bad: [string, () => unknown, RegExp][] = [
      ['no label', () => course.verify('', { what: 'x', got: 1, expected: 1 }), /give the exercise's label first/],
      ['no what', () => course.verify('E', { got: 1, expected: 1 } as never), /an expectation has no 'what'/],
      ['no got', () => course.verify('E', { what: 'x', expected: 1 } as never), /'x' has no 'got'/],
      ['nothing expected', () => course.verify('E', { what: 'x', got: 1 }), /'x' expects nothing; give expected, atLeast, atMost or satisfies/],
      ['negative tolerance', () => course.verify('E', { what: 'x', got: 1, expected: 1, tolerance: -1 }), /'tolerance' of 'x' is negative/],
      ['bound not a number', () => course.verify('E', { what: 'x', got: 1, atLeast: '3' as never }), /'atLeast' of 'x' is "3"; give a number/],
      ['no expectations', () => course.verify('E', []), /no expectations given/],
      ['an object expected', () => course.verify('E', { what: 'x', got: () => { throw new Error('not reached'); }, expected: { a: 1 } }), /'expected' of 'x' is \{"a":1\}; give a number, string, boolean or an array/],
    ];
    for (const [name, fn, message] of bad) assert.throws(fn, (e: unknown) => e instanceof OptionError && message.test((e as Error).message), name);
  });
});

describe('course: the TODO placeholder', () => {
  it('is recognised, and passes through await, inspection and the kernel\'s display probes without throwing', async () => {
    assert.equal(course.isTodo(course.TODO), true);
    assert.equal(course.isTodo(() => 1), false);
    assert.equal(course.isTodo(undefined), false);
    assert.equal(course.isTodo(await Promise.resolve(course.TODO)), true);
    assert.doesNotThrow(() => inspect(course.TODO));
    assert.equal((course.TODO as Record<symbol, unknown>)[Symbol.for('Jupyter.display')], undefined);
  });

  it('throws NotAnsweredError, a UserError that says what to do, when it is used', () => {
    for (const use of [() => course.TODO.dataSync(), () => course.TODO + 1, () => new course.TODO(), () => { course.TODO.x = 1; }]) {
      assert.throws(use, (e: unknown) => e instanceof course.NotAnsweredError && isUserError(e) && course.isNotAnswered(e) && /replace pl\.course\.TODO/.test((e as Error).message));
    }
  });
});
