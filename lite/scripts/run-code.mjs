// Debug helper: open the site headless, then run each argument as a cell in the
// prunelab kernel and print its IOPub messages.  node scripts/run-code.mjs "6*7"
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
const server = await serve(undefined, 0);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: (process.env.CHROMIUM_ARGS ?? '--no-sandbox --enable-unsafe-webgpu --use-angle=swiftshader --enable-features=Vulkan --ignore-gpu-blocklist').split(' ') });
const page = await browser.newPage();
page.on('console', (m) => console.log(`[console.${m.type()}] ${m.text().slice(0,300)}`));
page.on('pageerror', (e) => console.log(`[pageerror] ${e.message} ${e.stack?.slice(0,500)}`));
page.on('crash', () => console.log('[CRASH]'));
page.on('worker', (w) => { console.log('[worker]', w.url()); w.on('close', () => console.log('[worker closed]')); });
await page.goto(`${base}/lab/index.html?path=hello.ipynb`);
await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', null, { timeout: 120000 });
for (const code of process.argv.slice(2)) {
  const out = await page.evaluate(async (code) => {
    const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const res = [];
    const f = k.requestExecute({ code });
    f.onIOPub = (m) => { if (m.header.msg_type !== 'status') res.push([m.header.msg_type, m.content.data?.['text/plain'] ?? m.content.text ?? m.content.evalue]); };
    const r = await f.done;
    return { status: r.content.status, res };
  }, code).catch(e => 'EVAL FAILED ' + e.message);
  console.log('>>>', code, '\n', JSON.stringify(out));
}
await browser.close(); server.close();
