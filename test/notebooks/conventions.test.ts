/**
 * The notebook conventions, checked on the committed files (executing them is the runner's job,
 * `npm run notebooks`): prunelab kernel, a title and the paper in markdown, the budget switch,
 * ≥ 3 seeds per budget, claim cells, and no error outputs committed.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIR = path.join(ROOT, 'notebooks');
/** The method notebooks of the first wave (00-* is the magics tour, not a method notebook). */
const WAVE1 = ['01-magnitude.ipynb', '02-schedules.ipynb', '03-scope-and-structure.ipynb', '04-practical-speedup.ipynb'];

interface Cell { cell_type: string; source: string | string[]; metadata?: { tags?: string[] }; outputs?: { output_type: string; ename?: string; evalue?: string }[] }
interface Notebook { nbformat: number; metadata: { kernelspec?: { name?: string; language?: string } }; cells: Cell[] }

const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);

function methodNotebooks(): string[] {
  return fs.readdirSync(DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.startsWith('00-')).sort();
}

describe('notebooks: conventions', () => {
  it('the first wave is there', () => {
    const have = methodNotebooks();
    const missing = WAVE1.filter((f) => !have.includes(f));
    assert.deepEqual(missing, [], `missing notebooks: ${missing.join(', ')}`);
  });

  for (const file of fs.existsSync(DIR) ? methodNotebooks() : []) {
    describe(file, () => {
      const nb = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Notebook;
      const code = nb.cells.filter((c) => c.cell_type === 'code').map(text).join('\n');
      const markdown = nb.cells.filter((c) => c.cell_type === 'markdown').map(text).join('\n');

      it('is nbformat 4 on the prunelab kernel (TypeScript)', () => {
        assert.equal(nb.nbformat, 4);
        assert.equal(nb.metadata.kernelspec?.name, 'prunelab');
        assert.equal(nb.metadata.kernelspec?.language, 'typescript');
      });

      it('opens with a titled markdown cell stating the idea, a formula and the paper', () => {
        assert.equal(nb.cells[0].cell_type, 'markdown');
        assert.match(text(nb.cells[0]), /^# \d\d — /);
        assert.match(markdown, /\$[^$]+\$/, 'a formula in LaTeX');
        assert.match(markdown, /\b(19|20)\d\d\b/, 'a cited paper with its year');
      });

      it('has the budget switch with ≥ 3 seeds in every budget', () => {
        assert.match(code, /notebookBudget\(\)/);
        assert.match(markdown, /PRUNELAB_BUDGET=paper/);
        // seeds in the code's budget switch, or in the budgets of a benchmark definition it reads (09)
        const definition = /readBenchmark\('([^']+)'\)/.exec(code);
        const seeds = definition
          ? Object.values(JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', definition[1]), 'utf8')).budgets as Record<string, { seeds: number[] }>).map((b) => b.seeds.length)
          : [...code.matchAll(/seeds: \[([^\]]*)\]/g)].map((m) => m[1].split(',').filter((s) => s.trim()).length);
        assert.ok(seeds.length >= 2, 'seeds given for the quick and the paper budget');
        assert.ok(seeds.every((n) => n >= 3), `seeds per budget: ${seeds.join(', ')}`);
      });

      it('ends with claim cells that fail when the notebook stops showing its claims', () => {
        const last = nb.cells.filter((c) => c.cell_type === 'code').pop()!;
        assert.match(text(last), /claim\(/);
      });

      it('has no error outputs committed', () => {
        // cells tagged raises-exception show an error on purpose (nbclient's convention)
        const errors = nb.cells.filter((c) => !(c.metadata?.tags ?? []).includes('raises-exception'))
          .flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'error');
        assert.deepEqual(errors.map((e) => `${e.ename}: ${e.evalue}`), []);
      });
    });
  }
});
