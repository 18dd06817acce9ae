// Shared helpers for the pruning tests: tiny models with fixed weights, snapshots, comparisons.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MaskedModel } from '../../src/prune';

let counter = 0;
/** A unique layer-name prefix so that models in one process never share names. */
export function uid(p: string): string {
  counter++;
  return `${p}${counter}`;
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a / 2147483648 - 1;
  }
  return out;
}

/** Sets every weight of the model to deterministic values. */
export function fillWeights(model: tf.LayersModel, seed = 1): void {
  model.weights.forEach((w, i) => {
    const n = w.shape.reduce((a: number, b) => a * (b as number), 1);
    const t = tf.tensor(values(n, seed * 7919 + i), w.shape as number[]);
    w.write(t);
    t.dispose();
  });
}

/** A small MLP: in → h1 (relu) → h2 (relu) → out (logits). */
export function mlp(sizes = [8, 12, 10, 4], seed = 1, outActivation = 'linear'): tf.Sequential {
  const p = uid('mlp');
  const m = tf.sequential();
  for (let i = 1; i < sizes.length; i++) {
    m.add(tf.layers.dense({
      units: sizes[i], name: `${p}_d${i}`, activation: (i === sizes.length - 1 ? outActivation : 'relu') as 'relu',
      ...(i === 1 ? { inputShape: [sizes[0]] } : {}),
    }));
  }
  fillWeights(m, seed);
  return m;
}

/** A small CNN: [6,6,3] → conv(8,3x3) → flatten → dense 20 → dense 12 (the torch fixture shapes). */
export function cnn(seed = 1): tf.Sequential {
  const p = uid('cnn');
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 8, kernelSize: 3, name: `${p}_conv` }),
      tf.layers.flatten({ name: `${p}_flat` }),
      tf.layers.dense({ units: 20, name: `${p}_fc1`, activation: 'relu' }),
      tf.layers.dense({ units: 12, name: `${p}_fc2` }),
    ],
  });
  fillWeights(m, seed);
  return m;
}

/** Copies of all weights and masks (for before/after comparisons). */
export function snapshot(model: tf.LayersModel): { weights: Float32Array[]; masks: Map<string, Float32Array> } {
  const masked = MaskedModel.existing(model);
  return {
    weights: model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array)),
    masks: new Map([...(masked?.masks() ?? new Map<string, tf.Tensor>())].map(([k, v]) => [k, Float32Array.from(v.dataSync())])),
  };
}

/** Asserts two snapshots are identical, bit for bit. */
export function assertSameSnapshot(a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>, what: string): void {
  assert.strictEqual(a.weights.length, b.weights.length);
  a.weights.forEach((w, i) => assert.deepStrictEqual(b.weights[i], w, `${what}: weight ${i} changed`));
  assert.deepStrictEqual([...b.masks.keys()], [...a.masks.keys()], `${what}: masked weights changed`);
  for (const [k, m] of a.masks) assert.deepStrictEqual(b.masks.get(k), m, `${what}: mask ${k} changed`);
}

/** Largest absolute difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** max |a − b| / max |b|: the largest difference relative to the reference's scale (lengths must agree). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length, `lengths ${a.length} and ${b.length} differ`);
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Number of zeros. */
export function zeros(a: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0) c++;
  return c;
}
