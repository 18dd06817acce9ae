/** Debian's python3-jupyter-kernel-test suite against the prunelab kernel. */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { jupyterPython } from '../../kernel/kernelspec';
import { pythonCheck, ROOT, skipWith, tempJupyterPath } from './helpers';

describe('jupyter_kernel_test suite (kernel_info, execute, errors, display, is_complete, completion, inspect, history)', function () {
  this.timeout(240_000);

  it('passes every applicable check', async function () {
    const missing = pythonCheck('import jupyter_kernel_test, jupyter_client', 'python3-jupyter-kernel-test');
    if (missing) skipWith(this, missing);
    const jupyterPath = tempJupyterPath();
    try {
      const cwd = path.join(ROOT, 'test', 'kernel', 'python');
      const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
        const p = spawn(jupyterPython(), ['-m', 'unittest', '-v', 'test_prunelab_kernel'], {
          cwd,
          env: { ...process.env, JUPYTER_PATH: jupyterPath, PRUNELAB_BACKEND: 'cpu', PYTHONDONTWRITEBYTECODE: '1' },
        });
        let text = '';
        p.stdout.on('data', (d) => (text += d));
        p.stderr.on('data', (d) => (text += d));
        p.on('close', (code) => resolve({ code, text }));
      });
      const ran = /Ran (\d+) tests?/.exec(out.text);
      const skipped = /skipped=(\d+)/.exec(out.text);
      console.log(`      jupyter_kernel_test: ${ran?.[1] ?? '?'} tests, ${skipped?.[1] ?? 0} skipped (only test_pager and test_clear_output, which this kernel has nothing for)`);
      assert.strictEqual(out.code, 0, out.text);
      assert.ok(Number(ran?.[1]) >= 12, out.text);
      // The skipped ones must be only those without a sample (pager, clear_output).
      assert.ok(Number(skipped?.[1] ?? 0) <= 2, out.text);
    } finally {
      fs.rmSync(jupyterPath, { recursive: true, force: true });
    }
  });
});
