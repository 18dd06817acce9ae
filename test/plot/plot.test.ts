import * as assert from 'assert';
import { figureBundle, figureHtml, isFigure, PLOTLY_MIME, type Figure } from '../../src/plot/figure';
import { histogram, weightHistogram } from '../../src/plot/histogram';
import { maskHeatmap, poolGrid } from '../../src/plot/heatmap';
import { paretoFront, pareto, accuracyVsSparsity } from '../../src/plot/tradeoff';
import { trainingCurves } from '../../src/plot/curves';
import { mimeBundle } from '../../src/report/display';

describe('plot builders', () => {
  it('histogram: equal-width bins, closed right edge, counts every value once', () => {
    const h = histogram([0, 0.1, 0.5, 0.99, 1, 1], { bins: 2, range: [0, 1] });
    assert.deepStrictEqual(h.edges, [0, 0.5, 1]);
    assert.deepStrictEqual(h.counts, [2, 4]);
    // Closed form: n uniform grid points into k bins → n/k each.
    const v = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);
    assert.deepStrictEqual(histogram(v, { bins: 10 }).counts, new Array(10).fill(100));
    assert.throws(() => histogram([1], { bins: 0 }), /bins must be a positive integer/);
  });

  it('weight histogram drops exact zeros and bins all series on one range', () => {
    const f = weightHistogram([{ name: 'before', values: [-1, -0.5, 0.5, 1] }, { name: 'after', values: [0, 0, -1, 1] }], { bins: 4 });
    assert.strictEqual(f.data.length, 2);
    assert.deepStrictEqual(f.data[0].y, [1, 1, 0, 2]); // -0.5 and 0.5 open their bins; 1 closes the last
    assert.deepStrictEqual(f.data[1].y, [1, 0, 0, 1]);
    assert.deepStrictEqual(f.data[0].x, f.data[1].x);
    assert.match(String(f.data[1].name), /after \(2 nonzero\)/);
  });

  it('pools masks into block densities', () => {
    const { z, blockRows, blockCols } = poolGrid([1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0], 3, 4, 2, 2);
    assert.deepStrictEqual([blockRows, blockCols], [2, 2]);
    assert.deepStrictEqual(z, [[0.25, 1], [1, 0]]);
    const f = maskHeatmap({ values: new Float32Array([1, 0, 0, 0]), shape: [2, 2] });
    assert.match(String((f.layout!.title as { text: string }).text), /75\.0% pruned/);
    assert.throws(() => poolGrid([1, 2, 3], 2, 2, 1, 1), /do not form 2×2/);
  });

  it('Pareto front matches brute force on random points', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rnd() * 20);
      const xs = Array.from({ length: n }, () => Math.round(rnd() * 10) / 10);
      const ys = Array.from({ length: n }, () => Math.round(rnd() * 10) / 10);
      for (const minimizeX of [false, true]) {
        const better = (a: number, b: number) => (minimizeX ? xs[a] <= xs[b] : xs[a] >= xs[b]) && ys[a] >= ys[b] && (xs[a] !== xs[b] || ys[a] !== ys[b]);
        const brute = xs.map((_, i) => i).filter((i) => !xs.some((_, j) => better(j, i)));
        const front = paretoFront(xs, ys, minimizeX);
        // Duplicated points appear once on the front.
        const key = (i: number) => `${xs[i]},${ys[i]}`;
        assert.deepStrictEqual([...new Set(front.map(key))].sort(), [...new Set(brute.map(key))].sort(), `trial ${trial}`);
      }
    }
  });

  it('Pareto front of (cost, accuracy) points: x minimised, sorted by x, mismatched lengths refused', () => {
    // cost ↓, accuracy ↑: points (2, .9) (1, .5) (4, .95) (3, .8); (3, .8) is dominated by (2, .9)
    assert.deepEqual(paretoFront([2, 1, 4, 3], [0.9, 0.5, 0.95, 0.8], true), [1, 0, 2]);
    assert.deepEqual(paretoFront([1, 1], [0.2, 0.7], true), [1]);
    assert.throws(() => paretoFront([1, 2], [0.5]), /paretoFront: 2 x values but 1 y values/);
  });

  it('results-table plots name missing columns and bad values', () => {
    const rows = [
      { method: 'a', sparsity: 0.9, accuracy: 0.8 },
      { method: 'a', sparsity: 0.5, accuracy: 0.9 },
      { method: 'b', sparsity: 0.5, accuracy: 0.7 },
    ];
    const f = accuracyVsSparsity(rows);
    assert.deepStrictEqual(f.data.map((t) => t.name), ['a', 'b']);
    assert.deepStrictEqual(f.data[0].x, [0.5, 0.9]);
    assert.strictEqual(pareto(rows).data.length, 3);
    assert.throws(() => pareto(rows, { y: 'acc' }), /no column 'acc'\. Columns: method, sparsity, accuracy/);
    assert.throws(() => pareto([{ sparsity: 'x', accuracy: 1 }]), /row 0 has a non-numeric 'sparsity'/);
  });

  it('training curves accept what train returns', () => {
    const f = trainingCurves({ epochs: [{ epoch: 0, loss: 1, accuracy: 0.5, valAccuracy: 0.4 }] });
    assert.deepStrictEqual(f.data.map((t) => t.name), ['train loss', 'train accuracy', 'val accuracy']);
    assert.throws(() => trainingCurves(42 as never), /expected what pl\.train returns/);
  });

  it('figures display as plotly JSON + offline HTML + text, safely escaped', () => {
    const fig: Figure = { data: [{ type: 'bar', name: '</script><b>x', x: [1], y: [2] }], layout: { title: { text: 'T' } } };
    assert.ok(isFigure(fig));
    assert.ok(!isFigure({ data: [1] }) && !isFigure({ data: [], extra: 1 }) && !isFigure(new (class { data = [] })()));
    const b = mimeBundle(fig);
    assert.deepStrictEqual(Object.keys(b).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    assert.deepStrictEqual((b[PLOTLY_MIME] as Figure).data, fig.data);
    const html = figureHtml(fig);
    assert.ok(!html.includes('</script><b>'), 'user text cannot close the script element');
    assert.match(html, /requirejs\(\["kernelspecs\/prunelab\/plotly\.min"\]/);
    assert.doesNotMatch(html, /https?:\/\//);
    assert.match(String(figureBundle(fig)['text/plain']), /<plotly figure 'T': 1 trace \(bar/);
  });
});
