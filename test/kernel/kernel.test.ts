/**
 * The real kernel process over ZeroMQ: results, errors, streams, displays, magics, completion,
 * inspection, is_complete, history, forged messages and interrupting training.
 */
import * as assert from 'assert';
import { KernelClient } from '../../kernel/client';
import { DELIMITER, newHeader } from '../../kernel/wire';
import type { Message } from '../../kernel/wire';

function outputsOf(iopub: Message[], type: string): Message[] {
  return iopub.filter((m) => m.header.msg_type === type);
}

function stdout(iopub: Message[]): string {
  return outputsOf(iopub, 'stream')
    .filter((m) => m.content.name === 'stdout')
    .map((m) => m.content.text)
    .join('');
}

describe('prunelab kernel (real process over ZeroMQ)', function () {
  this.timeout(180_000);
  let k: KernelClient;

  before(async () => {
    k = await KernelClient.start({ env: { PRUNELAB_BACKEND: 'cpu' } });
  });
  after(async () => {
    await k?.shutdown();
  });

  it('returns the last expression as execute_result, in order with execute_input and streams', async () => {
    const { reply, iopub } = await k.execute('console.log("hi");\nconst a = 6;\na * 7');
    assert.strictEqual(reply.content.status, 'ok');
    assert.deepStrictEqual(iopub.map((m) => m.header.msg_type), ['execute_input', 'stream', 'execute_result']);
    assert.strictEqual(iopub[2].content.execution_count, reply.content.execution_count);
    assert.deepStrictEqual((iopub[2].content.data as Record<string, unknown>)['text/plain'], '42');
    assert.strictEqual(stdout(iopub), 'hi\n');
  });

  it('reads earlier cells\' variables in shorthand properties, unless a local shadows them', async () => {
    assert.strictEqual((await k.execute('const width = 3; let depth = 4;')).reply.content.status, 'ok');
    const { reply, iopub } = await k.execute(
      'function shadow(width: number) { return { width, depth }; }\n' +
      'const before = { width, depth };\n' +
      'let area = 0; ({ area = width * depth } = {} as { area?: number });\n' +
      '({ depth = 0 } = { depth: 7 } as { depth?: number });  // assigns the earlier cell\'s variable\n' +
      'JSON.stringify([before, area, shadow(5), depth])');
    assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
    const result = outputsOf(iopub, 'execute_result')[0];
    assert.strictEqual((result.content.data as Record<string, unknown>)['text/plain'], `'[{"width":3,"depth":4},12,{"width":5,"depth":7},7]'`);
  });

  it('reports TypeScript errors with the cell line and column (also below magic lines)', async () => {
    const { reply, iopub } = await k.execute('%seed 1\nconst ok = 1;\nlet s: string = ok;');
    assert.strictEqual(reply.content.status, 'error');
    const errs = outputsOf(iopub, 'error');
    assert.strictEqual(errs.length, 1);
    assert.strictEqual(errs[0].content.ename, 'TypeScriptError');
    assert.match(String(errs[0].content.evalue), /Type 'number' is not assignable to type 'string'\. \(cell line 3, column 5\)/);
    const tb = (errs[0].content.traceback as string[]).join('\n');
    assert.match(tb, /3 \| let s: string = ok;\n\s+\|     \^/);
    assert.strictEqual(stdout(iopub), '', 'a cell with type errors must not run (no %seed output)');
  });

  it('reports runtime errors as error messages with the cell frame, not as stderr', async () => {
    const { reply, iopub } = await k.execute('function f() { throw new RangeError("bad " + 1); }\nf()');
    assert.strictEqual(reply.content.status, 'error');
    assert.strictEqual(reply.content.ename, 'RangeError');
    assert.strictEqual(reply.content.evalue, 'bad 1');
    const tb = (reply.content.traceback as string[]).join('\n');
    assert.match(tb, /at f \(cell line 1\)\n\s+1 \| function f\(\) \{ throw new RangeError\("bad " \+ 1\); \}/);
    assert.match(tb, /at cell line 2\n\s+2 \| f\(\)/);
    assert.deepStrictEqual(iopub.map((m) => m.header.msg_type), ['execute_input', 'error']);
  });

  it('runs magics in the middle of a cell and stores their results in typed variables', async () => {
    const { reply, iopub } = await k.execute('const before = 1;\n%model mlp --hidden 8 --seed 3 --as small\nsmall.countParams() + before');
    assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
    assert.match(stdout(iopub), /small = mlp: 6,370 parameters/);
    assert.strictEqual((outputsOf(iopub, 'execute_result')[0].content.data as Record<string, string>)['text/plain'], String(784 * 8 + 8 + 8 * 10 + 10 + 1));
    // The variable is declared for later cells too (TypeScript knows its type).
    const again = await k.execute('small.layers.length');
    assert.strictEqual(again.reply.content.status, 'ok');
  });

  it('explains unknown magics and bad arguments with usage and close matches', async () => {
    const unknown = await k.execute('%prun small magnitude');
    assert.strictEqual(unknown.reply.content.ename, 'UnknownMagicError');
    assert.match(String(unknown.reply.content.evalue), /Unknown magic %prun\. Did you mean: %prune\?/);
    const bad = await k.execute('%prune small magnitude --sparsty 0.5');
    assert.strictEqual(bad.reply.content.ename, 'MagicArgumentError');
    const tb = (bad.reply.content.traceback as string[]).join('\n');
    assert.match(tb, /unknown option --sparsty\. Did you mean: --sparsity\?/);
    assert.match(tb, /Usage: %prune <model> <method>/);
    const novar = await k.execute('%sparsity smal');
    assert.match((novar.reply.content.traceback as string[]).join('\n'), /Unknown variable 'smal'\. Did you mean: small\?/);
    const help = await k.execute('%prune?');
    assert.match(stdout(help.iopub), /^%prune <model> <method>[\s\S]*Same in TypeScript:/);
  });

  it('shows DataFrames as HTML + text and plots as plotly JSON + offline HTML + text', async () => {
    const table = await k.execute('%sparsity small');
    const data = outputsOf(table.iopub, 'execute_result')[0].content.data as Record<string, string>;
    assert.match(data['text/html'], /<table[\s\S]*<td>total<\/td>/);
    assert.strictEqual((data['text/plain'].match(/\n/g) ?? []).length, 3, 'header + 2 layers + total');
    const plot = await k.execute('pl.plot.sparsityBars(small)');
    const p = outputsOf(plot.iopub, 'execute_result')[0].content.data as Record<string, unknown>;
    assert.ok(Array.isArray((p['application/vnd.plotly.v1+json'] as { data: unknown[] }).data));
    assert.match(String(p['text/html']), /kernelspecs\/prunelab\/plotly\.min/);
    assert.doesNotMatch(String(p['text/html']), /cdn|https?:/i);
    assert.match(String(p['text/plain']), /plotly figure/);
    const custom = await k.execute('pl.display({ [Symbol.for("Jupyter.display")]() { return { "text/markdown": "**hi**" }; } })');
    assert.deepStrictEqual(outputsOf(custom.iopub, 'display_data')[0].content.data, { 'text/markdown': '**hi**', 'text/plain': '' });
  });

  it('completes magic names, options and variables, and TypeScript with offsets after magic lines', async () => {
    const complete = async (code: string, pos = code.length) => (await k.request('shell', 'complete_request', { code, cursor_pos: pos })).reply.content;
    let r = await complete('%spa');
    assert.deepStrictEqual(r.matches, ['sparsity']);
    assert.strictEqual(r.cursor_start, 1);
    r = await complete('%prune small magnitude --spa');
    assert.deepStrictEqual(r.matches, ['--sparsity']);
    r = await complete('%sparsity sm');
    assert.ok((r.matches as string[]).includes('small'));
    r = await complete('%prune small mag');
    assert.deepStrictEqual(r.matches, ['magnitude']);
    const code = '%seed 1\nconst longName = [1, 2];\nlongName.fil';
    r = await complete(code);
    assert.ok((r.matches as string[]).includes('filter'));
    assert.strictEqual(code.slice(r.cursor_start as number, r.cursor_end as number), 'fil');
  });

  it('inspects TypeScript and magics, and answers is_complete', async () => {
    const ins = (await k.request('shell', 'inspect_request', { code: '%seed 2\nMath.max', cursor_pos: 14, detail_level: 0 })).reply.content;
    assert.strictEqual(ins.found, true);
    assert.match((ins.data as Record<string, string>)['text/plain'], /max\(/);
    const mins = (await k.request('shell', 'inspect_request', { code: '%prune small', cursor_pos: 3, detail_level: 0 })).reply.content;
    assert.match((mins.data as Record<string, string>)['text/plain'], /^%prune <model>/);
    const isc = async (code: string) => (await k.request('shell', 'is_complete_request', { code })).reply.content.status;
    assert.strictEqual(await isc('%seed 3\nconst x = 1;'), 'complete');
    assert.strictEqual(await isc('%seed 3\nfunction f() {'), 'incomplete');
    assert.strictEqual(await isc('%nosuchmagic'), 'invalid');
  });

  it('keeps history (tail, range, search)', async () => {
    await k.execute('"hist-" + 1');
    const tail = (await k.request('shell', 'history_request', { output: true, raw: true, hist_access_type: 'tail', n: 1 })).reply.content;
    const [[session, line, [input, output]]] = tail.history as [number, number, [string, string]][];
    assert.strictEqual(input, '"hist-" + 1');
    assert.strictEqual(output, "'hist-1'");
    const range = (await k.request('shell', 'history_request', { output: false, raw: true, hist_access_type: 'range', session, start: line, stop: line + 1 })).reply.content;
    assert.deepStrictEqual(range.history, [[session, line, '"hist-" + 1']]);
    const search = (await k.request('shell', 'history_request', { output: false, raw: true, hist_access_type: 'search', pattern: '"hist-*', unique: true })).reply.content;
    assert.strictEqual((search.history as unknown[]).length, 1);
  });

  it('rejects messages with a wrong HMAC signature and keeps serving signed ones', async () => {
    const header = newHeader('execute_request', k.session, 'mallory');
    const parts = [JSON.stringify(header), '{}', '{}', JSON.stringify({ code: 'globalThis.pwned = 1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false })];
    await k.sendRaw([DELIMITER, 'deadbeef'.repeat(8), ...parts]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.strictEqual(k.iopubFor(header.msg_id).length, 0, 'no status/output for a forged message');
    const check = await k.execute('typeof (globalThis as any).pwned');
    assert.strictEqual((outputsOf(check.iopub, 'execute_result')[0].content.data as Record<string, string>)['text/plain'], "'undefined'");
    assert.match(k.log, /rejected a message: invalid HMAC signature/);
  });

  it('interrupts %finetune: the kernel survives and the masks still hold', async () => {
    let r = await k.execute('%data blobs --as blobsData\n%model mlp --data blobsData --hidden 64 --as m2\n%prune m2 magnitude --sparsity 0.75');
    assert.strictEqual(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
    const id = k.send('shell', 'execute_request', {
      code: '%finetune m2 --data blobsData --epochs 1000 --batch-size 8',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    await k.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'update_display_data', 60_000);
    k.interrupt();
    const reply = await k.waitReply(id, 30_000);
    assert.strictEqual(reply.content.status, 'error');
    assert.strictEqual(reply.content.ename, 'KeyboardInterrupt');
    assert.match(String(reply.content.evalue), /masks still hold/);
    r = await k.execute('const mm = pl.MaskedModel.existing(m2)!;\n[...mm.masks()].every(([name, mask]) => { const w = mm.prunable(name).variable.read(); return tf.tidy(() => tf.sum(tf.abs(tf.mul(w, tf.sub(1, mask)))).dataSync()[0]) === 0; })');
    assert.strictEqual(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
    assert.strictEqual((outputsOf(r.iopub, 'execute_result')[0].content.data as Record<string, string>)['text/plain'], 'true');
    r = await k.execute('%sparsity m2');
    assert.match((outputsOf(r.iopub, 'execute_result')[0].content.data as Record<string, string>)['text/plain'], /75\.0%/);
  });
});
