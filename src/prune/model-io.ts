/**
 * Saving and loading a `tf.LayersModel` in tfjs's own format (model.json + weights.bin) in a
 * directory. Pure @tensorflow/tfjs in Node has no `file://` handler (that comes with
 * tfjs-node), so this small IOHandler does the writing and reading.
 *
 * Loading checks model.json (JSON, a layers-model topology, a weights manifest) and the weight
 * files (present, the sizes the manifest needs, finite values) before tfjs builds anything, so
 * a corrupt or foreign directory is rejected with the file and the problem named.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ensureDir, fileExists, readJsonFile, readRegularFile, writeFileAtomic } from '../io/files';
import { scanNonFinite } from '../data/finite';
import { UserError } from '../errors';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((a, b) => a + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/** Bytes per element of the weight dtypes tfjs writes unquantized. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
/** Bytes per element of tfjs's quantization dtypes. */
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed model.json and returns its weight specs and weight file names.
 * @throws Error naming the file and what is wrong with it.
 */
function checkModelJson(json: unknown, file: string): { specs: tf.io.WeightsManifestEntry[]; paths: string[] } {
  const fail = (problem: string): never => {
    throw new UserError(`Cannot load the model: ${file} ${problem}.`);
  };
  if (!isObject(json)) return fail('is not a tfjs layers model (expected a JSON object with "modelTopology" and "weightsManifest")');
  const topology = json.modelTopology;
  // tfjs accepts either {model_config: {...}} (Keras' layout) or the config itself ({class_name, config}).
  const config = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(config) || typeof config.class_name !== 'string' || !isObject(config.config)) {
    fail('is not a tfjs layers model: "modelTopology" with a model class_name and config is missing (is it a graph model, or another JSON file?)');
  }
  if (!Array.isArray(json.weightsManifest)) fail('has no "weightsManifest" array');
  const specs: tf.io.WeightsManifestEntry[] = [];
  const paths: string[] = [];
  (json.weightsManifest as unknown[]).forEach((group, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      fail(`weightsManifest[${g}] must have "paths" and "weights" arrays`);
    }
    const grp = group as { paths: unknown[]; weights: unknown[] };
    for (const p of grp.paths) {
      // Weight files live in the model's own directory: no absolute paths, no '..'.
      if (typeof p !== 'string' || !p || path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
        fail(`weightsManifest[${g}] names the weight file ${JSON.stringify(p)}; expected a file name inside the model directory`);
      }
      paths.push(p as string);
    }
    grp.weights.forEach((w, i) => {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0) || typeof w.dtype !== 'string') {
        fail(`weightsManifest[${g}].weights[${i}] must have a name, a shape of non-negative integers and a dtype`);
      }
      specs.push(w as unknown as tf.io.WeightsManifestEntry);
    });
  });
  return { specs, paths };
}

/** Bytes a weight occupies in the weight files. */
function specBytes(spec: tf.io.WeightsManifestEntry, file: string): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const per = spec.quantization ? QUANTIZED_BYTES[spec.quantization.dtype] : DTYPE_BYTES[spec.dtype];
  if (per === undefined) {
    throw new UserError(`Cannot load the model: ${file} gives weight '${spec.name}' the dtype ${spec.quantization?.dtype ?? spec.dtype}, which prunelab cannot read.`);
  }
  return size * per;
}

/**
 * Checks the concatenated weight bytes against the specs: total size, and finite float32 values
 * (a NaN or infinite weight would otherwise load silently and poison every result).
 */
function checkWeightData(data: Uint8Array, specs: tf.io.WeightsManifestEntry[], weightFiles: string[], file: string): void {
  const filesLabel = weightFiles.join(' + ');
  const need = specs.reduce((a, s) => a + specBytes(s, file), 0);
  if (data.byteLength !== need) {
    throw new UserError(
      `Cannot load the model: ${filesLabel} hold${weightFiles.length > 1 ? '' : 's'} ${data.byteLength} bytes but the weights listed in ${file} need ${need}` +
        ` (${data.byteLength < need ? 'truncated' : 'extra bytes'}: an interrupted save, or files from another model).`,
    );
  }
  let offset = 0;
  for (const spec of specs) {
    const bytes = specBytes(spec, file);
    if (spec.dtype === 'float32' && !spec.quantization) {
      const values = new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + bytes));
      const bad = scanNonFinite(values);
      if (bad) {
        throw new UserError(
          `Cannot load the model: ${filesLabel} holds values that are not finite for weight '${spec.name}' ` +
            `(${bad.count} of ${values.length}, the first ${bad.firstValue} at index ${bad.firstIndex}); the weights are corrupt or come from a diverged training run.`,
        );
      }
    }
    offset += bytes;
  }
}

/**
 * An IOHandler that saves to / loads from a directory (`model.json` + `weights.bin`).
 *
 * @param dir the directory (created on save).
 */
export function directoryModelHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      ensureDir(dir, `the model ${path.resolve(dir)}`);
      const weights = artifacts.weightData ? concatBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]) : new Uint8Array(0);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      // Weights first, model.json last: a model.json always describes complete weights.
      writeFileAtomic(path.join(dir, WEIGHTS_BIN), weights, 'model weights');
      writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(json), 'model description');
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = path.resolve(dir, MODEL_JSON);
      if (!fileExists(file)) throw new UserError(`Cannot load the model: no ${MODEL_JSON} in ${path.resolve(dir)}; save a model there first (saveModelToDir, or exportModel of a MaskedModel).`);
      const json = readJsonFile(file, 'model description');
      const { specs, paths } = checkModelJson(json, file);
      const weightFiles = paths.map((p) => path.resolve(dir, p));
      const buffers = weightFiles.map((f) => readRegularFile(f, 'model weights'));
      const data = concatBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
      checkWeightData(data, specs, weightFiles, file);
      const j = json as Record<string, unknown>;
      return {
        modelTopology: j.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        format: j.format as string | undefined,
        generatedBy: j.generatedBy as string | undefined,
        convertedBy: j.convertedBy as string | null | undefined,
        trainingConfig: j.trainingConfig as tf.io.TrainingConfig | undefined,
        weightSpecs: specs,
        weightData: data.buffer as ArrayBuffer,
      };
    },
  };
}

/**
 * Saves a model to a directory in tfjs's format.
 *
 * @returns tfjs's save result.
 */
export function saveModelToDir(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  return model.save(directoryModelHandler(dir));
}

/**
 * Loads a model saved by {@link saveModelToDir} (or any tfjs layers model directory).
 *
 * @throws Error naming the file and the problem: no model.json, not JSON, not a layers model,
 *   a weight file missing or of the wrong size, weights that are NaN or infinite.
 */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  const resolved = path.resolve(dir);
  try {
    return await tf.loadLayersModel(directoryModelHandler(resolved));
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    // Our own checks already name the file; tfjs's errors (an inconsistent topology) do not.
    if (msg.includes(resolved)) throw err;
    throw new UserError(`Cannot load the model in ${resolved}: ${msg}`);
  }
}
