/**
 * scripts/make-course.js: the student notebooks are generated from the teacher's versions (solution
 * blocks become placeholders, teacher-only cells and outputs go), and the committed student
 * notebooks are exactly what it generates, so that neither side can be edited alone.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'make-course.js');

interface Cell { cell_type: string; metadata: { tags?: string[]; execution?: unknown }; source: string[]; id?: string; outputs?: unknown[]; execution_count?: number | null }
interface Notebook { cells: Cell[]; metadata: Record<string, unknown>; nbformat: number; nbformat_minor: number }
interface MakeCourse {
  replaceSolutions(lines: string[], kind: 'code' | 'markdown', where: string): { lines: string[]; solutions: number };
  studentNotebook(nb: Notebook, file: string): { notebook: Notebook; solutions: number };
  serializeNotebook(nb: Notebook): string;
  checkCourse(root?: string): string[];
  CourseMarkerError: new (...args: never[]) => Error;
}
// a plain Node script (teachers run it without building), loaded as it is
// eslint-disable-next-line @typescript-eslint/no-var-requires
const course = require(SCRIPT) as MakeCourse;

const code = (source: string, extra: Partial<Cell> = {}): Cell => ({ cell_type: 'code', metadata: {}, source: source.split(/(?<=\n)/), execution_count: null, outputs: [], ...extra });
const markdown = (source: string, extra: Partial<Cell> = {}): Cell => ({ cell_type: 'markdown', metadata: {}, source: source.split(/(?<=\n)/), ...extra });
const notebook = (cells: Cell[]): Notebook => ({ cells, metadata: { kernelspec: { name: 'prunelab', language: 'typescript' } }, nbformat: 4, nbformat_minor: 5 });

describe('course: make-course.js turns a teacher notebook into the student one', () => {
  it('replaces a code solution by "// YOUR CODE HERE" and its placeholder, at the marker\'s indentation', () => {
    const r = course.replaceSolutions([
      'function f(w: tf.Tensor): tf.Tensor {',
      '  // BEGIN SOLUTION placeholder: return pl.course.TODO;',
      '  const m = tf.abs(w);',
      '  return m;',
      '  // END SOLUTION',
      '}',
    ], 'code', 'x');
    assert.deepEqual(r.lines, ['function f(w: tf.Tensor): tf.Tensor {', '  // YOUR CODE HERE', '  return pl.course.TODO;', '}']);
    assert.equal(r.solutions, 1);
  });

  it('replaces a solution without placeholder by the comment alone, and handles several blocks', () => {
    const r = course.replaceSolutions(['const a = 1;', '// BEGIN SOLUTION', '%prune ex2 magnitude --sparsity 0.9', '// END SOLUTION', '//BEGIN SOLUTION placeholder: const b = pl.course.TODO;', 'const b = 2;', '//END SOLUTION'], 'code', 'x');
    assert.deepEqual(r.lines, ['const a = 1;', '// YOUR CODE HERE', '// YOUR CODE HERE', 'const b = pl.course.TODO;']);
    assert.equal(r.solutions, 2);
  });

  it('replaces a markdown answer by "*Your answer here.*"', () => {
    const r = course.replaceSolutions(['**Think.** Why?', '', '<!-- BEGIN SOLUTION -->', '*Answer.* Because.', '<!-- END SOLUTION -->'], 'markdown', 'x');
    assert.deepEqual(r.lines, ['**Think.** Why?', '', '*Your answer here.*']);
  });

  it('refuses markers that do not pair up or do not parse, naming the file, cell and line', () => {
    const bad: [string[], 'code' | 'markdown', RegExp][] = [
      [['// BEGIN SOLUTION', 'x', '// BEGIN SOLUTION', '// END SOLUTION'], 'code', /^f\.ipynb, cell 3, line 3: BEGIN SOLUTION inside the solution that starts at line 1/],
      [['// BEGIN SOLUTION', 'x'], 'code', /^f\.ipynb, cell 3, line 1: BEGIN SOLUTION without END SOLUTION/],
      [['x', '// END SOLUTION'], 'code', /^f\.ipynb, cell 3, line 2: END SOLUTION without a BEGIN SOLUTION/],
      [['// BEGIN SOLUTIONS'], 'code', /line 1: '\/\/ BEGIN SOLUTIONS' looks like a solution marker but is not one; in a code cell write `\/\/ BEGIN SOLUTION \[placeholder: CODE\]`/],
      [['const x = 1; // END SOLUTION'], 'code', /looks like a solution marker but is not one/],
      [['// BEGIN SOLUTION'], 'markdown', /looks like a solution marker but is not one; in a markdown cell write `<!-- BEGIN SOLUTION -->`/],
    ];
    for (const [lines, kind, message] of bad) {
      assert.throws(() => course.replaceSolutions(lines, kind, 'f.ipynb, cell 3'), (e: unknown) => e instanceof course.CourseMarkerError && message.test((e as Error).message), lines.join(' | '));
    }
  });

  it('leaves out teacher-only cells, outputs, execution counts and timings; keeps ids and tags; says where it came from', () => {
    const teacher = notebook([
      markdown('# Lesson 9 — x', { id: 'a' }),
      markdown('*Teacher notes*', { id: 'b', metadata: { tags: ['teacher-only'] } }),
      code('// BEGIN SOLUTION\nconst secret = 42;\n// END SOLUTION', { id: 'c', metadata: { tags: ['exercise'], execution: { 'iopub.status.busy': 't' } }, execution_count: 7, outputs: [{ output_type: 'stream', name: 'stdout', text: ['42\n'] }] }),
    ]);
    const { notebook: student, solutions } = course.studentNotebook(teacher, 'notebooks/course/teacher/09-x.ipynb');
    assert.equal(solutions, 1);
    assert.deepEqual(student.cells.map((c) => c.id), ['a', 'c']);
    assert.deepEqual(student.cells[1], { cell_type: 'code', metadata: { tags: ['exercise'] }, execution_count: null, outputs: [], source: ['// YOUR CODE HERE'], id: 'c' });
    assert.doesNotMatch(course.serializeNotebook(student), /secret|42|Teacher notes/);
    assert.deepEqual(student.metadata.prunelab_course, { generated_from: 'notebooks/course/teacher/09-x.ipynb', by: 'scripts/make-course.js', edit: 'the teacher version, then run node scripts/make-course.js' });
    assert.equal((student.metadata.kernelspec as { name: string }).name, 'prunelab');
    assert.throws(() => course.studentNotebook(notebook([code('// END SOLUTION', { id: 'z' })]), 'n.ipynb'), /^CourseMarkerError: n\.ipynb, cell 1 \(id z\), line 1: END SOLUTION without a BEGIN SOLUTION/);
  });

  it('writes the layout of the repository\'s notebooks without outputs (indent 1, UTF-8 unescaped, source as lines)', () => {
    const { notebook: student } = course.studentNotebook(notebook([markdown('# Lesson 1 — é ✓\n\nline', { id: 'a' })]), 'f');
    const text = course.serializeNotebook(student);
    assert.equal(text, JSON.stringify(JSON.parse(text), null, 1));
    assert.match(text, /\n "cells": \[\n  \{\n   "cell_type": "markdown",/);
    assert.ok(text.includes('"# Lesson 1 — é ✓\\n",\n    "\\n",\n    "line"'), text);
  });
});

describe('course: the committed student notebooks are what make-course.js generates', () => {
  let tmp = '';
  /** A copy of notebooks/course in a scratch root, for the script to check. */
  const scratch = () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-course-'));
    fs.cpSync(path.join(ROOT, 'notebooks', 'course'), path.join(tmp, 'notebooks', 'course'), { recursive: true });
    return tmp;
  };
  const lessons = () => fs.readdirSync(path.join(ROOT, 'notebooks', 'course', 'teacher')).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
  afterEach(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = '';
  });

  it('holds for every lesson of this checkout', () => {
    assert.ok(lessons().length >= 4, 'the course has its lessons');
    assert.deepEqual(course.checkCourse(ROOT), []);
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('fails when a student notebook is edited by hand', () => {
    const root = scratch();
    const file = path.join(root, 'notebooks', 'course', lessons()[0]);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('// YOUR CODE HERE', '// YOUR CODE HERE (edited)'));
    assert.deepEqual(course.checkCourse(root), [`notebooks/course/${lessons()[0]} is not what notebooks/course/teacher/${lessons()[0]} generates (edited by hand, or the teacher version changed since)`]);
  });

  it('fails when only the teacher version changed', () => {
    const root = scratch();
    const file = path.join(root, 'notebooks', 'course', 'teacher', lessons()[1]);
    const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
    nb.cells[0].source.push('\nA new sentence.');
    fs.writeFileSync(file, JSON.stringify(nb, null, 1));
    assert.equal(course.checkCourse(root).length, 1);
    assert.match(course.checkCourse(root)[0], new RegExp(`^notebooks/course/${lessons()[1]} is not what`));
  });

  it('fails for a missing student notebook and for one without a teacher version; the CLI exits 1 and says how to fix it', () => {
    const root = scratch();
    fs.renameSync(path.join(root, 'notebooks', 'course', lessons()[0]), path.join(root, 'notebooks', 'course', '99-orphan.ipynb'));
    assert.deepEqual(course.checkCourse(root), [
      `notebooks/course/${lessons()[0]} is missing (generate it from notebooks/course/teacher/${lessons()[0]})`,
      'notebooks/course/99-orphan.ipynb has no teacher version in notebooks/course/teacher/ (remove it, or add its teacher version)',
    ]);
    const scriptCopy = path.join(root, 'scripts', 'make-course.js');
    fs.mkdirSync(path.dirname(scriptCopy));
    fs.copyFileSync(SCRIPT, scriptCopy);
    const r = spawnSync(process.execPath, [scriptCopy, '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the student notebooks are out of date; run node scripts\/make-course\.js/);
    const fixed = spawnSync(process.execPath, [scriptCopy], { cwd: root, encoding: 'utf8' });
    assert.equal(fixed.status, 0, fixed.stderr);
    fs.rmSync(path.join(root, 'notebooks', 'course', '99-orphan.ipynb'));
    assert.deepEqual(course.checkCourse(root), [], 'regenerating fixes it');
    assert.equal(spawnSync(process.execPath, [scriptCopy, '--frobnicate'], { cwd: root, encoding: 'utf8' }).status, 2);
  });
});
