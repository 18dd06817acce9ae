// The comparison's statistics and tables: Welch's test and Holm's correction against scipy,
// ranks that tie what the test cannot tell apart, and the rule that overlapping intervals are
// never called better.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { accuracyTable, budgetTable, holmAdjust, paperTable, paretoTable, rankTable, welchTTest, type ComparisonRow } from '../../src/compare/report';

const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/fixtures/stats/welch.json'), 'utf8'));

/** Rows of one method at one target: one per accuracy (seeds 1, 2, ...). */
function rows(label: string, target: number, accuracies: number[], extra: Partial<ComparisonRow> = {}): ComparisonRow[] {
  return accuracies.map((accuracy, i) => ({
    label, family: '', protocol: 'one-shot', model: 'lenet-300-100', dataset: 'mnist', target, seed: i + 1, accuracy, sparsity: target,
    flopsLeft: 1 - target, latency1Ms: 0.1, latency64Ms: 1, epochsUsed: 3, budgetEpochs: 3, methodSeconds: 1, denseTrainSeconds: 2, seconds: 4, ...extra,
  }));
}

describe('comparison statistics', () => {
  it("Welch's t-test matches scipy.stats.ttest_ind(equal_var=False)", () => {
    for (const c of fixtures.welch) {
      const r = welchTTest(c.a, c.b);
      assert.ok(Math.abs(r.t - c.t) < 1e-9 * Math.max(1, Math.abs(c.t)), `t ${r.t} vs ${c.t}`);
      assert.ok(Math.abs(r.p - c.p) < 1e-6, `p ${r.p} vs scipy ${c.p} for ${c.a} / ${c.b}`);
    }
  });

  it("Holm's correction matches its definition, and a single seed is refused by the test", () => {
    const got = holmAdjust(fixtures.holm.p);
    got.forEach((v, i) => assert.ok(Math.abs(v - fixtures.holm.adjusted[i]) < 1e-12, `${i}: ${v}`));
    assert.throws(() => welchTTest([0.9], [0.8, 0.85]), /at least 2 values/);
  });

  it('ranks: methods the test cannot tell from the best share rank 1; a clearly worse one is ranked below', () => {
    const r = rankTable([
      ...rows('magnitude', 0.9, [0.970, 0.972, 0.971]),
      ...rows('close', 0.9, [0.969, 0.973, 0.970]),
      ...rows('bad', 0.9, [0.80, 0.81, 0.805]),
    ]);
    const rank = Object.fromEntries(r.map((x) => [x.method, x.rank]));
    assert.deepEqual(rank, { magnitude: 1, close: 1, bad: 3 });
    const verdict = Object.fromEntries(r.map((x) => [x.method, x['vs magnitude']]));
    assert.deepEqual(verdict, { magnitude: '—', close: 'cannot tell', bad: 'worse' });
  });

  it('a method whose interval overlaps the baseline is never called better, even with a higher mean', () => {
    // higher mean, wide spread: the intervals overlap
    const r = rankTable([...rows('magnitude', 0.95, [0.950, 0.951, 0.949]), ...rows('lucky', 0.95, [0.93, 0.99, 0.97])]);
    const lucky = r.find((x) => x.method === 'lucky')!;
    assert.equal(lucky['vs magnitude'], 'cannot tell');
    const clear = rankTable([...rows('magnitude', 0.95, [0.950, 0.951, 0.949]), ...rows('clear', 0.95, [0.970, 0.971, 0.969])]);
    assert.equal(clear.find((x) => x.method === 'clear')!['vs magnitude'], 'better');
    assert.equal(clear.find((x) => x.method === 'clear')!.rank, 1);
    assert.equal(clear.find((x) => x.method === 'magnitude')!.rank, 2);
  });

  it('Pareto table: only points no other point beats on accuracy and FLOPs', () => {
    const all = [
      ...rows('a', 0.9, [0.97, 0.97], { flopsLeft: 0.1 }),
      ...rows('b', 0.9, [0.96, 0.96], { flopsLeft: 0.2 }), // dominated by a
      ...rows('c', 0.99, [0.90, 0.90], { flopsLeft: 0.01 }),
    ];
    assert.deepEqual(paretoTable(all, 'flopsLeft').map((p) => p.method), ['c', 'a']);
  });

  it('accuracy, budget and paper tables read the rows: measured sparsity, epochs used, nearest target', () => {
    const all = [...rows('magnitude', 0.9, [0.97, 0.98], { sparsity: 0.905 }), ...rows('magnitude', 0.95, [0.95, 0.96], { sparsity: 0.951 })];
    const acc = accuracyTable(all);
    assert.equal(acc[0]['sparsity % (measured)'], '90.50');
    assert.match(String(acc[0]['accuracy %']), /^97\.50 ± /);
    assert.deepEqual(budgetTable(all).map((b) => [b['epochs used (min)'], b['epochs used (max)']]), [['3.000', '3.000']]);
    const paper = paperTable(all, [{ label: 'magnitude', model: 'lenet-300-100', dataset: 'mnist', sparsity: 0.94, accuracy: 0.98, source: 'x' }]);
    assert.equal(paper[0]['our sparsity % (measured)'], '95.1');
    const missing = paperTable(all, [{ label: 'obd', model: 'lenet-300-100', dataset: 'mnist', sparsity: 0.9, accuracy: 0.98, source: 'x' }]);
    assert.equal(missing[0]['our accuracy %'], 'not run');
  });
});
