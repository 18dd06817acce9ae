/** Where a first-layer mask keeps weights, per input pixel. */
import type * as tf from '@tensorflow/tfjs';
import { MaskedModel } from '../prune';
import { baseLayout, type Figure } from './figure';
import { ShapeError } from '../errors';

/**
 * Where a first-layer mask keeps weights, per input pixel: the fraction of a Dense kernel's
 * outgoing weights kept for each input, drawn as an image (for MNIST, the digit area stays and
 * the empty border is pruned away).
 *
 * @param model a pruned model.
 * @param weightName the layer (e.g. `fc1`) or kernel name (e.g. `fc1/kernel`), shape `[inputs, units]`.
 * @param imageShape `[height, width]` with height·width = inputs, e.g. `[28, 28]`.
 */
export function inputMaskImage(model: tf.LayersModel, weightName: string, imageShape: [number, number], title?: string): Figure {
  const masked = MaskedModel.of(model);
  // a layer name (`fc1`) is stable; weight names get suffixes (`fc1/kernel_1`) when models are rebuilt
  const byLayer = masked.prunableWeights().filter((p) => p.layerName === weightName);
  const w = byLayer.length === 1 ? byLayer[0] : masked.prunable(weightName);
  weightName = w.name;
  if (w.shape.length !== 2) throw new ShapeError(`inputMaskImage: '${weightName}' has shape [${w.shape}]; give a Dense kernel [inputs, units].`);
  const [inputs, units] = w.shape;
  if (imageShape[0] * imageShape[1] !== inputs) throw new ShapeError(`inputMaskImage: image ${imageShape.join('×')} has ${imageShape[0] * imageShape[1]} pixels but '${weightName}' has ${inputs} inputs.`);
  const m = masked.mask(weightName);
  const vals = m ? (m.dataSync() as Float32Array) : new Float32Array(inputs * units).fill(1);
  const z: number[][] = [];
  for (let r = 0; r < imageShape[0]; r++) {
    const row: number[] = [];
    for (let c = 0; c < imageShape[1]; c++) {
      const i = r * imageShape[1] + c;
      let kept = 0;
      for (let u = 0; u < units; u++) kept += vals[i * units + u];
      row.push(kept / units);
    }
    z.push(row);
  }
  // the colour range ends at the largest fraction kept (not at 1): at 90% sparsity no pixel keeps
  // much more than a third of its weights, and a 0..1 scale would wash the pattern out
  const zmax = Math.max(1e-6, ...z.map((row) => Math.max(...row)));
  return {
    data: [{ type: 'heatmap', z, zmin: 0, zmax, colorscale: [[0, '#f7fbff'], [1, '#08306b']], colorbar: { title: { text: 'kept fraction' } } }],
    layout: baseLayout(title ?? `${weightName}: fraction of outgoing weights kept per input pixel`, {
      yaxis: { autorange: 'reversed', scaleanchor: 'x', title: { text: 'row' } }, xaxis: { title: { text: 'column' } }, width: 480, height: 460,
    }),
  };
}
