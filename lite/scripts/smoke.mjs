// Headless Chromium check: open the site, open notebooks/hello.ipynb with the
// prunelab kernel, run all cells, read the outputs back, take a screenshot.
// usage: node scripts/smoke.mjs [screenshot.png]
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const shot = process.argv[2] || 'smoke.png';
const server = await serve(undefined, 0);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: (process.env.CHROMIUM_ARGS ?? '--no-sandbox --enable-unsafe-webgpu --use-angle=swiftshader --enable-features=Vulkan --ignore-gpu-blocklist').split(' '),
});
const log = [];
let rc = 1;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400 || r.request().failure()) log.push(`[http ${r.status()}] ${r.url()}`); });
  const t0 = Date.now();
  await page.goto(`${base}/lab/index.html?path=hello.ipynb`);
  await page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: 120_000 });
  const tOpen = Date.now() - t0;
  // the kernel is idle once the status says so
  await page.waitForFunction(() => {
    const app = window.jupyterapp;
    const w = app?.shell?.currentWidget;
    return w?.sessionContext?.session?.kernel?.status === 'idle';
  }, null, { timeout: 120_000 });
  const info = await page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    return { kernel: w.sessionContext.session.kernel.name, isolated: crossOriginIsolated };
  });
  const tKernel = Date.now() - t0;
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
  await page.waitForFunction(() => {
    const cells = document.querySelectorAll('.jp-Notebook .jp-CodeCell');
    return [...cells].every((c) => c.querySelector('.jp-OutputArea-output'));
  }, null, { timeout: 120_000 });
  const tRun = Date.now() - t0;
  const outputs = await page.$$eval('.jp-Notebook .jp-CodeCell', (cells) =>
    cells.map((c) => c.querySelector('.jp-OutputArea-output')?.textContent?.trim() ?? null),
  );
  const files = await page.evaluate(async () => (await window.jupyterapp.serviceManager.contents.get('')).content.map((m) => m.path));
  await page.screenshot({ path: shot });
  console.log(JSON.stringify({ ...info, files, outputs, ms: { open: tOpen, kernelIdle: tKernel, ranAll: tRun } }, null, 2));
  rc = outputs[0] === '42' ? 0 : 1;
} catch (e) {
  console.log('FAILED:', e.message);
} finally {
  console.log([...new Set(log)].slice(0, 60).join('\n'));
  await browser.close();
  server.close();
}
process.exit(rc);
