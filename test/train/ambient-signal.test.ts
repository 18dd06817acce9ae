import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../src/data/types';
import { setAmbientSignalSource } from '../../src/interrupt';
import { timeit } from '../../src/magics/builtins/time';
import { mlp } from '../../src/models';
import { trainDenseRuns } from '../../src/experiments';
import { train, TrainingInterruptedError } from '../../src/train';
import { blobs } from './fixtures/data';

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('the ambient signal (a notebook cell\'s interrupt) stops work that was given no signal', () => {
  const data = blobs(300, { dim: 4, classes: 3, seed: 7 });
  let controller: AbortController;

  beforeEach(() => {
    controller = new AbortController();
    setAmbientSignalSource(() => controller.signal);
  });
  afterEach(() => setAmbientSignalSource(null));

  it('train throws KeyboardInterrupt saying where it stopped; the model keeps the last step\'s weights, masks hold, nothing leaks', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    const mask = tf.tensor2d([1, 0, 1, 0, 1, 0, 1, 0], [1, 8]).tile([4, 1]);
    let atAbort: number[][] = [];
    let ended = -1;
    const tensors = tf.memory().numTensors;
    await assert.rejects(
      train(model, data, {
        epochs: 10, batchSize: 10, masks: { currentMasks: () => new Map([['fc1/kernel', mask]]) },
        hooks: [{
          onStepEnd: (i) => {
            if (i.step !== 6) return;
            controller.abort();
            atAbort = weightsOf(model);
          },
          onTrainEnd: (i) => void (ended = i.step),
        }],
      }),
      (e: unknown) => {
        assert.ok(e instanceof TrainingInterruptedError, String(e));
        assert.strictEqual(e.name, 'KeyboardInterrupt');
        assert.match(e.message, /^training interrupted at epoch 1\/10, batch 7\/30 \(after 7 steps\); the model keeps the weights of its last completed step and its masks still hold/);
        assert.strictEqual(e.history.stopReason, 'aborted');
        assert.strictEqual(e.history.steps, 7);
        return true;
      },
    );
    assert.strictEqual(ended, 7, 'onTrainEnd runs before the error');
    assert.deepStrictEqual(weightsOf(model), atAbort);
    const w = model.getWeights()[0].dataSync();
    mask.dataSync().forEach((m, i) => assert.ok(m === 1 || w[i] === 0));
    assert.strictEqual(tf.memory().numTensors, tensors);
    mask.dispose();
    model.dispose();
  });

  it('a signal passed to train wins over the ambient one, and an aborted one returns instead of throwing', async () => {
    const model = mlp({ inputShape: [4], hidden: [8], classes: 3, seed: 1 });
    controller.abort();
    const own = new AbortController();
    const full = await train(model, data, { steps: 5, batchSize: 10, signal: own.signal });
    assert.strictEqual(full.stopReason, 'completed');
    assert.strictEqual(full.steps, 5);
    own.abort();
    const stopped = await train(model, data, { steps: 5, batchSize: 10, signal: own.signal });
    assert.strictEqual(stopped.stopReason, 'aborted');
    assert.strictEqual(stopped.steps, 0);
    model.dispose();
  });

  it('stops an experiment driver at its first training step, before the next run', async () => {
    const ds: Dataset = { name: 'blobs', train: data, test: blobs(60, { dim: 4, classes: 3, seed: 8 }), classNames: ['a', 'b', 'c'], source: 'test' };
    const logged: string[] = [];
    controller.abort();
    await assert.rejects(
      trainDenseRuns('mlp', ds, { epochs: 1, batchSize: 10 }, [1, 2], (l) => logged.push(l)),
      /KeyboardInterrupt: training interrupted at epoch 1\/1, batch 0\/30 \(after 0 steps\)/,
    );
    assert.deepStrictEqual(logged, [], 'no run finished');
  });

  it('stops pl.magics.timeit between loops', async () => {
    let calls = 0;
    await assert.rejects(
      timeit(async () => {
        if (++calls === 3) controller.abort(Object.assign(new Error('Interrupted by the user'), { name: 'KeyboardInterrupt' }));
      }, { loops: 100, repeat: 3 }),
      { name: 'KeyboardInterrupt' },
    );
    assert.strictEqual(calls, 3);
  });
});
