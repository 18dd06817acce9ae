import * as assert from 'assert';
import { createMagicContext } from '../../src/magics/context';
import {
  defineMagic,
  getMagic,
  listMagics,
  lsmagicText,
  magicHelp,
  parseMagic,
  removeMagic,
  runMagicLine,
  type MagicSpec,
} from '../../src/magics/registry';
import '../../src/magics/builtins';
import { OptionError, UnknownNameError, UserError } from '../../src/errors';
import { formatDuration, timeit } from '../../src/magics/builtins/time';

describe('magic registry', () => {
  const spec: MagicSpec = {
    name: 'testscale',
    summary: 'Multiplies a variable.',
    args: [
      { name: 'x', kind: 'positional', type: 'variable', help: 'A number variable.', check: (v) => (typeof v === 'number' ? undefined : `is a ${typeof v}, not a number.`) },
      { name: 'by', type: 'number', default: 2, help: 'Factor.' },
    ],
    examples: ['%testscale a --by 3'],
    api: 'a * 3',
    run: ({ args, names }) => `${names.x}=${(args.x as number) * (args.by as number)}`,
  };
  before(() => defineMagic(spec, { replace: true }));
  after(() => removeMagic('testscale'));

  it('runs a magic against notebook variables by name', async () => {
    const ctx = createMagicContext({ variables: { a: 5, s: 'text' } });
    assert.strictEqual(await runMagicLine('%testscale a --by 3', ctx), 'a=15');
    await assert.rejects(runMagicLine('%testscale b', ctx), /Unknown variable 'b'\. Notebook variables: a, s\./);
    await assert.rejects(runMagicLine('%testscale aa', ctx), /Unknown variable 'aa'\. Did you mean: a\?/);
    await assert.rejects(runMagicLine('%testscale s', ctx), /<x> 's' is a string, not a number\.[\s\S]*Usage: %testscale <x> \[--by NUMBER\]/);
  });

  it('explains unknown magics with close matches', () => {
    assert.throws(() => getMagic('testscal'), /Unknown magic %testscal\. Did you mean: %testscale\? Run %lsmagic/);
    assert.throws(() => getMagic('testscal'), (e: Error) => e instanceof UnknownNameError && e.name === 'UnknownMagicError' && e.known.includes('testscale'));
    assert.throws(() => getMagic('testscale', 'cell'), /not a cell magic; use %testscale instead/);
    assert.throws(() => parseMagic('line', 'timit', ''), /Did you mean: %timeit/);
  });

  it('generates %name? help and the %lsmagic listing from declarations', async () => {
    const help = magicHelp('testscale');
    for (const part of ['%testscale <x> [--by NUMBER]', 'Multiplies a variable.', '--by NUMBER', 'Example:', '%testscale a --by 3', 'Same in TypeScript:', 'a * 3']) {
      assert.ok(help.includes(part), `help lacks '${part}':\n${help}`);
    }
    assert.strictEqual(await runMagicLine('%testscale?', createMagicContext()), help);
    const ls = lsmagicText();
    assert.match(ls, /%testscale\s+Multiplies a variable\./);
    assert.match(ls, /Cell magics:[\s\S]*%%timeit/);
    for (const m of listMagics()) {
      assert.ok(m.examples.length > 0, `%${m.name} has no example`);
      assert.doesNotThrow(() => magicHelp(m), `%${m.name} help`);
    }
  });

  it('rejects inconsistent declarations', () => {
    assert.throws(() => defineMagic({ ...spec, name: 'Bad Name' }), (e: Error) => e instanceof OptionError && /Invalid magic name 'Bad Name'/.test(e.message));
    assert.throws(
      () => defineMagic(spec),
      (e: Error) => e instanceof UserError && !(e instanceof OptionError) && /'testscale' is already registered; pass \{ replace: true \}/.test(e.message),
    );
    assert.throws(() => defineMagic({ ...spec, name: 'dup', args: [spec.args[0], spec.args[0]] }), /declared twice/);
    assert.throws(() => defineMagic({ ...spec, name: 'noassign', assigns: { arg: 'by', type: 'number' } }), /must name an 'identifier' argument/);
    assert.throws(() => defineMagic({ ...spec, name: 'norun', run: undefined }), /run\(\) is missing/);
  });

  it('%seed and %backend act through the API', async () => {
    const printed: string[] = [];
    const ctx = createMagicContext({ print: (t) => printed.push(t) });
    await runMagicLine('%seed 7', ctx);
    assert.deepStrictEqual(printed, ['seed: 7']);
    await runMagicLine('%seed 0', ctx);
    await assert.rejects(runMagicLine('%seed x', ctx), /<n> expects a number/);
    await assert.rejects(runMagicLine('%backend gpu', ctx), /<name> must be one of: tensorflow, wasm, cpu; got 'gpu'/);
  });
});

describe('%timeit', () => {
  it('times runs, calibrates loops and formats durations', async () => {
    let calls = 0;
    const r = await timeit(async () => void calls++, { loops: 3, repeat: 4 });
    assert.strictEqual(calls, 12);
    assert.strictEqual(r.timings.length, 4);
    assert.ok(r.best <= r.average);
    const mean = r.timings.reduce((a, b) => a + b) / 4;
    assert.ok(Math.abs(mean - r.average) < 1e-15);
    const calibrated = await timeit(async () => new Promise((res) => setTimeout(res, 2)), { repeat: 1, minRunSeconds: 0.01 });
    assert.ok(calibrated.loops >= 1 && calibrated.loops <= 10);
    assert.strictEqual(formatDuration(0.0123), '12.3 ms');
    assert.strictEqual(formatDuration(2.5), '2.5 s');
    assert.strictEqual(formatDuration(4.2e-7), '420 ns');
    assert.strictEqual(formatDuration(3e-5), '30 µs');
  });
});
