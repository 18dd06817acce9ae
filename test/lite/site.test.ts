/**
 * The browser edition: the JupyterLite site in build/lite (`npm run lite`), served by
 * `npm run lite:serve` on 127.0.0.1 and opened in headless Debian Chromium. Checks that the UI
 * loads cross-origin isolated without console errors, that a notebook's saved plotly figures and
 * HTML table render (lite/notebooks/saved-outputs.ipynb, outputs of the Node kernel), that a
 * figure follows its output area's width and is purged with its output, and that the prunelab
 * browser kernel runs a cell.
 *
 * The site is rebuilt first (without installing anything) when a source file is newer than it;
 * a missing site, lite/ packages or Chromium skip the tests with the reason.
 */
import * as assert from 'assert';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, skipWith, testOutputDir } from '../kernel/helpers';
import { CHROMIUM, ensureSite, SITE, startServer, stopServer } from './helpers';

const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
const SAVED_OUTPUTS = 'saved-outputs.ipynb';

/** A page that records console errors, uncaught exceptions and requests leaving the local server. */
interface Watched {
  page: Page;
  errors: string[];
  foreign: string[];
}

/** The saved outputs of lite/notebooks/saved-outputs.ipynb: plotly trace names per figure, table HTML. */
function savedOutputs(): { figures: string[][]; tables: string[] } {
  const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'lite', 'notebooks', SAVED_OUTPUTS), 'utf8'));
  const figures: string[][] = [];
  const tables: string[] = [];
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const data = out.data ?? {};
      if (data[PLOTLY_MIME]) figures.push(data[PLOTLY_MIME].data.map((t: { name?: string }) => t.name ?? ''));
      else if (data['text/html']) tables.push([data['text/html']].flat().join(''));
    }
  }
  return { figures, tables };
}

describe('browser edition (JupyterLite site, headless Chromium)', function () {
  this.timeout(300_000);
  let server: ChildProcess | null = null;
  let base = '';
  let browser: Browser | null = null;
  let watched: Watched | null = null;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) skipWith(this, `${CHROMIUM} not found (apt-get install chromium, or set PRUNELAB_CHROMIUM)`);
    let chromium: typeof import('playwright-core').chromium;
    try {
      chromium = require('playwright-core').chromium;
    } catch (e) {
      skipWith(this, `playwright-core cannot be loaded: ${(e as Error).message}`);
    }
    const missing = ensureSite();
    if (missing) skipWith(this, missing);
    ({ server, base } = await startServer());
    // WebGPU is off in headless Chromium without this flag (for the backend tests to come)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-dev-shm-usage'] });
  });

  after(async () => {
    await browser?.close();
    await stopServer(server);
  });

  /** A fresh browser context (its own storage: no files or settings from another test). */
  async function openPage(url: string): Promise<Watched> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const w: Watched = { page, errors: [], foreign: [] };
    page.on('console', (m) => {
      if (m.type() === 'error') w.errors.push(`console.error: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => w.errors.push(`uncaught: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !/^(data|blob):/.test(r.url())) w.foreign.push(r.url());
    });
    watched = w; // closed (and photographed on failure) after the test, even if it never loads
    await page.goto(`${base}${url}`);
    await page.waitForFunction(() => (window as any).jupyterapp?.shell?.currentWidget !== undefined, undefined, { timeout: 120_000 });
    return w;
  }

  afterEach(async function () {
    if (!watched) return;
    if (this.currentTest?.state === 'failed') {
      const shot = path.join(testOutputDir('lite'), `${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}.png`);
      await watched.page.screenshot({ path: shot }).catch(() => undefined);
      console.log(`      screenshot: ${path.relative(ROOT, shot)}`);
    }
    await watched.page.context().close();
    watched = null;
  });

  /** Nothing went wrong in the page, and it loaded nothing from outside the local server. */
  function assertClean(w: Watched): void {
    assert.deepStrictEqual(w.errors, [], 'console errors or uncaught exceptions in the page');
    assert.deepStrictEqual(w.foreign, [], 'requests to other hosts than the local server');
  }

  /** Opens a notebook of the site's files and waits until its cells are in the page. */
  async function openNotebook(name: string): Promise<Watched> {
    const w = await openPage(`/lab/index.html?path=${name}`);
    await w.page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: 120_000 });
    return w;
  }

  /**
   * How many plotly figures are drawn in the page, once `n` are or after 60 s (plotly.js is
   * fetched on the first figure).
   */
  async function drawnFigures(w: Watched, n: number): Promise<number> {
    const count = (k: number) => Array.from(document.querySelectorAll('.js-plotly-plot')).filter((el) => el.querySelector('.main-svg')).length >= k;
    await w.page.waitForFunction(count, n, { timeout: 60_000 }).catch(() => undefined);
    return w.page.evaluate(() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter((el) => el.querySelector('.main-svg')).length);
  }

  it('serves the site cross-origin isolated, and JupyterLab loads with the prunelab kernel and the notebooks, without console errors', async () => {
    // the site's root page redirects to the lab app
    const w = await openPage('/');
    const headers = (await w.page.request.get(`${base}/lab/index.html`)).headers();
    assert.strictEqual(headers['cross-origin-opener-policy'], 'same-origin');
    assert.strictEqual(headers['cross-origin-embedder-policy'], 'require-corp');
    const state = await w.page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      await app.restored;
      await app.serviceManager.kernelspecs.ready;
      const listing = await app.serviceManager.contents.get('');
      return {
        url: location.pathname,
        isolated: crossOriginIsolated,
        shell: !!document.querySelector('.jp-LabShell #jp-main-dock-panel'),
        defaultKernel: app.serviceManager.kernelspecs.specs.default,
        kernels: Object.keys(app.serviceManager.kernelspecs.specs.kernelspecs),
        files: listing.content.map((m: { path: string }) => m.path).sort(),
      };
    });
    assert.strictEqual(state.url, '/lab/index.html');
    assert.strictEqual(state.isolated, true, 'crossOriginIsolated (SharedArrayBuffer, threaded wasm) needs the COOP/COEP headers');
    assert.strictEqual(state.shell, true);
    assert.strictEqual(state.defaultKernel, 'prunelab');
    assert.deepStrictEqual(state.kernels, ['prunelab']);
    assert.ok(state.files.includes(SAVED_OUTPUTS), `the site's files: ${state.files.join(', ')}`);
    // let late plugin activations and settings loads report errors before the check
    await w.page.waitForTimeout(2000);
    assertClean(w);
  });

  it('renders saved plotly figures with plotly.js (traces as saved) and a saved HTML table', async () => {
    const expected = savedOutputs();
    assert.deepStrictEqual(
      expected.figures.map((names) => names.length),
      [3, 1],
      'saved-outputs.ipynb: a 3-trace Pareto figure and a 1-trace sparsity figure',
    );
    const w = await openNotebook(SAVED_OUTPUTS);
    await drawnFigures(w, expected.figures.length);
    const seen = await w.page.evaluate(() => ({
      figures: Array.from(document.querySelectorAll<HTMLElement>('.jp-OutputArea .js-plotly-plot')).map((el) => ({
        traceNames: ((el as any).data as { name?: string }[]).map((t) => t.name ?? ''),
        drawnTraces: el.querySelectorAll('.cartesianlayer .trace').length,
        legend: Array.from(el.querySelectorAll('.legend .legendtext')).map((t) => t.textContent),
        height: el.getBoundingClientRect().height,
      })),
      // the HTML fallbacks (RequireJS script, static PNG) are not what is shown
      fallbacks: document.querySelectorAll('.jp-OutputArea .prunelab-plot, .jp-OutputArea img.prunelab-static').length,
      tables: Array.from(document.querySelectorAll('.jp-OutputArea table.dataframe')).map((t) =>
        Array.from(t.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.children).map((c) => c.textContent)),
      ),
    }));
    assert.deepStrictEqual(seen.figures.map((f) => f.traceNames), expected.figures);
    assert.deepStrictEqual(seen.figures.map((f) => f.drawnTraces), expected.figures.map((names) => names.length));
    assert.deepStrictEqual(seen.figures[0].legend, expected.figures[0]);
    // layout.height of the saved figures (420, the Node kernel's default)
    assert.deepStrictEqual(seen.figures.map((f) => Math.round(f.height)), [420, 420]);
    assert.strictEqual(seen.fallbacks, 0);
    assert.strictEqual(seen.tables.length, 1);
    assert.deepStrictEqual(seen.tables[0].map((row) => row[1]), ['fc1', 'fc2', 'fc3', 'total']);
    assert.deepStrictEqual(seen.tables[0][0].slice(1), ['fc1', 'Dense', '784x300', '235,200', '13,807', '94.1%', '17.0×', '235,200', '13,807', '17.0×']);
    assert.ok(expected.tables[0].includes('<td>94.1%</td>'), 'the table shown is the saved one');
    assertClean(w);
  });

  it('draws a figure at the width of its output area and re-lays it out when that changes (the side panel closes)', async () => {
    const w = await openNotebook(SAVED_OUTPUTS);
    assert.strictEqual(await drawnFigures(w, 2), 2, 'plotly figures drawn');
    /** The first figure's width and its svg's, once they agree (or after 10 s: the re-layout waits for a frame). */
    const widths = async () => {
      const fits = () => {
        const el = document.querySelector<HTMLElement>('.js-plotly-plot')!;
        return Math.abs(Number(el.querySelector('.main-svg')!.getAttribute('width')) - el.getBoundingClientRect().width) < 1;
      };
      await w.page.waitForFunction(fits, undefined, { timeout: 10_000 }).catch(() => undefined);
      return w.page.evaluate(() => {
        const el = document.querySelector<HTMLElement>('.js-plotly-plot')!;
        return { box: Math.round(el.getBoundingClientRect().width), svg: Number(el.querySelector('.main-svg')!.getAttribute('width')) };
      });
    };
    const before = await widths();
    assert.ok(Math.abs(before.svg - before.box) <= 1, `figure drawn ${before.svg} px wide in a ${before.box} px output area`);
    const leftOpen = await w.page.evaluate(() => !(window as any).jupyterapp.shell.leftCollapsed);
    assert.ok(leftOpen, 'the left panel is open, so toggling it widens the notebook');
    // a panel resize, not a window resize: plotly's own `responsive` mode would not see it
    await w.page.evaluate(() => (window as any).jupyterapp.commands.execute('application:toggle-left-area'));
    await w.page.waitForFunction((b) => Math.round(document.querySelector('.js-plotly-plot')!.getBoundingClientRect().width) !== b, before.box);
    const after = await widths();
    assert.ok(after.box > before.box + 100, `the output area widened: ${before.box} -> ${after.box} px`);
    assert.ok(Math.abs(after.svg - after.box) <= 1, `figure ${after.svg} px wide after its output area widened to ${after.box} px (was ${before.svg} px)`);
    assertClean(w);
  });

  it('purges a figure (plotly.js data and listeners) when its output is cleared', async () => {
    const w = await openNotebook(SAVED_OUTPUTS);
    assert.strictEqual(await drawnFigures(w, 2), 2, 'plotly figures drawn');
    const figures = await w.page.evaluateHandle(() => Array.from(document.querySelectorAll('.js-plotly-plot')));
    const drawn = await figures.evaluate((els) => els.map((el) => (el as any)._fullLayout !== undefined));
    await w.page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:clear-all-cell-outputs'));
    await w.page.waitForFunction(() => document.querySelectorAll('.js-plotly-plot').length === 0);
    const left = await figures.evaluate((els) =>
      els.map((el) => ({ attached: el.isConnected, data: (el as any).data !== undefined, layout: (el as any)._fullLayout !== undefined })),
    );
    assert.deepStrictEqual(drawn, [true, true]);
    assert.deepStrictEqual(left, [
      { attached: false, data: false, layout: false },
      { attached: false, data: false, layout: false },
    ]);
    assertClean(w);
  });

  it('says what is wrong with a malformed figure, and draws a figure without a layout height at 420 px', async () => {
    const w = await openPage('/lab/index.html');
    await w.page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      await app.restored;
      await app.commands.execute('notebook:create-new', { kernelName: 'prunelab' });
    });
    await w.page.waitForSelector('.jp-Notebook .jp-CodeCell', { timeout: 60_000 });
    // outputs as a kernel would send them, added to the cell's model directly
    await w.page.evaluate((mime) => {
      const outputs = (window as any).jupyterapp.shell.currentWidget.content.activeCell.model.outputs;
      const show = (data: unknown) => outputs.add({ output_type: 'display_data', data: { [mime]: data, 'text/plain': 'figure' }, metadata: {} });
      show({ data: 'not a list', layout: {} });
      show({ data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }], layout: { title: { text: 'no height' } }, config: { responsive: true } });
    }, PLOTLY_MIME);
    const drawn = await drawnFigures(w, 1);
    const seen = await w.page.evaluate(() => ({
      // where the output area shows a renderer's error (it replaces the output's classes)
      errors: Array.from(document.querySelectorAll('.jp-OutputArea [data-mime-type="application/vnd.jupyter.stderr"]')).map((o) => o.textContent?.trim() ?? ''),
      height: Math.round(document.querySelector('.js-plotly-plot')?.getBoundingClientRect().height ?? 0),
      svgHeight: Number(document.querySelector('.js-plotly-plot .main-svg')?.getAttribute('height')),
    }));
    assert.strictEqual(drawn, 1);
    assert.deepStrictEqual(seen.errors, [
      `Javascript Error: This ${PLOTLY_MIME} output is not a plotly figure: \`data\` is not an array of traces. ` +
        'Expected {data: [trace objects], layout?: {...}, config?: {...}}, what pl.plot.* returns.',
    ]);
    assert.deepStrictEqual([seen.height, seen.svgHeight], [420, 420]);
    assertClean(w);
  });

  it('lists a licence text for every bundled package (Help > Licenses), standard texts for those that ship none', () => {
    const file = path.join(SITE, 'build', 'third-party-licenses.json');
    const packages = (JSON.parse(fs.readFileSync(file, 'utf8')) as { packages: { name: string; licenseId: string; extractedText?: string }[] }).packages;
    assert.ok(packages.length > 100, `${packages.length} packages`);
    const missing = packages.filter((p) => !p.extractedText?.trim()).map((p) => `${p.name} (${p.licenseId})`);
    assert.deepStrictEqual(missing, [], 'packages without a licence text');
    const lab = packages.find((p) => p.name === '@jupyterlab/application')!;
    assert.match(lab.extractedText!, /declares BSD-3-Clause[\s\S]*Copyright \(c\) Project Jupyter/);
    const tfjs = packages.find((p) => p.name === '@tensorflow/tfjs-core')!;
    assert.match(tfjs.extractedText!, /Apache License\s+Version 2\.0/);
    // prunelab's own packages carry the repository's LICENSE (Apache-2.0, as package.json declares)
    for (const name of ['prunelab', '@prunelab/lite-kernel', '@prunelab/lite-plotly']) {
      const own = packages.find((p) => p.name === name);
      assert.ok(own && own.licenseId === 'Apache-2.0' && /Apache License\s+Version 2\.0/.test(own.extractedText!), `${name}: ${own?.licenseId}`);
    }
  });

  it('starts the prunelab kernel in the browser and runs a cell: 6*7 shows 42', async () => {
    const w = await openPage('/lab/index.html');
    const specs = await w.page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      await app.restored;
      await app.serviceManager.kernelspecs.ready;
      return Object.keys(app.serviceManager.kernelspecs.specs.kernelspecs);
    });
    assert.ok(specs.includes('prunelab'), `kernel specs: [${specs.join(', ')}]`);
    await w.page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:create-new', { kernelName: 'prunelab' }));
    await w.page.waitForSelector('.jp-Notebook .jp-CodeCell .cm-content', { timeout: 60_000 });
    const kernel = await w.page.evaluate(async () => {
      const panel = (window as any).jupyterapp.shell.currentWidget;
      await panel.sessionContext.ready;
      const k = panel.sessionContext.session.kernel;
      const info = await k.info;
      panel.content.activeCell.model.sharedModel.setSource('6*7');
      return { name: k.name, implementation: info.implementation };
    });
    await w.page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:run-cell'));
    const out = w.page.locator('.jp-Notebook .jp-CodeCell').first().locator('.jp-OutputArea-output');
    await out.waitFor({ timeout: 120_000 });
    assert.deepStrictEqual(kernel, { name: 'prunelab', implementation: 'prunelab' });
    assert.strictEqual((await out.textContent())?.trim(), '42');
    assertClean(w);
  });
});
