import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { createMagicContext } from '../../src/magics/context';
import { magicHelp, runMagicLine } from '../../src/magics/registry';
import '../../src/magics/builtins';
import { isDataFrame } from '../../src/report/table';
import type { SweepResults } from '../../src/sweep/store';
import { cleanup, tempDir, writeFaultModule } from './helpers';

describe('%sweep', () => {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('runs a spec variable or a spec file, then shows status and results (a DataFrame) of the directory', async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFaultModule(dir);
    const out = path.join(dir, 'out');
    const printed: string[] = [];
    const shown: unknown[] = [];
    const vars: Record<string, unknown> = { spec: { name: 'magic', trial: `${dir}/fault.js#trial`, grid: { index: [1, 2] }, fixed: { throwAt: 2 } } };
    const ctx = createMagicContext({
      variables: vars,
      print: (t) => printed.push(t),
      display: (v) => (shown.push(v), { id: String(shown.length), update: () => {} }) as never,
    });
    const run = (await runMagicLine(`%sweep run spec --dir ${out} --workers 2`, ctx)) as SweepResults;
    assert.deepEqual([run.rows.length, run.failed.length, run.dir], [1, 1, out]);
    assert.match(printed.join('\n'), /sweep magic: 1 done, 1 failed, 0 already there .*results in .*out/);
    assert.match(printed.join('\n'), /failed [0-9a-f]{16} \{"index":2,.*RangeError: boom at index 2 \(log: .*\.log\)/);

    // a spec file, relative module path; the done trial is kept, the failed one reruns on request
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ name: 'magic', trial: 'fault.js#trial', grid: { index: [1, 2] }, fixed: { throwAt: 2 } }));
    printed.length = 0;
    const again = (await runMagicLine(`%sweep run ${path.join(dir, 'spec.json')} --dir ${out} --rerun failed`, ctx)) as SweepResults;
    assert.equal(again.rows.length, 1);
    assert.match(printed.join('\n'), /1 done, 1 failed, 1 already there/);

    printed.length = 0;
    const status = (await runMagicLine(`%sweep status ${out}`, ctx)) as SweepResults;
    assert.match(printed[0], /sweep magic at .*out: 1\/2 done, 1 failed, 0 running, 0 waiting/);
    assert.equal(status.rows.length, 1);

    shown.length = 0;
    const results = (await runMagicLine(`%sweep results ${out} --as res`, ctx)) as SweepResults;
    assert.equal(results.rows[0].double, 2);
    assert.ok(isDataFrame(shown[0]), 'the rows as a table');
    // danfojs makes columns properties: 'index' would replace the frame's own index
    const df = shown[0] as { columns: string[]; index: number[] };
    assert.deepEqual(df.index, [0]);
    assert.ok(df.columns.includes('index_') && df.columns.includes('double'), df.columns.join(','));

    await assert.rejects(runMagicLine('%sweep run nothingHere', ctx), /'nothingHere' is neither a notebook variable nor a spec file/);
    await assert.rejects(runMagicLine('%sweep status /no/such/sweep', ctx), /No sweep results at \/no\/such\/sweep/);
    await assert.rejects(runMagicLine('%sweep start spec', ctx), /must be one of run, status, results|Usage: %sweep/);
    vars.bad = [1, 2];
    await assert.rejects(runMagicLine('%sweep run bad', ctx), /bad is a list, not a sweep spec/);
  });

  it('without --dir, results go to $XDG_CACHE_HOME/prunelab/sweeps/<name>, and status/results find them by name', async () => {
    const cache = tempDir();
    dirs.push(cache);
    writeFaultModule(cache);
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      const printed: string[] = [];
      const ctx = createMagicContext({ variables: { spec: { name: 'by-name', trial: `${cache}/fault.js#trial`, grid: { index: [3] } } }, print: (t) => printed.push(t) });
      const run = (await runMagicLine('%sweep run spec --workers 1', ctx)) as SweepResults;
      assert.equal(run.dir, path.join(cache, 'prunelab', 'sweeps', 'by-name'));
      assert.ok(fs.existsSync(path.join(run.dir, 'trials', `${run.rows[0].id}.json`)));
      const res = (await runMagicLine('%sweep results by-name', ctx)) as SweepResults;
      assert.equal(res.rows[0].double, 6);
      await runMagicLine('%sweep status by-name', ctx);
      assert.match(printed[printed.length - 1], /sweep by-name at .*: 1\/1 done/);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('? help lists the actions, the arguments and the API', () => {
    const help = magicHelp('sweep');
    for (const s of ['%sweep <action> <target>', '--rerun none|failed|all', '--workers N', 'pl.sweep(spec', 'pl.sweeps.load']) assert.ok(help.includes(s), s);
  });
});
