/**
 * Figure layout, checked where it matters: drawn by plotly.js in headless Chromium (the
 * notebook's renderer), measuring where titles and tick labels land. Screenshots go to
 * build/test-output/figures/.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { trainingCurves } from '../../src/plot/curves';
import { maskHeatmap } from '../../src/plot/heatmap';
import { seedBandFigure } from '../../src/plot/seed-bands';
import { testOutputDir } from '../kernel/helpers';
import { overlaps, PlotPage } from './render';

const epochs = [0, 1, 2, 3, 4].map((e) => ({ epoch: e, step: 10 * (e + 1), loss: 2 / (e + 1), accuracy: 0.5 + e / 10, valLoss: 2.2 / (e + 1), valAccuracy: 0.45 + e / 10, learningRate: 1e-3, seconds: 1 }));

describe('training curves and mask heatmaps: data', () => {
  it('draws validation curves from a tf.History (model.fit with validation data) and from Keras key names', async () => {
    const net = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: 'softmax' })] });
    net.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const xs = tf.tensor2d([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    const h = await net.fit(xs, ys, { epochs: 3, validationData: [xs, ys], verbose: 0 });
    tf.dispose([xs, ys]);
    net.dispose();
    assert.ok('val_loss' in h.history, `tf.History keys: ${Object.keys(h.history).join(', ')}`);
    const f = trainingCurves(h as never);
    assert.deepStrictEqual(f.data.map((t) => t.name), ['train loss', 'train accuracy', 'val loss', 'val accuracy']);
    assert.deepStrictEqual(f.data[0].x, [1, 2, 3]);
    assert.deepStrictEqual(f.data[2].y, (h.history.val_loss as number[]).map(Number));
    assert.deepStrictEqual(f.data[3].y, (h.history.val_acc as number[]).map(Number));

    // Rows with Keras/tfjs key names (what an onEpochEnd(epoch, logs) callback collects).
    const rows = [{ epoch: 0, loss: 1, acc: 0.5, val_loss: 1.2, val_acc: 0.4 }, { epoch: 1, loss: 0.8, acc: 0.6, val_loss: 1.0, val_accuracy: 0.5 }];
    const g = trainingCurves(rows as never);
    assert.deepStrictEqual(g.data.map((t) => t.name), ['train loss', 'train accuracy', 'val loss', 'val accuracy']);
    assert.deepStrictEqual(g.data[1].y, [0.5, 0.6]);
    assert.deepStrictEqual(g.data[3].y, [0.4, 0.5]);
    assert.throws(() => trainingCurves([{ epoch: 0, accuracy: 1 }] as never), /no training loss.*keys: epoch, accuracy/);
  });

  it('the mask heatmap labels real input/output units when it pools the mask into blocks', () => {
    // fc2 of LeNet-300-100: 300 inputs × 100 outputs, pooled into 2×1 blocks at maxCells 160.
    const values = new Float32Array(300 * 100).map((_, i) => (i % 3 === 0 ? 0 : 1));
    const f = maskHeatmap({ values, shape: [300, 100] });
    const t = f.data[0] as Record<string, number>;
    assert.match(String((f.layout!.title as { text: string }).text), /each cell: the kept fraction of 2×1 weights/);
    const rows = (t.z as unknown as number[][]).length;
    assert.strictEqual(rows, 150);
    // Cell i covers units [y0 + i·dy − dy/2, y0 + i·dy + dy/2): the axis spans units 0–299.
    assert.strictEqual(t.y0 - t.dy / 2, -0.5);
    assert.strictEqual(t.y0 + (rows - 1) * t.dy + t.dy / 2, 299.5);
    assert.strictEqual(t.x0 - t.dx / 2, -0.5);
    assert.strictEqual(t.x0 + 99 * t.dx + t.dx / 2, 99.5);
  });
});

describe('training curves and mask heatmaps: drawn in Chromium', function () {
  this.timeout(120_000);
  let pp: PlotPage | null = null;
  let why = '';

  before(async () => {
    const r = await PlotPage.open();
    if (typeof r === 'string') why = r;
    else pp = r;
  });
  after(async () => {
    await pp?.close();
  });
  beforeEach(function () {
    if (!pp) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
  });

  for (const size of [{ width: 900, height: 420 }, { width: 500, height: 360 }]) {
    it(`training curves at ${size.width}×${size.height}: the right axis title clears its tick labels; validation curves drawn`, async () => {
      await pp!.draw(trainingCurves({ epochs }), size);
      await pp!.screenshot(path.join(testOutputDir('figures'), `curves-${size.width}.png`));
      const title = (await pp!.boxes('.g-y2title text'))[0];
      const ticks = await pp!.boxes('.y2tick text');
      assert.ok(title && ticks.length >= 3, 'the right axis has a title and tick labels');
      for (const t of ticks) assert.ok(!overlaps(title, t), `the right axis title ${JSON.stringify(title)} overlaps tick '${t.text}' ${JSON.stringify(t)}`);
      assert.ok(title.x + title.width <= size.width, `the right axis title is cut off at the right edge (${title.x + title.width} > ${size.width})`);
      // Neither does the legend sit on the x-axis title.
      const xTitle = (await pp!.boxes('.g-xtitle text'))[0];
      for (const item of await pp!.boxes('.legend .traces')) assert.ok(!overlaps(xTitle, item), `legend entry '${item.text}' overlaps the x-axis title`);
      assert.strictEqual((await pp!.boxes('.scatterlayer .trace')).length, 4, 'train/val loss and accuracy');
    });
  }

  for (const height of [300, 420]) {
    it(`seed-band figure at height ${height}: the legend below the plot clears the x-axis title`, async () => {
      const rows = ['one-shot', 'iterative', 'AGP'].flatMap((method, g) =>
        [0.5, 0.8, 0.9, 0.95].flatMap((sparsity) => [0, 1, 2].map((seed) => ({ method, sparsity, seed, accuracy: 0.98 - g * 0.01 - sparsity / 20 + seed / 1000 }))));
      const fig = seedBandFigure(rows, { x: 'sparsity', y: 'accuracy', group: 'method' });
      await pp!.draw(fig, { width: 700, height });
      await pp!.screenshot(path.join(testOutputDir('figures'), `seed-band-${height}.png`));
      const xTitle = (await pp!.boxes('.g-xtitle text'))[0];
      const items = await pp!.boxes('.legend .traces');
      assert.ok(xTitle && items.length === 3, 'an x-axis title and one legend entry per method');
      for (const item of items) assert.ok(!overlaps(xTitle, item), `legend entry '${item.text}' overlaps the x-axis title`);
      for (const t of await pp!.boxes('.xtick text')) for (const item of items) assert.ok(!overlaps(t, item), `legend entry '${item.text}' overlaps tick '${t.text}'`);
    });
  }

  it('the pooled mask heatmap has tick labels in units (up to 299), not blocks (up to 149)', async () => {
    const values = new Float32Array(300 * 100).fill(1);
    await pp!.draw(maskHeatmap({ values, shape: [300, 100] }));
    await pp!.screenshot(path.join(testOutputDir('figures'), 'heatmap-pooled.png'));
    const yTicks = (await pp!.boxes('.ytick text')).map((b) => Number(b.text.replace(/,/g, '')));
    assert.ok(Math.max(...yTicks) >= 250 && Math.max(...yTicks) < 300, `y ticks: ${yTicks.join(', ')}`);
  });
});
