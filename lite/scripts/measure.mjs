// The browser edition's figures, in one run (issue 18's "Measured"):
//  - time to the first result after opening the site (navigation to `1 + 1` answered);
//  - one LeNet-300-100 epoch on all of Fashion-MNIST (60k, batch 100, Adam) per browser backend,
//    next to the same epoch on wasm in Node (build/src, this machine);
//  - sparse (CSR: the tfjs-op path, and prunelab's wasm kernels on wasm) vs dense products of a
//    90%-sparse 300x784 kernel, batch 1 and 64, per browser backend (median of 20 after 3 warm-ups).
// Headless Debian chromium with software rendering (SwiftShader): NOT GPU speed.
//   node scripts/measure.mjs [--epochs-on webgl,wasm] [--json out.json]   (--epochs-on '' : products only)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const HERE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const REPO = path.dirname(HERE);
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const epochBackends = arg('--epochs-on', 'webgl,wasm').split(',').filter(Boolean);
const site = process.env.LITE_SITE || path.join(HERE, 'build');
const server = await serve(site, 0);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
const page = await browser.newPage();
const results = { date: new Date().toISOString(), chromium: browser.version(), rendering: 'software (SwiftShader), not GPU speed' };

const t0 = Date.now();
await page.goto(`${base}/lab/index.html?path=hello.ipynb`);
await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', null, { timeout: 180000 });
/** Runs a cell; returns the last line it printed (the cells below print one JSON line). */
const run = (code) => page.evaluate(async (code) => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  let printed = ''; let error;
  const f = k.requestExecute({ code });
  f.onIOPub = (m) => {
    if (m.header.msg_type === 'stream' && m.content.name === 'stdout') printed += m.content.text;
    if (m.header.msg_type === 'error') error = m.content.evalue;
  };
  await f.done;
  if (error) throw new Error(error);
  return printed.trim().split('\n').pop();
}, code);
await run('1 + 1');
results.firstResultSeconds = (Date.now() - t0) / 1000;
results.startBackend = JSON.parse(await run('console.log(JSON.stringify(tf.getBackend()))'));

await run(`const fashion = await pl.loadDataset('fashion-mnist', { flatten: true }); const epochOf = async (backend) => {
  await pl.initBackend(backend);
  const net = pl.lenet300100({ seed: 1 });
  const t = performance.now();
  const h = await pl.train(net, fashion.train, { epochs: 1, batchSize: 100, seed: 1 });
  const seconds = (performance.now() - t) / 1000;
  const accuracy = pl.evaluate(net, fashion.test).accuracy;
  net.dispose();
  console.log(JSON.stringify({ backend: tf.getBackend(), seconds, accuracy }));
}; 0`);
results.epoch = {};
for (const b of epochBackends) {
  try { results.epoch[b] = JSON.parse(await run(`await epochOf('${b}')`)); } catch (e) { results.epoch[b] = { error: e.message.slice(0, 300) }; }
}
results.products = {};
// the tfjs-op sparse path on every backend that runs it in reasonable time (tfjs's cpu backend
// takes minutes over UnsortedSegmentSum), prunelab's own wasm sparse kernels where data is on the CPU
for (const [b, impls] of [['webgl', ['tfjs']], ['wasm', ['tfjs', 'wasm']]]) {
  try {
    results.products[b] = JSON.parse(await run(`await (async () => {
      await pl.initBackend('${b}');
      const rnd = pl.mulberry32(7); const W = new Float32Array(300 * 784).map(() => (rnd() < 0.1 ? rnd() - 0.5 : 0));
      const csr = pl.denseToSparse(W, [300, 784], 'csr');
      const Wt = tf.tensor2d(W, [300, 784]).transpose();
      const out = { backend: tf.getBackend() };
      for (const batch of [1, 64]) {
        const x = tf.randomNormal([batch, 784], 0, 1, 'float32', 3);
        const time = async (f) => { for (let i = 0; i < 3; i++) { const y = f(); await y.data(); y.dispose(); } const ts = []; for (let i = 0; i < 20; i++) { const t = performance.now(); const y = f(); await y.data(); ts.push(performance.now() - t); y.dispose(); } ts.sort((a, b) => a - b); return ts[10]; };
        const dense = await time(() => tf.matMul(x, Wt));
        const row = { denseMs: dense };
        for (const impl of ${JSON.stringify(impls)}) {
          const sparse = await time(() => pl.sparseMatMul(x, csr, { impl }));
          row[impl + 'SparseMs'] = sparse;
          row[impl + 'Speedup'] = dense / sparse;
        }
        out['batch' + batch] = row;
        x.dispose();
      }
      Wt.dispose();
      console.log(JSON.stringify(out));
    })()`));
  } catch (e) { results.products[b] = { error: e.message.slice(0, 300) }; }
}
await browser.close(); server.close();

// the same epoch on wasm in Node (this machine, build/src), when epochs are measured
const node = !epochBackends.length ? { stdout: '{"skipped":"--epochs-on is empty"}' } : spawnSync(process.execPath, ['-e', `
  const pl = require(${JSON.stringify(path.join(REPO, 'build/src/index.js'))});
  (async () => { await pl.initBackend('wasm'); const d = await pl.loadDataset('fashion-mnist', { flatten: true });
    const net = pl.lenet300100({ seed: 1 }); const t = performance.now();
    await pl.train(net, d.train, { epochs: 1, batchSize: 100, seed: 1 });
    console.log(JSON.stringify({ backend: 'wasm (Node)', seconds: (performance.now() - t) / 1000, accuracy: pl.evaluate(net, d.test).accuracy })); })();`], { encoding: 'utf8' });
try { results.epoch.nodeWasm = JSON.parse(node.stdout.trim().split('\n').pop()); } catch { results.epoch.nodeWasm = { error: (node.stderr || node.stdout).slice(-300) }; }

const out = arg('--json');
if (out) fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
