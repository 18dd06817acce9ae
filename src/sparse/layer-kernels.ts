/**
 * Reading a model for the sparse core: its layers as a chain, and each Dense / Conv2D kernel
 * with its mask. Masks are plain `Map<weightName, tf.Tensor>` (float32 0/1, the weight's
 * shape), keyed by the kernel variable's name (`layer.weights[0].name`, also tried:
 * `originalName`); without masks the kernel's zeros are the pruned weights.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, UserError } from '../errors';

/** Layers whose kernels the sparse core handles. */
export type KernelLayerKind = 'dense' | 'conv2d';

/** Masks by weight name. */
export type MaskMap = Map<string, tf.Tensor>;

/** The layers of a model that is a simple chain (Sequential, or functional without branches). */
export function chainLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(`The sparse core handles single-input, single-output chain models; this model has ${model.inputs.length} inputs and ${model.outputs.length} outputs.`);
  }
  for (let i = 1; i < layers.length; i++) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const nodes = (layers[i] as any).inboundNodes as Array<{ inboundLayers: tf.layers.Layer[] }>;
    if (!nodes || nodes.length !== 1 || nodes[0].inboundLayers.length !== 1 || nodes[0].inboundLayers[0] !== layers[i - 1]) {
      throw new UserError(
        `The sparse core handles chain models (each layer feeding the next); layer '${layers[i].name}' ` +
          `does not take its input from '${layers[i - 1].name}' alone (branches, merges and shared layers are not supported).`,
      );
    }
  }
  return layers;
}

/** The kind of a kernel layer, or undefined for other layers. */
export function kernelLayerKind(layer: tf.layers.Layer): KernelLayerKind | undefined {
  const c = layer.getClassName();
  return c === 'Dense' ? 'dense' : c === 'Conv2D' ? 'conv2d' : undefined;
}

/** The mask of a weight variable, looked up by name then original name. */
export function findMask(masks: MaskMap | undefined, v: tf.LayerVariable): tf.Tensor | undefined {
  if (!masks) return undefined;
  return masks.get(v.name) ?? masks.get(v.originalName);
}

/** One Dense / Conv2D kernel with its mask applied. */
export interface MaskedKernel {
  /** The layer. */
  layer: tf.layers.Layer;
  /** Dense or Conv2D. */
  kind: KernelLayerKind;
  /** Kernel variable name. */
  name: string;
  /** Kernel shape (Dense [in, out], Conv2D [kh, kw, cin, out]). */
  shape: number[];
  /** Masked kernel values, row-major in the kernel's shape. */
  values: Float32Array;
  /** The mask given for this kernel, if any (not owned). */
  mask?: tf.Tensor;
  /** Bias values, if the layer uses a bias. */
  bias?: Float32Array;
  /** Fraction of pruned weights (mask zeros, or value zeros without a mask). */
  sparsity: number;
}

/**
 * The masked kernel of a Dense / Conv2D layer.
 *
 * @throws when a mask's shape or dtype does not match its kernel.
 */
export function maskedKernel(layer: tf.layers.Layer, masks?: MaskMap): MaskedKernel {
  const kind = kernelLayerKind(layer);
  if (!kind) throw new UserError(`Layer '${layer.name}' (${layer.getClassName()}) has no Dense/Conv2D kernel.`);
  const kv = layer.weights[0];
  const kernel = kv.read();
  const mask = findMask(masks, kv);
  if (mask) {
    if (!tf.util.arraysEqual(mask.shape, kernel.shape)) {
      throw new ShapeError(`Mask for '${kv.name}' has shape [${mask.shape.join(', ')}] but the kernel is [${kernel.shape.join(', ')}].`);
    }
    if (mask.dtype !== 'float32' && mask.dtype !== 'bool' && mask.dtype !== 'int32') {
      throw new UserError(`Mask for '${kv.name}' has dtype ${mask.dtype}; masks are 0/1 float32 tensors.`);
    }
  }
  const values = tf.tidy(() => (mask ? tf.mul(kernel, tf.cast(mask, 'float32')) : kernel).dataSync().slice() as Float32Array);
  let pruned = 0;
  if (mask) {
    const m = mask.dataSync();
    for (let i = 0; i < m.length; i++) if (m[i] === 0) pruned++;
  } else {
    for (let i = 0; i < values.length; i++) if (values[i] === 0) pruned++;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const useBias = (layer.getConfig() as any).useBias !== false && layer.weights.length > 1;
  return {
    layer,
    kind,
    name: kv.name,
    shape: [...kernel.shape],
    values,
    mask,
    bias: useBias ? (layer.weights[1].read().dataSync().slice() as Float32Array) : undefined,
    sparsity: values.length ? pruned / values.length : 0,
  };
}

/** Applies a layer's own activation function (Dense / Conv2D keep it in a private field). */
export function applyLayerActivation(layer: tf.layers.Layer, x: tf.Tensor): tf.Tensor {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const act = (layer as any).activation as { apply(t: tf.Tensor): tf.Tensor } | undefined;
  return act ? act.apply(x) : x;
}

/** Transposes a row-major [rows, cols] array. */
export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}
