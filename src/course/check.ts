/**
 * Check cells of the course: `pl.course.check('Exercise 1.2', [{ what, got, expected, tolerance }],
 * { hint })` compares the student's values with the expectations and prints one line, `✓ …` or
 * `✗ Exercise 1.2: expected sparsity of fc1 0.9 ± 0.01, got 0.5 — hint: …`. It never throws on a
 * wrong or missing answer (the notebook must go on running, and a stack trace would bury the
 * message); it throws an OptionError only when the check itself is written wrong (a lesson bug).
 */
import { OptionError } from '../errors';
import { formatArray, formatNumber, formatValue } from './format';
import { isNotAnswered, isTodo } from './todo';

/** One thing an exercise must get right. Give `expected`, `atLeast`/`atMost`, or `satisfies`. */
export interface Expectation {
  /** What is compared, in the student's words: `'sparsity of fc1'`, `'accuracy before fine-tuning'`. */
  what: string;
  /**
   * The student's value, or a function that computes it: an error it throws (the answer is
   * missing, or the code the check calls fails) is reported in the message instead of thrown.
   * Tensors and typed arrays are read as numbers. To check a function the student wrote, call
   * it inside the thunk: `got: () => magnitudeMask(w, 0.5)`.
   */
  got: unknown;
  /** The expected value: a number (within the tolerance), a string, a boolean, or an array of those. */
  expected?: unknown;
  /** Absolute tolerance for numbers (also per element of an array); default 1e-9 of the value. */
  tolerance?: number;
  /** Relative tolerance for numbers, as a fraction of |expected| (0.05 = 5%). */
  relativeTolerance?: number;
  /** The least acceptable number (inclusive). */
  atLeast?: number;
  /** The largest acceptable number (inclusive). */
  atMost?: number;
  /** A condition stated in words (`description`, shown as "expected …") and tested by `test`. */
  satisfies?: { description: string; test: (value: never) => boolean };
  /** Hint shown when this expectation fails (before the check's own hint). */
  hint?: string;
}

/** Options of {@link check}. */
export interface CheckOptions {
  /** What to try when the exercise fails: shown after the failures, "— hint: …". */
  hint?: string;
}

/** The outcome of one expectation. */
export interface ExpectationOutcome {
  /** The expectation's `what`. */
  what: string;
  /** Whether it holds. */
  passed: boolean;
  /** The value compared (after reading tensors), when it could be computed. */
  value?: unknown;
  /** One clause: `sparsity = 0.9 (expected 0.9 ± 0.01)` or `expected sparsity 0.9 ± 0.01, got 0.5`. */
  message: string;
  /** True when the answer still holds `pl.course.TODO`. */
  notAnswered: boolean;
}

/** The outcome of a check. */
export interface CheckResult {
  /** The exercise's label, as given. */
  exercise: string;
  /** True when every expectation holds. */
  passed: boolean;
  /** True when the exercise still holds `pl.course.TODO` (then `passed` is false). */
  notAnswered: boolean;
  /** One per expectation, in order. */
  outcomes: ExpectationOutcome[];
  /** The line printed: `✓ Exercise …` or `✗ Exercise …`. */
  message: string;
}

/** Absolute slack of a number comparison when the check gives no tolerance (rounding only). */
const DEFAULT_RELATIVE_SLACK = 1e-9;

/** Reads tensors (anything with dataSync and shape) and typed arrays as plain numbers. */
function plainValue(value: unknown): unknown {
  if (value && typeof value === 'object') {
    const t = value as { dataSync?: () => ArrayLike<number>; shape?: unknown; isDisposed?: boolean };
    if (typeof t.dataSync === 'function' && Array.isArray(t.shape)) {
      if (t.isDisposed) throw new Error('the tensor was disposed before the check read it; keep it alive (no tf.dispose or tf.tidy around it)');
      const data = Array.from(t.dataSync());
      return t.shape.length === 0 ? data[0] : data;
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  }
  return value;
}

function toleranceOf(e: Expectation, expected: number): number {
  if (e.tolerance !== undefined) return e.tolerance;
  if (e.relativeTolerance !== undefined) return e.relativeTolerance * Math.abs(expected);
  return DEFAULT_RELATIVE_SLACK * Math.max(1, Math.abs(expected));
}

/** How the expectation reads after "expected <what> ": `0.9 ± 0.01`, `≥ 0.85`, `in [0.1, 0.2]`. */
function describeExpected(e: Expectation): string {
  const parts: string[] = [];
  if ('expected' in e) {
    const x = e.expected;
    const spread = e.tolerance !== undefined && e.tolerance > 0 ? ` ± ${formatNumber(e.tolerance)}`
      : e.relativeTolerance !== undefined && e.relativeTolerance > 0 ? ` ± ${formatNumber(100 * e.relativeTolerance)}%` : '';
    const numeric = typeof x === 'number' || (Array.isArray(x) && x.every((v) => typeof v === 'number'));
    parts.push(`${formatValue(x)}${numeric ? spread : ''}${Array.isArray(x) && spread ? ' each' : ''}`);
  }
  if (e.atLeast !== undefined && e.atMost !== undefined) parts.push(`in [${formatNumber(e.atLeast)}, ${formatNumber(e.atMost)}]`);
  else if (e.atLeast !== undefined) parts.push(`≥ ${formatNumber(e.atLeast)}`);
  else if (e.atMost !== undefined) parts.push(`≤ ${formatNumber(e.atMost)}`);
  if (e.satisfies) parts.push(e.satisfies.description);
  return parts.join(' and ');
}

/** Why `value` misses `expected` (empty when it matches). */
function mismatch(e: Expectation, value: unknown, expected: unknown): string {
  if (typeof expected === 'number') {
    if (typeof value !== 'number') return `got ${describeKind(value)}, not a number`;
    if (Number.isNaN(value)) return 'got NaN';
    return Math.abs(value - expected) <= toleranceOf(e, expected) ? '' : `got ${formatNumber(value)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(value)) return `got ${describeKind(value)}, not a list of ${expected.length} values`;
    if (value.length !== expected.length) return `got ${value.length} values instead of ${expected.length}: ${formatArray(value)}`;
    for (let i = 0; i < expected.length; i++) {
      if (mismatch(e, value[i], expected[i])) {
        return `got ${formatArray(value)} (first difference at index ${i}: expected ${formatValue(expected[i])}, got ${formatValue(value[i])})`;
      }
    }
    return '';
  }
  return value === expected ? '' : `got ${formatValue(value)}`;
}

/** Values `expected` may hold: numbers, strings, booleans, null, and (nested) arrays of those. */
function comparable(x: unknown): boolean {
  if (Array.isArray(x)) return x.every(comparable);
  return x === null || x === undefined || ['number', 'string', 'boolean'].includes(typeof x);
}

function describeKind(value: unknown): string {
  if (Array.isArray(value)) return `a list ${formatArray(value)}`;
  if (typeof value === 'string') return `the text ${formatValue(value)}`;
  return formatValue(value);
}

function validate(e: Expectation, exercise: string): void {
  if (!e || typeof e !== 'object') throw new OptionError(`pl.course.check('${exercise}'): each expectation is an object { what, got, expected | atLeast | atMost | satisfies }.`);
  const what: unknown = e.what;
  if (typeof what !== 'string' || !what.trim()) throw new OptionError(`pl.course.check('${exercise}'): an expectation has no 'what' (say what is compared, e.g. 'sparsity of fc1').`, 'what');
  if (!('got' in (e as object))) throw new OptionError(`pl.course.check('${exercise}'): '${e.what}' has no 'got' (the student's value, or a function computing it).`, 'got');
  if (!('expected' in e) && e.atLeast === undefined && e.atMost === undefined && !e.satisfies) {
    throw new OptionError(`pl.course.check('${exercise}'): '${e.what}' expects nothing; give expected, atLeast, atMost or satisfies.`, 'expected');
  }
  if ('expected' in e && !comparable(e.expected)) {
    throw new OptionError(`pl.course.check('${exercise}'): 'expected' of '${e.what}' is ${describeKind(e.expected)}; give a number, string, boolean or an array of those (or use 'satisfies' for anything else).`, 'expected');
  }
  for (const k of ['tolerance', 'relativeTolerance', 'atLeast', 'atMost'] as const) {
    const v = e[k];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new OptionError(`pl.course.check('${exercise}'): '${k}' of '${e.what}' is ${formatValue(v)}; give a number.`, k);
  }
  if (e.tolerance !== undefined && e.tolerance < 0) throw new OptionError(`pl.course.check('${exercise}'): 'tolerance' of '${e.what}' is negative.`, 'tolerance');
  if (e.relativeTolerance !== undefined && e.relativeTolerance < 0) throw new OptionError(`pl.course.check('${exercise}'): 'relativeTolerance' of '${e.what}' is negative.`, 'relativeTolerance');
  if (e.satisfies && (typeof e.satisfies.test !== 'function' || typeof e.satisfies.description !== 'string')) {
    throw new OptionError(`pl.course.check('${exercise}'): 'satisfies' of '${e.what}' needs { description: string, test: (value) => boolean }.`, 'satisfies');
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Compares one expectation; never throws for the student's mistakes. */
function evaluateOne(e: Expectation): ExpectationOutcome {
  let value: unknown;
  try {
    value = typeof e.got === 'function' && !isTodo(e.got) ? (e.got as () => unknown)() : e.got;
    if (isTodo(value)) return { what: e.what, passed: false, message: `${e.what}: not answered yet`, notAnswered: true };
    if (value && typeof (value as { then?: unknown }).then === 'function') {
      return { what: e.what, passed: false, message: `could not compare ${e.what}: it is a Promise (await it in the exercise cell and check the result)`, notAnswered: false };
    }
    value = plainValue(value);
  } catch (err) {
    if (isNotAnswered(err)) return { what: e.what, passed: false, message: `${e.what}: not answered yet`, notAnswered: true };
    return { what: e.what, passed: false, message: `could not compute ${e.what} (${errorText(err)})`, notAnswered: false };
  }
  const failures: string[] = [];
  if ('expected' in e) {
    const why = mismatch(e, value, e.expected);
    if (why) failures.push(why);
  }
  if ((e.atLeast !== undefined || e.atMost !== undefined) && !failures.length) {
    if (typeof value !== 'number' || Number.isNaN(value)) failures.push(`got ${describeKind(value)}, not a number`);
    else if ((e.atLeast !== undefined && value < e.atLeast) || (e.atMost !== undefined && value > e.atMost)) failures.push(`got ${formatNumber(value)}`);
  }
  if (e.satisfies && !failures.length) {
    let holds = false;
    try {
      holds = !!e.satisfies.test(value as never);
    } catch (err) {
      if (isNotAnswered(err)) return { what: e.what, passed: false, message: `${e.what}: not answered yet`, notAnswered: true };
      failures.push(`could not test it (${errorText(err)})`);
    }
    if (!holds && !failures.length) failures.push(`got ${formatValue(value)}`);
  }
  const expected = describeExpected(e);
  if (failures.length) {
    return { what: e.what, passed: false, value, message: `expected ${e.what} ${expected}, ${failures.join(', ')}`, notAnswered: false };
  }
  // a list the student got right is said to be right, not shown twice
  if (Array.isArray(value)) return { what: e.what, passed: true, value, message: `${e.what} as expected`, notAnswered: false };
  const shown = ['number', 'string', 'boolean'].includes(typeof value) ? ` = ${formatValue(value)}` : '';
  return { what: e.what, passed: true, value, message: `${e.what}${shown} (expected ${expected})`, notAnswered: false };
}

/**
 * Compares the student's values with the expectations, without printing (what {@link check}
 * prints is `result.message`).
 *
 * @param exercise the exercise's label, e.g. `'Exercise 1.2'` (lesson 1, exercise 2).
 * @param expectations what must hold; the exercise passes when all do.
 * @param options `hint`: what to try when it fails.
 * @returns the outcome, with the line to show.
 * @throws OptionError when the check is malformed (no `what`, nothing expected): a lesson bug.
 */
export function verify(exercise: string, expectations: Expectation | readonly Expectation[], options: CheckOptions = {}): CheckResult {
  if (typeof exercise !== 'string' || !exercise.trim()) throw new OptionError("pl.course.check: give the exercise's label first, e.g. pl.course.check('Exercise 1.2', [...]).", 'exercise');
  const list = Array.isArray(expectations) ? expectations : [expectations as Expectation];
  if (!list.length) throw new OptionError(`pl.course.check('${exercise}'): no expectations given.`, 'expectations');
  list.forEach((e) => validate(e, exercise));
  const outcomes = list.map(evaluateOne);
  const notAnswered = outcomes.some((o) => o.notAnswered);
  const passed = outcomes.every((o) => o.passed);
  const hints = [...new Set([...list.filter((e, i) => !outcomes[i].passed && e.hint).map((e) => e.hint!), ...(options.hint ? [options.hint] : [])])];
  const hint = hints.length ? ` — hint: ${hints.join(' ')}` : '';
  let message: string;
  if (passed) message = `✓ ${exercise}: ${outcomes.map((o) => o.message).join('; ')}`;
  else if (notAnswered) message = `✗ ${exercise}: not answered yet (replace pl.course.TODO in the exercise cell with your code, run that cell, then this check again)${hint}`;
  else message = `✗ ${exercise}: ${outcomes.filter((o) => !o.passed).map((o) => o.message).join('; ')}${hint}`;
  return { exercise, passed, notAnswered, outcomes, message };
}

/** The last result of each exercise checked in this session, in the order first checked. */
const session = new Map<string, CheckResult>();

/**
 * The check cell's call: compares, prints `✓ …` or `✗ … — hint: …` on the cell's output, and
 * records the result for {@link progress}. A wrong or missing answer is printed, never thrown.
 *
 * @returns the result; it does not show again as the cell's value.
 */
export function check(exercise: string, expectations: Expectation | readonly Expectation[], options: CheckOptions = {}): CheckResult {
  const result = verify(exercise, expectations, options);
  session.set(exercise, result);
  console.log(result.message);
  // the kernel shows a cell's last value; the line above already says everything
  return Object.defineProperty(result, Symbol.for('prunelab.noResult'), { value: true, enumerable: false });
}

/** The last result of every exercise checked in this session, in the order first checked. */
export function results(): CheckResult[] {
  return [...session.values()];
}

/** Forgets the results of this session (e.g. before starting a lesson again). */
export function resetProgress(): void {
  session.clear();
}

/**
 * Prints how many exercises passed, one line each; with `exercises`, also those not checked yet.
 *
 * @param exercises the labels a lesson has, in order (default: those checked so far).
 * @returns the counts; it does not show again as the cell's value.
 */
export function progress(exercises?: readonly string[]): { passed: number; total: number } {
  const labels = exercises ? [...exercises] : [...session.keys()];
  const lines = labels.map((label) => {
    const r = session.get(label);
    return r ? `  ${r.passed ? '✓' : '✗'} ${label}${r.passed ? '' : r.notAnswered ? ' (not answered yet)' : ' (not passed yet)'}` : `  · ${label} (not checked yet)`;
  });
  const passed = labels.filter((l) => session.get(l)?.passed).length;
  console.log([`${passed} of ${labels.length} exercises passed${passed === labels.length && labels.length ? ' — well done!' : ''}`, ...lines].join('\n'));
  return Object.defineProperty({ passed, total: labels.length }, Symbol.for('prunelab.noResult'), { value: true, enumerable: false });
}
