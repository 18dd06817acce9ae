/**
 * A per-input gradient for FusedConv2D, so that backprop computes only the gradients it needs.
 *
 * Why: every tf.layers Conv2D calls tf.fused.conv2d. Under a gradient tape with a linear
 * activation (Caffe-style convolutions, or any conv whose activation is a separate layer),
 * tfjs-core 4.22 runs the FusedConv2D kernel inside `customGrad`, whose gradient function
 * returns dx, dfilter and dbias eagerly, all at once. The tape drops the inputs that no variable
 * depends on only *after* calling it, so the input gradient of a first conv layer — its input
 * is data — is computed and thrown away: ~6 ms of a ~66 ms LeNet-5-Caffe training step on wasm
 * (batch 64). Gradients registered per kernel are instead thunks, one per input, and the tape
 * calls only those of the inputs it keeps.
 *
 * What: `installLazyFusedConv2d` wraps tf.fused.conv2d. Only in the case above (tape recording,
 * linear activation, NHWC, rank-4 float32 operands, dilation 1, a per-channel bias or none) the
 * wrapper runs the FusedConv2D kernel itself, so the tape records it under its kernel name with
 * `fusedConv2DGradConfig` below; every other call goes to the original op unchanged. The
 * gradients are the same kernels core's customGrad calls (Conv2DBackpropInput,
 * Conv2DBackpropFilter, a sum over dy for the bias), so the numbers are identical, and they are
 * recorded like any op, so second derivatives keep working.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';

/** The attributes tfjs-core gives the FusedConv2D kernel. */
interface FusedConv2DAttrs {
  /** Convolution strides, [sh, sw] or one number. */
  strides: [number, number] | number;
  /** Padding: 'valid', 'same', a number or explicit per-side padding. */
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  /** 'NHWC' (the only layout whose gradient tfjs defines). */
  dataFormat: 'NHWC' | 'NCHW';
  /** Dilations, [dh, dw] or one number (1 for gradients). */
  dilations: [number, number] | number;
  /** Output-size rounding for numeric padding. */
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** Fused activation name ('linear' on the path this file handles). */
  activation: string;
  /** LeakyReLU slope (unused for 'linear'). */
  leakyreluAlpha?: number;
}

/** The argument object of tf.fused.conv2d. */
type FusedConv2dArgs = Parameters<typeof tf.fused.conv2d>[0];

const isOne = (v: number | [number, number] | undefined) =>
  v === undefined || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

/**
 * Gradient of FusedConv2D for a linear activation, one thunk per input. Registered by
 * registerMissingGradients (tfjs-core 4.22 has none: its fused op differentiates through
 * customGrad instead).
 */
export const fusedConv2DGradConfig: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as unknown as FusedConv2DAttrs;
    if ((activation ?? 'linear') !== 'linear' || dataFormat !== 'NHWC' || !isOne(dilations)) {
      // Only installLazyFusedConv2d records this kernel on a tape, and only in this case.
      throw new UserError(
        `Gradient of FusedConv2D: only activation 'linear', NHWC and dilation 1 are supported ` +
          `(got activation '${activation}', ${dataFormat}, dilations ${dilations}); ` +
          `use tf.fused.conv2d, which differentiates the other cases itself.`,
      );
    }
    const g = dy as tf.Tensor4D;
    const common = { strides, pad, dataFormat, dimRoundingMode };
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => tf.sum(g, [0, 1, 2]),
    };
  },
};

/**
 * True when tf.fused.conv2d would differentiate through customGrad and the lazy path gives the
 * same result; anything else (including every invalid call, so that its error message stays
 * tfjs-core's) goes to the original op.
 */
function takesLazyPath(a: FusedConv2dArgs): boolean {
  const { x, filter, bias } = a;
  const f32 = (t: unknown, rank: number): t is tf.Tensor => t instanceof tf.Tensor && t.rank === rank && t.dtype === 'float32';
  return (
    (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0 &&
    (a.activation ?? 'linear') === 'linear' &&
    a.preluActivationWeights == null &&
    (a.dataFormat ?? 'NHWC') === 'NHWC' &&
    isOne(a.dilations) &&
    a.dimRoundingMode == null &&
    f32(x, 4) &&
    f32(filter, 4) &&
    filter.shape[2] === x.shape[3] &&
    (bias == null || (f32(bias, 1) && bias.shape[0] === filter.shape[3]))
  );
}

/** The FusedConv2D kernel as a recorded op (its tape node uses fusedConv2DGradConfig). */
const lazyFusedConv2d = tf.op({
  fusedConv2dLazyGrad_: (a: FusedConv2dArgs): tf.Tensor4D => {
    const inputs: tf.NamedTensorMap = { x: a.x as tf.Tensor, filter: a.filter as tf.Tensor };
    // An absent input must be left out, not set to undefined: the tape walks every key.
    if (a.bias != null) inputs.bias = a.bias as tf.Tensor;
    const attrs: FusedConv2DAttrs = {
      strides: a.strides,
      pad: a.pad,
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
      activation: 'linear',
      leakyreluAlpha: a.leakyreluAlpha,
    };
    return tf.engine().runKernel(tf.FusedConv2D, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  },
});

/** Marker on the wrapper, pointing at the op it wraps (for idempotence and uninstall). */
interface Wrapped {
  __prunelabOriginal?: typeof tf.fused.conv2d;
}

/**
 * Makes tf.fused.conv2d record a per-input gradient (see the file comment). Idempotent.
 * The gradient config must be registered too (registerMissingGradients does both).
 *
 * @returns true when this call installed the wrapper, false when it was already installed.
 */
export function installLazyFusedConv2d(): boolean {
  const fused = tf.fused as { conv2d: typeof tf.fused.conv2d };
  if ((fused.conv2d as Wrapped).__prunelabOriginal !== undefined) return false;
  // In an ES-module bundle (the browser edition) tf.fused is a frozen module namespace, and
  // tfjs-layers holds its own binding anyway: the speed-up is then not available, nothing breaks.
  const slot = Object.getOwnPropertyDescriptor(fused, 'conv2d');
  if (slot && !slot.writable && !slot.set) return false;
  const original = fused.conv2d;
  const wrapper = ((a: FusedConv2dArgs) => (takesLazyPath(a) ? lazyFusedConv2d(a) : original(a))) as typeof tf.fused.conv2d;
  (wrapper as Wrapped).__prunelabOriginal = original;
  fused.conv2d = wrapper;
  return true;
}

/**
 * Restores tfjs-core's own tf.fused.conv2d (for before/after benchmarks and tests).
 *
 * @returns true when a wrapper was removed.
 */
export function uninstallLazyFusedConv2d(): boolean {
  const fused = tf.fused as { conv2d: typeof tf.fused.conv2d };
  const original = (fused.conv2d as Wrapped).__prunelabOriginal;
  if (original === undefined) return false;
  fused.conv2d = original;
  return true;
}
