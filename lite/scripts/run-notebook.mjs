// Runs the code cells of a notebook file in the browser kernel of the built site (headless
// Debian chromium) and prints each cell's status and last outputs, with the time since the first cell.
//   node scripts/run-notebook.mjs ../notebooks/00-magics-tour.ipynb [--backend wasm]
// (--backend NAME runs `%backend NAME` before the notebook's first cell)
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
const nb = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const server = await serve(undefined, 0);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(`${base}/lab/index.html?path=hello.ipynb`);
await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', null, { timeout: 120000 });
const t0 = Date.now();
const b = process.argv.indexOf('--backend');
const cells = nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source));
if (b > 0) cells.unshift(`%backend ${process.argv[b + 1]}`);
for (const code of cells) {
  const out = await page.evaluate(async (code) => {
    const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const res = [];
    const f = k.requestExecute({ code });
    f.onIOPub = (m) => { const t = m.header.msg_type; if (['error','execute_result','stream','display_data'].includes(t)) res.push(t + ': ' + String(m.content.evalue ?? m.content.text ?? Object.keys(m.content.data ?? {}).join(',') + ' ' + String(m.content.data?.['text/plain'] ?? '').slice(0, 150))); };
    const r = await f.done;
    return { status: r.content.status, res };
  }, code);
  console.log(`--- [${((Date.now() - t0) / 1000).toFixed(1)} s] ${code.split('\n')[0].slice(0, 90)}\n  ${out.status} ${out.res.slice(-4).join('\n   ').slice(0, 700)}`);
}
await browser.close(); server.close();
