/**
 * The course's conventions, checked on the committed lessons (executing them is
 * test/course/lessons.test.ts's job): both versions of each lesson, a titled first cell that states
 * the student's time and the run-time budget, 2–4 exercises each followed by its check cell, the
 * progress cell last, no outputs committed, and nothing that the browser kernel cannot run.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIR = path.join(ROOT, 'notebooks', 'course');
const LESSON = /^(\d\d)-[a-z0-9-]+\.ipynb$/;

interface Cell { cell_type: string; source: string | string[]; metadata?: { tags?: string[] }; outputs?: unknown[]; execution_count?: number | null }
interface Notebook { nbformat: number; metadata: { kernelspec?: { name?: string; language?: string } }; cells: Cell[] }

const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);
const tagged = (c: Cell, tag: string) => (c.metadata?.tags ?? []).includes(tag);
const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;

/** What the browser kernel will not have: Node modules, the file system, the environment, sweeps, Chromium exports. */
const NODE_ONLY: [RegExp, string][] = [
  [/\brequire\s*\(/, 'require()'],
  [/^\s*import\s/m, 'an import'],
  [/\bprocess\./, 'process'],
  [/\b(fs|path|os|child_process)\./, 'a Node module'],
  [/__dirname|__filename/, '__dirname'],
  [/%%?sweep\b|\bpl\.sweeps?\b/, 'sweeps'],
  [/\bnotebookBudget\b|PRUNELAB_/, 'the environment'],
  [/\bpl\.plot\.save\b|--save\b/, 'figure export (Chromium)'],
  [/\b(saveMasks|loadMasks|saveModel|loadModel|readJsonFile|writeFileAtomic)\b/, 'files'],
];

const lessons = fs.existsSync(path.join(DIR, 'teacher')) ? fs.readdirSync(path.join(DIR, 'teacher')).filter((f) => LESSON.test(f)).sort() : [];

describe('course: conventions', () => {
  it('has 4 to 6 lessons numbered from 01, each in a teacher and a student version', () => {
    assert.ok(lessons.length >= 4 && lessons.length <= 6, `lessons: ${lessons.join(', ')}`);
    assert.deepEqual(lessons.map((f) => Number(LESSON.exec(f)![1])), lessons.map((_, i) => i + 1));
    const students = fs.readdirSync(DIR).filter((f) => LESSON.test(f)).sort();
    assert.deepEqual(students, lessons);
  });

  it('lists every lesson in notebooks/course/README.md with its minutes and run time', () => {
    const readme = fs.readFileSync(path.join(DIR, 'README.md'), 'utf8');
    for (const f of lessons) assert.match(readme, new RegExp(`\\| \\[\`${f.replace('.ipynb', '')}\`\\]\\(${f}\\) \\|[^\\n]*\\| \\d\\d min \\| ≈ \\d+ s \\|`), f);
  });

  for (const file of lessons) {
    const n = Number(LESSON.exec(file)![1]);
    for (const version of ['teacher', 'student'] as const) {
      describe(`${version}/${file}`, () => {
        const nb = read(version === 'teacher' ? path.join(DIR, 'teacher', file) : path.join(DIR, file));
        const code = nb.cells.filter((c) => c.cell_type === 'code');

        it('is nbformat 4 on the prunelab kernel (TypeScript), committed without outputs', () => {
          assert.equal(nb.nbformat, 4);
          assert.equal(nb.metadata.kernelspec?.name, 'prunelab');
          assert.equal(nb.metadata.kernelspec?.language, 'typescript');
          const withOutputs = code.filter((c) => (c.outputs ?? []).length || c.execution_count !== null).map(text);
          assert.deepEqual(withOutputs, []);
        });

        it("opens with its title, the student's time (20–30 minutes) and the run-time budget", () => {
          const first = text(nb.cells[0]);
          assert.equal(nb.cells[0].cell_type, 'markdown');
          assert.match(first, new RegExp(`^# Lesson ${n} — \\S`));
          const minutes = Number(/\*\*Time\*\*: about (\d+) minutes/.exec(first)?.[1]);
          assert.ok(minutes >= 20 && minutes <= 30, `time: ${minutes}`);
          assert.match(first, /\*\*Budget\*\*: the notebook runs in about \d+ s/);
        });

        it('has 2 to 4 exercises, each followed by its check cell, and ends with the progress cell', () => {
          const exercises = nb.cells.map((c, i) => [c, i] as const).filter(([c]) => tagged(c, 'exercise'));
          assert.ok(exercises.length >= 2 && exercises.length <= 4, `${exercises.length} exercises`);
          const labels = exercises.map(([, i], k) => {
            const check = nb.cells[i + 1];
            const label = `Exercise ${n}.${k + 1}`;
            assert.ok(check && check.cell_type === 'code' && tagged(check, 'check'), `${label}: the cell after the exercise is its check cell`);
            assert.match(text(check), new RegExp(`pl\\.course\\.check\\('${label.replace('.', '\\.')}', `), label);
            return label;
          });
          assert.equal(nb.cells.filter((c) => tagged(c, 'check')).length, exercises.length, 'one check cell per exercise');
          assert.equal(text(code[code.length - 1]), `pl.course.progress([${labels.map((l) => `'${l}'`).join(', ')}]);`);
        });

        it(version === 'teacher' ? 'holds a solution in every exercise' : 'holds no solution: placeholders only', () => {
          for (const c of nb.cells.filter((x) => tagged(x, 'exercise'))) {
            if (version === 'teacher') assert.match(text(c), /\/\/ BEGIN SOLUTION[^\n]*\n[\s\S]+\/\/ END SOLUTION/, text(c));
            else {
              assert.match(text(c), /\/\/ YOUR CODE HERE/, text(c));
              assert.doesNotMatch(text(c), /SOLUTION/, text(c));
            }
          }
          if (version === 'student') assert.equal(nb.cells.filter((c) => tagged(c, 'teacher-only') || /SOLUTION/.test(text(c))).length, 0);
        });

        it('uses only what the browser kernel has (pl, tf, magics: no file system, Node modules or sweeps)', () => {
          for (const c of code) for (const [pattern, what] of NODE_ONLY) assert.doesNotMatch(text(c), pattern, `${what} in:\n${text(c)}`);
        });
      });
    }
  }
});
