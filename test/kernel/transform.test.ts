import * as assert from 'assert';
import '../../src/magics/builtins';
import { History } from '../../kernel/history';
import { codeLineStarts } from '../../kernel/lexer';
import { cellOffsetToGenerated, findMagicLines, generatedOffsetToCell, isExpression, mapToCell, MagicSyntaxError, RUNTIME, transformCell } from '../../kernel/transform';
import { decode, DELIMITER, encode, newHeader, SignatureError, Signer, type Message } from '../../kernel/wire';

describe('kernel: magic transform', () => {
  it('finds magic lines only outside strings, templates and comments', () => {
    const cell = ['%seed 1', 'const s = `', '%not a magic', '${1 + `', '%nested`}`;', '/* %comment', '*/', "const q = '%x'; // %y", '  %time f()', '%%bad'].join('\n');
    assert.deepStrictEqual(codeLineStarts(cell), [true, true, false, false, false, true, false, true, true, true]);
    assert.deepStrictEqual(findMagicLines(cell).map((m) => [m.line, m.form, m.name]), [[0, 'line', 'seed'], [8, 'line', 'time'], [9, 'cell', 'bad']]);
    assert.deepStrictEqual(codeLineStarts('const r = /`/;\n%seed 1'), [true, true]);
    assert.deepStrictEqual(codeLineStarts('%plot x --title "it`s"\n%seed 1'), [true, true]);
  });

  it('keeps every line in place and declares stored results with their type', () => {
    const cell = 'const a = 1;\n%model mlp --as m\n%model mlp --as m\nm.countParams() + a';
    const t = transformCell(cell);
    const lines = t.code.split('\n');
    assert.strictEqual(lines.length, 4);
    assert.strictEqual(lines[0], 'const a = 1;');
    assert.strictEqual(lines[1], `let m: tf.LayersModel = await ${RUNTIME}.line("model", "mlp --as m", 1);`);
    assert.strictEqual(lines[2], `m = await ${RUNTIME}.line("model", "mlp --as m", 2);`, 'a second store in the same cell assigns');
    assert.strictEqual(lines[3], 'm.countParams() + a');
  });

  it('wraps code magics: %time inline (value passes through), %timeit as a function', () => {
    const time = transformCell('%time f(1)').code;
    assert.strictEqual(time, `${RUNTIME}.inlineEnd((${RUNTIME}.inlineStart("line", "time", "f(1)", 0), (f(1))));`);
    const stmt = transformCell('%time const x = f()').code;
    assert.match(stmt, /inlineStart\("line", "time", "const x = f\(\)", 0\); const x = f\(\); \$prunelab\.inlineEnd\(\);$/);
    const it = transformCell('%timeit -n 3 g()').code;
    assert.strictEqual(it, `await ${RUNTIME}.line("timeit", "-n 3 g()", 0, async () => (g()));`);
    const cell = transformCell('%%time\nconst y = 2;\n%seed 1\ny * 3').code.split('\n');
    assert.strictEqual(cell.length, 4);
    assert.strictEqual(cell[3], `${RUNTIME}.inlineEnd(y * 3)`);
    assert.match(cell[2], /\.line\("seed", "1", 2\)/);
    const cellIt = transformCell('%%timeit -r 2\nh()').code;
    assert.strictEqual(cellIt, `await ${RUNTIME}.cell("timeit", "-r 2", undefined, async () => {\nh()\n});`);
    assert.ok(isExpression('a + b') && !isExpression('const a = 1') && !isExpression('f();'));
  });

  it('maps diagnostics and offsets back to the cell', () => {
    const cell = 'const a = 1;\n%timeit -n 2 foo(a)\nbar';
    const t = transformCell(cell);
    const gen = t.code.split('\n')[1];
    assert.deepStrictEqual(mapToCell(t, 1, gen.lastIndexOf('foo')), { line: 1, column: cell.split('\n')[1].indexOf('foo') });
    assert.deepStrictEqual(mapToCell(t, 1, 0), { line: 1, column: 0 });
    assert.deepStrictEqual(mapToCell(t, 2, 2), { line: 2, column: 2 });
    const pos = cell.indexOf('bar') + 2;
    const g = cellOffsetToGenerated(cell, t.code, pos);
    assert.strictEqual(t.code.slice(g - 2, g), 'ba');
    assert.strictEqual(generatedOffsetToCell(cell, t.code, g), pos);
  });

  it('reports bad magics before anything runs, and never throws in analysis mode', () => {
    assert.throws(() => transformCell('ok();\n%prune x magnitude --sparsity 2'), (e: unknown) => e instanceof MagicSyntaxError && e.line === 1 && /must be < 1/.test(e.message));
    // a reserved word as --as: the magic's own error on its line, not TypeScript's 'Variable declaration not allowed'
    assert.throws(() => transformCell('const a = 1;\n%model lenet-300-100 --as class'),
      (e: unknown) => e instanceof MagicSyntaxError && e.line === 1 && /%model: --as 'class' is a reserved word in TypeScript.*--as class_/.test(e.message));
    assert.throws(() => transformCell('%\n'), /needs a name/);
    assert.throws(() => transformCell('1;\n%%time'), /must be on the first line/);
    const a = transformCell('x;\n%nosuch 1\ny', { analysis: true });
    assert.strictEqual(a.code, 'x;\n' + ' '.repeat('%nosuch 1'.length) + '\ny');
    assert.match(transformCell('%prune?').code, /\.help\("line", "prune"\);/);
  });
});

describe('kernel: wire protocol and history', () => {
  const msg = (): Message => ({ identities: [Buffer.from('id')], header: newHeader('kernel_info_request', 's'), parent_header: {}, metadata: {}, content: { a: 1 }, buffers: [] });

  it('signs, verifies, and rejects tampered, forged and replayed messages', () => {
    const signer = new Signer('secret');
    const frames = encode(msg(), signer).map((f) => Buffer.from(f));
    const decoded = decode(frames, signer);
    assert.deepStrictEqual(decoded.content, { a: 1 });
    assert.deepStrictEqual(decoded.identities, [Buffer.from('id')]);
    assert.throws(() => decode(frames, signer), (e: unknown) => e instanceof SignatureError && /replayed/.test((e as Error).message));
    const other = encode(msg(), signer).map((f) => Buffer.from(f));
    const tampered = [...other];
    tampered[tampered.length - 1] = Buffer.from('{"a":2}');
    assert.throws(() => decode(tampered, new Signer('secret')), /invalid HMAC signature/);
    assert.throws(() => decode(encode(msg(), new Signer('wrong')).map((f) => Buffer.from(f)), new Signer('secret')), SignatureError);
    // An empty key means an unsigned session (Jupyter's rule).
    assert.strictEqual(decode(encode(msg(), new Signer('')).map((f) => Buffer.from(f)), new Signer('')).content.a, 1);
    assert.throws(() => decode([Buffer.from('x')], signer), /without the <IDS\|MSG> delimiter/);
    assert.ok(DELIMITER.equals(Buffer.from('<IDS|MSG>')));
    assert.throws(() => new Signer('k', 'rsa'), /Unsupported signature_scheme/);
  });

  it('answers tail, range and search history queries', () => {
    const h = new History(3);
    h.add(1, 'a = 1', null);
    h.add(2, 'b = 2', "'x'");
    h.add(3, 'a = 1', null);
    assert.deepStrictEqual(h.query({ hist_access_type: 'tail', n: 2 }), [[3, 2, 'b = 2'], [3, 3, 'a = 1']]);
    assert.deepStrictEqual(h.query({ hist_access_type: 'tail', n: 1, output: true }), [[3, 3, ['a = 1', null]]]);
    assert.deepStrictEqual(h.query({ hist_access_type: 'range', session: 3, start: 2, stop: 3 }), [[3, 2, 'b = 2']]);
    assert.deepStrictEqual(h.query({ hist_access_type: 'range', session: 0, start: 1 }).length, 3);
    assert.deepStrictEqual(h.query({ hist_access_type: 'search', pattern: 'a*' }).length, 2);
    assert.deepStrictEqual(h.query({ hist_access_type: 'search', pattern: 'a*', unique: true }), [[3, 3, 'a = 1']]);
    assert.throws(() => h.query({ hist_access_type: 'nope' }), /Unknown hist_access_type/);
  });
});
