/** Shared helpers of the kernel tests: Debian tool checks, a throwaway kernelspec, output folder. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { installKernelspec, jupyterPython } from '../../kernel/kernelspec';

/** Repository root (build/test/kernel → ../../..). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Null when `python -c code` succeeds, else why it did not. */
export function pythonCheck(code: string, what: string): string | null {
  const py = jupyterPython();
  if (!fs.existsSync(py)) return `${py} does not exist (Jupyter's Python); install Debian's python3 and ${what}`;
  const r = spawnSync(py, ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? null : `${what} is not installed for ${py} (apt-get install ${what}): ${(r.stderr || '').trim().split('\n').pop()}`;
}

/** Skips the test (or suite) with a printed reason. */
export function skipWith(ctx: Mocha.Context, reason: string): never {
  console.log(`      skipped: ${reason}`);
  ctx.skip();
}

/** A temp Jupyter data dir holding the prunelab kernelspec; use it as JUPYTER_PATH. */
export function tempJupyterPath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-jupyter-'));
  installKernelspec({ dir: path.join(dir, 'kernels') });
  return dir;
}

/** The folder tests write artefacts (screenshots, executed notebooks) to. */
export function testOutputDir(name: string): string {
  const dir = path.join(process.env.PRUNELAB_TEST_OUTPUT ?? path.join(ROOT, 'build', 'test-output'), name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
