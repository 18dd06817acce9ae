// The regularization methods against PyTorch: a few SGD steps of each on a tiny MLP and a tiny CNN
// from the same initial values and the same noise (fixtures from scripts/torch-fixtures/regularization.py).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { Examples } from '../../../../src/data/types';
import { mlp } from '../../../../src/models';
import { finalize, MaskedModel, trainingPlan, withNoiseSource, type NoiseSource } from '../../../../src/prune';
import { train } from '../../../../src/train';

interface Case {
  method: string;
  options: Record<string, unknown>;
  model: 'mlp' | 'cnn';
  steps: number;
  lr: number;
  losses: number[];
  terms: number[];
  final: Record<string, number[]>;
  finalExtra: Record<string, number[]>;
  initExtra?: Record<string, number[]>;
  noise?: Record<string, number[][]>;
}
const fixture: {
  torch: string;
  data: Record<string, { x: number[]; xShape: number[]; y: number[] }>;
  init: Record<string, Record<string, { shape: number[]; values: number[] }>>;
  cases: Case[];
} = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'torch', 'regularization', 'steps.json'), 'utf8'));

/** `fc1/bias_3` → `fc1/bias` (tfjs suffixes reused names; baseWeightName only strips kernels). */
const plainName = (name: string) => name.replace(/_\d+$/, '');

function build(kind: 'mlp' | 'cnn'): tf.LayersModel {
  const net = kind === 'mlp'
    ? mlp({ inputShape: [4], hidden: [6], classes: 3, seed: 1 })
    : tf.sequential({ layers: [
        tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
        tf.layers.flatten({ name: 'flatten' }),
        tf.layers.dense({ name: 'fc', units: 3 }),
      ] });
  for (const v of net.weights) {
    const init = fixture.init[kind][plainName(v.name)];
    const t = tf.tensor(init.values, init.shape);
    v.write(t);
    t.dispose();
  }
  return net;
}

function examples(kind: string): Examples {
  const d = fixture.data[kind];
  return { x: Float32Array.from(d.x), y: Int32Array.from(d.y), count: d.y.length, featureShape: d.xShape.slice(1), numClasses: 3 };
}

/** Replays the fixture's noise: key `l0:fc1/kernel` or `vd:fc1/kernel`, one array per step. */
function replay(noise: Record<string, number[][]>): NoiseSource {
  const take = (key: string, shape: number[], step: number) => {
    const values = noise[key.slice(key.indexOf(':') + 1)]?.[step];
    assert.ok(values, `no fixture noise for ${key} at step ${step}`);
    assert.strictEqual(values.length, shape.reduce((a, b) => a * b, 1), `noise shape of ${key}`);
    return tf.tensor(values, shape);
  };
  return { uniform: take, normal: take };
}

/** Largest |a − b| / max(|b|, 0.1) (relative, with values near 0 compared absolutely at 1e-5). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 0.1));
  return worst;
}

describe(`regularization methods match PyTorch step by step (fixtures from torch ${fixture.torch})`, () => {
  for (const c of fixture.cases) {
    it(`${c.method} ${JSON.stringify(c.options)} on the ${c.model}: losses, penalty and parameters after ${c.steps} SGD steps within 1e-4`, async () => {
      const net = build(c.model);
      const n0 = tf.memory().numTensors;
      const plan = trainingPlan(net, c.method, c.options, { totalSteps: c.steps, stepsPerEpoch: 1 });
      const vars = MaskedModel.of(net).variables(c.method);
      for (const [k, v] of Object.entries(c.initExtra ?? {})) {
        const t = tf.tensor(v, vars.get(k)!.shape);
        vars.get(k)!.assign(t);
        t.dispose();
      }
      const h = await withNoiseSource(c.noise ? replay(c.noise) : (undefined as unknown as NoiseSource), () =>
        train(net, examples(c.model), { epochs: c.steps, batchSize: 8, shuffle: false, optimizer: 'sgd', learningRate: c.lr, ...plan.trainOptions }));
      const losses = h.epochs.map((e) => e.loss);
      const terms = h.epochs.map((e) => e.terms![c.method]);
      assert.ok(relErr(losses, c.losses) < 1e-4, `losses ${losses} vs torch ${c.losses}`);
      assert.ok(relErr(terms, c.terms) < 1e-4, `terms ${terms} vs torch ${c.terms}`);
      for (const v of net.weights) {
        const want = c.final[plainName(v.name)];
        const got = v.read().dataSync();
        assert.ok(relErr(got, want) < 1e-4, `${v.name}: error ${relErr(got, want)}`);
      }
      for (const [k, want] of Object.entries(c.finalExtra)) {
        const got = vars.get(k)!.dataSync();
        assert.ok(relErr(got, want) < 1e-4, `${c.method} variable ${k}: error ${relErr(got, want)}`);
      }
      finalize(net);
      MaskedModel.of(net).strip();
      assert.strictEqual(tf.memory().numTensors, n0, 'no tensor leaks');
      net.dispose();
    });
  }
});
