import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../src/models';
import { prune } from '../../src/prune';
import { display, DISPLAY_SYMBOL, mimeBundle, setDisplaySink, type MimeBundle } from '../../src/report/display';
import { ProgressBar } from '../../src/report/progress';
import { SPARSITY_COLUMNS, sparsityTable } from '../../src/report/sparsity';
import { formatCell, tableBundle, tableText, toRecords } from '../../src/report/table';
import { toDataFrame } from '../../src/report/frames';
import { flatValues, weightSnapshot } from '../../src/report/weights';
import { sparsityBars } from '../../src/plot/sparsity-bars';

describe('reports and display', () => {
  it('uses an object’s own display method, then formatters, then plain text', () => {
    assert.deepStrictEqual(mimeBundle({ [DISPLAY_SYMBOL]: () => ({ 'text/html': '<i>x</i>' }) }), { 'text/html': '<i>x</i>', 'text/plain': '' });
    assert.deepStrictEqual(mimeBundle('s'), { 'text/plain': "'s'" });
    assert.match(String(mimeBundle(tf.tensor([1, 2]))['text/plain']), /Tensor/);
    assert.throws(() => mimeBundle({ [DISPLAY_SYMBOL]: () => 3 }), /must return an object/);
  });

  it('formats tables like pandas, eliding the middle of long ones', () => {
    const t = { columns: ['a', 'b'], index: [0, 1], rows: [[1, 0.123456789], ['x<y', NaN]] };
    assert.strictEqual(tableText(t), '     a         b\n0    1  0.123457\n1  x<y       NaN');
    assert.match(String(tableBundle(t)['text/html']), /<td>x&lt;y<\/td>/);
    assert.strictEqual(formatCell(1e-9), '1.0000e-9');
    const long = { columns: ['v'], index: Array.from({ length: 100 }, (_, i) => i), rows: Array.from({ length: 100 }, (_, i) => [i]) };
    const text = tableText(long);
    assert.match(text, /\n\.\.\.\s+\.\.\.\n/);
    assert.match(text, /\[100 rows x 1 columns\]$/);
  });

  it('DataFrames display as HTML + text and convert back to rows', () => {
    const df = toDataFrame([{ method: 'm', sparsity: 0.5 }, { method: 'r', sparsity: 0.9 }]);
    const b = mimeBundle(df);
    assert.match(String(b['text/html']), /<table border="1" class="dataframe">/);
    assert.deepStrictEqual(toRecords(df), [{ method: 'm', sparsity: 0.5 }, { method: 'r', sparsity: 0.9 }]);
    assert.throws(() => toRecords(5), /Expected a results table/);
  });

  it('sparsity table: one row per prunable kernel plus total, matching the masks', () => {
    const net = createModel('lenet-300-100', { seed: 1 });
    const before = tf.memory().numTensors;
    const snap = weightSnapshot(net);
    prune(net, { criterion: 'magnitude', sparsity: 0.5 });
    const rows = toRecords(sparsityTable(net));
    assert.deepStrictEqual(rows.map((r) => r.layer), ['fc1', 'fc2', 'fc3', 'total']);
    // danfojs's own methods work on it: no column shadows a DataFrame member (a 'shape' column did)
    const df = sparsityTable(net);
    assert.deepStrictEqual(df.shape, [4, SPARSITY_COLUMNS.length]);
    assert.deepStrictEqual(toRecords(df.head(2)).map((r) => r.layer), ['fc1', 'fc2']);
    for (const r of rows.slice(0, 3)) assert.ok(Math.abs((r.sparsity as number) - 0.5) < 1e-3);
    assert.strictEqual(rows[3].params, net.countParams());
    assert.strictEqual(flatValues(snap).length, 784 * 300 + 300 * 100 + 100 * 10);
    assert.strictEqual(sparsityBars(net).data[0].x instanceof Array, true);
    // prune's masks are the only new tensors (one mask + one original per kernel).
    assert.ok(tf.memory().numTensors - before <= 6, `leaked ${tf.memory().numTensors - before}`);
    net.dispose();
  });

  it('progress bars redraw in place, throttled, through the display sink', () => {
    const sent: { bundle: MimeBundle; id?: string; update: boolean }[] = [];
    const prev = setDisplaySink({ show: (bundle, id, update) => sent.push({ bundle, id, update }) });
    try {
      const bar = new ProgressBar('go', 10_000);
      bar.update(0.5, 'half');
      bar.update(0.6, 'throttled');
      bar.done('end');
      assert.deepStrictEqual(sent.map((s) => s.update), [false, true, true]);
      assert.ok(sent.every((s) => s.id === sent[0].id));
      assert.match(String(sent[2].bundle['text/plain']), /\[#{30}\] 100%  end/);
      assert.match(String(sent[1].bundle['text/html']), /<progress value="50" max="100"/);
      const h = display(1);
      assert.notStrictEqual(h.id, sent[0].id);
    } finally {
      setDisplaySink(prev);
    }
  });
});
