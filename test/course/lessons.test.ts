/**
 * The course lessons through the real prunelab kernel (scripts/run-notebooks.py, Debian's nbclient):
 * every teacher's version runs end to end and each of its check cells prints ✓; the first
 * student's version runs with its placeholders, each check cell prints ✗ with a hint, and the
 * cells after them still run (a check never throws, so the kernel and the notebook go on).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pythonCheck, ROOT, skipWith, testOutputDir } from '../kernel/helpers';

const PYTHON = '/usr/bin/python3';
const COURSE = path.join('notebooks', 'course');
const lessons = fs.readdirSync(path.join(ROOT, COURSE, 'teacher')).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();

interface Output { output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string }
interface Cell { cell_type: string; source: string | string[]; metadata?: { tags?: string[] }; outputs?: Output[]; execution_count?: number | null }

const joined = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join('') : (s ?? ''));
const stdout = (c: Cell) => (c.outputs ?? []).filter((o) => o.output_type === 'stream' && o.name === 'stdout').map((o) => joined(o.text)).join('');
const tagged = (c: Cell, tag: string) => (c.metadata?.tags ?? []).includes(tag);

/** Executes one notebook with run-notebooks.py into `out`; returns its executed cells. */
function execute(notebook: string, out: string): Cell[] {
  const env: NodeJS.ProcessEnv = { ...process.env, PRUNELAB_BUDGET: 'quick' };
  const r = spawnSync(PYTHON, ['scripts/run-notebooks.py', notebook, '--timeout', '300', '--no-static-images', '--out', out], { cwd: ROOT, env, encoding: 'utf8' });
  const log = `${r.stdout}\n${r.stderr}`.trim();
  const timing = log.split('\n').find((l) => l.includes(path.basename(notebook)) && /\d s$/.test(l.trim()));
  if (timing) console.log(`      ${timing.trim()}`);
  assert.equal(r.status, 0, `run-notebooks.py failed for ${notebook}:\n${log.split('\n').slice(-30).join('\n')}`);
  return JSON.parse(fs.readFileSync(path.join(out, path.basename(notebook)), 'utf8')).cells as Cell[];
}

describe('course: the lessons through the prunelab kernel', function () {
  this.timeout(6 * 60_000);
  const why = pythonCheck('import nbclient, nbformat, jupyter_client', 'python3-nbclient');

  for (const file of lessons) {
    it(`teacher/${file}: runs end to end and every check cell prints ✓`, function () {
      if (why) skipWith(this, why);
      const cells = execute(path.join(COURSE, 'teacher', file), testOutputDir(path.join('course', 'teacher')));
      const checks = cells.filter((c) => tagged(c, 'check'));
      assert.ok(checks.length >= 2, `${checks.length} check cells`);
      checks.forEach((c, k) => {
        const printed = stdout(c);
        assert.match(printed, new RegExp(`^✓ Exercise \\d\\.${k + 1}: `, 'm'), `check ${k + 1} passes:\n${printed}`);
        assert.doesNotMatch(printed, /✗/, printed);
      });
      const progress = stdout(cells.filter((c) => c.cell_type === 'code').pop()!);
      assert.match(progress, new RegExp(`^${checks.length} of ${checks.length} exercises passed — well done!`), progress);
    });
  }

  it(`student ${lessons[0]}: runs with its placeholders; every check prints ✗ with a hint and the later cells still run`, function () {
    if (why) skipWith(this, why);
    const cells = execute(path.join(COURSE, lessons[0]), testOutputDir(path.join('course', 'student')));
    const code = cells.filter((c) => c.cell_type === 'code');
    // every cell ran (nothing stopped the notebook) and none failed
    assert.deepEqual(code.filter((c) => typeof c.execution_count !== 'number').map((c) => joined(c.source).slice(0, 60)), []);
    assert.deepEqual(code.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`), []);
    const checks = cells.filter((c) => tagged(c, 'check'));
    assert.ok(checks.length >= 2);
    checks.forEach((c, k) => {
      const printed = stdout(c);
      assert.match(printed, new RegExp(`^✗ Exercise 1\\.${k + 1}: .+ — hint: `, 'm'), printed);
      assert.doesNotMatch(printed, /✓/, printed);
    });
    // the placeholder of a code exercise is reported as such; a magic exercise left empty shows what was measured
    assert.match(stdout(checks[0]), /not answered yet \(replace pl\.course\.TODO in the exercise cell/);
    assert.match(stdout(checks[1]), /expected sparsity of the weights 0\.9 ± 0\.002, got 0\b/);
    // worked cells after the exercises ran and printed as usual
    const after = cells.slice(cells.indexOf(checks[checks.length - 1]) + 1).filter((c) => c.cell_type === 'code');
    assert.match(stdout(after[after.length - 1]), new RegExp(`^0 of ${checks.length} exercises passed\\n`));
    const worked = cells.slice(cells.indexOf(checks[0]) + 1, cells.indexOf(checks[1])).filter((c) => c.cell_type === 'code' && !tagged(c, 'exercise'));
    assert.ok(worked.length && worked.every((c) => (c.outputs ?? []).length > 0), 'the worked cells between two exercises show their outputs');
  });
});
