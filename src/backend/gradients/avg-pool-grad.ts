/**
 * The gradient of AvgPool, replacing tfjs-core's, which is wrong wherever a window overlaps the
 * padding.
 *
 * tfjs's AvgPool (like TensorFlow's) divides each window's sum by the number of cells *inside*
 * the input, so with 'same' or explicit padding the border windows average fewer than fh·fw
 * cells. tfjs-core's gradient calls AvgPoolGrad, which divides by fh·fw everywhere: at the
 * borders the gradient is too small (2.25× at the corner of a 3×3 'same' window), on every backend.
 * The adjoint of the forward pass is AvgPoolGrad applied to dy · (fh·fw / count), where count is
 * the number of input cells each window covers. That scale depends only on the geometry, so it is
 * computed on the host once per call; with 'valid' padding it is 1 and tfjs's gradient is used.
 * Written with tfjs ops, so it runs on every backend and stays twice differentiable (the gradient
 * of AvgPoolGrad is ./avg-pool-grad-grad).
 */
import * as tf from '@tensorflow/tfjs';

/** fh·fw / (cells of the input each output window covers), shape [1, outH, outW, 1]; null when all are 1. */
function borderScale(x: tf.Tensor4D, attrs: tf.AvgPoolAttrs): tf.Tensor4D | null {
  const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, inHeight, inWidth, padInfo } = info;
  const covered = (start: number, size: number, extent: number) => Math.min(start + size, extent) - Math.max(start, 0);
  const scale = new Float32Array(outHeight * outWidth);
  let padded = false;
  for (let i = 0; i < outHeight; i++) {
    const rows = covered(i * strideHeight - padInfo.top, filterHeight, inHeight);
    for (let j = 0; j < outWidth; j++) {
      const count = rows * covered(j * strideWidth - padInfo.left, filterWidth, inWidth);
      scale[i * outWidth + j] = count > 0 ? (filterHeight * filterWidth) / count : 0;
      if (count !== filterHeight * filterWidth) padded = true;
    }
  }
  return padded ? tf.tensor4d(scale, [1, outHeight, outWidth, 1]) : null;
}

/** Gradient record for AvgPool (input x). */
export const avgPoolGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor4D];
    const a = attrs as unknown as tf.AvgPoolAttrs;
    return {
      x: () =>
        tf.tidy(() => {
          const scale = borderScale(x, a);
          const dyScaled = scale ? tf.mul(dy as tf.Tensor, scale) : (dy as tf.Tensor);
          return tf.engine().runKernel(tf.AvgPoolGrad, { dy: dyScaled, input: x }, { filterSize: a.filterSize, strides: a.strides, pad: a.pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
        }),
    };
  },
};
