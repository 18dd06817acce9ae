/** The magics tour notebook run through the real kernel with nbclient; outputs checked. */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { jupyterPython } from '../../kernel/kernelspec';
import { pythonCheck, ROOT, skipWith, tempJupyterPath, testOutputDir } from './helpers';

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  metadata?: { tags?: string[] };
}

const text = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join('') : (s ?? ''));

describe('notebooks/00-magics-tour.ipynb through nbclient', function () {
  this.timeout(300_000);
  let cells: Cell[] = [];
  const find = (source: string): Cell => {
    const c = cells.find((x) => x.cell_type === 'code' && text(x.source).startsWith(source));
    assert.ok(c, `no cell starting with ${source}`);
    return c!;
  };
  const mimes = (c: Cell) => (c.outputs ?? []).flatMap((o) => Object.keys(o.data ?? {}));
  const stdout = (c: Cell) => (c.outputs ?? []).filter((o) => o.output_type === 'stream' && o.name === 'stdout').map((o) => text(o.text)).join('');
  const resultText = (c: Cell) => text((c.outputs ?? []).find((o) => o.output_type === 'execute_result')?.data?.['text/plain'] as string | string[]);

  before(async function () {
    const missing = pythonCheck('import nbclient, nbformat', 'python3-nbclient');
    if (missing) skipWith(this, missing);
    const jupyterPath = tempJupyterPath();
    const out = path.join(testOutputDir('notebooks'), '00-magics-tour.executed.ipynb');
    const result = await new Promise<{ code: number | null; log: string }>((resolve) => {
      const p = spawn(jupyterPython(), [path.join(ROOT, 'test/kernel/python/run_notebook.py'), path.join(ROOT, 'notebooks/00-magics-tour.ipynb'), out], {
        cwd: path.join(ROOT, 'notebooks'),
        env: { ...process.env, JUPYTER_PATH: jupyterPath },
      });
      let log = '';
      p.stdout.on('data', (d) => (log += d));
      p.stderr.on('data', (d) => (log += d));
      p.on('close', (code) => resolve({ code, log }));
    });
    fs.rmSync(jupyterPath, { recursive: true, force: true });
    assert.strictEqual(result.code, 0, result.log);
    cells = JSON.parse(fs.readFileSync(out, 'utf8')).cells;
  });

  it('runs every cell; only the cells tagged raises-exception fail, each with a clear message', () => {
    for (const c of cells.filter((x) => x.cell_type === 'code')) {
      const errors = (c.outputs ?? []).filter((o) => o.output_type === 'error');
      const expected = c.metadata?.tags?.includes('raises-exception') ?? false;
      assert.strictEqual(errors.length, expected ? 1 : 0, `${text(c.source)}: ${JSON.stringify(errors)}`);
    }
    assert.match(find('%prune net magnitud').outputs!.find((o) => o.output_type === 'error')!.traceback!.join('\n'), /Did you mean: magnitude\?[\s\S]*Usage: %prune/);
    assert.match(find('%sparsty net').outputs![0].evalue!, /Did you mean: %sparsity\?/);
    assert.match(find('%sparsity nett').outputs![0].traceback!.join('\n'), /Unknown variable 'nett'\. Did you mean: net\?/);
  });

  it('shows tables as HTML + text with the right rows', () => {
    for (const c of [find('%sparsity net'), find('pl.display(pl.plot.sparsityBars(net))')]) {
      const r = (c.outputs ?? []).find((o) => o.output_type === 'execute_result')!;
      assert.ok(r, text(c.source));
      const html = text(r.data!['text/html'] as string | string[]);
      const rows = html.match(/<tr><th>/g) ?? [];
      assert.strictEqual(rows.length, 4, 'fc1, fc2, fc3 and total');
      for (const layer of ['fc1', 'fc2', 'fc3', 'total']) assert.ok(html.includes(`<td>${layer}</td>`), layer);
    }
    assert.match(resultText(find('%sparsity net')), /total/);
    const sweep = find('const results');
    assert.strictEqual((text((sweep.outputs ?? [])[0].data!['text/html'] as string[]).match(/<tr><th>/g) ?? []).length, 8);
  });

  it('shows every plot as plotly JSON with an offline HTML fallback', () => {
    for (const src of ['%plot curves', '%plot accuracy', '%plot pareto', '%plot sparsity', '%plot weights', '%plot mask', 'pl.display(pl.plot.sparsityBars']) {
      const m = mimes(find(src));
      assert.ok(m.includes('application/vnd.plotly.v1+json') && m.includes('text/html') && m.includes('text/plain'), `${src}: ${m}`);
    }
    const weights = find('%plot weights').outputs![0].data!['application/vnd.plotly.v1+json'] as { data: { name: string }[] };
    assert.deepStrictEqual(weights.data.map((t) => t.name.split(' ')[0]), ['before', 'after']);
  });

  it('prunes to the requested sparsity, and fine-tuning keeps it', () => {
    assert.match(stdout(find('const w0')), /90\.00% of prunable weights/);
    const after = find('%finetune net --data ds --epochs 1');
    const updates = (after.outputs ?? []).filter((o) => o.output_type === 'display_data');
    assert.strictEqual(updates.length, 1, 'one progress bar, updated in place');
    assert.match(text(updates[0].data!['text/plain'] as string | string[]), /100%\s+epoch 1\/1/);
    assert.match(stdout(after), /test: loss [\d.]+, accuracy [\d.]+ \(500 examples\)/);
    const table = cells.filter((c) => text(c.source).startsWith('%sparsity net'));
    assert.strictEqual(resultText(table[0]), resultText(table[1]));
  });

  it('times code and lists magics with help', () => {
    assert.match(stdout(find('%time pl.evaluate')), /CPU times: user .* total: .*\nWall time: /);
    assert.ok(resultText(find('%time pl.evaluate')).length > 0, '%time passes the value through');
    assert.match(stdout(find('%timeit')), /per loop \(mean ± std\. dev\. of 3 runs, 5 loops each\)/);
    assert.strictEqual(resultText(find('%%time')), 'true');
    assert.match(stdout(find('%%time')), /Wall time/);
    const ls = resultText(find('%lsmagic'));
    for (const m of ['backend', 'seed', 'data', 'model', 'prune', 'finetune', 'sparsity', 'plot', 'time', 'timeit', 'lsmagic']) assert.match(ls, new RegExp(`%${m}\\b`));
    assert.match(stdout(find('%prune?')), /Same in TypeScript:\n  pl\.prune\(net/);
    assert.match(stdout(find('%backend')), /backend: \w+/);
  });
});
