import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../src/models';
import { inputMaskImage, seedBandFigure } from '../../src/plot';
import { MaskedModel, prune } from '../../src/prune';
import { studentTQuantile } from '../../src/report/stats';

describe('plot: figures of experiment rows', () => {
  it('seedBandFigure draws mean ± Student-t CI per group and x', () => {
    const rows = [
      { m: 'a', x: 1, y: 1 }, { m: 'a', x: 1, y: 3 }, { m: 'a', x: 2, y: 2 }, { m: 'a', x: 2, y: 2 }, { m: 'b', x: 1, y: 5 }, { m: 'b', x: 1, y: 7 },
    ];
    const fig = seedBandFigure(rows, { x: 'x', y: 'y', group: 'm' });
    assert.equal(fig.data.length, 4);
    const [bandA, lineA] = fig.data as any[];
    assert.deepEqual(lineA.x, [1, 2]);
    assert.deepEqual(lineA.y, [2, 2]);
    const h = studentTQuantile(0.975, 1) * Math.SQRT2 / Math.SQRT2;
    assert.deepEqual(bandA.y.map((v: number) => +v.toFixed(9)), [2 + h, 2, 2, 2 - h].map((v) => +v.toFixed(9)));
    assert.match(lineA.name, /^a \(n=2, 95% CI\)$/);
    const std = seedBandFigure(rows, { x: 'x', y: 'y', group: 'm', band: 'std', yScale: 10 });
    assert.equal((std.data[0] as any).y[0], 20 + 10 * Math.SQRT2);
  });

  it('inputMaskImage: fraction of outgoing weights kept per input pixel', () => {
    const net = createModel('mlp', { inputShape: [4], hidden: [3], seed: 0 });
    const layer = MaskedModel.of(net).prunableWeights()[0];
    // make input 0's weights the largest, input 3's the smallest: magnitude pruning keeps 0, drops 3
    const w = tf.tensor2d([[9, 9, 9], [5, 5, 0.1], [4, 0.2, 0.3], [0.01, 0.02, 0.03]]);
    layer.variable.write(w);
    w.dispose();
    prune(net, { sparsity: 0.5, include: [layer.layerName] });
    const fig = inputMaskImage(net, layer.layerName, [2, 2]);
    assert.deepEqual((fig.data[0] as any).z, [[1, 2 / 3], [1 / 3, 0]]);
    assert.throws(() => inputMaskImage(net, layer.layerName, [3, 3]), /has 9 pixels but .* has 4 inputs/);
    MaskedModel.of(net).strip();
    net.dispose();
  });
});
