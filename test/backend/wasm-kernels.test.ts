// The kernels prunelab registers for wasm, each compared with the cpu backend on random inputs,
// plus end-to-end gradients and Hessian-vector products of small CNNs on wasm vs cpu.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  MISSING_WASM_KERNELS,
  REPLACED_WASM_KERNELS,
  registerMissingWasmKernels,
} from '../../src/backend/wasm-kernels/index';
import { preferCol2im } from '../../src/backend/wasm-kernels/conv2d-backprop-input';
import { preferIm2col } from '../../src/backend/wasm-kernels/conv2d-backprop-filter';
import { preferScatterNd } from '../../src/backend/wasm-kernels/col2im';
import {
  concat,
  HostTensor,
  randomHost,
  relativeError,
  runKernelOn,
  twiceDifferentiableCrossEntropy,
  wasmUnavailableReason,
} from './helpers';

const TOL = 1e-4;
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Runs a kernel on wasm and cpu with the same inputs and checks every output agrees. */
async function expectWasmMatchesCpu(
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: object,
  label: string,
): Promise<void> {
  const wasm = await runKernelOn('wasm', kernelName, inputs, attrs);
  const cpu = await runKernelOn('cpu', kernelName, inputs, attrs);
  assert.strictEqual(wasm.length, cpu.length, `${label}: output count`);
  cpu.forEach((c, i) => {
    assert.deepStrictEqual(wasm[i].shape, c.shape, `${label}: shape of output ${i}`);
    const err = relativeError(wasm[i].values, c.values);
    assert.ok(err <= TOL, `${label}: output ${i} relative error ${err.toExponential(2)} > ${TOL}`);
  });
}

describe('backend: wasm kernels', function () {
  let previous = '';

  before(async function () {
    previous = tf.getBackend();
    const reason = await wasmUnavailableReason();
    if (reason !== null) {
      console.log(`    skipping wasm kernel tests: ${reason}`);
      this.skip();
    }
  });

  after(async function () {
    if (previous) await tf.setBackend(previous);
  });

  it('registers every kernel, and a second call is a no-op', function () {
    registerMissingWasmKernels();
    const before = [...MISSING_WASM_KERNELS, ...REPLACED_WASM_KERNELS].map((k) => tf.getKernel(k.kernelName, 'wasm'));
    assert.deepStrictEqual(registerMissingWasmKernels(), []);
    for (const [i, k] of [...MISSING_WASM_KERNELS, ...REPLACED_WASM_KERNELS].entries()) {
      assert.strictEqual(tf.getKernel(k.kernelName, 'wasm'), before[i], `${k.kernelName} re-registered`);
      assert.strictEqual(tf.getKernel(k.kernelName, 'wasm')?.kernelFunc, k.kernelFunc, `${k.kernelName} is ours`);
    }
  });

  describe('Conv2DBackpropFilter', function () {
    const cases: Array<[number[], number[], number | [number, number], Pad, 'NHWC' | 'NCHW', ('floor' | 'round' | 'ceil')?]> = [
      [[3, 28, 28, 1], [5, 5, 1, 6], 1, 'valid', 'NHWC'], // LeNet-5 conv1 (fewer filters)
      [[3, 12, 12, 8], [5, 5, 8, 10], 1, 'valid', 'NHWC'], // LeNet-5 conv2 (narrower)
      [[2, 9, 9, 3], [3, 3, 3, 8], 1, 'same', 'NHWC'], // VGG block
      [[3, 11, 10, 4], [3, 3, 4, 5], [2, 3], 'valid', 'NHWC'], // strides skipping the last rows
      [[2, 10, 9, 3], [4, 3, 3, 2], 2, 'same', 'NHWC'], // even filter, asymmetric same padding
      [[2, 7, 8, 3], [3, 3, 3, 4], 1, [[0, 0], [2, 1], [0, 3], [0, 0]], 'NHWC'], // explicit padding
      [[2, 3, 8, 9], [3, 3, 3, 4], [1, 2], 'same', 'NCHW'], // channels first
      [[2, 8, 8, 2], [3, 3, 2, 3], 2, 1, 'NHWC', 'round'], // numeric pad + rounding
      // ≥ 5 input channels: the convolution form instead of im2col.
      [[2, 10, 9, 6], [4, 3, 6, 2], 2, 'same', 'NHWC'],
      [[2, 7, 8, 5], [3, 3, 5, 4], [1, 2], [[0, 0], [2, 1], [0, 3], [0, 0]], 'NHWC'],
    ];
    it('exercises both the im2col and the convolution form', function () {
      const paths = new Set(
        cases.map(([xShape, fShape, strides, pad, dataFormat, rounding]) =>
          dataFormat === 'NHWC' &&
          preferIm2col(tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], strides, 1, pad, rounding)),
        ),
      );
      assert.deepStrictEqual([...paths].sort(), [false, true]);
    });
    for (const [xShape, fShape, strides, pad, dataFormat, rounding] of cases) {
      const label = `x ${xShape} f ${fShape} s ${strides} pad ${JSON.stringify(pad)} ${dataFormat}`;
      it(`matches cpu: ${label}`, async function () {
        const info = tf.backend_util.computeConv2DInfo(
          xShape as [number, number, number, number], fShape as [number, number, number, number],
          strides, 1, pad, rounding, false, dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst',
        );
        await expectWasmMatchesCpu(
          tf.Conv2DBackpropFilter,
          { x: randomHost(xShape, 1), dy: randomHost(info.outShape, 2) },
          { strides, pad, dataFormat, dimRoundingMode: rounding, filterShape: fShape },
          label,
        );
      });
    }
  });

  describe('DepthwiseConv2dNativeBackpropInput / BackpropFilter', function () {
    // The cpu backend ignores dilations in these two kernels (tfjs computes depthwise gradients
    // only for dilation 1), so dilated cases are checked against the forward op instead.
    const cases: Array<[number[], number[], number | [number, number], Pad]> = [
      [[2, 9, 9, 3], [3, 3, 3, 1], 1, 'same'],
      [[2, 10, 11, 3], [3, 3, 3, 2], 2, 'same'], // channel multiplier 2, stride 2
      [[3, 9, 8, 2], [3, 2, 2, 3], [2, 1], 'valid'],
      [[2, 12, 12, 4], [5, 5, 4, 1], 1, 'valid'],
      [[1, 7, 7, 2], [3, 3, 2, 1], 1, [[0, 0], [3, 0], [1, 2], [0, 0]]], // padding wider than the filter
    ];
    for (const [xShape, fShape, strides, pad] of cases) {
      const label = `x ${xShape} f ${fShape} s ${strides} pad ${JSON.stringify(pad)}`;
      it(`match cpu: ${label}`, async function () {
        const info = tf.backend_util.computeConv2DInfo(
          xShape as [number, number, number, number], fShape as [number, number, number, number],
          strides, 1, pad, undefined, true,
        );
        const attrs = { strides, dilations: 1, pad };
        await expectWasmMatchesCpu(
          tf.DepthwiseConv2dNativeBackpropFilter,
          { x: randomHost(xShape, 3), dy: randomHost(info.outShape, 4) },
          { ...attrs, filterShape: fShape },
          `filter grad ${label}`,
        );
        await expectWasmMatchesCpu(
          tf.DepthwiseConv2dNativeBackpropInput,
          { dy: randomHost(info.outShape, 5), filter: randomHost(fShape, 6) },
          { ...attrs, inputShape: xShape },
          `input grad ${label}`,
        );
      });
    }

    const dilated: Array<[number[], number[], [number, number], Pad]> = [
      [[2, 12, 12, 4], [5, 5, 4, 1], [2, 2], 'valid'],
      [[2, 9, 10, 2], [3, 3, 2, 2], [2, 1], 'same'],
    ];
    for (const [xShape, fShape, dilations, pad] of dilated) {
      it(`are the adjoints of the forward op with dilations ${dilations} (x ${xShape}, f ${fShape}, ${pad})`, async function () {
        await tf.setBackend('wasm');
        const x = randomHost(xShape, 7);
        const w = randomHost(fShape, 8);
        const [lhs, viaInput, viaFilter] = tf.tidy(() => {
          const xt = tf.tensor4d(x.values, xShape as [number, number, number, number]);
          const wt = tf.tensor4d(w.values, fShape as [number, number, number, number]);
          const y = tf.depthwiseConv2d(xt, wt, 1, pad as 'valid', 'NHWC', dilations);
          const dy = tf.tensor(randomHost(y.shape, 9).values, y.shape);
          const attrs = { strides: 1, dilations, pad } as unknown as tf.NamedAttrMap;
          const dx = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: wt }, { ...attrs, inputShape: xShape }) as tf.Tensor;
          const dw = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: xt, dy }, { ...attrs, filterShape: fShape }) as tf.Tensor;
          return [tf.sum(tf.mul(dy, y)), tf.sum(tf.mul(dx, xt)), tf.sum(tf.mul(dw, wt))].map((t) => t.dataSync()[0]);
        });
        const scale = Math.max(1, Math.abs(lhs));
        assert.ok(Math.abs(viaInput - lhs) <= TOL * scale, `<dx, x> = ${viaInput} but <dy, y> = ${lhs}`);
        assert.ok(Math.abs(viaFilter - lhs) <= TOL * scale, `<dW, W> = ${viaFilter} but <dy, y> = ${lhs}`);
      });
    }
  });

  describe('MaxPoolGrad / MaxPoolWithArgmax (native wasm versions route non-positive windows wrongly)', function () {
    // Windows of 2×2 side by side: all negative, all zero (dead ReLU), tie, denormal, mixed.
    const special = new Float32Array(2 * 10 * 1);
    const windows = [[-3, -1, -2, -4], [0, 0, 0, 0], [2, 2, 1, 0], [1e-39, 0, 0, 0], [-1, 5, -2, 3]];
    windows.forEach((w, k) => {
      special[2 * k] = w[0];
      special[2 * k + 1] = w[1];
      special[10 + 2 * k] = w[2];
      special[10 + 2 * k + 1] = w[3];
    });
    const cases: Array<[string, HostTensor, number | [number, number], number | [number, number], 'valid' | 'same']> = [
      ['special windows', { values: special, shape: [1, 2, 10, 1] }, 2, 2, 'valid'],
      ['random 2x2/2', randomHost([2, 8, 8, 3], 10), 2, 2, 'valid'],
      ['random 3x3/2 same', randomHost([2, 9, 9, 3], 11), 3, 2, 'same'],
      ['random 3x2/(1,2)', randomHost([2, 7, 9, 2], 12), [3, 2], [1, 2], 'valid'],
      ['random 3x3/1 same', randomHost([1, 9, 9, 2], 13), 3, 1, 'same'],
      ['relu-like (half zeros)', relu(randomHost([2, 8, 8, 4], 14)), 2, 2, 'valid'],
      // The unrolled 2×2 path: overlapping windows, and sizes whose last row/column no window covers.
      ['random 2x2/1 (overlapping)', randomHost([2, 7, 6, 3], 16), 2, 1, 'valid'],
      ['random 2x2/2 odd size', randomHost([2, 9, 7, 5], 17), 2, 2, 'valid'],
      ['random 2x2/(3,2) (gaps)', randomHost([1, 8, 8, 2], 18), 2, [3, 2], 'valid'],
      ['NaN and -Infinity windows, 2x2/2', nonFinite(), 2, 2, 'valid'],
      ['NaN and -Infinity windows, 3x3/3', nonFinite(), 3, 3, 'valid'],
    ];
    for (const [name, x, filterSize, strides, pad] of cases) {
      it(`match cpu: ${name}`, async function () {
        await tf.setBackend('cpu');
        const y = tf.tidy(() => tf.maxPool(tf.tensor4d(x.values, x.shape as [number, number, number, number]), filterSize, strides, pad));
        const output: HostTensor = { values: y.dataSync().slice() as Float32Array, shape: y.shape };
        y.dispose();
        await expectWasmMatchesCpu(
          tf.MaxPoolGrad,
          { dy: randomHost(output.shape, 15), input: x, output },
          { filterSize, strides, pad },
          `MaxPoolGrad ${name}`,
        );
        // Known difference, left as is: for a window without a maximum (only NaN / −∞) the wasm
        // MaxPoolWithArgmax returns NaN and cpu −∞, so only MaxPoolGrad is compared there.
        if (name.startsWith('NaN')) return;
        for (const includeBatchInIndex of [true, false]) {
          const wasm = await runKernelOn('wasm', tf.MaxPoolWithArgmax, { x }, { filterSize, strides, pad, includeBatchInIndex });
          const cpu = await runKernelOn('cpu', tf.MaxPoolWithArgmax, { x }, { filterSize, strides, pad, includeBatchInIndex });
          assert.deepStrictEqual(Array.from(wasm[0].values), Array.from(cpu[0].values), `${name}: pooled values`);
          assert.deepStrictEqual(Array.from(wasm[1].values), Array.from(cpu[1].values), `${name}: arg-max indexes`);
        }
      });
    }
  });

  describe('Conv2DBackpropInput (replaced for speed) and native AvgPoolGrad', function () {
    it('Conv2DBackpropInput matches cpu (strides, same/valid/explicit padding, NCHW)', async function () {
      const cases: Array<[number[], number[], number | [number, number], Pad, 'NHWC' | 'NCHW']> = [
        [[2, 9, 9, 3], [3, 3, 3, 8], 1, 'same', 'NHWC'],
        [[3, 11, 10, 4], [3, 3, 4, 5], [2, 3], 'valid', 'NHWC'],
        [[2, 10, 9, 3], [4, 3, 3, 2], 2, 'same', 'NHWC'],
        [[2, 3, 8, 9], [3, 3, 3, 4], [1, 2], 'same', 'NCHW'],
        [[2, 7, 8, 3], [3, 3, 3, 4], 1, [[0, 0], [2, 1], [0, 3], [0, 0]], 'NHWC'],
        // Cases above go through col2im (≤ 4 input channels or mostly padding); these through both:
        [[2, 9, 9, 8], [3, 3, 8, 5], 1, 'same', 'NHWC'], // transposed convolution
        [[2, 6, 8, 9], [3, 3, 6, 5], 1, 'same', 'NCHW'], // transposed convolution, channels first
        [[2, 12, 12, 6], [5, 5, 6, 7], 1, 'valid', 'NHWC'], // col2im, LeNet-5 conv2-like
        [[2, 11, 10, 6], [3, 2, 6, 4], [2, 3], 'same', 'NHWC'], // col2im, strided
        [[2, 9, 9, 5], [4, 3, 5, 3], 1, [[0, 0], [4, 0], [1, 3], [0, 0]], 'NHWC'], // col2im, padding wider than the filter
        // ≥ 16 input channels: col2im scatters with the native ScatterNd (into padded dx, then crops).
        [[2, 12, 12, 16], [5, 5, 16, 7], 1, 'valid', 'NHWC'],
        [[2, 11, 10, 16], [3, 2, 16, 4], [2, 3], 'same', 'NHWC'],
        [[2, 9, 9, 17], [4, 3, 17, 3], 1, [[0, 0], [4, 0], [1, 3], [0, 0]], 'NHWC'],
        [[2, 16, 8, 9], [3, 3, 16, 4], 2, 'same', 'NCHW'],
      ];
      const paths = new Set<boolean>();
      const scatters = new Set<boolean>();
      for (const [xShape, fShape, strides, pad, dataFormat] of cases) {
        const info = tf.backend_util.computeConv2DInfo(
          xShape as [number, number, number, number], fShape as [number, number, number, number],
          strides, 1, pad, undefined, false, dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst',
        );
        await expectWasmMatchesCpu(
          tf.Conv2DBackpropInput,
          { dy: randomHost(info.outShape, 16), filter: randomHost(fShape, 17) },
          { strides, pad, dataFormat, inputShape: xShape },
          `x ${xShape} f ${fShape} s ${strides} ${JSON.stringify(pad)} ${dataFormat}`,
        );
        paths.add(preferCol2im(info));
        if (preferCol2im(info)) scatters.add(preferScatterNd(info));
      }
      assert.deepStrictEqual([...paths].sort(), [false, true], 'both the col2im and the transposed-convolution path are exercised');
      assert.deepStrictEqual([...scatters].sort(), [false, true], 'both the JS and the ScatterNd scatter are exercised');
    });

    it('AvgPoolGrad matches cpu (valid and same padding)', async function () {
      for (const [xShape, filterSize, strides, pad] of [
        [[2, 8, 8, 3], 2, 2, 'valid'],
        [[2, 9, 9, 3], 3, 2, 'same'],
      ] as Array<[number[], number, number, 'valid' | 'same']>) {
        const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad);
        await expectWasmMatchesCpu(
          tf.AvgPoolGrad,
          { dy: randomHost(info.outShape, 18), input: randomHost(xShape, 19) },
          { filterSize, strides, pad },
          `x ${xShape} ${filterSize}/${strides} ${pad}`,
        );
      }
    });
  });

  describe('BatchMatMul / _FusedMatMul (replaced: XNNPACK for transposed and batched products)', function () {
    /** [A shape, B shape] before transposes, i.e. op(A) is [.., M, K] and op(B) is [.., K, N]. */
    const shapes: Array<[string, number[], number[]]> = [
      ['2-D dense gradient shapes', [1, 12, 30], [1, 30, 7]],
      ['2-D, tall result', [1, 40, 6], [1, 6, 9]],
      ['batched, equal batch', [3, 5, 8], [3, 8, 6]],
      ['batched A, single B', [4, 5, 8], [1, 8, 6]],
      ['single A, batched B', [1, 5, 8], [3, 8, 6]],
    ];
    const transposed = (shape: number[], t: boolean) => (t ? [shape[0], shape[2], shape[1]] : shape);
    for (const [name, aShape, bShape] of shapes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const label = `${name}, transposeA ${transposeA}, transposeB ${transposeB}`;
          const a = randomHost(transposed(aShape, transposeA), 40);
          const b = randomHost(transposed(bShape, transposeB), 41);
          it(`BatchMatMul matches cpu: ${label}`, async function () {
            await expectWasmMatchesCpu(tf.BatchMatMul, { a, b }, { transposeA, transposeB }, label);
          });
          it(`_FusedMatMul matches cpu: ${label}, bias + relu / linear / none`, async function () {
            const bias = randomHost([bShape[2]], 42);
            await expectWasmMatchesCpu(tf._FusedMatMul, { a, b, bias }, { transposeA, transposeB, activation: 'relu' }, `${label} bias relu`);
            await expectWasmMatchesCpu(tf._FusedMatMul, { a, b, bias }, { transposeA, transposeB, activation: 'linear' }, `${label} bias linear`);
            await expectWasmMatchesCpu(tf._FusedMatMul, { a, b }, { transposeA, transposeB, activation: 'relu' }, `${label} relu`);
          });
        }
      }
    }

    it('BatchMatMul matches cpu for rank 2 and rank 4 operands', async function () {
      await expectWasmMatchesCpu(tf.BatchMatMul, { a: randomHost([9, 4], 43), b: randomHost([5, 4], 44) }, { transposeA: false, transposeB: true }, 'rank 2');
      await expectWasmMatchesCpu(tf.BatchMatMul, { a: randomHost([2, 3, 4, 5], 45), b: randomHost([4, 6], 46) }, { transposeA: true, transposeB: false }, 'rank 4 × rank 2');
      await expectWasmMatchesCpu(tf.BatchMatMul, { a: randomHost([2, 3, 4, 5], 47), b: randomHost([2, 3, 6, 4], 48) }, { transposeA: true, transposeB: true }, 'rank 4 × rank 4');
    });

    it('_FusedMatMul matches cpu for the other activations on a transposed product', async function () {
      const a = randomHost([1, 7, 5], 49);
      const b = randomHost([1, 6, 7], 50);
      const bias = randomHost([6], 51);
      for (const activation of ['relu6', 'sigmoid', 'elu', 'leakyrelu']) {
        await expectWasmMatchesCpu(tf._FusedMatMul, { a, b, bias }, { transposeA: true, transposeB: true, activation, leakyreluAlpha: 0.3 }, activation);
      }
      for (const [ta, aa] of [[false, randomHost([2, 5, 7], 52)], [true, randomHost([2, 7, 5], 53)]] as Array<[boolean, HostTensor]>) {
        await expectWasmMatchesCpu(
          tf._FusedMatMul,
          { a: aa, b: randomHost([2, 7, 6], 54), bias, preluActivationWeights: randomHost([6], 55) },
          { transposeA: ta, transposeB: false, activation: 'prelu' },
          `prelu, batched, transposeA ${ta}`,
        );
      }
    });

    it('rejects mismatched inner dimensions with the shapes in the message', async function () {
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const a = tf.zeros([3, 4]);
      const b = tf.zeros([5, 6]);
      assert.throws(() => tf.matMul(a, b, true, false), /inner shapes \(3\) and \(5\)/);
      tf.dispose([a, b]);
      assert.strictEqual(tf.memory().numTensors, before);
    });

    it('gradients of a Dense-like product (all transpose flags) agree with cpu', async function () {
      const x = randomHost([16, 20], 56);
      const w = randomHost([20, 9], 57);
      const bias = randomHost([9], 58);
      const grads = async (backend: string) => {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const out = tf.tidy(() => {
          const xt = tf.tensor2d(x.values, [16, 20]);
          const wt = tf.tensor2d(w.values, [20, 9]);
          const bt = tf.tensor1d(bias.values as Float32Array);
          const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
            tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' })));
          return concat(tf.grads(loss)([xt, wt, bt]).map((g) => g.dataSync()));
        });
        assert.strictEqual(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
        return out;
      };
      const cpu = await grads('cpu');
      const wasm = await grads('wasm');
      const err = relativeError(wasm, cpu);
      assert.ok(err <= TOL, `gradient relative error ${err.toExponential(2)}`);
    });
  });

  describe('end to end', function () {
    /** A small CNN touching every kernel above: conv valid/same/strided, both pools, depthwise, dense. */
    function smallCnn(): tf.Sequential {
      return tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh', depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
          tf.layers.averagePooling2d({ poolSize: 1 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
        ],
      });
    }

    /** Gradient and Hessian-vector product of the loss w.r.t. all weights, on `backend`. */
    async function gradAndHvp(backend: string, weights: HostTensor[], v: HostTensor[]): Promise<[Float32Array, Float32Array]> {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const model = smallCnn();
      tf.tidy(() => model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape))));
      const result = tf.tidy(() => {
        const x = tf.tensor4d(randomHost([3, 12, 12, 2], 20).values, [3, 12, 12, 2]);
        const labels = tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), 5).toFloat();
        const ws = model.trainableWeights.map((w) => w.read());
        const vs = v.map((t) => tf.tensor(t.values, t.shape));
        const loss = () => twiceDifferentiableCrossEntropy(labels, model.apply(x) as tf.Tensor);
        const g = tf.grads(() => loss())(ws);
        const hv = tf.grads(() => {
          const inner = tf.grads(() => loss())(ws);
          return tf.addN(inner.map((gi, i) => tf.sum(tf.mul(gi, vs[i])))) as tf.Scalar;
        })(ws);
        return [concat(g.map((t) => t.dataSync())), concat(hv.map((t) => t.dataSync()))] as [Float32Array, Float32Array];
      });
      model.dispose();
      assert.strictEqual(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
      return result;
    }

    it('gradients and a Hessian-vector product of a small CNN agree with cpu', async function () {
      await tf.setBackend('cpu');
      const template = smallCnn();
      const weights = template.getWeights().map((t) => ({ values: t.dataSync().slice() as Float32Array, shape: t.shape }));
      template.dispose();
      const v = weights.map((w, i) => randomHost(w.shape, 30 + i));
      const [gCpu, hCpu] = await gradAndHvp('cpu', weights, v);
      const [gWasm, hWasm] = await gradAndHvp('wasm', weights, v);
      const gErr = relativeError(gWasm, gCpu);
      const hErr = relativeError(hWasm, hCpu);
      assert.ok(gErr <= TOL, `gradient relative error ${gErr.toExponential(2)}`);
      assert.ok(hErr <= TOL, `Hessian-vector product relative error ${hErr.toExponential(2)}`);
      assert.ok(hCpu.some((h) => h !== 0), 'the Hessian-vector product should not be identically zero');
    });
  });
});

function relu(t: HostTensor): HostTensor {
  return { values: t.values.map((v) => Math.max(0, v)) as Float32Array, shape: t.shape };
}

/**
 * A [1, 6, 6, 2] input whose 2×2 windows (channel 0) and 3×3 windows (channel 1) hold NaN,
 * −∞ and finite values in every order, so that both pooling paths meet each case.
 */
function nonFinite(): HostTensor {
  const pool = [NaN, Number.NEGATIVE_INFINITY, -2, 0, 3, NaN, Number.NEGATIVE_INFINITY, 3, 1];
  const values = new Float32Array(6 * 6 * 2);
  for (let i = 0; i < 36; i++) {
    values[2 * i] = pool[(i * 5 + (i >> 3)) % pool.length];
    values[2 * i + 1] = pool[(i * 7 + 2) % pool.length];
  }
  // A window of only NaN and one of only −∞ (2×2 window at rows 0–1, columns 0–1 and 2–3).
  for (const [r, c, v] of [[0, 0, NaN], [0, 1, NaN], [1, 0, NaN], [1, 1, NaN]] as Array<[number, number, number]>) values[2 * (r * 6 + c)] = v;
  for (const [r, c] of [[0, 2], [0, 3], [1, 2], [1, 3]]) values[2 * (r * 6 + c)] = Number.NEGATIVE_INFINITY;
  return { values, shape: [1, 6, 6, 2] };
}
