// The fixed MLP and batch of scripts/torch-fixtures/second-order.py, built in tfjs.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../helpers';

/** What the torch script wrote (see its header). */
export interface SecondOrderFixture {
  torch: string;
  sizes: number[];
  weights: number[][];
  biases: number[][];
  x: number[];
  y: number[];
  obd: { exact: number[][]; gaussNewton: number[][]; fisher: number[][] };
  lobs: { damping: number; sparsity: number; layers: { psi: number[]; psiInverse: number[]; sensitivity: number[]; mask: number[]; kernel: number[]; bias: number[] }[] };
  woodfisher: { blockSize: number; damping: number; sparsity: number; layers: { blocksWoodbury: number[][]; blocksDirect: number[][]; scores: number[]; mask: number[]; kernel: number[] }[] };
}

export const fixture: SecondOrderFixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'torch', 'second-order', 'mlp.json'), 'utf8'),
);

/** torch [out, in] values → tfjs [in, out] values. */
export function toTf(values: number[], out: number, inn: number): Float32Array {
  const r = new Float32Array(values.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) r[i * out + o] = values[o * inn + i];
  return r;
}

/** The fixture MLP (relu, logits) with its weights, and its batch. */
export function fixtureModel(): { model: tf.Sequential; kernels: string[]; biases: string[]; batch: { xs: tf.Tensor; ys: tf.Tensor } } {
  const s = fixture.sizes;
  const model = mlp(s, 1);
  const kernels: string[] = [];
  const biases: string[] = [];
  model.layers.forEach((l, i) => {
    const [k, b] = l.weights;
    const kt = tf.tensor(toTf(fixture.weights[i], s[i + 1], s[i]), [s[i], s[i + 1]]);
    k.write(kt);
    kt.dispose();
    const bt = tf.tensor(fixture.biases[i]);
    b.write(bt);
    bt.dispose();
    kernels.push((k.read() as tf.Variable).name);
    biases.push((b.read() as tf.Variable).name);
  });
  const n = fixture.x.length / s[0];
  return { model, kernels, biases, batch: { xs: tf.tensor2d(fixture.x, [n, s[0]]), ys: tf.tensor2d(fixture.y, [n, s[s.length - 1]]) } };
}

/** max |a − b| / max |b| (the tests' shared helper). */
export { maxRelDiff as relDiff } from '../../helpers';
