import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { shrinkModel, SparseFormat, toSparse } from '../../src/sparse';
import { randn, randomMask, relErr, rng } from './helpers';

function mlp(seed: number): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [24], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 1 }) }));
  m.add(tf.layers.dropout({ rate: 0.3 }));
  m.add(tf.layers.dense({ units: 12, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 3 }) }));
  m.add(tf.layers.dense({ units: 8, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }) }));
  return m;
}

function cnn(seed: number): tf.Sequential {
  const b = (s: number) => tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: s });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [10, 10, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: b(seed + 1) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'valid', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), biasInitializer: b(seed + 3) }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 10, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }), biasInitializer: b(seed + 5) }));
  m.add(tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 6 }) }));
  return m;
}

/** Random masks for every kernel, keyed by variable name. */
function randomMasks(model: tf.LayersModel, sparsity: number, r: () => number): Map<string, tf.Tensor> {
  const masks = new Map<string, tf.Tensor>();
  for (const l of model.layers) {
    if (l.getClassName() !== 'Dense' && l.getClassName() !== 'Conv2D') continue;
    const k = l.weights[0];
    const shape = k.shape as number[];
    masks.set(k.name, tf.tensor(randomMask(shape.reduce((a, b) => a * b, 1), sparsity, r), shape));
  }
  return masks;
}

/** The masked dense reference: the model's output with kernels multiplied by masks (weights restored after). */
function maskedPredict(model: tf.LayersModel, masks: Map<string, tf.Tensor> | undefined, x: tf.Tensor): Float32Array {
  const saved = model.getWeights().map((w) => w.clone());
  try {
    if (masks) for (const l of model.layers) {
      const k = l.weights[0];
      const m = k && masks.get(k.name);
      if (m) tf.tidy(() => { k.write(tf.mul(k.read(), m)); });
    }
    return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync().slice() as Float32Array);
  } finally {
    model.setWeights(saved);
    tf.dispose(saved);
  }
}

/** Sets a kernel / bias from a function of its values. */
function edit(layer: tf.layers.Layer, index: number, f: (v: Float32Array, shape: number[]) => void): void {
  const w = layer.getWeights();
  const v = w[index].dataSync().slice() as Float32Array;
  f(v, w[index].shape);
  const nw = w.map((t, i) => (i === index ? tf.tensor(v, t.shape) : t));
  layer.setWeights(nw);
  nw[index].dispose();
}

describe('toSparse: sparse models equal the masked dense model', () => {
  const r = rng(9);
  for (const impl of ['wasm', 'tfjs'] as const) {
    for (const [format, extra] of [['csr', {}], ['bsr', { blockShape: [2, 2] }], ['coo', {}]] as Array<[SparseFormat, object]>) {
      it(`${impl} ${format}: MLP and CNN with masks, batch 1/7/32`, () => {
        for (const make of [mlp, cnn]) {
          const model = make(3);
          const masks = randomMasks(model, 0.8, r);
          const sm = toSparse(model, { format, impl, masks, ...extra });
          assert.equal(sm.layers.filter((l) => l.sparse).length, masks.size);
          assert.equal(sm.impl, impl);
          for (const B of [1, 7, 32]) {
            const shape: number[] = [B, ...(model.inputs[0].shape.slice(1) as number[])];
            const x = tf.tensor(randn(shape.reduce((a, b) => a * b, 1), r), shape);
            const before = tf.memory().numTensors;
            const y = sm.predict(x);
            assert.equal(tf.memory().numTensors, before + 1, 'predict leaks no tensors');
            const e = relErr(y.dataSync(), maskedPredict(model, masks, x));
            assert.ok(e < 1e-5, `${make.name} B=${B}: ${e}`);
            tf.dispose([x, y]);
          }
          sm.dispose();
          tf.dispose([...masks.values()]);
          model.dispose();
        }
      });
    }
  }

  it('without masks the zeros are the pruned weights; minSparsity leaves denser layers dense', () => {
    const model = mlp(5);
    edit(model.layers[0], 0, (v) => v.forEach((_, i) => { if (i % 10) v[i] = 0; }));
    edit(model.layers[2], 0, (v) => v.forEach((_, i) => { if (i % 2) v[i] = 0; }));
    const sm = toSparse(model, { minSparsity: 0.6 });
    assert.deepEqual(sm.layers.map((l) => l.sparse), [true, false, false, false]);
    const x = tf.tensor(randn(3 * 24, r), [3, 24]);
    const y = sm.predict(x);
    assert.ok(relErr(y.dataSync(), maskedPredict(model, undefined, x)) < 1e-5);
    tf.dispose([x, y]);
    sm.dispose();
    model.dispose();
  });

  it('rejects a wrong input shape, a non-N:M pattern for nm, and masks of the wrong shape', () => {
    const model = mlp(6);
    const sm = toSparse(model);
    const x = tf.zeros([2, 23]);
    assert.throws(() => sm.predict(x), /input shape \[2, 23\] does not match the model input \[batch, 24\]/);
    sm.dispose();
    assert.throws(() => toSparse(model, { format: 'nm', masks: randomMasks(model, 0.3, r) }), /not 2:4/);
    const bad = new Map([[model.layers[0].weights[0].name, tf.ones([3, 3])]]);
    assert.throws(() => toSparse(model, { masks: bad }), /has shape \[3, 3\] but the kernel is \[24, 16\]/);
    assert.throws(() => toSparse(model, { format: 'ell' as SparseFormat }), /Known formats/);
    tf.dispose([x, ...bad.values()]);
    model.dispose();
  });
});

describe('shrinkModel: structural shrinking', () => {
  const r = rng(21);
  it('MLP: removes neurons with no outgoing weights and folds constant neurons into the next bias', () => {
    const model = mlp(7);
    // Layer 0: units 1, 4 have no incoming weights (constant relu(b)); units 2, 9 no outgoing weights.
    edit(model.layers[0], 0, (v) => { for (let i = 0; i < 24; i++) { v[i * 16 + 1] = 0; v[i * 16 + 4] = 0; } });
    edit(model.layers[2], 0, (v) => { for (const j of [2, 9]) for (let o = 0; o < 12; o++) v[j * 12 + o] = 0; });
    // Layer 2: unit 5 has no incoming weights (constant tanh(b) folded into the last layer's... no bias!).
    edit(model.layers[2], 0, (v) => { for (let i = 0; i < 16; i++) v[i * 12 + 5] = 0; });
    const res = shrinkModel(model);
    const x = tf.tensor(randn(7 * 24, r), [7, 24]);
    const y = res.model.predict(x) as tf.Tensor;
    assert.ok(relErr(y.dataSync(), maskedPredict(model, undefined, x)) < 1e-5);
    assert.deepEqual(res.layers[0].removed, [1, 2, 4, 9]);
    // The last layer has no bias, so layer 2's constant unit 5 (tanh(b) ≠ 0) must stay.
    assert.deepEqual(res.layers[1].removed, []);
    assert.deepEqual(res.layers[2].removed, []);
    assert.equal(res.paramsBefore, 24 * 16 + 16 + 16 * 12 + 12 + 12 * 8);
    assert.equal(res.paramsAfter, 24 * 12 + 12 + 12 * 12 + 12 + 12 * 8);
    assert.equal(res.model.countParams(), res.paramsAfter);
    tf.dispose([x, y]);
    res.model.dispose();
    model.dispose();
  });

  it('CNN: filters and channels across Conv → Pool → Conv → Flatten → Dense, with masks, bias folding where exact', () => {
    const model = cnn(11);
    const masks = new Map<string, tf.Tensor>();
    const [c1, , c2, , d1, d2] = model.layers;
    // conv1 (6 filters, next conv is 'valid'): filter 0 has no inputs (relu(b0) folded), filter 3 has no consumers.
    const m1 = new Float32Array(3 * 3 * 3 * 6).fill(1);
    for (let i = 0; i < 27; i++) m1[i * 6 + 0] = 0;
    const m2 = new Float32Array(3 * 3 * 6 * 8).fill(1);
    for (let k = 0; k < 9; k++) for (let o = 0; o < 8; o++) m2[(k * 6 + 3) * 8 + o] = 0;
    // conv2 (8 filters) → Flatten (3·3 positions) → dense: channels 1, 6 read by nobody.
    const m3 = new Float32Array(3 * 3 * 8 * 10).fill(1);
    for (let s = 0; s < 9; s++) for (const c of [1, 6]) for (let o = 0; o < 10; o++) m3[(s * 8 + c) * 10 + o] = 0;
    masks.set(c1.weights[0].name, tf.tensor(m1, c1.weights[0].shape as number[]));
    masks.set(c2.weights[0].name, tf.tensor(m2, c2.weights[0].shape as number[]));
    masks.set(d1.weights[0].name, tf.tensor(m3, d1.weights[0].shape as number[]));
    const res = shrinkModel(model, { masks });
    const x = tf.tensor(randn(5 * 10 * 10 * 3, r), [5, 10, 10, 3]);
    const y = res.model.predict(x) as tf.Tensor;
    const e = relErr(y.dataSync(), maskedPredict(model, masks, x));
    assert.ok(e < 1e-5, `rel err ${e}`);
    assert.deepEqual(res.layers.map((l) => l.removed), [[0, 3], [1, 6], [], []]);
    assert.deepEqual(res.layers[0].folded, [0]);
    const conv2Kernel = res.model.layers[2].getWeights()[0];
    assert.deepEqual(conv2Kernel.shape, [3, 3, 4, 6]);
    assert.deepEqual(res.model.layers[4].getWeights()[0].shape, [3 * 3 * 6, 10]);
    const expectParams = (27 * 4 + 4) + (9 * 4 * 6 + 6) + (54 * 10 + 10) + (10 * 4 + 4);
    assert.equal(res.paramsAfter, expectParams);
    assert.ok(res.paramsAfter < res.paramsBefore);
    void d2;
    tf.dispose([x, y, ...masks.values()]);
    res.model.dispose();
    model.dispose();
  });

  it("keeps a constant filter when the next conv pads ('same'), and leaves the input model unchanged", () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', biasInitializer: 'ones' }));
    m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }));
    edit(m.layers[0], 0, (v) => { for (let i = 0; i < 18; i++) v[i * 3 + 1] = 0; });
    const before = m.getWeights().map((w) => w.dataSync().slice());
    const res = shrinkModel(m);
    assert.deepEqual(res.layers[0].removed, [], 'relu(1) = 1 ≠ 0 cannot be folded through zero padding');
    m.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i]));
    const x = tf.tensor(randn(2 * 36 * 2, r), [2, 6, 6, 2]);
    const y = res.model.predict(x) as tf.Tensor;
    assert.ok(relErr(y.dataSync(), maskedPredict(m, undefined, x)) < 1e-5);
    tf.dispose([x, y]);
    res.model.dispose();
    m.dispose();
  });

  it('rejects models with branches, naming the layer', () => {
    const inp = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3 }).apply(inp) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3 }).apply(inp) as tf.SymbolicTensor;
    const out = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    assert.throws(() => shrinkModel(model), /chain models/);
    assert.throws(() => toSparse(model), /chain models/);
    model.dispose();
  });
});
