import { strict as assert } from 'assert';
import { claim, markdownTable, meltColumns, summaryTable } from '../../src/report/result-tables';

describe('report: tables of experiment results', () => {
  it('melt, summary and markdown tables', () => {
    const rows = [{ t: 0.5, seed: 1, a: 0.9, b: 0.8 }, { t: 0.5, seed: 2, a: 0.92, b: 0.82 }];
    const long = meltColumns(rows, { a: 'A', b: 'B' });
    assert.deepEqual(long.map((r) => [r.series, r.value]), [['A', 0.9], ['B', 0.8], ['A', 0.92], ['B', 0.82]]);
    assert.throws(() => meltColumns(rows, { c: 'C' }), /no column 'c'/);
    const s = summaryTable(rows, ['t'], { a: 'A (%)' });
    assert.equal(s.length, 1);
    assert.equal(s[0].seeds, 2);
    assert.match(String(s[0]['A (%)']), /^91\.00 ± \d+\.\d\d$/);
    assert.equal(markdownTable([{ q: 'x', v: 1.64, n: 3 }]), '| q | v | n |\n| --- | --- | --- |\n| x | 1.64 | 3 |');
  });

  it('claim prints when it holds and throws when it does not', () => {
    claim(true, 'holds');
    assert.throws(() => claim(false, 'accuracy within 1 point'), /^UserError: Claim failed: accuracy within 1 point$/);
  });
});
