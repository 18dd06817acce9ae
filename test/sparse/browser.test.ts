// The tfjs-op sparse kernels on the WebGL backend in headless Chromium (software WebGL via
// SwiftShader), and the wasm kernels' bytes in the browser, against float64 references.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { denseToSparse, SparseFormat, SparseMatrix } from '../../src/sparse';
import { randn, randomMask, refMatMulT, relErr, rng } from './helpers';

const CHROMIUM = process.env.PRUNELAB_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '..', '..', '..'); // repo root (build/test/sparse -> ..)

function serialise(s: SparseMatrix): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[k] = ArrayBuffer.isView(v) ? { type: v.constructor.name, data: Array.from(v as Float32Array) } : v;
  return out;
}

const PAGE = `<!doctype html><meta charset="utf-8"><script src="/tf.min.js"></script>
<script>window.module = { exports: {} }; window.exports = window.module.exports;
window.require = (n) => { throw new Error('unexpected require ' + n); };</script>
<script src="/tfjs-ops.js"></script>
<script>
function revive(o) {
  const s = {};
  for (const [k, v] of Object.entries(o)) s[k] = v && v.type ? new self[v.type](v.data) : v;
  return s;
}
window.runCases = async (cases, backend) => {
  const ok = await tf.setBackend(backend);
  if (!ok) return { skipped: 'tf.setBackend(' + backend + ') failed' };
  await tf.ready();
  const out = { backend: tf.getBackend(), results: [] };
  for (const c of cases) {
    const op = new module.exports.TfjsSparseOperator(tf, revive(c.sparse), new Float32Array(c.bias));
    const x = tf.tensor2d(c.x, [c.batch, c.cols]);
    const before = tf.memory().numTensors;
    const y = op.matMul(x);
    const data = Array.from(await y.data());
    const leaked = tf.memory().numTensors - before - 1;
    y.dispose(); x.dispose(); op.dispose();
    out.results.push({ name: c.name, y: data, leaked });
  }
  return out;
};
window.runWasm = async (c) => {
  const bytes = new Uint8Array(await (await fetch('/sparse.wasm')).arrayBuffer());
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() { throw new Error('abort'); } } });
  const e = instance.exports;
  let p = Math.ceil(e.heapBase() / 16) * 16;
  const need = 1 << 20;
  if (e.memory.buffer.byteLength < p + need) e.memory.grow(Math.ceil((p + need - e.memory.buffer.byteLength) / 65536));
  const put = (arr) => { const at = p; new Uint8Array(e.memory.buffer, at, arr.byteLength).set(new Uint8Array(arr.buffer)); p += Math.ceil(arr.byteLength / 16) * 16; return at; };
  const s = revive(c.sparse);
  const rp = put(s.rowPtr), ci = put(s.colIdx), v = put(s.values), b = put(new Float32Array(c.bias));
  // XT [cols, Bp]
  const Bp = Math.ceil(c.batch / 4) * 4;
  const xt = new Float32Array(c.cols * Bp);
  for (let i = 0; i < c.batch; i++) for (let k = 0; k < c.cols; k++) xt[k * Bp + i] = c.x[i * c.cols + k];
  const xp = put(xt);
  const y = p;
  e.csrSpmmT16(rp, ci, v, c.rows, xp, Bp, y, c.batch, c.rows, b);
  return Array.from(new Float32Array(e.memory.buffer, y, c.batch * c.rows));
};
</script>`;

describe('sparse tfjs-op kernels in headless Chromium (WebGL)', function () {
  this.timeout(120000);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;
  let server: http.Server | undefined;
  let base = '';
  let skip = '';

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      skip = `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set PRUNELAB_CHROMIUM)`;
      return;
    }
    const files: Record<string, [string, string]> = {
      '/': ['', 'text/html'],
      '/tf.min.js': [require.resolve('@tensorflow/tfjs/dist/tf.min.js'), 'text/javascript'],
      '/tfjs-ops.js': [path.join(ROOT, 'build', 'src', 'sparse', 'tfjs-ops.js'), 'text/javascript'],
      '/sparse.wasm': [path.join(ROOT, 'build', 'wasm', 'sparse.wasm'), 'application/wasm'],
    };
    server = http.createServer((req, res) => {
      const f = files[req.url ?? ''];
      if (!f) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': f[1] });
      res.end(f[0] ? fs.readFileSync(f[0]) : PAGE);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('CSR, COO, BSR and 2:4 products on webgl equal the float64 masked dense product (batch 1/7/32)', async function () {
    if (skip) { console.log(`    skipped: ${skip}`); this.skip(); }
    const page = await browser.newPage();
    await page.goto(base + '/');
    const r = rng(77);
    const cases = [];
    const refs: Float64Array[] = [];
    for (const [f, opts] of [['csr', {}], ['coo', {}], ['bsr', { blockShape: [4, 4] }], ['nm', { n: 2, m: 4 }]] as Array<[SparseFormat, object]>) {
      const rows = 37, cols = 64;
      const w = randn(rows * cols, r);
      let mask = randomMask(rows * cols, 0.8, r);
      if (f === 'nm') mask = mask.map((_, i) => ((i % 4) === (Math.floor(i / cols) % 4) || (i % 4) === ((Math.floor(i / cols) + 1) % 4) ? 1 : 0));
      const a = w.map((v, i) => (mask[i] ? v : 0));
      const bias = randn(rows, r);
      const sp = denseToSparse(a, [rows, cols], f, { ...opts, mask });
      for (const batch of [1, 7, 32]) {
        const x = randn(batch * cols, r);
        cases.push({ name: `${f} B=${batch}`, sparse: serialise(sp), bias: Array.from(bias), x: Array.from(x), batch, rows, cols });
        refs.push(refMatMulT(x, batch, a, rows, cols, bias));
      }
    }
    const res = await page.evaluate(([c]: [unknown]) => (window as unknown as { runCases(c: unknown, b: string): Promise<unknown> }).runCases(c, 'webgl'), [cases]);
    if (res.skipped) {
      console.log(`    skipped: WebGL unavailable in this Chromium (${res.skipped})`);
      await page.close();
      this.skip();
    }
    assert.equal(res.backend, 'webgl', 'the WebGL backend is really active');
    res.results.forEach((o: { name: string; y: number[]; leaked: number }, i: number) => {
      const e = relErr(o.y, refs[i]);
      assert.ok(e <= 1e-5, `${o.name}: rel err ${e}`);
      assert.equal(o.leaked, 0, `${o.name}: leaked tensors`);
    });
    // The same wasm bytes as in Node run in the browser.
    const c0 = cases[2]; // csr, batch 32
    const y = await page.evaluate(([c]: [unknown]) => (window as unknown as { runWasm(c: unknown): Promise<number[]> }).runWasm(c), [c0]);
    assert.ok(relErr(y, refs[2]) <= 1e-5, 'wasm kernel in the browser');
    await page.close();
  });
});
