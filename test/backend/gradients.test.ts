// The gradients prunelab registers for kernels that tfjs-core leaves without one, checked on the
// active backend: each is the adjoint of a linear map (exact identities), and a Hessian-vector
// product through conv/pool/dense layers matches central differences of the gradient.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  installLazyFusedConv2d,
  PRUNELAB_GRADIENTS,
  REPLACED_GRADIENTS,
  registerMissingGradients,
  uninstallLazyFusedConv2d,
} from '../../src/backend/gradients/index';
import { concat, randomHost, relativeError, twiceDifferentiableCrossEntropy } from './helpers';

type T4 = tf.Tensor4D;
const t4 = (shape: number[], seed: number): T4 =>
  tf.tensor4d(randomHost(shape, seed).values, shape as [number, number, number, number]);

/**
 * For a map F linear in `a`: checks ⟨∂⟨G, F(a)⟩/∂a, U⟩ = ⟨G, F(U)⟩ — the registered gradient is
 * the adjoint of F. Both sides are exact up to float rounding.
 */
function expectAdjoint(name: string, f: (a: tf.Tensor) => tf.Tensor, a: tf.Tensor, seed: number): void {
  tf.tidy(() => {
    const g = tf.tensor(randomHost(f(a).shape, seed).values, f(a).shape);
    const u = tf.tensor(randomHost(a.shape, seed + 1).values, a.shape);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(g, f(x))))(a);
    const lhs = tf.sum(tf.mul(grad, u)).dataSync()[0];
    const rhs = tf.sum(tf.mul(g, f(u))).dataSync()[0];
    const scale = tf.sum(tf.abs(tf.mul(g, f(u)))).dataSync()[0];
    assert.ok(Math.abs(lhs - rhs) <= 1e-4 * scale, `${name}: <grad, U> = ${lhs}, <G, F(U)> = ${rhs}`);
  });
}

describe('backend: gradients tfjs-core lacks', function () {
  it('are registered, and a second registration is a no-op', function () {
    registerMissingGradients();
    for (const g of PRUNELAB_GRADIENTS) assert.ok(tf.getGradient(g.kernelName), `${g.kernelName} has a gradient`);
    for (const g of REPLACED_GRADIENTS) assert.strictEqual(tf.getGradient(g.kernelName), g, `${g.kernelName}: ours replaces tfjs-core's`);
    assert.deepStrictEqual(registerMissingGradients(), []);
  });

  it('Conv2DBackpropFilter: gradients w.r.t. x and dy are adjoints (NHWC strided, NCHW same)', function () {
    const before = tf.memory().numTensors;
    for (const [xShape, fShape, strides, pad, dataFormat] of [
      [[2, 9, 8, 3], [3, 3, 3, 4], 2, 'valid', 'NHWC'],
      [[2, 3, 7, 7], [3, 3, 3, 2], 1, 'same', 'NCHW'],
    ] as Array<[number[], number[], number, 'valid' | 'same', 'NHWC' | 'NCHW']>) {
      if (dataFormat === 'NCHW' && tf.getBackend() === 'wasm') {
        console.log('      (NCHW case skipped: the wasm backend has no NCHW forward conv2d)');
        continue;
      }
      const x = t4(xShape, 1);
      const dy = tf.tidy(() => tf.conv2d(x, t4(fShape, 2), strides, pad, dataFormat));
      const attrs = { strides, pad, dataFormat, filterShape: fShape } as unknown as tf.NamedAttrMap;
      const run = (a: tf.Tensor, b: tf.Tensor) => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: a, dy: b }, attrs) as tf.Tensor;
      expectAdjoint(`w.r.t. x (${dataFormat})`, (a) => run(a, dy), x, 3);
      expectAdjoint(`w.r.t. dy (${dataFormat})`, (b) => run(x, b), dy, 5);
      tf.dispose([x, dy]);
    }
    assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked');
  });

  it('DepthwiseConv2dNativeBackpropFilter / BackpropInput: gradients are adjoints', function () {
    const x = t4([2, 8, 9, 3], 7);
    const w = t4([3, 3, 3, 2], 8);
    const dy = tf.depthwiseConv2d(x, w, 2, 'same');
    const before = tf.memory().numTensors;
    const attrs = { strides: 2, dilations: 1, pad: 'same' };
    const bf = (a: tf.Tensor, b: tf.Tensor) =>
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: a, dy: b }, { ...attrs, filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const bi = (a: tf.Tensor, b: tf.Tensor) =>
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: a, filter: b }, { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expectAdjoint('filter grad w.r.t. x', (a) => bf(a, dy), x, 9);
    expectAdjoint('filter grad w.r.t. dy', (b) => bf(x, b), dy, 11);
    expectAdjoint('input grad w.r.t. dy', (a) => bi(a, w), dy, 13);
    expectAdjoint('input grad w.r.t. filter', (b) => bi(dy, b), w, 15);
    assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked');
    tf.dispose([x, w, dy]);
  });

  it('MaxPoolGrad and AvgPoolGrad: gradients w.r.t. dy are adjoints; w.r.t. the input, zero', function () {
    for (const [filterSize, strides, pad] of [[2, 2, 'valid'], [3, 2, 'same']] as Array<[number, number, 'valid' | 'same']>) {
      const x = t4([2, 7, 7, 3], 17);
      const y = tf.maxPool(x, filterSize, strides, pad);
      const attrs = { filterSize, strides, pad } as unknown as tf.NamedAttrMap;
      const maxGrad = (d: tf.Tensor, input: tf.Tensor = x) =>
        tf.engine().runKernel(tf.MaxPoolGrad, { dy: d, input, output: y }, attrs) as tf.Tensor;
      const avgGrad = (d: tf.Tensor, input: tf.Tensor = x) =>
        tf.engine().runKernel(tf.AvgPoolGrad, { dy: d, input }, attrs) as tf.Tensor;
      const dy = t4(y.shape, 19);
      expectAdjoint(`MaxPoolGrad ${filterSize}/${strides} ${pad}`, (d) => maxGrad(d), dy, 21);
      expectAdjoint(`AvgPoolGrad ${filterSize}/${strides} ${pad}`, (d) => avgGrad(d), dy, 23);
      tf.tidy(() => {
        const gx = tf.grad((input: tf.Tensor) => tf.sum(maxGrad(dy, input)))(x);
        assert.strictEqual(tf.max(tf.abs(gx)).dataSync()[0], 0);
      });
      tf.dispose([x, y, dy]);
    }
  });

  it('second derivatives through tf.max / logSumExp (Equal mask) match the closed form', function () {
    // ∇²logSumExp(z) v = p ⊙ v − p (pᵀv), p = softmax(z).
    tf.tidy(() => {
      const z = tf.tensor1d([0.3, -1.2, 2.0, 0.5]);
      const v = tf.tensor1d([1, -2, 0.5, 3]);
      const hv = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.grad((s: tf.Tensor) => tf.logSumExp(s))(t), v)))(z);
      const p = tf.softmax(z);
      const expected = tf.sub(tf.mul(p, v), tf.mul(p, tf.sum(tf.mul(p, v))));
      assert.ok(relativeError(hv.dataSync(), expected.dataSync()) < 1e-5);
    });
  });

  describe('tape-order fix (second derivatives through kernels that save their outputs)', function () {
    const x = [-1.5, -0.2, 0.4, 2.0];
    const second = (f: (t: tf.Tensor) => tf.Tensor) =>
      tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.grad((s: tf.Tensor) => tf.sum(f(s)))(t)))(tf.tensor1d(x)).dataSync()));
    const close = (a: number[], b: number[], what: string) =>
      assert.ok(relativeError(a, b) < 1e-5, `${what}: got ${a}, expected ${b}`);

    it('exp, tanh, sigmoid and sqrt match their closed-form second derivatives', function () {
      close(second((t) => tf.exp(t)), x.map(Math.exp), 'exp');
      close(second((t) => tf.tanh(t)), x.map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)), 'tanh');
      const sg = (v: number) => 1 / (1 + Math.exp(-v));
      close(second((t) => tf.sigmoid(t)), x.map((v) => sg(v) * (1 - sg(v)) * (1 - 2 * sg(v))), 'sigmoid');
      close(second((t) => tf.sqrt(tf.add(t, 3))), x.map((v) => -0.25 * (v + 3) ** -1.5), 'sqrt');
    });

    it('cross-entropy through tf.logSoftmax and through tf.softmax has the softmax curvature', function () {
      tf.tidy(() => {
        const z = tf.tensor2d([[0.3, -1.2, 2.0, 0.5]]);
        const v = tf.tensor2d([[1, -2, 0.5, 3]]);
        const y = tf.tensor2d([[0, 0, 1, 0]]);
        const p = tf.softmax(z);
        const expected = tf.sub(tf.mul(p, v), tf.mul(p, tf.sum(tf.mul(p, v)))).dataSync();
        const hvp = (loss: (s: tf.Tensor) => tf.Scalar) =>
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.grad(loss)(t), v)))(z).dataSync();
        const viaLogSoftmax = hvp((s) => tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(s)))) as tf.Scalar);
        const viaSoftmax = hvp((s) => tf.sum(tf.metrics.categoricalCrossentropy(y, tf.softmax(s))) as tf.Scalar);
        assert.ok(relativeError(viaLogSoftmax, expected) < 1e-5, `logSoftmax: ${viaLogSoftmax} vs ${expected}`);
        assert.ok(relativeError(viaSoftmax, expected) < 1e-4, `softmax: ${viaSoftmax} vs ${expected}`);
      });
    });

    it('known limit: tf.losses.softmaxCrossEntropy stays once-differentiable (it saves an untracked intermediate)', function () {
      // If a tfjs upgrade makes this pass, the advice to avoid it for Hessians can go.
      tf.tidy(() => {
        const z = tf.tensor2d([[0.3, -1.2, 2.0]]);
        const y = tf.tensor2d([[0, 1, 0]]);
        assert.throws(
          () => tf.grad((t: tf.Tensor) => tf.sum(tf.grad((s: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, s))(t)))(z),
          /Cannot compute gradient/,
        );
      });
    });
  });

  it('AvgPool: the gradient is the adjoint of the forward pass, also where windows overlap the padding', function () {
    // AvgPool is linear in x, so its gradient must be its exact adjoint. tfjs-core's divides by
    // the full window at the borders while the forward pass divides by the cells inside the input.
    const x = t4([2, 7, 6, 3], 71);
    expectAdjoint('avgPool 3x3 stride 2 same', (a) => tf.avgPool(a as T4, 3, 2, 'same'), x, 72);
    expectAdjoint('avgPool 2x3 stride 1 same', (a) => tf.avgPool(a as T4, [2, 3], 1, 'same'), x, 73);
    expectAdjoint('avgPool 3x3 stride 1 explicit pad 1', (a) => tf.avgPool(a as T4, 3, 1, 1), x, 74);
    expectAdjoint('avgPool 2x2 stride 2 valid', (a) => tf.avgPool(a as T4, 2, 2, 'valid'), x, 75);
    // a corner cell of a 3x3 'same' window at stride 1 is averaged with 3 others, so ∂/∂x = 1/4
    const g = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.avgPool(a as T4, 3, 1, 'same')))(tf.ones([1, 4, 4, 1])).dataSync());
    assert.ok(Math.abs(g[0] - (1 / 4 + 2 / 6 + 1 / 9)) < 1e-6, `corner gradient ${g[0]}`);
    x.dispose();
  });

  it('a Hessian-vector product through conv, maxPool, avgPool, depthwise and dense matches finite differences', function () {
    this.timeout(30000);
    const before = tf.memory().numTensors;
    const [x, labels, ...params] = tf.tidy(() => [
      t4([2, 10, 10, 2], 31),
      tf.oneHot(tf.tensor1d([1, 2], 'int32'), 3).toFloat(),
      tf.mul(t4([3, 3, 2, 3], 32), 0.5), // conv 3x3
      tf.mul(t4([3, 3, 3, 1], 33), 0.5), // depthwise 3x3
      tf.mul(tf.tensor2d(randomHost([27, 3], 34).values, [27, 3]), 0.3), // dense
    ]);
    const v = params.map((p, i) => tf.tensor(randomHost(p.shape, 40 + i).values, p.shape));
    const loss = (w: tf.Tensor[]) => {
      let h: tf.Tensor4D = tf.tanh(tf.conv2d(x, w[0] as T4, 1, 'valid')); // [2,8,8,3]
      h = tf.maxPool(h, 2, 2, 'valid'); // [2,4,4,3]
      h = tf.tanh(tf.depthwiseConv2d(h, w[1] as T4, 1, 'same'));
      h = tf.avgPool(h, 2, 1, 'valid'); // [2,3,3,3]
      return twiceDifferentiableCrossEntropy(labels, tf.matMul(tf.reshape(h, [2, 27]), w[2] as tf.Tensor2D));
    };
    const gradAt = (w: tf.Tensor[]) => tf.tidy(() => concat(tf.grads((...ws: tf.Tensor[]) => loss(ws))(w).map((g) => g.dataSync())));
    const hv = tf.tidy(() =>
      concat(
        tf.grads((...ws: tf.Tensor[]) => {
          const g = tf.grads((...inner: tf.Tensor[]) => loss(inner))(ws);
          return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i])))) as tf.Scalar;
        })(params).map((t) => t.dataSync()),
      ),
    );
    // Small enough that no max-pool window changes its arg-max between w − εv and w + εv.
    const eps = 1e-4;
    const shifted = (sign: number) => tf.tidy(() => params.map((p, i) => tf.add(p, tf.mul(v[i], sign * eps))));
    const plus = shifted(1);
    const minus = shifted(-1);
    const gPlus = gradAt(plus);
    const gMinus = gradAt(minus);
    const fd = gPlus.map((g, i) => (g - gMinus[i]) / (2 * eps));
    const err = relativeError(hv, fd);
    assert.ok(err < 1e-2, `Hv vs central differences: relative error ${err.toExponential(2)}`);
    assert.ok(hv.some((h) => h !== 0));
    tf.dispose([x, labels, ...params, ...v, ...plus, ...minus]);
    assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked');
  });

  describe('FusedConv2D per-input gradient (tf.fused.conv2d under a tape)', function () {
    /** Runs `f` with tfjs-core's own tf.fused.conv2d (its customGrad), restoring prunelab's after. */
    function withCoreFusedConv2d<R>(f: () => R): R {
      assert.ok(uninstallLazyFusedConv2d(), 'the wrapper was installed by registerMissingGradients');
      try {
        return f();
      } finally {
        installLazyFusedConv2d();
      }
    }

    /** Caffe-style CNN: linear convs (one with bias, one without) fed by data, then a dense layer. */
    function caffeLikeCnn(): tf.Sequential {
      return tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 5 }) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 5, kernelSize: 2, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
    }

    it('tf.layers conv nets: same gradients as tfjs-core, without the input gradient of the first conv', async function () {
      const model = caffeLikeCnn();
      const x = t4([3, 10, 10, 1], 50);
      const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3).toFloat());
      const before = tf.memory().numTensors;
      const run = async () => {
        let grads: Float32Array = new Float32Array(0);
        const profile = await tf.profile(() => {
          tf.tidy(() => {
            const { value, grads: g } = tf.variableGrads(() => twiceDifferentiableCrossEntropy(labels, model.apply(x) as tf.Tensor));
            grads = concat(model.trainableWeights.map((w) => g[w.originalName].dataSync()));
            value.dispose();
          });
        });
        return { grads, inputGrads: profile.kernels.filter((k) => k.name === tf.Conv2DBackpropInput).length };
      };
      const lazy = await run();
      assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked');
      uninstallLazyFusedConv2d();
      let core: { grads: Float32Array; inputGrads: number };
      try {
        core = await run();
      } finally {
        installLazyFusedConv2d();
      }
      assert.strictEqual(core.inputGrads, 2, "tfjs-core's customGrad computes both convs' input gradients");
      assert.strictEqual(lazy.inputGrads, 1, 'only conv 2 needs an input gradient');
      const err = relativeError(lazy.grads, core.grads);
      assert.ok(err <= 1e-6, `gradients differ from tfjs-core's: relative error ${err.toExponential(2)}`);
      tf.dispose([x, labels]);
      model.dispose();
    });

    it('gradients w.r.t. input, filter and bias, and a Hessian-vector product, equal conv2d + add', function () {
      this.timeout(20000);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const x = t4([2, 9, 8, 3], 60);
        const w = tf.mul(t4([3, 3, 3, 4], 61), 0.5);
        const b = tf.tensor1d([0.1, -0.2, 0.3, 0.05]);
        const g = t4([2, 5, 4, 4], 62); // weights the output: loss = Σ g ⊙ tanh(conv)
        const vw = t4([3, 3, 3, 4], 63);
        type Conv = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.Tensor;
        const fused: Conv = (xi, wi, bi) =>
          tf.fused.conv2d({ x: xi as T4, filter: wi as T4, bias: bi, strides: 2, pad: 'same' });
        const plain: Conv = (xi, wi, bi) => tf.add(tf.conv2d(xi as T4, wi as T4, 2, 'same'), bi);
        const loss = (conv: Conv) => (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(g, tf.tanh(conv(xi, wi, bi))));
        const firstOrder = (conv: Conv) => concat(tf.grads(loss(conv))([x, w, b]).map((t) => t.dataSync()));
        const hvp = (conv: Conv) =>
          tf.grad((wi: tf.Tensor) => tf.sum(tf.mul(tf.grads(loss(conv))([x, wi, b])[1], vw)))(w).dataSync();
        const e1 = relativeError(firstOrder(fused), firstOrder(plain));
        const e2 = relativeError(hvp(fused), hvp(plain));
        const e3 = relativeError(withCoreFusedConv2d(() => hvp(fused)), hvp(plain));
        assert.ok(e1 <= 1e-5, `first-order gradients: relative error ${e1.toExponential(2)}`);
        assert.ok(e2 <= 1e-5, `Hessian-vector product: relative error ${e2.toExponential(2)}`);
        assert.ok(e3 <= 1e-5, `reference check of tfjs-core's own path: relative error ${e3.toExponential(2)}`);
        // Without a bias the tape node has no bias input at all (an undefined one would break the tape).
        const noBias = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(g, tf.fused.conv2d({ x: xi as T4, filter: wi as T4, strides: 2, pad: 'same' }))))([x, w]);
        const noBiasRef = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(g, tf.conv2d(xi as T4, wi as T4, 2, 'same'))))([x, w]);
        const e4 = relativeError(concat(noBias.map((t) => t.dataSync())), concat(noBiasRef.map((t) => t.dataSync())));
        assert.ok(e4 <= 1e-5, `without bias: relative error ${e4.toExponential(2)}`);
      });
      assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked');
    });

    it("leaves every other call to tfjs-core's op, with its results and error messages", function () {
      tf.tidy(() => {
        const x = t4([1, 6, 6, 3], 70);
        const w = t4([3, 3, 3, 2], 71);
        // Channel mismatch under a tape: core's message, not a kernel error.
        const narrow = t4([3, 3, 2, 2], 72);
        assert.throws(
          () => tf.grad((f: tf.Tensor) => tf.sum(tf.fused.conv2d({ x, filter: f as T4, strides: 1, pad: 'valid' })))(narrow),
          /depth of input \(3\) must match input depth for filter 2/,
        );
        // Non-linear activations under a tape: core's (unfused) path, same values and gradients.
        const cases: Array<(f: tf.Tensor) => tf.Tensor> = [
          (f) => tf.fused.conv2d({ x, filter: f as T4, strides: 1, pad: 'same', activation: 'relu', bias: tf.tensor1d([0.1, -0.1]) }),
          (f) => tf.fused.conv2d({ x, filter: f as T4, strides: 2, pad: 'valid', activation: 'leakyrelu', leakyreluAlpha: 0.3 }),
        ];
        for (const conv of cases) {
          const run = () => {
            const { value, grad } = tf.valueAndGrad((f: tf.Tensor) => tf.sum(tf.square(conv(f))))(w);
            return [...value.dataSync(), ...grad.dataSync()];
          };
          assert.deepStrictEqual(run(), withCoreFusedConv2d(run));
        }
        // Dilation under a tape: core's own message.
        assert.throws(
          () => tf.grad((f: tf.Tensor) => tf.sum(tf.fused.conv2d({ x, filter: f as T4, strides: 1, pad: 'same', dilations: 2 })))(w),
          /dilation rates greater than 1/,
        );
      });
    });

    it('installs once', function () {
      assert.strictEqual(installLazyFusedConv2d(), false, 'already installed by registerMissingGradients');
      assert.strictEqual(tf.getGradient(tf.FusedConv2D)?.kernelName, tf.FusedConv2D);
    });
  });
});
