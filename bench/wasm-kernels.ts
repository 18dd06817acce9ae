// Speed of the kernels prunelab adds to wasm, against the cpu backend in the same run.
// Run: npx tsc -p . && nice node build/bench/wasm-kernels.js   (REPS=n to change repetitions)
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';

interface Case {
  /** What is measured. */
  name: string;
  /** Kernel name. */
  kernel: string;
  /** Input shapes by input name. */
  inputs: Record<string, number[]>;
  /** Kernel attributes. */
  attrs: object;
}

const REPS = Number(process.env.REPS ?? 10);

const CASES: Case[] = [
  {
    name: 'LeNet-5 conv1 filter grad, batch 64 (x 64x28x28x1, dy 64x24x24x20, im2col path)',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 28, 28, 1], dy: [64, 24, 24, 20] },
    attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 1, 20] },
  },
  {
    name: 'LeNet-5 conv2 filter grad, batch 64 (x 64x12x12x20, dy 64x8x8x50, convolution path)',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 12, 12, 20], dy: [64, 8, 8, 50] },
    attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 20, 50] },
  },
  {
    name: 'reference: LeNet-5 conv2 forward Conv2D, batch 64 (same multiply-adds as its filter grad)',
    kernel: 'Conv2D',
    inputs: { x: [64, 12, 12, 20], filter: [5, 5, 20, 50] },
    attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 },
  },
  {
    name: 'VGG 3x3 same filter grad, batch 32 (x 32x16x16x32, dy 32x16x16x32)',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [32, 16, 16, 32], dy: [32, 16, 16, 32] },
    attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 32, 32] },
  },
  {
    name: 'depthwise 3x3 filter grad, batch 32 (x 32x16x16x32)',
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    inputs: { x: [32, 16, 16, 32], dy: [32, 16, 16, 32] },
    attrs: { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 32, 1] },
  },
  {
    name: 'depthwise 3x3 input grad, batch 32 (dy 32x16x16x32)',
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    inputs: { dy: [32, 16, 16, 32], filter: [3, 3, 32, 1] },
    attrs: { strides: 1, dilations: 1, pad: 'same', inputShape: [32, 16, 16, 32] },
  },
  {
    name: 'LeNet-300-100 fc1 weight grad x^T.dy, batch 128 (128x784, 128x300, transposeA)',
    kernel: 'BatchMatMul',
    inputs: { a: [128, 784], b: [128, 300] },
    attrs: { transposeA: true, transposeB: false },
  },
  {
    name: 'LeNet-5 fc1 input grad dy.W^T, batch 64 (64x500, 800x500, transposeB)',
    kernel: 'BatchMatMul',
    inputs: { a: [64, 500], b: [800, 500] },
    attrs: { transposeA: false, transposeB: true },
  },
  {
    name: 'LeNet-5 conv2 input grad, batch 64 (dy 64x8x8x50, col2im path, ScatterNd)',
    kernel: 'Conv2DBackpropInput',
    inputs: { dy: [64, 8, 8, 50], filter: [5, 5, 20, 50] },
    attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [64, 12, 12, 20] },
  },
  {
    name: 'LeNet-5 pool1 grad, batch 64 (x 64x24x24x20, unrolled 2x2 path)',
    kernel: 'MaxPoolGrad',
    inputs: { dy: [64, 12, 12, 20], input: [64, 24, 24, 20], output: [64, 12, 12, 20] },
    attrs: { filterSize: 2, strides: 2, pad: 'valid' },
  },
];

/** Median milliseconds of one kernel call on the active backend (fewer repeats when slow). */
function timeKernel(c: Case): number {
  const inputs: Record<string, tf.Tensor> = {};
  for (const [k, shape] of Object.entries(c.inputs)) inputs[k] = tf.randomNormal(shape, 0, 1, 'float32', 7);
  const once = () => {
    const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  const w0 = process.hrtime.bigint();
  once(); // warm-up (operator creation, JIT)
  const warmup = Number(process.hrtime.bigint() - w0) / 1e6;
  // The cpu backend needs tens of seconds for some of these; cap each case at ~3 s of repeats.
  const reps = Math.min(REPS, Math.max(1, Math.floor(3000 / Math.max(warmup, 1e-3))));
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    once();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  tf.dispose(Object.values(inputs));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  await initBackend('wasm');
  console.log(`median of up to ${REPS} calls; ratio = cpu time / wasm time (higher is better for wasm)`);
  for (const c of CASES) {
    await tf.setBackend('wasm');
    const wasm = timeKernel(c);
    await tf.setBackend('cpu');
    const cpu = timeKernel(c);
    console.log(`${c.name}\n  wasm ${wasm.toFixed(2)} ms  cpu ${cpu.toFixed(2)} ms  ratio ${(cpu / wasm).toFixed(1)}x`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
