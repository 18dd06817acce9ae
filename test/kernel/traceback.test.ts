/**
 * Tracebacks through the real kernel: an error inside prunelab shows the user's cell line (mapped
 * from the compiled JavaScript back to the cell) without prunelab's own frames, unless `%xmode
 * verbose` asks for the whole stack; `%xmode minimal` shows the error alone.
 */
import * as assert from 'assert';
import { KernelClient } from '../../kernel/client';
import '../../src/prune/methods'; // the built-in methods: the scoring ones are criteria too, as in the kernel
import { criterionNames } from '../../src/prune/criteria';

const INTERNAL = /build\/src\/|build\/kernel\/|node_modules|node:internal|evalmachine|prunelab-cell-/;

describe('prunelab kernel: tracebacks and %xmode', function () {
  this.timeout(180_000);
  let k: KernelClient;

  before(async () => {
    k = await KernelClient.start({ env: { PRUNELAB_BACKEND: 'cpu', PRUNELAB_TRACEBACK: '' } });
    const { reply } = await k.execute("const net = pl.createModel('lenet-300-100', { seed: 0 });");
    assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
  });
  after(async () => {
    await k?.shutdown();
  });

  async function traceback(code: string): Promise<{ ename: string; lines: string[]; text: string }> {
    const { reply } = await k.execute(code);
    assert.strictEqual(reply.content.status, 'error', JSON.stringify(reply.content));
    const lines = reply.content.traceback as string[];
    return { ename: String(reply.content.ename), lines, text: lines.join('\n') };
  }

  // blank lines, a comment and a type-only line are dropped by the compiler: JavaScript lines differ from the cell's
  const cell = "type Options = { criterion: string };\n\nconst opts: Options = { criterion: 'nope' };\n// the bad call\npl.prune(net, opts);";

  // the kernel registers the same built-in criteria as this process (every scoring method is one)
  const unknownCriterion = `UnknownNameError: Unknown criterion 'nope'. Known criteria: ${criterionNames().join(', ')}. Register one with pl.registerCriterion(name, scores).`;

  it('a user error inside prunelab names the cell line with its source, and nothing of prunelab (default: context)', async () => {
    const tb = await traceback(cell);
    assert.strictEqual(tb.ename, 'UnknownNameError');
    assert.strictEqual(tb.lines[0], unknownCriterion);
    assert.match(tb.text, /at cell line 5\n\s+5 \| pl\.prune\(net, opts\);\n\s+\|    \^/, tb.text);
    assert.doesNotMatch(tb.text, INTERNAL, 'no frames inside prunelab, node or tslab');
    assert.doesNotMatch(tb.text, /hidden/, "the user's mistake: no count of prunelab's frames either");
    // in a %%time cell the last line is rewritten to pass its value through: the caret still points at the call
    const timed = await traceback(`%%time\n${cell}`);
    assert.match(timed.text, /at cell line 6\n\s+6 \| pl\.prune\(net, opts\);\n\s+\|    \^/, timed.text);
  });

  it('maps every cell frame, in functions and after awaits', async () => {
    const tb = await traceback(
      'async function outer(): Promise<void> {\n' +
      '  await Promise.resolve();\n' +
      '\n' +
      '  inner(0.8);\n' +
      '}\n' +
      'function inner(s: number): void {\n' +
      "  pl.prune(net, { sparsity: s, granularity: '2:4', scope: 'layerwise' });\n" +
      '}\n' +
      'await outer();',
    );
    assert.match(tb.lines[0], /^OptionError: prune: granularity 2:4 fixes the sparsity at 0\.5/);
    assert.match(tb.text, /at inner \(cell line 7\)\n\s+7 \|   pl\.prune\(net, \{ sparsity: s, granularity: '2:4', scope: 'layerwise' \}\);\n\s+\|      \^/);
    assert.match(tb.text, /at (async )?outer \(cell line 4\)\n\s+4 \|   inner\(0\.8\);/);
    assert.match(tb.text, /at (async )?cell line 9\n\s+9 \| await outer\(\);/);
    assert.doesNotMatch(tb.text, INTERNAL);
  });

  it('%xmode verbose shows the whole stack (prunelab frames too), %xmode minimal the error alone, %xmode context again by default', async () => {
    const set = async (mode: string) => {
      const { reply, iopub } = await k.execute(`%xmode ${mode}`);
      assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
      return iopub.filter((m) => m.header.msg_type === 'stream').map((m) => m.content.text).join('');
    };
    assert.match(await set('verbose'), /Exception reporting mode: verbose/);
    const verbose = await traceback(cell);
    assert.match(verbose.text, /build\/src\/prune\/criteria\.js:\d+:\d+/, 'prunelab frames are shown');
    assert.match(verbose.text, /cell line 5[\s\S]*5 \| pl\.prune\(net, opts\);/, 'the cell frame is still mapped');
    assert.doesNotMatch(verbose.text, /hidden/);
    await set('minimal');
    const minimal = await traceback(cell);
    assert.deepStrictEqual(minimal.lines, [unknownCriterion]);
    await set('context');
    assert.doesNotMatch((await traceback(cell)).text, INTERNAL);
    const bad = await k.execute('%xmode loud');
    assert.match(String(bad.reply.content.evalue), /<mode> must be one of: minimal, context, verbose; got 'loud'/);
  });

  it('the same for errors inside magics, and for a function defined in an earlier cell', async () => {
    const magic = await traceback("const x = 1;\n%prune net magnitude --granularity 2:4 --sparsity 0.8");
    assert.match(magic.lines[0], /^OptionError in %prune \(cell line 2\):$/);
    assert.match(magic.text, /2 \| %prune net magnitude --granularity 2:4 --sparsity 0\.8/);
    assert.match(magic.text, /fixes the sparsity at 0\.5/);
    assert.doesNotMatch(magic.text, INTERNAL);
    assert.doesNotMatch(magic.text, /hidden/);
    assert.strictEqual((await k.execute("function pruneWith(criterion: string) {\n  return pl.prune(net, { criterion });\n}")).reply.content.status, 'ok');
    const later = await traceback("\n\npruneWith('nope2');");
    assert.match(later.text, /at pruneWith \(line 2 of an earlier cell\)\n\s+2 \|   return pl\.prune\(net, \{ criterion \}\);/);
    assert.match(later.text, /at cell line 3\n\s+3 \| pruneWith\('nope2'\);/);
    assert.strictEqual(later.text.match(/cell line 3/g)?.length, 1, "tslab's wrapper around the cell is not a frame of the cell");
  });

  it("other errors keep the count of hidden frames; an InternalError (pl's, a second copy of the module) ends asking for a report", async () => {
    const other = await traceback("function boom(): never { throw new TypeError('not a user error'); }\n[1].map(() => boom());");
    assert.strictEqual(other.lines[0], 'TypeError: not a user error');
    assert.match(other.lines[other.lines.length - 1], /^\(\d+ frames? inside prunelab and Node\.js hidden; %xmode verbose shows them\)$/);
    const user = await traceback("throw new pl.ShapeError('the mask does not fit');");
    assert.deepStrictEqual(user.lines.slice(0, 1), ['ShapeError: the mask does not fit']);
    assert.doesNotMatch(user.text, /hidden/);
    const bug = await traceback("throw new pl.InternalError('an invariant broke');");
    assert.strictEqual(bug.ename, 'InternalError');
    assert.strictEqual(bug.lines[0], 'InternalError: an invariant broke');
    assert.match(bug.lines[bug.lines.length - 1], /^This is a bug in prunelab, not in your code: please report it .*%xmode verbose/);
  });

  it("a prune that leaves layers with no weights warns on the cell's stderr stream, naming them", async () => {
    const { reply, iopub } = await k.execute("%model mlp --hidden 8 --seed 2 --as tiny\n%prune tiny magnitude --sparsity 0.999999");
    assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
    const stderr = iopub.filter((m) => m.header.msg_type === 'stream' && m.content.name === 'stderr').map((m) => String(m.content.text)).join('');
    assert.match(stderr, /^Warning: prune: layers .* have no weights left: .*The network is disconnected.*Exclude these layers/m);
  });

  it('a reserved word as --as is the magic\'s own error naming the word, not a TypeScript one', async () => {
    const tb = await traceback('%model lenet-300-100 --as class');
    assert.strictEqual(tb.ename, 'MagicArgumentError');
    assert.match(tb.text, /%model: --as 'class' is a reserved word in TypeScript and cannot name a variable\. Use another name, e\.g\. --as class_\./);
    assert.doesNotMatch(tb.text, /Variable declaration not allowed/);
  });
});
