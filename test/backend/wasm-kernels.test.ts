// The kernels prunelab registers for wasm, each compared with the cpu backend on random inputs,
// plus end-to-end gradients and Hessian-vector products of small CNNs on wasm vs cpu.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  MISSING_WASM_KERNELS,
  REPLACED_WASM_KERNELS,
  registerMissingWasmKernels,
} from '../../src/backend/wasm-kernels/index';
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
    ];
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
      ];
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
      }
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
