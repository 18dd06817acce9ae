/**
 * Installs the `prunelab` kernelspec ("TypeScript (prunelab)") with the Python that Jupyter
 * uses. The kernelspec directory holds `kernel.json` (running this checkout's
 * `build/kernel/main.js` with this Node) and `plotly.min.js` from the installed
 * `plotly.js-dist-min` package, which the classic Notebook serves under `kernelspecs/prunelab/`
 * so that plots render offline.
 *
 * Usage: `node build/kernel/kernelspec.js [--user | --sys-prefix | --prefix DIR | --dir DIR] [--python PY]`
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { plotlyScriptPath } from '../src/plot/figure';
import { repoRoot } from './prelude';

/** The kernelspec's name. */
export const KERNEL_NAME = 'prunelab';

/** The Python Jupyter runs on (Debian's), unless `PRUNELAB_JUPYTER_PYTHON` says otherwise. */
export function jupyterPython(): string {
  return process.env.PRUNELAB_JUPYTER_PYTHON ?? '/usr/bin/python3';
}

/** The kernel.json contents for this checkout and Node. */
export function kernelJson(root = repoRoot(), node = process.execPath): Record<string, unknown> {
  return {
    argv: [node, path.join(root, 'build', 'kernel', 'main.js'), '{connection_file}'],
    display_name: 'TypeScript (prunelab)',
    language: 'typescript',
    interrupt_mode: 'signal',
    env: {},
    metadata: { debugger: false },
  };
}

/** Writes the kernelspec files (kernel.json, plotly.min.js) into `dir`. @returns `dir`. */
export function writeKernelspecDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(kernelJson(), null, 2) + '\n');
  fs.copyFileSync(plotlyScriptPath(), path.join(dir, 'plotly.min.js'));
  return dir;
}

/** Where to install. */
export interface InstallOptions {
  /** `--user`: the per-user kernels directory. */
  user?: boolean;
  /** `--sys-prefix`: the Python's sys.prefix. */
  sysPrefix?: boolean;
  /** `--prefix DIR`: DIR/share/jupyter/kernels. */
  prefix?: string;
  /** Write straight into DIR/prunelab without asking Jupyter (for tests with `JUPYTER_PATH=...`). */
  dir?: string;
  /** The Python whose Jupyter installs it (default {@link jupyterPython}). */
  python?: string;
}

/**
 * Installs the kernelspec.
 * @returns the directory it was installed to.
 * @throws when Jupyter's `kernelspec install` fails (with its output and how to fix it).
 */
export function installKernelspec(options: InstallOptions = {}): string {
  if (options.dir) return writeKernelspecDir(path.join(options.dir, KERNEL_NAME));
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-kernelspec-'));
  const src = writeKernelspecDir(path.join(staging, KERNEL_NAME));
  const python = options.python ?? jupyterPython();
  const args = ['-m', 'jupyter', 'kernelspec', 'install', src, '--name', KERNEL_NAME, '--replace'];
  if (options.user) args.push('--user');
  if (options.sysPrefix) args.push('--sys-prefix');
  if (options.prefix) args.push('--prefix', options.prefix);
  const r = spawnSync(python, args, { encoding: 'utf8' });
  fs.rmSync(staging, { recursive: true, force: true });
  if (r.error || r.status !== 0) {
    throw new Error(
      `Installing the kernelspec with '${python} ${args.join(' ')}' failed: ${r.error?.message ?? r.stderr}\n` +
        `Install Jupyter for that Python (Debian: apt-get install jupyter-notebook) or pass --python, --user or --dir.`,
    );
  }
  const m = /installed kernelspec \S+ in (.+)$/im.exec(`${r.stdout}\n${r.stderr}`);
  return m ? m[1].trim() : '(see jupyter kernelspec list)';
}

function parseCli(argv: string[]): InstallOptions {
  const o: InstallOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--user') o.user = true;
    else if (a === '--sys-prefix') o.sysPrefix = true;
    else if (a === '--prefix') o.prefix = argv[++i];
    else if (a === '--dir') o.dir = argv[++i];
    else if (a === '--python') o.python = argv[++i];
    else throw new Error(`Unknown option '${a}'. Usage: install-kernelspec [--user | --sys-prefix | --prefix DIR | --dir DIR] [--python PY]`);
  }
  return o;
}

if (require.main === module) {
  try {
    const where = installKernelspec(parseCli(process.argv.slice(2)));
    console.log(`Installed the '${KERNEL_NAME}' kernelspec (TypeScript (prunelab)) in ${where}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
