/**
 * Saving and loading mask state (masks bit-packed + method variables + history) as one JSON
 * file, so that an experiment can be resumed: save the weights with `exportModel` and the masks
 * with `saveMasks`, later load both.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { base64ToBytes, bytesToBase64, countMaskBits, packMaskBits, unpackMaskBits } from '../sparse/mask-bits';
import { MaskedModel, type PruneRecord } from './masked-model';

/** The JSON mask-state format. */
export interface MaskStateFile {
  /** Always `prunelab-masks`. */
  format: 'prunelab-masks';
  /** Format version (1). */
  version: 1;
  /** Name of the model the masks came from. */
  model: string;
  /** One entry per masked weight. */
  masks: {
    /** Weight variable name. */
    name: string;
    /** Position among the model's prunable weights (for matching by order). */
    index: number;
    /** Weight shape. */
    shape: number[];
    /** Number of ones (checked on load). */
    ones: number;
    /** Bit-packed mask, base64. */
    bits: string;
  }[];
  /** Trainable variables carried by pruning methods. */
  variables: { owner: string; name: string; shape: number[]; trainable: boolean; values: string }[];
  /** Pruning history. */
  history: PruneRecord[];
}

/** Serialises the mask state of a masked model. */
export function maskState(masked: MaskedModel): MaskStateFile {
  const masks = masked.prunableWeights().flatMap((w) => {
    const m = masked.mask(w.name);
    if (!m) return [];
    const bits = packMaskBits(m.dataSync());
    return [{ name: w.name, index: w.index, shape: w.shape, ones: countMaskBits(bits), bits: bytesToBase64(bits) }];
  });
  const variables: MaskStateFile['variables'] = [];
  for (const [key, v] of masked.variables()) {
    const i = key.indexOf('/');
    const data = v.dataSync() as Float32Array;
    variables.push({ owner: key.slice(0, i), name: key.slice(i + 1), shape: v.shape, trainable: v.trainable, values: bytesToBase64(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))) });
  }
  return { format: 'prunelab-masks', version: 1, model: masked.model.name, masks, variables, history: masked.history.slice() };
}

/**
 * Writes the mask state to a JSON file (directories are created).
 *
 * @param masked the model with masks.
 * @param file path of the JSON file.
 */
export function saveMasks(masked: MaskedModel, file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(maskState(masked)));
}

/** Options of {@link loadMasks}. */
export interface LoadMasksOptions {
  /**
   * `name` (default): masks go to the weights of the same name. `order`: to the prunable weights
   * at the same positions (for a model rebuilt in a process where tfjs gave its layers other names).
   */
  match?: 'name' | 'order';
}

/**
 * Applies saved masks to a model (weights are multiplied by them) and restores method variables.
 *
 * @param model the model (or its MaskedModel).
 * @param source a file path or a parsed {@link MaskStateFile}.
 * @returns the model's MaskedModel.
 * @throws when the file is not a mask state, a weight is missing or a shape differs; the model is then unchanged.
 */
export function loadMasks(model: tf.LayersModel | MaskedModel, source: string | MaskStateFile, opts: LoadMasksOptions = {}): MaskedModel {
  const masked = model instanceof MaskedModel ? model : MaskedModel.of(model);
  const state: MaskStateFile = typeof source === 'string' ? JSON.parse(fs.readFileSync(source, 'utf8')) : source;
  if (state?.format !== 'prunelab-masks' || state.version !== 1) {
    throw new Error(`Not a prunelab mask file (format '${state?.format}', version ${state?.version}); expected format 'prunelab-masks' version 1.`);
  }
  const match = opts.match ?? 'name';
  const weights = masked.prunableWeights();
  const problems: string[] = [];
  const plan = state.masks.map((e) => {
    const w = match === 'order' ? weights[e.index] : weights.find((x) => x.name === e.name);
    if (!w) {
      problems.push(match === 'order' ? `no prunable weight #${e.index} (model has ${weights.length})` : `no weight '${e.name}'`);
      return null;
    }
    if (w.shape.length !== e.shape.length || w.shape.some((d, i) => d !== e.shape[i])) {
      problems.push(`'${e.name}' was saved with shape [${e.shape}] but '${w.name}' has shape [${w.shape}]`);
      return null;
    }
    const values = unpackMaskBits(base64ToBytes(e.bits), w.size);
    const ones = values.reduce((a, b) => a + b, 0);
    if (ones !== e.ones) problems.push(`'${e.name}' mask has ${ones} ones but the file says ${e.ones} (corrupt file)`);
    return { w, values };
  });
  if (problems.length) {
    throw new Error(
      `Cannot load masks saved from model '${state.model}' onto model '${masked.model.name}': ${problems.join('; ')}. ` +
        (match === 'name' ? `If the model was rebuilt with other layer names, load with { match: 'order' }.` : 'The architectures differ.'),
    );
  }
  masked.edit((edit) => {
    for (const p of plan) edit.setMask(p!.w.name, tf.tensor(p!.values, p!.w.shape));
    for (const h of state.history) edit.record(h);
  });
  for (const v of state.variables) {
    const bytes = base64ToBytes(v.values);
    const data = new Float32Array(bytes.slice().buffer);
    masked.addVariables(v.owner, { [v.name]: tf.variable(tf.tensor(data, v.shape), v.trainable) });
  }
  return masked;
}
