/**
 * Static images in notebooks: scripts/notebook_images.py adds an `image/png` beside each plotly
 * figure (and shows it in the figure's HTML until plotly.js runs), leaving every other byte of
 * the notebook as it was; the committed notebooks carry those images.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { jupyterPython } from '../../kernel/kernelspec';
import { chromiumPath, exportUnavailable } from '../../src/plot/export';
import { figureBundle, PLOTLY_MIME, plotlyScriptPath, type Figure } from '../../src/plot/figure';
import { ROOT } from '../kernel/helpers';
import { pngSize } from './render';

type Output = { output_type: string; data?: Record<string, unknown>; [k: string]: unknown };
type Notebook = { cells: { cell_type: string; source: string | string[]; outputs?: Output[]; [k: string]: unknown }[]; [k: string]: unknown };

const SCRIPT = path.join(ROOT, 'scripts', 'notebook_images.py');

function python(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(jupyterPython(), args, { cwd: ROOT, encoding: 'utf8', input, timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes the notebook as nbformat does (indent 1, sorted keys, UTF-8): the layout the script keeps. */
function writeCanonical(file: string, nb: unknown): void {
  const r = python(['-c', 'import json,sys; nb=json.loads(sys.stdin.read()); open(sys.argv[1],"w",encoding="utf-8").write(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False)+"\\n")', file], JSON.stringify(nb));
  assert.strictEqual(r.status, 0, r.stderr);
}

function lines(text: string): string[] {
  return text.split(/(?<=\n)/);
}

function plotlyOutputs(nb: Notebook): Output[] {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data && PLOTLY_MIME in o.data);
}

function bundleOutput(type: 'execute_result' | 'display_data', fig: Figure): Output {
  const b = figureBundle(fig);
  return {
    output_type: type,
    ...(type === 'execute_result' ? { execution_count: 3 } : {}),
    metadata: {},
    data: { [PLOTLY_MIME]: b[PLOTLY_MIME], 'text/html': lines(String(b['text/html'])), 'text/plain': [String(b['text/plain'])] },
  };
}

describe('static images of plotly figures in notebooks (scripts/notebook_images.py)', function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-nbimg-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('adds image/png to each plotly output and leaves everything else byte-identical', function () {
    const why = exportUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    const bars: Figure = { data: [{ type: 'bar', name: 'pruned', x: ['fc1', 'fc2'], y: [0.9, 0.75] }], layout: { title: { text: 'Sparsity — ½ & <b>' }, width: 400, height: 300 } };
    const curve: Figure = { data: [{ type: 'scatter', mode: 'lines', x: [1, 2, 3], y: [0.1, 1e-5, 17.0] }], layout: { height: 250 } };
    const nb: Notebook = {
      cells: [
        { cell_type: 'markdown', id: 'm1', metadata: {}, source: ['# Title — ünïcode\n', 'text'] },
        {
          cell_type: 'code', id: 'c1', execution_count: 3, metadata: { tags: ['x'] }, source: ['%plot sparsity net'],
          outputs: [
            { output_type: 'stream', name: 'stdout', text: ['saved 1.0 17.0 1e-05\n'] },
            bundleOutput('display_data', curve),
            { output_type: 'display_data', metadata: {}, data: { 'text/html': ['<b>not a plot</b>'], 'text/plain': ['x'] } },
            bundleOutput('execute_result', bars),
          ],
        },
        { cell_type: 'code', id: 'c2', execution_count: 4, metadata: {}, source: 'throw 1', outputs: [{ output_type: 'error', ename: 'Error', evalue: '1', traceback: ['a', 'b'] }] },
      ],
      metadata: { kernelspec: { name: 'prunelab', display_name: 'TypeScript (prunelab)', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const file = path.join(dir, 'small.ipynb');
    writeCanonical(file, nb);
    fs.chmodSync(file, 0o644);
    const before = fs.readFileSync(file, 'utf8');

    assert.strictEqual(python([SCRIPT, '--check', file]).status, 1, '--check fails while images are missing');
    const run = python([SCRIPT, file]);
    assert.strictEqual(run.status, 0, run.stderr);
    assert.match(run.stdout, /2 static image\(s\) added/);
    const after = fs.readFileSync(file, 'utf8');
    assert.strictEqual(fs.statSync(file).mode & 0o777, 0o644, 'file permissions kept');
    assert.deepStrictEqual(fs.readdirSync(dir), ['small.ipynb'], 'no temporary file left');

    const nbAfter = JSON.parse(after) as Notebook;
    const figs = plotlyOutputs(nbAfter);
    assert.strictEqual(figs.length, 2);
    const sizes = [{ width: 720, height: 250 }, { width: 400, height: 300 }];
    figs.forEach((o, i) => {
      const png = Buffer.from(String(o.data!['image/png']), 'base64');
      assert.deepStrictEqual(pngSize(png), sizes[i]);
      const html = (o.data!['text/html'] as string[]).join('');
      assert.ok(html.includes(`src="data:image/png;base64,${o.data!['image/png']}"`), 'the HTML shows the same image until plotly.js runs');
      assert.match(html, /requirejs/, 'and still draws the interactive figure where it can');
    });
    assert.match((figs[1].data!['text/html'] as string[]).join(''), /alt="Sparsity — ½ &amp; &lt;b&gt;"/);

    // Everything else, byte for byte: put the original HTML back, drop the images, and the file
    // is the original file again.
    const orig = plotlyOutputs(JSON.parse(before) as Notebook);
    figs.forEach((o, i) => {
      assert.deepStrictEqual(o.data![PLOTLY_MIME], orig[i].data![PLOTLY_MIME], 'the figure data is unchanged');
      delete o.data!['image/png'];
      o.data!['text/html'] = orig[i].data!['text/html'];
    });
    const restored = path.join(dir, 'restored.ipynb');
    writeCanonical(restored, nbAfter);
    assert.strictEqual(fs.readFileSync(restored, 'utf8'), before);
    fs.rmSync(restored);

    // A second run changes nothing; --check passes.
    const again = python([SCRIPT, file]);
    assert.strictEqual(again.status, 0, again.stderr);
    assert.match(again.stdout, /already has a static image/);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), after);
    assert.strictEqual(python([SCRIPT, '--check', file]).status, 0);
  });

  it('the HTML output shows the static image without plotly.js or JavaScript, and the interactive figure with it', async function () {
    const why = exportUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', '02-schedules.ipynb'), 'utf8')) as Notebook;
    const out = plotlyOutputs(nb)[0];
    const html = (out.data!['text/html'] as string[]).join('');
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu'], handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    try {
      const shown = async (javaScriptEnabled: boolean, withPlotly: boolean) => {
        const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1000, height: 800 } });
        await context.route(/^(https?|wss?|ftp):/, (route) => route.abort());
        const page = await context.newPage();
        if (!javaScriptEnabled) {
          // GitHub and other sanitising viewers: the markup, no scripts.
          await page.setContent(`<!doctype html><html><body>${html}</body></html>`);
        } else {
          await page.setContent('<!doctype html><html><body></body></html>');
          if (withPlotly) await page.addScriptTag({ path: plotlyScriptPath() });
          // As nbconvert's HTML and the Notebook insert an output: the markup, then its scripts run.
          await page.evaluate((markup) => {
            const holder = document.createElement('div');
            holder.innerHTML = markup;
            document.body.appendChild(holder);
            for (const old of Array.from(holder.querySelectorAll('script'))) {
              const s = document.createElement('script');
              s.textContent = old.textContent;
              old.replaceWith(s);
            }
          }, html);
          if (withPlotly) await page.waitForSelector('svg.main-svg', { timeout: 30_000 });
        }
        await page.waitForLoadState('load');
        const state = {
          imgWidth: await page.locator('img.prunelab-static').evaluateAll((els) => els.map((e) => (e as HTMLImageElement).naturalWidth)),
          plots: await page.locator('svg.main-svg').count(),
        };
        await context.close();
        return state;
      };
      assert.deepStrictEqual(await shown(true, false), { imgWidth: [720], plots: 0 }, 'no plotly.js (nbconvert HTML): the static image');
      const withPlotly = await shown(true, true);
      assert.ok(withPlotly.plots > 0, 'plotly.js present: the interactive figure');
      assert.deepStrictEqual(withPlotly.imgWidth, [], 'the image gives way to the interactive figure');
      assert.deepStrictEqual(await shown(false, false), { imgWidth: [720], plots: 0 }, 'no JavaScript (GitHub): the static image');
    } finally {
      await browser.close();
    }
  });

  it('every plotly figure of the committed notebooks carries a static PNG', () => {
    const books = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => /^\d\d-.*\.ipynb$/.test(f));
    let count = 0;
    for (const book of books) {
      const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', book), 'utf8')) as Notebook;
      plotlyOutputs(nb).forEach((o, i) => {
        count++;
        assert.ok(typeof o.data!['image/png'] === 'string', `${book}: plotly output ${i} has no image/png (run /usr/bin/python3 scripts/notebook_images.py notebooks/${book})`);
        const size = pngSize(Buffer.from(o.data!['image/png'] as string, 'base64'));
        assert.ok(size.width >= 300 && size.height >= 200, `${book}: output ${i} image is ${size.width}×${size.height}`);
        assert.match((o.data!['text/html'] as string[]).join(''), /<img class="prunelab-static"/, `${book}: output ${i} HTML shows the image`);
      });
    }
    assert.ok(count >= 10, `only ${count} plotly outputs in the committed notebooks`);
  });
});
