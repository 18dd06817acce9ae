#!/usr/bin/env node
/**
 * Generates the students' course notebooks from the teacher's versions (one source, two versions):
 *
 *   notebooks/course/teacher/NN-name.ipynb  (solutions)  →  notebooks/course/NN-name.ipynb  (placeholders)
 *
 * Usage (from the repository root; plain Node, no build needed):
 *   node scripts/make-course.js           write every student notebook
 *   node scripts/make-course.js --check   exit 1 if a committed student notebook is not what this
 *                                         script generates (edited by hand, stale, missing, orphaned)
 *
 * Markers in the teacher's version:
 * - code cells: the lines from `// BEGIN SOLUTION` to `// END SOLUTION` (both included) become
 *   `// YOUR CODE HERE`, at the marker's indentation, followed by the placeholder written after
 *   `placeholder:` on the BEGIN line, if any, so that the student's cell still runs:
 *       // BEGIN SOLUTION placeholder: return pl.course.TODO;
 *   A check cell then reports "not answered yet" for pl.course.TODO, or the measured value.
 * - markdown cells: the lines from `<!-- BEGIN SOLUTION -->` to `<!-- END SOLUTION -->` become
 *   `*Your answer here.*` (answers to written questions).
 * - a cell tagged `teacher-only` is left out of the student's version.
 * The student's version has no outputs and no execution counts (the teacher's outputs would show
 * the solutions), and its metadata names the teacher's file it came from. The JSON layout is the
 * one of the repository's notebooks without outputs (nbformat 4, indent 1, UTF-8 unescaped).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const COURSE_DIR = path.join('notebooks', 'course');
const TEACHER_DIR = path.join(COURSE_DIR, 'teacher');
const LESSON_FILE = /^\d\d-[a-z0-9-]+\.ipynb$/;
const TEACHER_ONLY_TAG = 'teacher-only';

const CODE_BEGIN = /^(\s*)\/\/\s*BEGIN SOLUTION(?:\s+placeholder:\s*(.*?))?\s*$/;
const CODE_END = /^\s*\/\/\s*END SOLUTION\s*$/;
const MARKDOWN_BEGIN = /^(\s*)<!--\s*BEGIN SOLUTION\s*-->\s*$/;
const MARKDOWN_END = /^\s*<!--\s*END SOLUTION\s*-->\s*$/;
/** Any line that mentions a marker: if it is not one of the forms above, it is a typo. */
const MENTIONS_MARKER = /\b(BEGIN|END)[\s_-]*SOLUTION/i;

/** A marker that does not pair up or does not parse: names the file, the cell and the line. */
class CourseMarkerError extends Error {
  constructor(where, message) {
    super(`${where}: ${message}`);
    this.name = 'CourseMarkerError';
  }
}

/** A cell's source as lines without their line ends. */
function sourceLines(source) {
  const text = Array.isArray(source) ? source.join('') : String(source ?? '');
  return text.split('\n');
}

/** Lines back to nbformat's list form: each line keeps its "\n" but the last. */
function toSourceList(lines) {
  const text = lines.join('\n');
  if (text === '') return [];
  const parts = text.split('\n');
  return parts.map((line, i) => (i < parts.length - 1 ? `${line}\n` : line)).filter((line) => line !== '');
}

/**
 * The student's lines of one cell: solution blocks replaced by the placeholder.
 *
 * @param lines the teacher's lines.
 * @param kind 'code' or 'markdown'.
 * @param where the file and cell, for errors.
 * @returns { lines, solutions }: the new lines and how many blocks were replaced.
 */
function replaceSolutions(lines, kind, where) {
  const [begin, end] = kind === 'code' ? [CODE_BEGIN, CODE_END] : [MARKDOWN_BEGIN, MARKDOWN_END];
  const out = [];
  let open = null;
  let solutions = 0;
  lines.forEach((line, i) => {
    const at = `${where}, line ${i + 1}`;
    const b = begin.exec(line);
    if (b) {
      if (open) throw new CourseMarkerError(at, `BEGIN SOLUTION inside the solution that starts at line ${open.line}; close that one with END SOLUTION first.`);
      open = { line: i + 1 };
      solutions += 1;
      if (kind === 'code') {
        out.push(`${b[1]}// YOUR CODE HERE`);
        if (b[2]) out.push(`${b[1]}${b[2]}`);
      } else {
        out.push(`${b[1]}*Your answer here.*`);
      }
      return;
    }
    if (end.test(line)) {
      if (!open) throw new CourseMarkerError(at, 'END SOLUTION without a BEGIN SOLUTION before it.');
      open = null;
      return;
    }
    if (MENTIONS_MARKER.test(line)) {
      const form = kind === 'code' ? '`// BEGIN SOLUTION [placeholder: CODE]` / `// END SOLUTION`' : '`<!-- BEGIN SOLUTION -->` / `<!-- END SOLUTION -->`';
      throw new CourseMarkerError(at, `'${line.trim()}' looks like a solution marker but is not one; in a ${kind} cell write ${form}, alone on its line.`);
    }
    if (!open) out.push(line);
  });
  if (open) throw new CourseMarkerError(`${where}, line ${open.line}`, 'BEGIN SOLUTION without END SOLUTION: the solution would reach the end of the cell.');
  return { lines: out, solutions };
}

/** A cell in the key order of the repository's notebooks without outputs. */
function studentCell(cell, lines) {
  const metadata = { ...(cell.metadata ?? {}) };
  delete metadata.execution; // nbclient's timings of the teacher's run
  const source = toSourceList(lines);
  const out = cell.cell_type === 'code'
    ? { cell_type: 'code', metadata, execution_count: null, outputs: [], source }
    : { cell_type: cell.cell_type, metadata, source };
  if (cell.id !== undefined) out.id = cell.id;
  return out;
}

/**
 * The student's notebook of a teacher's notebook.
 *
 * @param teacher the parsed teacher notebook.
 * @param file its path relative to the repository root (for errors and the metadata).
 * @returns { notebook, solutions }: the student notebook and how many solution blocks it hides.
 */
function studentNotebook(teacher, file) {
  if (!teacher || !Array.isArray(teacher.cells)) throw new CourseMarkerError(file, 'not a notebook (no cells).');
  let solutions = 0;
  const cells = [];
  teacher.cells.forEach((cell, i) => {
    if ((cell.metadata?.tags ?? []).includes(TEACHER_ONLY_TAG)) return;
    const where = `${file}, cell ${i + 1}${cell.id ? ` (id ${cell.id})` : ''}`;
    const lines = sourceLines(cell.source);
    if (cell.cell_type === 'code' || cell.cell_type === 'markdown') {
      const r = replaceSolutions(lines, cell.cell_type, where);
      solutions += r.solutions;
      cells.push(studentCell(cell, r.lines));
    } else {
      cells.push(studentCell(cell, lines));
    }
  });
  const metadata = {
    ...(teacher.metadata ?? {}),
    prunelab_course: { generated_from: file.split(path.sep).join('/'), by: 'scripts/make-course.js', edit: 'the teacher version, then run node scripts/make-course.js' },
  };
  return { notebook: { cells, metadata, nbformat: teacher.nbformat ?? 4, nbformat_minor: teacher.nbformat_minor ?? 5 }, solutions };
}

/** The notebook as the repository writes notebooks without outputs (json.dumps indent 1, no final newline). */
function serializeNotebook(nb) {
  return JSON.stringify(nb, null, 1);
}

/**
 * Every lesson: its teacher file, its student file and the student text this script writes.
 *
 * @param root the repository root.
 */
function planCourse(root = ROOT) {
  const teacherDir = path.join(root, TEACHER_DIR);
  if (!fs.existsSync(teacherDir)) throw new CourseMarkerError(TEACHER_DIR, 'missing: the teacher versions of the lessons live there.');
  return fs.readdirSync(teacherDir).filter((f) => LESSON_FILE.test(f)).sort().map((name) => {
    const teacher = path.join(TEACHER_DIR, name);
    let nb;
    try {
      nb = JSON.parse(fs.readFileSync(path.join(root, teacher), 'utf8'));
    } catch (e) {
      throw new CourseMarkerError(teacher, `is not valid notebook JSON (${e.message}).`);
    }
    const { notebook, solutions } = studentNotebook(nb, teacher);
    if (!solutions) throw new CourseMarkerError(teacher, 'has no BEGIN SOLUTION / END SOLUTION block: a lesson needs exercises.');
    return { name, teacher, student: path.join(COURSE_DIR, name), text: serializeNotebook(notebook), solutions };
  });
}

/**
 * Differences between the committed student notebooks and what {@link planCourse} generates.
 *
 * @returns one line per problem (empty when everything is up to date).
 */
function checkCourse(root = ROOT) {
  const plan = planCourse(root);
  const problems = [];
  for (const lesson of plan) {
    const file = path.join(root, lesson.student);
    if (!fs.existsSync(file)) problems.push(`${lesson.student} is missing (generate it from ${lesson.teacher})`);
    else if (fs.readFileSync(file, 'utf8') !== lesson.text) problems.push(`${lesson.student} is not what ${lesson.teacher} generates (edited by hand, or the teacher version changed since)`);
  }
  const expected = new Set(plan.map((l) => l.name));
  for (const f of fs.readdirSync(path.join(root, COURSE_DIR)).filter((x) => LESSON_FILE.test(x) && !expected.has(x)).sort()) {
    problems.push(`${path.join(COURSE_DIR, f)} has no teacher version in ${TEACHER_DIR}/ (remove it, or add its teacher version)`);
  }
  return problems;
}

function main(argv) {
  const args = argv.slice(2);
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length) {
    console.error(`make-course: unknown argument ${unknown.join(' ')}; usage: node scripts/make-course.js [--check]`);
    return 2;
  }
  try {
    if (args.includes('--check')) {
      const problems = checkCourse();
      if (problems.length) {
        console.error(`make-course: the student notebooks are out of date; run node scripts/make-course.js\n  ${problems.join('\n  ')}`);
        return 1;
      }
      console.log('make-course: the student notebooks are up to date.');
      return 0;
    }
    for (const lesson of planCourse()) {
      fs.writeFileSync(path.join(ROOT, lesson.student), lesson.text);
      console.log(`make-course: ${lesson.student} (${lesson.solutions} solution block${lesson.solutions === 1 ? '' : 's'} replaced)`);
    }
    return 0;
  } catch (e) {
    if (e instanceof CourseMarkerError) {
      console.error(`make-course: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

module.exports = { replaceSolutions, studentNotebook, serializeNotebook, planCourse, checkCourse, CourseMarkerError, sourceLines, toSourceList };

if (require.main === module) process.exitCode = main(process.argv);
