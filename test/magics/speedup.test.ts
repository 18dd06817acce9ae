import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createMagicContext } from '../../src/magics/context';
import { runMagicLine } from '../../src/magics/registry';
import '../../src/magics/builtins';
import { isFigure } from '../../src/plot/figure';
import { isDataFrame } from '../../src/report/table';
import { createModel } from '../../src/models';
import { prune } from '../../src/prune';
import type { SpeedupReport } from '../../src/sparse';

describe('%speedup', () => {
  it('times the pruned layers in each format and shows a table and the measured-vs-theoretical figure', async () => {
    const net = createModel('lenet-300-100', { seed: 3 });
    prune(net, { criterion: 'magnitude', sparsity: 0.9 });
    const shown: unknown[] = [];
    const vars: Record<string, unknown> = { net };
    const ctx = createMagicContext({
      variables: vars,
      display: (v) => {
        shown.push(v);
        return { update() {}, id: String(shown.length) } as never;
      },
    });
    const before = tf.memory().numTensors;
    const report = (await runMagicLine('%speedup net --formats csr --batch 1 --repeats 2', ctx)) as SpeedupReport;
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
    const layerRows = report.rows.filter((r) => r.variant === 'csr' && r.kind === 'dense' && r.batch === 1);
    assert.ok(layerRows.length >= 3, `rows for fc1..fc3: ${JSON.stringify(report.rows.map((r) => r.layer))}`);
    for (const r of layerRows) assert.ok(r.measured > 0 && Number.isFinite(r.measured));
    assert.ok(report.sweep.length > 0, 'break-even sweep ran');
    assert.ok(isDataFrame(shown[0]), 'first display is the table');
    assert.ok(isFigure(shown[1]), 'second display is the plotly figure');
    net.dispose();
  });

  it('rejects a bad batch list and unknown formats with the usage line', async () => {
    const ctx = createMagicContext({ variables: { net: createModel('lenet-300-100', { seed: 1 }) } });
    await assert.rejects(runMagicLine('%speedup net --batch 0', ctx), /--batch takes positive whole numbers, got '0'/);
    await assert.rejects(runMagicLine('%speedup net --formats csx', ctx), /must be one of|Usage: %speedup/);
  });
});
