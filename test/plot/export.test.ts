/**
 * Figure export (pl.plot.save / %plot --save): every kind of figure prunelab draws, to PDF, SVG
 * and PNG through headless Chromium; each file is checked to be what it claims, at the size asked.
 * The PNGs are kept in build/test-output/export/ to look at.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { createModel } from '../../src/models';
import { prune } from '../../src/prune';
import { createMagicContext, runMagicLine } from '../../src/magics';
import {
  closeExportBrowser, EXPORT_PRESETS, exportBrowserLaunches, exportBrowserOpen, exportFigure, exportUnavailable, renderFigure, saveFigure, wrapText,
  type ExportFormat,
} from '../../src/plot/export';
import type { Figure } from '../../src/plot/figure';
import { palettePng } from '../../src/plot/png';
import { trainingCurves } from '../../src/plot/curves';
import { maskHeatmap } from '../../src/plot/heatmap';
import { weightHistogram } from '../../src/plot/histogram';
import { sparsityBars } from '../../src/plot/sparsity-bars';
import { accuracyVsSparsity, pareto } from '../../src/plot/tradeoff';
import { inputMaskImage } from '../../src/plot/input-mask';
import { paretoFigure, seedBandFigure } from '../../src/plot/seed-bands';
import { flatValues, maskValues, weightSnapshot } from '../../src/report/weights';
import { testOutputDir, ROOT } from '../kernel/helpers';
import { PlotPage, pngSize } from './render';

/** The PDF's pages and their MediaBox sizes in points. */
function pdfPages(buf: Buffer): { pages: number; boxes: number[][] } {
  const text = buf.toString('latin1');
  assert.ok(text.startsWith('%PDF-'), 'PDF magic');
  assert.match(text.slice(-64), /%%EOF\s*$/, 'PDF trailer');
  const pages = (text.match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*([\d.\s-]+)\]/g)].map((m) => m[1].trim().split(/\s+/).map(Number));
  return { pages, boxes };
}

/** Every kind of figure prunelab makes, from a small pruned model and result rows. */
function figureKinds(): Record<string, Figure> {
  const net = createModel('lenet-300-100', { seed: 4 });
  const before = weightSnapshot(net);
  prune(net, { criterion: 'magnitude', sparsity: 0.9 });
  const rows = [0.5, 0.8, 0.9, 0.95].flatMap((s, i) =>
    [0, 1, 2].flatMap((seed) => [
      { method: 'magnitude', sparsity: s, target: s, seed, remaining: Math.round(266_610 * (1 - s)), accuracy: 0.98 - 0.02 * i - 0.003 * seed },
      { method: 'random', sparsity: s, target: s, seed, remaining: Math.round(266_610 * (1 - s)), accuracy: 0.97 - 0.08 * i - 0.004 * seed },
    ]),
  );
  const nb04 = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks/04-practical-speedup.ipynb'), 'utf8')) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  const speedup = nb04.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data?.['application/vnd.plotly.v1+json']).find(Boolean) as Figure;
  const figs: Record<string, Figure> = {
    sparsity: sparsityBars(net),
    histogram: weightHistogram([{ name: 'before', values: flatValues(before) }, { name: 'after', values: flatValues(weightSnapshot(net)) }]),
    heatmap: maskHeatmap(maskValues(net, 'fc2/kernel'), { title: 'Mask of fc2' }),
    inputMask: inputMaskImage(net, 'fc1', [28, 28], 'fc1 mask per input pixel'),
    curves: trainingCurves({ epochs: [0, 1, 2].map((e) => ({ epoch: e, loss: 1 / (e + 1), accuracy: 0.6 + e / 10, valLoss: 1.2 / (e + 1), valAccuracy: 0.55 + e / 10 })) }),
    tradeoff: accuracyVsSparsity(rows),
    pareto: pareto(rows),
    seedBand: seedBandFigure(rows, { x: 'sparsity', y: 'accuracy', group: 'method', yScale: 100 }),
    paretoMeans: paretoFigure(rows, { x: 'remaining', y: 'accuracy', group: 'method', logX: true }),
    speedup,
  };
  net.dispose();
  assert.ok(speedup && Array.isArray(speedup.data), 'notebook 04 has a speedup figure');
  return figs;
}

describe('figure export: options and errors (no browser)', () => {
  it('the paper preset sets a 3.5 in page, serif 8 pt text, white background and axes that push the margins', () => {
    const f = exportFigure(trainingCurves([{ epoch: 0, loss: 1, accuracy: 0.5 }]));
    const l = f.layout;
    assert.strictEqual(l.width, 336);
    assert.strictEqual(l.height, 240);
    assert.match(String((l.font as { family: string }).family), /serif$/);
    assert.strictEqual((l.font as { size: number }).size, (8 * 96) / 72);
    assert.strictEqual(l.paper_bgcolor, 'white');
    assert.strictEqual((l.yaxis2 as { automargin: boolean }).automargin, true);
    assert.strictEqual(EXPORT_PRESETS.paper.scale * 96, 300, '300 dpi PNGs');
    const screen = exportFigure({ data: [], layout: { width: 500, height: 300 } }, { preset: 'screen', title: false });
    assert.deepStrictEqual([screen.layout.width, screen.layout.height], [500, 300]);
    assert.strictEqual(wrapText('a b c d e f', 40, 10), 'a b c d<br>e f');
  });

  it('names what is wrong: unknown extension, missing directory, non-figure, bad options — before starting Chromium', async () => {
    await closeExportBrowser();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-export-'));
    const fig = sparsityBars([{ layer: 'a', weight: 'a/kernel', type: 'Dense', shape: '2x2', params: 4, nonzeros: 2, sparsity: 0.5, compression: 2, flops: 4, remainingFlops: 2, speedup: 2 }]);
    try {
      await assert.rejects(saveFigure(fig, path.join(dir, 'fig.jpg')), /unknown extension \.jpg\): name the file \.pdf, \.svg or \.png/);
      await assert.rejects(saveFigure(fig, path.join(dir, 'fig')), /no extension\): name the file \.pdf, \.svg or \.png/);
      await assert.rejects(saveFigure(fig, path.join(dir, 'nope', 'fig.pdf')), /the directory .*nope does not exist/);
      await assert.rejects(saveFigure({ data: 3 } as never, path.join(dir, 'fig.pdf')), /expected a plotly figure/);
      await assert.rejects(saveFigure(fig, path.join(dir, 'fig.pdf'), { width: 0 }), /width must be a number of CSS pixels between 10 and/);
      await assert.rejects(saveFigure(fig, path.join(dir, 'fig.pdf'), { preset: 'poster' as never }), /unknown preset 'poster'\. Presets: paper, paper-wide, screen/);
      await assert.rejects(saveFigure(fig, path.join(dir, 'fig.pdf'), { dpi: 300 } as never), /unknown option\(s\) dpi/);
      assert.strictEqual(exportBrowserOpen(), false, 'Chromium was started for a request that could not succeed');
      assert.deepStrictEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('palette PNGs keep every pixel exactly with up to 256 colours, and the nearest colour beyond', () => {
    /** Decodes the palette PNGs palettePng writes (one IDAT, filter 0) back to RGBA. */
    const decode = (png: Buffer) => {
      const chunks = new Map<string, Buffer>();
      for (let at = 8; at < png.length; ) {
        const len = png.readUInt32BE(at);
        chunks.set(png.subarray(at + 4, at + 8).toString('latin1'), png.subarray(at + 8, at + 8 + len));
        at += 12 + len;
      }
      const { width, height } = pngSize(png);
      assert.strictEqual(chunks.get('IHDR')![9], 3, 'colour type: palette');
      const plte = chunks.get('PLTE')!;
      const trns = chunks.get('tRNS');
      const raw = zlib.inflateSync(chunks.get('IDAT')!);
      const out = Buffer.alloc(width * height * 4);
      for (let y = 0; y < height; y++) {
        assert.strictEqual(raw[y * (width + 1)], 0);
        for (let x = 0; x < width; x++) {
          const i = raw[y * (width + 1) + 1 + x];
          out.set([plte[3 * i], plte[3 * i + 1], plte[3 * i + 2], trns ? trns[i] : 255], 4 * (y * width + x));
        }
      }
      return out;
    };
    const w = 40;
    const h = 30;
    const few = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : ((i >> 2) % 7) * 30 + (i % 4)));
    const a = palettePng(few, w, h);
    assert.ok(a.exact && a.colors === 7);
    assert.deepStrictEqual([...decode(a.png)], [...few]);
    // Like a plot: a few colours, most pixels exactly one of them, the rest anti-aliased shades
    // near them (hundreds of distinct colours): the frequent ones stay exact, shades move a little.
    const bases = [[255, 255, 255], [31, 119, 180], [255, 127, 14], [44, 160, 44], [0, 0, 0]];
    const many = new Uint8Array(w * h * 4);
    for (let p = 0; p < w * h; p++) {
      const [r, g, bl] = bases[p % 5];
      const shade = p % 3 === 0 ? [0, 0] : [(p * 7) % 11, (p * 5) % 13];
      many.set([Math.min(255, r + shade[0]), Math.min(255, g + shade[1]), bl, 255], 4 * p);
    }
    const b = palettePng(many, w, h);
    assert.ok(!b.exact && b.colors > 256, `${b.colors} colours`);
    const back = decode(b.png);
    for (let p = 0; p < w * h; p++) {
      for (let c = 0; c < 4; c++) assert.ok(Math.abs(back[4 * p + c] - many[4 * p + c]) <= 12, `pixel ${p} channel ${c}: ${back[4 * p + c]} for ${many[4 * p + c]}`);
      if (p % 3 === 0) assert.deepStrictEqual([...back.subarray(4 * p, 4 * p + 4)], [...many.subarray(4 * p, 4 * p + 4)], 'a frequent colour is exact');
    }
    assert.throws(() => palettePng(few, w + 1, h), /are not 41×30 RGBA pixels/);
  });

  it('says which Debian package to install when Chromium is missing', async () => {
    await closeExportBrowser();
    const prev = process.env.PRUNELAB_CHROMIUM;
    process.env.PRUNELAB_CHROMIUM = '/nonexistent/chromium';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-export-'));
    try {
      assert.match(String(exportUnavailable()), /install the Debian package 'chromium'/);
      await assert.rejects(saveFigure({ data: [] }, path.join(dir, 'f.png')), /not at \/nonexistent\/chromium: install the Debian package 'chromium' \(sudo apt-get install chromium\)/);
      assert.deepStrictEqual(fs.readdirSync(dir), [], 'no file, no temporary file');
    } finally {
      if (prev === undefined) delete process.env.PRUNELAB_CHROMIUM;
      else process.env.PRUNELAB_CHROMIUM = prev;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('figure export through headless Chromium', function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-export-'));
  let kinds: Record<string, Figure> = {};

  before(function () {
    const why = exportUnavailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    kinds = figureKinds();
  });
  after(async () => {
    await closeExportBrowser();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exports every figure kind to PDF, SVG and PNG of the requested size, reusing one browser', async () => {
    await closeExportBrowser();
    const launches = exportBrowserLaunches();
    const out = testOutputDir('export');
    const svgs: Record<string, string> = {};
    for (const [name, fig] of Object.entries(kinds)) {
      const size = name === 'speedup' ? { preset: 'paper-wide' as const, width: 700, height: 320 } : { width: 336, height: 252 };
      for (const format of ['pdf', 'svg', 'png'] as ExportFormat[]) {
        const file = path.join(dir, `${name}.${format}`);
        const scale = format === 'png' ? 2 : undefined;
        const saved = await saveFigure(fig, file, { ...size, ...(scale ? { scale } : {}) });
        assert.strictEqual(saved.file, file);
        const buf = fs.readFileSync(file);
        assert.strictEqual(saved.bytes, buf.length);
        if (format === 'pdf') {
          const { pages, boxes } = pdfPages(buf);
          assert.strictEqual(pages, 1, `${name}.pdf has ${pages} pages`);
          assert.deepStrictEqual(boxes[0].map((v) => Math.round(v)), [0, 0, Math.round(size.width * 0.75), Math.round(size.height * 0.75)], `${name}.pdf page size in points`);
          assert.match(buf.toString('latin1'), /\/Type\s*\/Font/, `${name}.pdf draws its text with fonts (vector), not as an image`);
        } else if (format === 'svg') {
          svgs[name] = buf.toString('utf8');
        } else {
          assert.deepStrictEqual(pngSize(buf), { width: size.width * 2, height: size.height * 2 }, `${name}.png`);
          fs.copyFileSync(file, path.join(out, `${name}.png`));
        }
      }
    }
    assert.strictEqual(exportBrowserLaunches() - launches, 1, 'one browser for all exports');
    // The SVGs parse as XML in the browser, with the requested width and height on the root.
    const pp = await PlotPage.open();
    assert.ok(typeof pp !== 'string', String(pp));
    try {
      const parsed = await pp.page.evaluate((all) => {
        return Object.fromEntries(Object.entries(all).map(([k, text]) => {
          const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
          const err = doc.getElementsByTagName('parsererror')[0];
          const root = doc.documentElement;
          return [k, { error: err ? err.textContent : null, tag: root.tagName, width: root.getAttribute('width'), height: root.getAttribute('height'), texts: root.getElementsByTagName('text').length }];
        }));
      }, svgs);
      for (const [name, p] of Object.entries(parsed)) {
        const size = name === 'speedup' ? { width: 700, height: 320 } : { width: 336, height: 252 };
        assert.strictEqual(p.error, null, `${name}.svg: ${p.error}`);
        assert.strictEqual(p.tag, 'svg');
        assert.deepStrictEqual([Number(p.width), Number(p.height)], [size.width, size.height], `${name}.svg size`);
        assert.ok(p.texts > 3, `${name}.svg has its text as text`);
      }
    } finally {
      await pp.close();
    }
  });

  it('writes atomically: a failed write leaves neither a partial file nor a temporary one', async () => {
    const target = path.join(dir, 'taken.png');
    fs.mkdirSync(target); // a directory where the file should go: the final rename fails
    await assert.rejects(saveFigure(kinds.sparsity, target), /cannot write '.*taken\.png'/);
    assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.includes('taken')), ['taken.png']);
    assert.ok(fs.statSync(target).isDirectory());
    // Overwriting an existing file replaces it whole.
    const file = path.join(dir, 'again.svg');
    fs.writeFileSync(file, 'old');
    await saveFigure(kinds.sparsity, file);
    assert.match(fs.readFileSync(file, 'utf8'), /^<svg/);
    assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('renders concurrent exports one at a time on the shared browser', async () => {
    const bufs = await Promise.all([renderFigure(kinds.curves, 'png', { scale: 1 }), renderFigure(kinds.pareto, 'svg'), renderFigure(kinds.sparsity, 'png', { width: 200, height: 100, scale: 1 })]);
    assert.deepStrictEqual(pngSize(bufs[0]), { width: 336, height: 240 });
    assert.match(bufs[1].toString('utf8'), /^<svg[\s\S]*Pareto front/);
    assert.deepStrictEqual(pngSize(bufs[2]), { width: 200, height: 100 });
  });

  it('%plot ... --save FILE saves what it shows; size options without --save are an error', async () => {
    const net = createModel('lenet-300-100', { seed: 5 });
    const printed: string[] = [];
    const ctx = createMagicContext({ variables: { net }, print: (t) => void printed.push(t) });
    try {
      const file = path.join(dir, 'magic.png');
      const fig = (await runMagicLine(`%plot sparsity net --save ${file} --scale 1`, ctx)) as Figure;
      assert.ok(Array.isArray(fig.data));
      assert.deepStrictEqual(pngSize(fs.readFileSync(file)), { width: 336, height: 240 });
      assert.match(printed.join(''), /saved .*magic\.png \(PNG, 3\.50 × 2\.50 in, 336 × 240 px\)/);
      await assert.rejects(runMagicLine('%plot sparsity net --width 300', ctx), /--width sizes the saved file; add --save FILE/);
      await assert.rejects(runMagicLine(`%plot sparsity net --save ${path.join(dir, 'x.gif')}`, ctx), /unknown extension \.gif/);
    } finally {
      net.dispose();
    }
  });

  it('closes the browser after a few idle seconds, so that scripts can exit', async () => {
    await renderFigure(kinds.sparsity, 'svg');
    assert.strictEqual(exportBrowserOpen(), true);
    await new Promise((r) => setTimeout(r, 3500));
    assert.strictEqual(exportBrowserOpen(), false);
  });
});
