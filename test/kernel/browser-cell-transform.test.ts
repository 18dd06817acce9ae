import * as assert from 'assert';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import { CellSyntaxError, compileCell, runCompiledCell } from '../../kernel/browser/cell-transform';
import { MagicSyntaxError, RUNTIME } from '../../kernel/magic-transform';
import { defineMagic, removeMagic } from '../../src/magics/registry';

/** A notebook: cells run one after another against one scope object, as in the worker. */
function notebook(globals: Record<string, unknown> = {}) {
  const scope: Record<string, unknown> = { ...globals };
  return { scope, run: (cell: string) => runCompiledCell(compileCell(cell), scope) };
}

/** The bare module names imported (for values, not `import type`) by `entry` and the repository files it imports. */
function importClosure(entry: string): Map<string, string> {
  const external = new Map<string, string>(); // module name -> first importing file
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\s)[^'";]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]|require\(['"]([^'"]+)['"]\)/gm)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) {
        const base = path.resolve(path.dirname(file), spec);
        visit(fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, 'index.ts'));
      } else if (!external.has(spec)) external.set(spec, path.relative(ROOT, file));
    }
  };
  visit(entry);
  return external;
}

// the compiled test runs from build/test/kernel; the sources are read from the repository
const ROOT = path.resolve(__dirname, '../../..');

describe('browser kernel: cell transform', () => {
  it('imports nothing Node-only, however deep (the browser bundle imports it)', () => {
    const external = importClosure(path.join(ROOT, 'kernel/browser/cell-transform.ts'));
    const nodeOnly = [...external].filter(([name]) => name.startsWith('node:') || builtinModules.includes(name) || name === 'tslab');
    assert.deepStrictEqual(nodeOnly, []);
    assert.ok(external.has('typescript'), 'the closure was walked');
  });

  it('keeps const, let, function, class and destructured names across cells', async () => {
    const nb = notebook();
    await nb.run('const x: number = 2;\nlet y = 3\nfunction twice(v: number): number { return 2 * v }\nclass Box<T> { constructor(readonly v: T) {} }');
    await nb.run('const { a, b: [c, , d = 9], ...rest } = { a: 1, b: [2, 0], e: 5 }\nconst [first, ...others] = [7, 8, 9]');
    assert.strictEqual(await nb.run('x * 21'), 42);
    assert.strictEqual(await nb.run('y += 1; y'), 4, 'a let of an earlier cell can be assigned');
    assert.strictEqual(await nb.run('twice(new Box(5).v)'), 10);
    assert.deepStrictEqual(await nb.run('[a, c, d, rest, first, others]'), [1, 2, 9, { e: 5 }, 7, [8, 9]]);
    assert.deepStrictEqual(compileCell('const { a, b: [c] } = o; function f() {}').declared.sort(), ['a', 'c', 'f']);
  });

  it('lets a later cell declare a const again (notebooks re-run cells)', async () => {
    const nb = notebook();
    await nb.run('const lr = 0.1');
    await nb.run('const lr = 0.01');
    assert.strictEqual(await nb.run('lr'), 0.01);
    await nb.run('let n = 5');
    await nb.run('let n');
    assert.strictEqual(await nb.run('n'), undefined, 'let without a value starts over');
  });

  it('hoists a function above its first use in the same cell', async () => {
    assert.strictEqual(await notebook().run('const r = square(4)\nfunction square(v: number) { return v * v }\nr'), 16);
  });

  it('keeps notebook names apart from the global scope (a worker has a read-only `name`)', async () => {
    const nb = notebook();
    await nb.run("const name = 'lenet'");
    assert.strictEqual(await nb.run('name'), 'lenet');
    assert.strictEqual((globalThis as Record<string, unknown>).name, undefined);
  });

  it('supports top-level await and returns the awaited value', async () => {
    const nb = notebook();
    assert.strictEqual(await nb.run('const v = await Promise.resolve(20)\nawait new Promise((r) => setTimeout(r, 1))\nv + 1'), 21);
    assert.strictEqual(await nb.run('await Promise.resolve(v * 2)'), 40);
  });

  it('returns the last expression, and nothing after a declaration or a statement', async () => {
    const nb = notebook();
    assert.strictEqual(await nb.run('1 + 1\n"last"'), 'last');
    assert.strictEqual(await nb.run('2 * 3;'), 6, 'a trailing semicolon still returns the value');
    for (const cell of ['const z = 1', 'let w = 2', 'function g() {}', 'class K {}', 'if (true) { 5 }', 'for (let i = 0; i < 2; i++) i']) {
      assert.strictEqual(await nb.run(cell), undefined, cell);
      assert.strictEqual(compileCell(cell).hasValue, false, cell);
    }
    assert.strictEqual(compileCell('z').hasValue, true);
  });

  it('runs a top-level for loop and an arrow function (loop variables stay local)', async () => {
    const nb = notebook();
    await nb.run('let total = 0\nfor (let i = 0; i < 5; i++) { total += i }\nconst add = (p: number, q: number): number => p + q');
    assert.strictEqual(await nb.run('add(total, 0.5)'), 10.5);
    assert.strictEqual('i' in nb.scope, false);
    assert.strictEqual(await nb.run('const sq = [1, 2, 3].map((k) => k * k)\nsq.join()'), '1,4,9');
  });

  it('erases types, interfaces and enums into running JavaScript', async () => {
    const nb = notebook();
    await nb.run('interface P { x: number }\ntype Q = P[]\nenum Color { Red, Green }\nconst p: P = { x: Color.Green } as P');
    assert.strictEqual(await nb.run('p.x'), 1);
  });

  it('reports a syntax error with its cell line and column', () => {
    assert.throws(
      () => compileCell('const ok = 1\nconst bad: number = (2 +;\n'),
      (e: unknown) => e instanceof CellSyntaxError && e.line === 1 && e.column === 24 && /Expression expected\. \(cell line 2, column 25\)/.test(e.message),
    );
    assert.throws(() => compileCell("const a = 1\nimport * as fs from 'fs'"), (e: unknown) => e instanceof CellSyntaxError && e.line === 1 && e.column === 0 && /not supported/.test(e.message));
    assert.doesNotThrow(() => compileCell("import type { Tensor } from '@tensorflow/tfjs'"));
  });

  it('runs a runtime error as a rejection of the cell', async () => {
    await assert.rejects(notebook().run('const q = 1\nundefinedName + q'), /undefinedName is not defined/);
  });

  describe('magics (the Node kernel\'s transform)', () => {
    before(() =>
      defineMagic(
        {
          name: 'testtriple',
          summary: 'Triples a number (test).',
          args: [{ name: 'n', kind: 'positional', type: 'number', help: 'A number.' }],
          examples: ['%testtriple 2'],
          run: ({ args }) => 3 * (args.n as number),
        },
        { replace: true },
      ),
    );
    after(() => removeMagic('testtriple'));

    /** A stand-in for the worker's runtime: runs the line magic's declared `run`. */
    const runtime = { line: async (name: string, argText: string) => (name === 'testtriple' ? 3 * Number(argText) : undefined) };

    it('turns a magic line into a runtime call whose value is the cell result', async () => {
      const compiled = compileCell('const k = 2\n%testtriple 14');
      assert.match(compiled.body, new RegExp(`return \\(await \\${RUNTIME}\\.line\\("testtriple", "14", 1\\)\\);`));
      const nb = notebook({ [RUNTIME]: runtime });
      assert.strictEqual(await nb.run('const k = 2\n%testtriple 14'), 42);
      assert.strictEqual(await nb.run('k'), 2);
    });

    it('reports an unknown magic with its line and a suggestion', () => {
      assert.throws(() => compileCell('1\n%testtripel 2'), (e: unknown) => e instanceof MagicSyntaxError && e.line === 1 && /testtriple/.test(e.message));
    });

    it('maps a syntax error after a magic line to the cell', () => {
      assert.throws(() => compileCell('%testtriple 1\nconst = 3'), (e: unknown) => e instanceof CellSyntaxError && e.line === 1);
    });
  });
});
