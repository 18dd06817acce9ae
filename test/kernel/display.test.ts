/**
 * What a reader sees in the real kernel: a cell ending in a model, a MaskedModel or a dataset
 * shows a short summary table (not a 40 KB object dump); `%sparsity` shows percentages;
 * `%plot ... --save FILE` writes the figure.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KernelClient } from '../../kernel/client';
import type { Message } from '../../kernel/wire';
import { exportUnavailable } from '../../src/plot/export';
import { skipWith } from './helpers';

function result(iopub: Message[]): Record<string, string> {
  const r = iopub.filter((m) => m.header.msg_type === 'execute_result');
  assert.strictEqual(r.length, 1, `expected one execute_result, got: ${iopub.map((m) => m.header.msg_type).join(', ')}`);
  return r[0].content.data as Record<string, string>;
}

describe('kernel: rich display of models, datasets and sparsity tables', function () {
  this.timeout(180_000);
  let k: KernelClient;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-display-'));

  before(async () => {
    k = await KernelClient.start({ env: { PRUNELAB_BACKEND: 'cpu' } });
  });
  after(async () => {
    await k?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a cell ending in `net` shows a short summary table, also after pruning and for the MaskedModel', async () => {
    const created = await k.execute('%model lenet-300-100 --as net\nnet');
    assert.strictEqual(created.reply.content.status, 'ok', JSON.stringify(created.reply.content));
    const dense = result(created.iopub);
    const size = JSON.stringify(dense).length;
    assert.ok(size < 4000, `the execute_result is ${size} bytes`);
    assert.match(dense['text/plain'], /^Model 'lenet_300_100' \(Sequential\): 266,610 parameters/);
    assert.match(dense['text/plain'], /fc1 \(Dense\)\s+\[null, 300\]\s+235,500/);
    assert.match(dense['text/html'], /<table[\s\S]*Layer \(type\)[\s\S]*fc3 \(Dense\)/);

    const pruned = await k.execute('const masked = pl.prune(net, { criterion: "magnitude", sparsity: 0.9 });\nmasked');
    assert.strictEqual(pruned.reply.content.status, 'ok', JSON.stringify(pruned.reply.content));
    const m = result(pruned.iopub);
    assert.ok(JSON.stringify(m).length < 5000);
    assert.match(m['text/plain'], /^MaskedModel of 'lenet_300_100'/);
    assert.match(m['text/plain'], /fc2 \(Dense\)\s+\[null, 100\]\s+30,100\s+3,100\s+89\.7%/);
    assert.match(m['text/plain'], /Total\s+266,610\s+27,030\s+89\.9%/);
  });

  it('a cell ending in a dataset shows its splits', async () => {
    const { reply, iopub } = await k.execute('%data tiny-fashion --validation 0.2 --as ds\nds');
    assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
    const d = result(iopub);
    assert.ok(JSON.stringify(d).length < 4000);
    assert.match(d['text/plain'], /^Dataset 'tiny-fashion'/);
    assert.match(d['text/plain'], /validation\s+200\s+\[28, 28, 1\]/);
  });

  it('%sparsity shows percentages and ratios; the DataFrame keeps raw numbers', async () => {
    const table = result((await k.execute('%sparsity net')).iopub);
    assert.match(table['text/plain'], /fc1\s+Dense\s+784x300\s+235,200\s+23,520\s+90\.0%\s+10\.0×/);
    assert.match(table['text/html'], /<td>90\.0%<\/td>/);
    const raw = result((await k.execute('pl.report.toRecords(pl.report.sparsityTable(net))[0].sparsity')).iopub);
    assert.match(raw['text/plain'], /^0\.9\d*$/);
  });

  it('%plot ... --save FILE writes the figure and still shows it', async function () {
    const why = exportUnavailable();
    if (why) skipWith(this, why);
    const file = path.join(dir, 'bars.svg');
    const { reply, iopub } = await k.execute(`%plot sparsity net --save ${file}`);
    assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
    assert.ok(result(iopub)['application/vnd.plotly.v1+json'], 'the figure is still displayed');
    const svg = fs.readFileSync(file, 'utf8');
    assert.match(svg, /^<svg[^>]* width="336" height="240"/);
    const printed = iopub.filter((m) => m.header.msg_type === 'stream').map((m) => m.content.text).join('');
    assert.match(printed, /saved .*bars\.svg/);
    // The same from TypeScript, as the magic's help says.
    const pdf = path.join(dir, 'curves.pdf');
    const code = `const saved = await pl.plot.save(pl.plot.trainingCurves([{ epoch: 0, loss: 1, accuracy: 0.5 }]), ${JSON.stringify(pdf)}, { preset: 'paper-wide' });\nsaved.width`;
    const ts = await k.execute(code);
    assert.strictEqual(ts.reply.content.status, 'ok', JSON.stringify(ts.reply.content));
    assert.strictEqual(result(ts.iopub)['text/plain'], '672');
    assert.strictEqual(fs.readFileSync(pdf).subarray(0, 5).toString('latin1'), '%PDF-');
  });
});
