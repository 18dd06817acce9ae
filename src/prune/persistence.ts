/**
 * Saving and loading mask state (masks bit-packed + method variables + history) as one JSON
 * file, so that an experiment can be resumed: save the weights with `exportModel` and the masks
 * with `saveMasks`, later load both.
 *
 * Loading validates the whole file (structure, every mask's bits, every variable's bytes and
 * values, the history) and matches every entry to a weight before anything is applied, so a
 * corrupt or foreign file is rejected with the file and the problem named, never half-loaded.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readJsonFile, writeFileAtomic } from '../io/files';
import { base64ToBytes, bytesToBase64, countMaskBits, packMaskBits, unpackMaskBits } from '../sparse/mask-bits';
import type { MaskedModel, PruneRecord } from './masked-model';
import { scanNonFinite } from '../data/finite';
import { attachMethod, findMethod } from './method';
import { weightsNamed, type PrunableWeight } from './targets';
import { ShapeError, UserError } from '../errors';
export { baseWeightName } from './targets';

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
  /**
   * Methods attached when saved (parametrizations in the forward pass), with their options:
   * loading re-attaches them onto the restored variables, so training resumes where it stopped.
   */
  methods?: { name: string; options: Record<string, unknown> }[];
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
  const methods = [...masked.attachedMethods()].map(([name, options]) => ({ name, options: { ...options } }));
  return { format: 'prunelab-masks', version: 1, model: masked.model.name, masks, variables, history: masked.history.slice(), ...(methods.length ? { methods } : {}) };
}

/**
 * Writes the mask state to a JSON file (directories are created; the file is replaced
 * atomically, so an interrupted save leaves the previous file intact). Users call `saveMasks`
 * (masked-model.ts), which also takes a plain model.
 *
 * @param masked the model with masks.
 * @param file path of the JSON file.
 * @throws Error naming the path when it cannot be written (no path hangs, e.g. under /proc).
 */
export function writeMaskState(masked: MaskedModel, file: string): void {
  writeFileAtomic(file, JSON.stringify(maskState(masked)), 'mask file');
}

/** Options of {@link loadMasks}. */
export interface LoadMasksOptions {
  /**
   * `name` (default): masks go to the weights of the same name, seeing through the numeric
   * suffixes tfjs adds to keep variable names unique in a process (`fc1/kernel` matches
   * `fc1/kernel_1`). `order`: to the prunable weights at the same positions (for a model
   * rebuilt in a process where tfjs gave its layers other names).
   */
  match?: 'name' | 'order';
}

/** A mask entry checked and decoded. */
interface DecodedMask {
  entry: MaskStateFile['masks'][number];
  values: Float32Array;
}

/** A method variable checked and decoded. */
interface DecodedVariable {
  entry: MaskStateFile['variables'][number];
  data: Float32Array;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): string => {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
};

/**
 * Checks the whole of a parsed mask state and decodes its masks and variables.
 *
 * @param raw the parsed JSON (or an object given by the caller).
 * @param fail throws an Error naming the source; called with the first problem found.
 */
function decodeMaskState(raw: unknown, fail: (problem: string) => never): { state: MaskStateFile; masks: DecodedMask[]; variables: DecodedVariable[] } {
  if (!isObject(raw)) fail(`not a prunelab mask file (it holds ${kindOf(raw)}, expected an object with format 'prunelab-masks')`);
  if (raw.format !== 'prunelab-masks') fail(`not a prunelab mask file (format ${raw.format === undefined ? 'missing' : JSON.stringify(raw.format)}; expected 'prunelab-masks')`);
  if (raw.version !== 1) fail(`mask file version ${JSON.stringify(raw.version)}; this prunelab reads version 1`);
  if (typeof raw.model !== 'string') fail(`"model" must be a string (the name of the saved model); it is ${kindOf(raw.model)}`);
  if (!Array.isArray(raw.masks)) fail(`"masks" must be an array of masks; it is ${kindOf(raw.masks)}`);
  const variablesRaw = raw.variables ?? [];
  if (!Array.isArray(variablesRaw)) fail(`"variables" must be an array; it is ${kindOf(variablesRaw)}`);
  const historyRaw = raw.history ?? [];
  if (!Array.isArray(historyRaw)) fail(`"history" must be an array of pruning records; it is ${kindOf(historyRaw)}`);

  const shapeSize = (shape: unknown, where: string, allowZero: boolean): number => {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (allowZero ? d >= 0 : d > 0))) {
      fail(`${where}.shape must be an array of ${allowZero ? 'non-negative' : 'positive'} integers; it is ${JSON.stringify(shape)}`);
    }
    return (shape as number[]).reduce((a, b) => a * b, 1);
  };
  const bytesOf = (text: unknown, where: string): Uint8Array => {
    if (typeof text !== 'string') fail(`${where} must be base64 text; it is ${kindOf(text)}`);
    try {
      return base64ToBytes(text as string);
    } catch {
      return fail(`${where} is not valid base64`);
    }
  };

  const names = new Set<string>();
  const masks = raw.masks.map((e: unknown, i: number): DecodedMask => {
    const where = `masks[${i}]`;
    if (!isObject(e)) fail(`${where} must be an object; it is ${kindOf(e)}`);
    if (typeof e.name !== 'string' || !e.name) fail(`${where}.name must be a non-empty string`);
    const label = `${where} ('${e.name}')`;
    if (names.has(e.name as string)) fail(`${label} appears twice`);
    names.add(e.name as string);
    if (!Number.isInteger(e.index) || (e.index as number) < 0) fail(`${label}.index must be a non-negative integer; it is ${JSON.stringify(e.index)}`);
    const size = shapeSize(e.shape, label, false);
    const bits = bytesOf(e.bits, `${label}.bits`);
    let values: Float32Array;
    try {
      values = unpackMaskBits(bits, size);
    } catch (err) {
      return fail(`${label}: ${(err as Error).message.replace(/\.$/, '')}`);
    }
    const ones = values.reduce((a, b) => a + b, 0);
    if (ones !== e.ones) fail(`${label} has ${ones} ones but the file says ${JSON.stringify(e.ones)} (corrupt file)`);
    return { entry: e as unknown as DecodedMask['entry'], values };
  });

  const keys = new Set<string>();
  const variables = variablesRaw.map((v: unknown, i: number): DecodedVariable => {
    const where = `variables[${i}]`;
    if (!isObject(v)) fail(`${where} must be an object; it is ${kindOf(v)}`);
    if (typeof v.owner !== 'string' || !v.owner || v.owner.includes('/')) fail(`${where}.owner must be a non-empty string without '/'`);
    if (typeof v.name !== 'string' || !v.name) fail(`${where}.name must be a non-empty string`);
    const label = `${where} ('${v.owner}/${v.name}')`;
    if (keys.has(`${v.owner}/${v.name}`)) fail(`${label} appears twice`);
    keys.add(`${v.owner}/${v.name}`);
    if (typeof v.trainable !== 'boolean') fail(`${label}.trainable must be true or false`);
    const size = shapeSize(v.shape, label, true);
    const bytes = bytesOf(v.values, `${label}.values`);
    if (bytes.length !== size * 4) fail(`${label}.values hold ${bytes.length} bytes but shape [${v.shape}] needs ${size * 4} (float32)`);
    const data = new Float32Array(bytes.slice().buffer);
    const bad = scanNonFinite(data);
    if (bad) fail(`${label} values are not finite (${bad.firstValue} at index ${bad.firstIndex})`);
    return { entry: v as unknown as DecodedVariable['entry'], data };
  });

  historyRaw.forEach((h: unknown, i: number) => {
    if (!isObject(h)) fail(`history[${i}] must be an object; it is ${kindOf(h)}`);
    if (typeof h.method !== 'string' || !h.method) fail(`history[${i}].method must be a non-empty string`);
    if (!isObject(h.details)) fail(`history[${i}].details must be an object; it is ${kindOf(h.details)}`);
  });

  const methodsRaw = raw.methods ?? [];
  if (!Array.isArray(methodsRaw)) fail(`"methods" must be an array of attached methods; it is ${kindOf(methodsRaw)}`);
  methodsRaw.forEach((m: unknown, i: number) => {
    if (!isObject(m) || typeof m.name !== 'string' || !isObject(m.options)) fail(`methods[${i}] must be { name: string, options: object }`);
    const name = (m as { name: string }).name;
    if (!findMethod(name)) fail(`methods[${i}] names the method '${name}', which is not registered here (register it before loading)`);
  });
  const state = { ...raw, variables: variablesRaw, history: historyRaw, methods: methodsRaw } as unknown as MaskStateFile;
  return { state, masks, variables };
}

/** A saved mask that does not fit the model: no or several matching weights (`name`), or another shape (`shape`). */
interface MatchProblem {
  /** What kind of mismatch (a file whose only problems are shapes is a {@link ShapeError}). */
  kind: 'name' | 'shape';
  /** The mismatch, for the message. */
  text: string;
}

/**
 * Pairs each saved mask with a weight of the model: by position, or by name (exact, else the
 * one weight whose name without tfjs's numeric suffix is the same). Collects every mismatch.
 */
function matchWeights(masks: DecodedMask[], weights: PrunableWeight[], match: 'name' | 'order', problems: MatchProblem[]): (PrunableWeight | null)[] {
  const pick = ({ entry: e }: DecodedMask): PrunableWeight | null => {
    if (match === 'order') {
      const w = weights[e.index];
      if (!w) problems.push({ kind: 'name', text: `no prunable weight #${e.index} (model has ${weights.length})` });
      return w ?? null;
    }
    const candidates = weightsNamed(weights, e.name);
    if (candidates.length > 1) {
      problems.push({ kind: 'name', text: `ambiguous name '${e.name}': without tfjs's numeric suffix it matches both ${candidates.map((c) => `'${c.name}'`).join(' and ')}` });
      return null;
    }
    if (candidates.length === 0) problems.push({ kind: 'name', text: `no weight '${e.name}'` });
    return candidates[0] ?? null;
  };
  const chosen = masks.map(pick);
  const taken = new Map<string, string>();
  chosen.forEach((w, i) => {
    if (!w) return;
    const e = masks[i].entry;
    const other = taken.get(w.name);
    if (other !== undefined) problems.push({ kind: 'name', text: `'${other}' and '${e.name}' both match weight '${w.name}'` });
    else taken.set(w.name, e.name);
    if (w.shape.length !== e.shape.length || w.shape.some((d, j) => d !== e.shape[j])) {
      problems.push({ kind: 'shape', text: `'${e.name}' was saved with shape [${e.shape}] but '${w.name}' has shape [${w.shape}]` });
    }
  });
  return chosen;
}

/**
 * Applies saved masks to a model (weights are multiplied by them) and restores method variables.
 * The whole file is checked first: on any problem nothing is applied.
 *
 * The model-level entry point is `loadMasks` (or `MaskedModel.load`) in masked-model.ts: this
 * module only reads and writes the state of a MaskedModel it is given, so it needs the class as a
 * type only and the two modules do not import each other at run time.
 *
 * @param masked the MaskedModel to load onto.
 * @param source a file path or a parsed {@link MaskStateFile}.
 * @param opts how saved masks are matched to the model's weights.
 * @returns `masked`.
 * @throws Error naming the file and what is wrong with it (unreadable, empty, not JSON, not a
 *   mask file, a malformed or inconsistent entry), or the weights that do not match (missing,
 *   ambiguous, other shape); the model, its masks and its history are then unchanged.
 */
export function applyMaskState(masked: MaskedModel, source: string | MaskStateFile, opts: LoadMasksOptions = {}): MaskedModel {
  const where = typeof source === 'string' ? `mask file ${path.resolve(source)}` : 'the given mask state object';
  const fail = (problem: string): never => {
    throw new UserError(`Cannot load masks from ${where}: ${problem}.`);
  };
  if (masked.attachedMethods().size) {
    throw new UserError(
      `Cannot load masks onto model '${masked.model.name}': method(s) ${[...masked.attachedMethods().keys()].join(', ')} are attached to it; ` +
        'finalize(model) first, or load onto a freshly built model.',
    );
  }
  const raw = typeof source === 'string' ? readJsonFile(source, 'mask file') : source;
  const { state, masks, variables } = decodeMaskState(raw, fail);

  const match = opts.match ?? 'name';
  const problems: MatchProblem[] = [];
  const targets = matchWeights(masks, masked.prunableWeights(), match, problems);
  if (problems.length) {
    const ErrorClass = problems.every((p) => p.kind === 'shape') ? ShapeError : UserError;
    throw new ErrorClass(
      `Cannot load masks from ${where} (saved from model '${state.model}') onto model '${masked.model.name}': ${problems.map((p) => p.text).join('; ')}. ` +
        (match === 'name' ? `If the model was rebuilt with other layer names, load with { match: 'order' }.` : 'The architectures differ.'),
    );
  }
  masked.edit((edit) => {
    masks.forEach((m, i) => edit.setMask(targets[i]!.name, tf.tensor(m.values, targets[i]!.shape)));
    for (const h of state.history) edit.record(h);
  });
  for (const { entry, data } of variables) {
    // tidy: the initial tensor is only a carrier; the variable keeps the data.
    masked.addVariables(entry.owner, { [entry.name]: tf.tidy(() => tf.variable(tf.tensor(data, entry.shape), entry.trainable)) });
  }
  // after the variables: an attached method finds its saved ones and reuses them
  for (const m of state.methods ?? []) attachMethod(masked, m.name, m.options);
  return masked;
}
