/**
 * The committed notebooks call the experiment drivers, their figures and tables as `pl.report.*`
 * (and through `const S = pl.report`), from before they were split into src/experiments,
 * src/plot and src/report. Their outputs come from hours-long runs, so every name they use must
 * keep working under its old path.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as pl from '../../kernel/pl';
import { ROOT } from '../kernel/helpers';

/** `pl.<path>` names used by the code cells of the committed notebooks, `S.x` read as `pl.report.x`. */
function namesUsedByNotebooks(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const dir = path.join(ROOT, 'notebooks');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb'))) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { cells: { cell_type: string; source: string[] | string }[] };
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
    const aliasesOfReport = [...code.matchAll(/const (\w+) = pl\.report;/g)].map((m) => m[1]);
    const refs = [...code.matchAll(/\bpl\.((?:report|plot|experiments|sweeps)\.\w+|\w+)/g)].map((m) => m[1]);
    for (const alias of aliasesOfReport) refs.push(...[...code.matchAll(new RegExp(`\\b${alias}\\.(\\w+)`, 'g'))].map((m) => `report.${m[1]}`));
    for (const r of refs) used.set(r, [...new Set([...(used.get(r) ?? []), file])]);
  }
  return used;
}

describe('experiments: the names the committed notebooks use', () => {
  it('every pl.* and pl.report.* name of a notebook code cell still resolves', () => {
    const used = namesUsedByNotebooks();
    assert.ok(
      used.has('report.seedBandFigure') && used.has('report.claim') && used.has('sweeps.sparsitySweep') && used.has('sweeps.variantSweep'),
      `the scan finds the notebooks' names: ${[...used.keys()].join(', ')}`,
    );
    const missing = [...used].filter(([name]) => name.split('.').reduce<any>((o, k) => o?.[k], pl) === undefined);
    assert.deepEqual(missing, [], 'names used by notebooks but missing from pl');
  });

  it('pl.report keeps the experiment drivers and figures, which also live in pl.experiments and pl.plot', () => {
    assert.equal(pl.report.trainDenseRuns, pl.experiments.trainDenseRuns);
    assert.equal(pl.report.seedBandFigure, pl.plot.seedBandFigure);
    assert.equal(pl.report.inputMaskImage, pl.plot.inputMaskImage);
    assert.equal(pl.report.paretoFigure, pl.plot.paretoFigure);
  });
});
