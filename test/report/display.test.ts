/**
 * What a reader sees: models, masked models and datasets display as short summary tables (not a
 * 40 KB object dump), the display registry takes new kinds of values, and the sparsity table
 * shows percentages and ratios while keeping raw numbers for code.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/data';
import { createModel } from '../../src/models';
import { MaskedModel, prune } from '../../src/prune';
import { listFormatters, mimeBundle, registerFormatter } from '../../src/report/display';
import { sparsityTable } from '../../src/report/sparsity';
import { toRecords } from '../../src/report/table';
import '../../src/report'; // registers the formatters of models, datasets, tables

/** Rows of a plain-text table (lines with at least two cells separated by 2+ spaces). */
function textRow(text: string, first: string): string[] {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(first));
  assert.ok(line, `no row starting with '${first}' in:\n${text}`);
  return line.trim().split(/\s{2,}/);
}

describe('rich display of models, masked models and datasets', () => {
  it('a tf.LayersModel shows a Keras-like summary: layer (type), output shape, params, total', () => {
    const net = createModel('lenet-300-100', { seed: 1 });
    try {
      const b = mimeBundle(net);
      const text = String(b['text/plain']);
      const html = String(b['text/html']);
      assert.ok(text.length < 2000, `text/plain is ${text.length} characters:\n${text.slice(0, 500)}`);
      assert.ok(html.length < 4000, `text/html is ${html.length} characters`);
      assert.deepStrictEqual(textRow(text, 'fc1'), ['fc1 (Dense)', '[null, 300]', '235,500']);
      assert.deepStrictEqual(textRow(text, 'fc3'), ['fc3 (Dense)', '[null, 10]', '1,010']);
      assert.deepStrictEqual(textRow(text, 'Total'), ['Total', '266,610']);
      assert.match(text, /lenet-300-100|Sequential/);
      assert.match(text, /266,610 parameters/);
      assert.doesNotMatch(text, /non-zeros|sparsity/i, 'an unpruned model has no mask columns');
      assert.match(html, /<table[^>]*>[\s\S]*<th>Layer \(type\)<\/th>[\s\S]*<th>fc2 \(Dense\)<\/th>/);
    } finally {
      net.dispose();
    }
  });

  it('a pruned model and its MaskedModel add non-zeros and sparsity per layer and in total', () => {
    const net = createModel('lenet-300-100', { seed: 2 });
    try {
      const masked = prune(net, { criterion: 'magnitude', sparsity: 0.9 });
      const before = tf.memory().numTensors;
      for (const value of [net, masked]) {
        const text = String(mimeBundle(value)['text/plain']);
        // fc1: 235,200 kernel weights, 90% pruned → 23,520 left + 300 biases.
        assert.deepStrictEqual(textRow(text, 'fc1'), ['fc1 (Dense)', '[null, 300]', '235,500', '23,820', '89.9%']);
        const total = textRow(text, 'Total');
        const left = 23_520 + 3_000 + 100 + 300 + 100 + 10;
        assert.deepStrictEqual(total.slice(0, 3), ['Total', '266,610', left.toLocaleString('en-US')]);
        assert.strictEqual(total[3], `${(100 * (1 - left / 266_610)).toFixed(1)}%`);
        assert.ok(text.includes(`${(266_610 / left).toPrecision(3)}× fewer`), text);
        assert.ok(text.length < 2000);
        assert.match(String(mimeBundle(value)['text/html']), /<th>Non-zeros<\/th>[\s\S]*<th>Sparsity<\/th>/);
      }
      assert.match(String(mimeBundle(masked)['text/plain']), /^MaskedModel/);
      assert.strictEqual(tf.memory().numTensors, before, 'displaying leaked tensors');
      // Displaying a model never creates a MaskedModel for it.
      const other = createModel('mlp', { hidden: [4], inputShape: [2], classes: 2, seed: 0 });
      mimeBundle(other);
      assert.strictEqual(MaskedModel.existing(other), undefined);
      other.dispose();
    } finally {
      net.dispose();
    }
  });

  it('a dataset shows its name, splits, shapes, value range and classes', async () => {
    const ds = await loadDataset('tiny-fashion', { validationFraction: 0.2, seed: 0 });
    const b = mimeBundle(ds);
    const text = String(b['text/plain']);
    assert.ok(text.length < 2000, `text/plain is ${text.length} characters`);
    assert.match(text, /^Dataset 'tiny-fashion': 10 classes, features \[28, 28, 1\]/);
    assert.deepStrictEqual(textRow(text, 'train').slice(0, 3), ['train', '800', '[28, 28, 1]']);
    assert.deepStrictEqual(textRow(text, 'validation').slice(0, 2), ['validation', '200']);
    assert.deepStrictEqual(textRow(text, 'test').slice(0, 2), ['test', '500']);
    assert.match(text, /classes: T-shirt\/top, Trouser, /);
    assert.match(String(b['text/html']), /<table[\s\S]*<th>validation<\/th>/);
    // One split alone (ds.train) is short too.
    const split = String(mimeBundle(ds.train)['text/plain']);
    assert.match(split, /^Examples: 800 × \[28, 28, 1\], 10 classes/);
    assert.ok(split.length < 600);
  });

  it('the registry takes new kinds of values; a failing formatter falls back to a short text', () => {
    class SweepResult {
      constructor(readonly rows: number) {}
    }
    registerFormatter({ name: 'test-sweep', test: (v) => v instanceof SweepResult, format: (v) => ({ 'text/plain': `<sweep of ${(v as SweepResult).rows} runs>` }) });
    assert.ok(listFormatters().includes('test-sweep'));
    assert.deepStrictEqual(mimeBundle(new SweepResult(3)), { 'text/plain': '<sweep of 3 runs>' });
    registerFormatter({ name: 'test-sweep', test: (v) => v instanceof SweepResult, format: () => { throw new Error('boom'); } });
    const b = mimeBundle(new SweepResult(4));
    assert.match(String(b['text/plain']), /SweepResult[\s\S]*display formatter 'test-sweep' failed: boom/);
  });
});

describe('%sparsity / sparsityTable display', () => {
  it('shows percentages and ratios with sensible digits and keeps raw numbers in the DataFrame', () => {
    const net = createModel('lenet-300-100', { seed: 3 });
    try {
      prune(net, { criterion: 'magnitude', sparsity: 0.941297 });
      const df = sparsityTable(net);
      const rows = toRecords(df);
      assert.strictEqual(typeof rows[0].sparsity, 'number');
      assert.ok(Math.abs((rows[0].sparsity as number) - 0.941297) < 1e-4, 'raw fraction kept');
      assert.ok(Math.abs((rows[0].compression as number) - 1 / (1 - (rows[0].sparsity as number))) < 1e-6);
      const b = mimeBundle(df);
      const text = String(b['text/plain']);
      const fc1 = textRow(text, '0');
      assert.ok(fc1.includes('94.1%'), fc1.join(' | '));
      assert.ok(fc1.includes('17.0×'), fc1.join(' | '));
      assert.ok(fc1.includes('235,200'), 'params with thousands separators');
      assert.doesNotMatch(text, /0\.94\d{3}|17\.0\d{3}/, 'raw floats in the displayed table');
      assert.match(String(b['text/html']), /<td>94\.1%<\/td>[\s\S]*<td>17\.0×<\/td>/);
    } finally {
      net.dispose();
    }
  });
});
