/**
 * The classic Notebook in headless Chromium: a `%plot` cell renders a plotly graph with
 * plotly.js served from the installed kernelspec (no CDN). Saves a screenshot.
 */
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../../kernel/client';
import { jupyterPython } from '../../kernel/kernelspec';
import { pythonCheck, ROOT, skipWith, tempJupyterPath, testOutputDir } from './helpers';

const CHROMIUM = process.env.PRUNELAB_CHROMIUM ?? '/usr/bin/chromium';

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}

describe('classic Notebook + headless Chromium', function () {
  this.timeout(240_000);
  let server: ChildProcess | null = null;
  let serverLog = '';
  const dirs: string[] = [];

  after(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      const t = setTimeout(() => server?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('renders a %plot cell as a plotly graph (svg.main-svg) without any CDN', async function () {
    const missing = pythonCheck('import notebook', 'jupyter-notebook');
    if (missing) skipWith(this, missing);
    if (!fs.existsSync(CHROMIUM)) skipWith(this, `${CHROMIUM} not found (apt-get install chromium, or set PRUNELAB_CHROMIUM)`);
    let chromium: typeof import('playwright-core').chromium;
    try {
      chromium = require('playwright-core').chromium;
    } catch (e) {
      skipWith(this, `playwright-core cannot be loaded: ${(e as Error).message}`);
    }

    const jupyterPath = tempJupyterPath();
    const nbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-nb-'));
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-home-'));
    dirs.push(jupyterPath, nbDir, home);
    fs.copyFileSync(path.join(ROOT, 'test/kernel/notebooks/plot.ipynb'), path.join(nbDir, 'plot.ipynb'));
    const port = await freePort();
    const token = 'prunelab-test-token';
    const args = ['-m', 'notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${token}`, `--notebook-dir=${nbDir}`];
    if (process.getuid?.() === 0) args.push('--allow-root');
    server = spawn(jupyterPython(), args, {
      env: {
        ...process.env,
        JUPYTER_PATH: jupyterPath,
        JUPYTER_CONFIG_DIR: path.join(home, 'config'),
        JUPYTER_RUNTIME_DIR: path.join(home, 'runtime'),
        JUPYTER_DATA_DIR: path.join(home, 'data'),
        PRUNELAB_BACKEND: 'cpu',
      },
    });
    server.stdout!.on('data', (d) => (serverLog += d));
    server.stderr!.on('data', (d) => (serverLog += d));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while ((await get(`${base}/api/status?token=${token}`)) !== 200) {
      if (Date.now() > deadline || server.exitCode !== null) assert.fail(`the Notebook server did not start:\n${serverLog}`);
      await new Promise((r) => setTimeout(r, 300));
    }

    const browser = await chromium!.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const foreign: string[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      page.on('request', (req) => {
        if (!req.url().startsWith(base) && !req.url().startsWith('data:')) foreign.push(req.url());
      });
      await page.goto(`${base}/notebooks/plot.ipynb?token=${token}`);
      await page.waitForFunction(
        () => {
          const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { info_reply?: { implementation?: string } } } } }).Jupyter;
          return J?.notebook?.kernel?.info_reply?.implementation === 'prunelab';
        },
        undefined,
        { timeout: 90_000 },
      );
      await page.click('.cell .input_area');
      await page.keyboard.press('Shift+Enter');
      await page.waitForSelector('.output_area svg.main-svg', { timeout: 120_000 });
      const traces = await page.locator('.output_area .scatterlayer .trace').count();
      const shot = path.join(testOutputDir('browser'), 'plot-cell.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`      screenshot: ${path.relative(ROOT, shot)}`);
      assert.strictEqual(traces, 3, 'magnitude, random and the Pareto front');
      const errors = await page.locator('.output_area .output_error').count();
      assert.strictEqual(errors, 0);
    } finally {
      await browser.close();
    }
    assert.deepStrictEqual(foreign, [], 'the page loaded resources from outside the local server');
  });
});
