/**
 * The prunelab browser kernel in the built site (build/lite), headless Debian Chromium: the tour
 * notebook, the four course lessons and notebook 02 (a sweep-backed notebook, its grid run in the
 * page) run end to end and are checked by value, interrupts stop
 * training, completion works on magic lines, the GPU backends either work or are refused with
 * the reason, and one training step and a sparse product on WebGL agree with tfjs's cpu backend
 * in Node to 1e-4 relative.
 */
import * as assert from 'assert';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { Browser, Page } from 'playwright-core';
import { ROOT, skipWith } from '../kernel/helpers';
import { CHROMIUM, ensureSite, startServer, stopServer } from './helpers';
import * as pl from '../../src';

/** What one executed cell sent: its status, text of streams and results, error, and MIME types shown. */
interface CellRun {
  status: string;
  text: string;
  error?: string;
  mimes: string[];
}

/** Runs `code` in the page's prunelab kernel. */
function runCell(page: Page, code: string): Promise<CellRun> {
  return page.evaluate(async (code) => {
    const k = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const out = { status: '', text: '', error: undefined as string | undefined, mimes: [] as string[] };
    const f = k.requestExecute({ code });
    f.onIOPub = (m: any) => {
      const t = m.header.msg_type;
      if (t === 'stream') out.text += m.content.text;
      if (t === 'execute_result' || t === 'display_data') {
        out.mimes.push(...Object.keys(m.content.data));
        out.text += `${m.content.data['text/plain'] ?? ''}\n`;
      }
      if (t === 'error') out.error = m.content.evalue;
    };
    out.status = (await f.done).content.status;
    return out;
  }, code);
}

/** The code cells of a notebook file. */
function codeCells(file: string): string[] {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  return nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code').map((c: { source: string | string[] }) => [c.source].flat().join(''));
}

/**
 * One SGD step of a seeded LeNet-300-100 on a seeded batch, and a 90%-sparse CSR product, as
 * plain JavaScript over `pl` and `tf`: run in the browser kernel and in Node, so that both
 * compute exactly the same thing. Returns the step's weights and the product, flattened.
 * SPARSE_IMPL is 'tfjs' in the browser (the tfjs-op path, on the GPU backend) and 'wasm' in Node
 * (prunelab's CPU kernels: tfjs's cpu backend takes minutes over UnsortedSegmentSum here).
 */
const PARITY_CODE = `(async () => {
  const rnd = pl.mulberry32(11);
  const x = new Float32Array(32 * 784).map(() => rnd());
  const y = Int32Array.from({ length: 32 }, () => Math.floor(rnd() * 10));
  const net = pl.lenet300100({ seed: 3 });
  await pl.train(net, { x, y, count: 32, featureShape: [784], numClasses: 10 }, { epochs: 1, batchSize: 32, optimizer: 'sgd', learningRate: 0.1, shuffle: false });
  const weights = [];
  // every 7th value of every weight (38k of 266k): a 5 MB message through the page's kernel would dominate the test
  for (const w of net.getWeights()) { const d = w.dataSync(); for (let i = 0; i < d.length; i += 7) weights.push(d[i]); }
  net.dispose();
  const W = new Float32Array(300 * 784).map(() => (rnd() < 0.1 ? rnd() - 0.5 : 0));
  const csr = pl.denseToSparse(W, [300, 784], 'csr');
  const xs = tf.tensor2d(new Float32Array(64 * 784).map(() => rnd() - 0.5), [64, 784]);
  const prod = pl.sparseMatMul(xs, csr, { impl: SPARSE_IMPL });
  const product = Array.from(prod.dataSync());
  tf.dispose([xs, prod]);
  return JSON.stringify({ backend: tf.getBackend(), weights, product });
})()`;

/** The cells below print one JSON line; this parses the last line the cell printed. */
function printedJson(r: CellRun): any {
  return JSON.parse(r.text.trim().split('\n').pop()!);
}

function relativeError(a: number[], b: number[]): number {
  assert.strictEqual(a.length, b.length, 'different lengths');
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('browser edition: the prunelab kernel in the site (headless Chromium)', function () {
  this.timeout(600_000);
  let server: ChildProcess | null = null;
  let browser: Browser | null = null;
  let page: Page | null = null;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) skipWith(this, `${CHROMIUM} not found (apt-get install chromium, or set PRUNELAB_CHROMIUM)`);
    const missing = ensureSite();
    if (missing) skipWith(this, missing);
    const started = await startServer();
    server = started.server;
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    await page.goto(`${started.base}/lab/index.html?path=hello.ipynb`);
    await page.waitForFunction(() => (window as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', undefined, { timeout: 180_000 });
  });

  after(async () => {
    await browser?.close();
    await stopServer(server);
  });

  it('starts on a backend that computes (webgpu is refused with its reason when a synchronous read loses its device)', async () => {
    const r = await runCell(page!, '%backend');
    assert.strictEqual(r.status, 'ok', r.error);
    const backend = /backend: (\w+)/.exec(r.text)?.[1];
    assert.ok(backend === 'webgpu' || backend === 'webgl', `expected a GPU backend, got: ${r.text}`);
    const gpu = await runCell(page!, '%backend webgpu');
    if (gpu.status === 'ok') assert.match(gpu.text, /backend: webgpu/);
    else assert.match(gpu.error ?? '', /software one|synchronous read-back|no adapter/, `a refused webgpu says why: ${gpu.error}`);
    // refused before tfjs tries it: the cell does not show tfjs's "Initialization of backend webgpu failed" and a stack
    assert.doesNotMatch(gpu.text, /Initialization of backend|    at /, `the refusal is one error, no tfjs log: ${gpu.text}`);
    if (backend === 'webgl') assert.strictEqual((await runCell(page!, '%backend webgl')).status, 'ok');
  });

  it('runs the tour notebook end to end: dataset, training, pruning to 90%, tables and plotly figures', async () => {
    const cells = codeCells(path.join(ROOT, 'notebooks', '00-magics-tour.ipynb'));
    const runs: CellRun[] = [];
    for (const c of cells) runs.push(await runCell(page!, c));
    // the tour ends with three cells that show errors on purpose (a misspelt method, magic, variable)
    const failed = runs.map((r, i) => ({ r, i })).filter(({ r }) => r.status !== 'ok');
    assert.deepStrictEqual(failed.map(({ i }) => i), [cells.length - 3, cells.length - 2, cells.length - 1], `unexpected errors: ${failed.map(({ r, i }) => `${i}: ${r.error}`).join('\n')}`);
    assert.match(failed[0].r.error!, /Did you mean: magnitude\?/);
    const all = runs.map((r) => r.text).join('\n');
    assert.match(all, /ds = tiny-fashion: 1000 train \/ 500 test examples/);
    assert.match(all, /90\.00% of prunable weights/);
    const acc = [...all.matchAll(/test: loss [\d.]+, accuracy ([\d.]+)/g)].map((m) => Number(m[1]));
    assert.ok(acc.length >= 2 && acc.every((a) => a > 0.5 && a <= 1), `accuracies after training: ${acc}`);
    const mimes = runs.flatMap((r) => r.mimes);
    assert.ok(mimes.includes('application/vnd.plotly.v1+json'), 'a plotly figure');
    assert.ok(runs.some((r) => r.mimes.includes('text/html') && /sparsity/.test(r.text)), 'the %sparsity table');
    assert.match(all, /total\s.*\s89\.9%/, 'the %sparsity table after pruning: 89.9% of all parameters');
  });

  /** Runs a teacher lesson's cells; each must succeed, every exercise check pass. */
  async function runLesson(file: string): Promise<void> {
    let text = '';
    for (const c of codeCells(path.join(ROOT, 'notebooks', 'course', 'teacher', file))) {
      const r = await runCell(page!, c);
      assert.strictEqual(r.status, 'ok', `${file}: ${c.split('\n')[0]}: ${r.error}`);
      text += r.text;
    }
    assert.doesNotMatch(text, /✗/, file);
    assert.match(text, /3 of 3 exercises passed/, file);
  }

  it('runs course lessons 1 and 2 (teacher versions) on the GPU backend: every exercise check passes, %speedup names the backend', async () => {
    await runLesson('01-magnitude-pruning.ipynb');
    // lesson 2 times sparse products with %speedup: on the GPU backend they go through the
    // tfjs-op path (padded rows; by segment sum one such cell took over 5 min on software WebGL)
    const backend = /backend: (\w+)/.exec((await runCell(page!, '%backend')).text)![1];
    assert.match(backend, /^(webgl|webgpu)$/);
    await runLesson('02-structure-and-speedup.ipynb');
  });

  it('runs course lessons 3 and 4 (teacher versions) on wasm: every exercise check passes', async () => {
    // on wasm: software WebGL (all this machine has) trains their networks several times slower
    const backend = /backend: (\w+)/.exec((await runCell(page!, '%backend')).text)![1];
    assert.strictEqual((await runCell(page!, '%backend wasm')).status, 'ok');
    try {
      for (const file of ['03-data-and-second-order.ipynb', '04-sparse-training.ipynb']) await runLesson(file);
    } finally {
      await runCell(page!, `%backend ${backend}`);
    }
  });

  it('runs notebook 02 (schedules) at the quick budget: pl.sweeps runs its grid in the page, and every claim holds', async () => {
    // on wasm: software WebGL (all this machine has) takes minutes per grid; a student's GPU does not
    const backend = /backend: (\w+)/.exec((await runCell(page!, '%backend')).text)![1];
    assert.strictEqual((await runCell(page!, '%backend wasm')).status, 'ok');
    try {
      let text = '';
      for (const c of codeCells(path.join(ROOT, 'notebooks', '02-schedules.ipynb'))) {
        const r = await runCell(page!, c);
        assert.strictEqual(r.status, 'ok', `${c.split('\n')[0]}: ${r.error}`);
        text += r.text;
      }
      assert.match(text, /budget: quick, backend: wasm, seeds: 1, 2, 3/);
      for (const m of ['one-shot', 'iterative \\(3 rounds\\)', 'gradual \\(AGP\\)']) {
        const acc = Number(new RegExp(`\\| ${m} \\| 3 \\| ([\\d.]+) ±`).exec(text)?.[1]);
        assert.ok(acc > 50 && acc <= 100, `${m}: final accuracy in the claims table: ${acc}`);
      }
      assert.ok((text.match(/✓/g) ?? []).length >= 3, 'the claims cell checked its claims');
      assert.doesNotMatch(text, /✗/);
    } finally {
      await runCell(page!, `%backend ${backend}`);
    }
  });

  it('an interrupt stops training at the next batch, and the kernel answers afterwards', async () => {
    const r = await page!.evaluate(async () => {
      const k = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      await k.requestExecute({ code: "const big = await pl.loadDataset('mnist', { subset: 5000, testSubset: 100, flatten: true });\n%model lenet-300-100 --as slow" }).done;
      let error = '';
      const f = k.requestExecute({ code: '%finetune slow --data big --epochs 100' });
      f.onIOPub = (m: any) => {
        if (m.header.msg_type === 'error') error = m.content.evalue;
      };
      const t0 = performance.now();
      await new Promise((res) => setTimeout(res, 3000));
      await k.interrupt();
      await f.done.catch(() => undefined);
      return { seconds: (performance.now() - t0) / 1000, error };
    });
    assert.match(r.error, /%finetune stopped after \d+ steps/);
    assert.ok(r.seconds < 60, `stopped after ${r.seconds} s`);
    const after = await runCell(page!, '6 * 7');
    assert.match(after.text, /42/);
  });

  it('completes magic names, options and variables, and object members', async () => {
    const c = await page!.evaluate(async () => {
      const k = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      const ask = async (code: string) => (await k.requestComplete({ code, cursor_pos: code.length })).content.matches;
      return { magic: await ask('%spars'), option: await ask('%prune net magnitude --spa'), member: await ask('pl.plot.sparsityB') };
    });
    assert.deepStrictEqual(c, { magic: ['sparsity'], option: ['--sparsity'], member: ['sparsityBars'] });
  });

  it('one training step and a sparse product on the browser backend agree with the CPU in Node (cpu backend, wasm sparse kernels) to 1e-4', async () => {
    const t0 = Date.now();
    const r = await runCell(page!, `console.log(await ${PARITY_CODE.replace('SPARSE_IMPL', "'tfjs'")})`);
    const browserSeconds = (Date.now() - t0) / 1000;
    assert.strictEqual(r.status, 'ok', r.error);
    const browserSide = printedJson(r);
    const previous = tf.getBackend();
    await pl.initBackend('cpu');
    let nodeSide: { weights: number[]; product: number[] };
    try {
      nodeSide = JSON.parse(await new Function('pl', 'tf', `return ${PARITY_CODE.replace('SPARSE_IMPL', "'wasm'")};`)(pl, tf));
    } finally {
      await pl.initBackend(previous);
    }
    const weights = relativeError(browserSide.weights, nodeSide.weights);
    const product = relativeError(browserSide.product, nodeSide.product);
    console.log(`      ${browserSide.backend} vs cpu: step weights ${weights.toExponential(2)}, CSR product ${product.toExponential(2)} (relative; browser side ${browserSeconds.toFixed(1)} s)`);
    assert.ok(weights < 1e-4, `weights after one step differ by ${weights}`);
    assert.ok(product < 1e-4, `sparse products differ by ${product}`);
  });
  it('saves masks to browser storage, loads them onto another model, offers them for download, and keeps them across a kernel restart', async () => {
    const save = await runCell(page!, `{
  const a = pl.createModel('lenet-300-100', { seed: 5 });
  pl.prune(a, { sparsity: 0.9, seed: 1 });
  pl.saveMasks(a, 'course/masks-test.json');
  const b = pl.createModel('lenet-300-100', { seed: 6 });
  pl.loadMasks(b, 'course/masks-test.json', { match: 'order' });
  const flat = (m) => [...pl.MaskedModel.of(m).masks().values()].map((t) => Array.from(t.dataSync()).join('')).join('|');
  console.log(JSON.stringify({ same: flat(a) === flat(b), kept: pl.sparsitySummary(pl.MaskedModel.of(b)).total.nonzeros, files: pl.files.list('course') }));
  a.dispose(); b.dispose();
}`);
    assert.strictEqual(save.status, 'ok', save.error);
    const saved = printedJson(save);
    assert.deepStrictEqual([saved.same, saved.files], [true, ['/course/masks-test.json']]);
    // the link's HTML as the kernel sends it (runCell keeps the text/plain part only)
    const html = await page!.evaluate(async () => {
      const k = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      let out = '';
      const f = k.requestExecute({ code: "pl.files.download('course/masks-test.json')" });
      f.onIOPub = (m: any) => { if (m.header.msg_type === 'execute_result') out = m.content.data['text/html'] ?? ''; };
      await f.done;
      return out;
    });
    const href = /<a download="masks-test\.json" href="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.ok(href, `a download link: ${html.slice(0, 200)}`);
    const json = JSON.parse(Buffer.from(href.replace(/^data:application\/octet-stream;base64,/, ''), 'base64').toString('utf8'));
    assert.strictEqual(json.format, 'prunelab-masks', 'the link holds the mask file');
    // a new worker (kernel restart) reads the file back from IndexedDB
    await page!.evaluate(async () => { await (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart(); });
    await page!.waitForFunction(() => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle', undefined, { timeout: 120_000 });
    const after = await runCell(page!, "console.log(JSON.stringify(pl.files.list('course'))); pl.files.remove('course/masks-test.json')");
    assert.strictEqual(after.status, 'ok', after.error);
    assert.deepStrictEqual(JSON.parse(after.text.trim().split('\n')[0]), ['/course/masks-test.json']);
  });
});
