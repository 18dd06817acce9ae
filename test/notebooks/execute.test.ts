/**
 * Executes every notebook through the real prunelab kernel at the quick budget (the runner,
 * scripts/run-notebooks.py, with Debian's nbclient), one test per notebook, so a notebook that
 * errors or stops showing its claims fails the suite. The paper budget is run on demand only.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PYTHON = '/usr/bin/python3';
// 00-magics-tour is executed, with its outputs checked in detail, by test/kernel/notebook.test.ts.
const notebooks = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.startsWith('00-')).sort();

function missingJupyter(): string | undefined {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is missing`;
  const r = spawnSync(PYTHON, ['-c', 'import nbclient, nbformat, jupyter_client'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `nbclient is not installed for ${PYTHON} (apt-get install python3-nbclient jupyter-client)`;
}

describe('notebooks: executed through the prunelab kernel (quick budget)', function () {
  this.timeout(8 * 60_000);
  const why = missingJupyter();
  for (const file of notebooks) {
    it(file, function () {
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
      const env: NodeJS.ProcessEnv = { ...process.env, PRUNELAB_BUDGET: 'quick' };
      delete env.PRUNELAB_SWEEP_ROOT;
      const r = spawnSync(PYTHON, ['scripts/run-notebooks.py', `notebooks/${file}`, '--timeout', '420'], { cwd: ROOT, env, encoding: 'utf8' });
      const out = `${r.stdout}\n${r.stderr}`.trim();
      const timing = out.split('\n').find((l) => l.includes(file) && !l.trim().endsWith('...'));
      if (timing) console.log(`      ${timing.trim()}`);
      assert.equal(r.status, 0, `run-notebooks.py failed for ${file}:\n${out.split('\n').slice(-30).join('\n')}`);
      // the notebook's sweeps ran in a fresh temporary root (a quick run computes, never reads back
      // an earlier build's records), removed afterwards
      const root = /sweeps in (\S+) \(temporary\)/.exec(out)?.[1];
      assert.ok(root, `run-notebooks.py names a temporary sweep root:\n${out.split('\n')[0]}`);
      assert.ok(!fs.existsSync(root), `${root} is removed`);
    });
  }
});
