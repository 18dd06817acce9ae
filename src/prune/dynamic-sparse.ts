/**
 * The machinery dynamic sparse training methods share (SET, RigL; `methods/set.ts`,
 * `methods/rigl.ts`): one drop-then-grow update of a layer's mask, written as in jaxpruner's
 * sparse trainers and RigL's `generic_mask_update`, and the training hook that calls it on a
 * schedule. A method only says how it scores drops and growth, how many it drops, and where
 * new weights start.
 *
 * One update of one weight with `n` active connections and drop count `k`:
 * 1. drop: keep the `n − k` active entries with the largest drop score;
 * 2. grow: among every entry not kept by (1) — just-dropped ones included, as in RigL and SET's
 *    code — activate the `k` with the largest grow score;
 * 3. entries grown that were inactive before the update are *new connections*: they start at
 *    the method's initial value with zeroed optimizer slots. An entry dropped and grown back in
 *    the same update keeps its value and its slots (RigL's code does the same).
 * The number of active entries is the same before and after, so every layer keeps its exact
 * density at every step.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../errors';
import { keepAllButLowest } from '../sparse/mask-select';
import type { GradientStepInfo, SlotOptimizer, TrainHook } from '../train/types';
import type { MaskedModel } from './masked-model';
import type { TrainingRun } from './method';

/** The result of {@link dropThenGrow} for one weight. */
export interface DropGrowResult {
  /** The new 0/1 mask (same number of ones as the old one). */
  mask: Float32Array;
  /** 1 where a connection was grown that was inactive before the update. */
  newConnections: Uint8Array;
  /** Entries active before and inactive after. */
  dropped: number;
}

/**
 * One drop-then-grow update of one weight's mask (see the module comment), on flat arrays.
 *
 * @param mask the current 0/1 mask.
 * @param dropScore higher = keep; read at active entries only.
 * @param growScore higher = grow; read at entries not kept by the drop.
 * @param k how many active entries to drop (clamped to the number of active ones).
 */
export function dropThenGrow(mask: ArrayLike<number>, dropScore: ArrayLike<number>, growScore: ArrayLike<number>, k: number): DropGrowResult {
  const n = mask.length;
  const active: number[] = [];
  for (let i = 0; i < n; i++) if (mask[i]) active.push(i);
  k = Math.max(0, Math.min(Math.floor(k), active.length));
  const next = new Float32Array(n);
  const keepActive = keepAllButLowest(Float32Array.from(active, (i) => dropScore[i]), k);
  active.forEach((i, j) => {
    if (keepActive[j]) next[i] = 1;
  });
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (!next[i]) candidates.push(i);
  const growFlags = keepAllButLowest(Float32Array.from(candidates, (i) => growScore[i]), candidates.length - k);
  const newConnections = new Uint8Array(n);
  let dropped = 0;
  candidates.forEach((i, j) => {
    if (growFlags[j]) {
      next[i] = 1;
      if (!mask[i]) newConnections[i] = 1;
    }
  });
  for (const i of active) if (!next[i]) dropped++;
  return { mask: next, newConnections, dropped };
}

/** What one weight's update needs (see {@link applyDropGrow}). */
export interface DropGrowRequest {
  /** Drop score per entry (higher = keep). */
  dropScore: ArrayLike<number>;
  /** Grow score per entry (higher = grow). */
  growScore: ArrayLike<number>;
  /** How many active entries to replace. */
  count: number;
  /** Values of new connections (one per entry of the weight, read where a connection is new), or a constant. */
  init: number | ((newConnections: Uint8Array) => Float32Array);
}

/** Per weight: entries replaced (dropped and grown), how many grown were new connections, and the active entries. */
export type DropGrowCounts = Map<string, { replaced: number; newConnections: number; active: number }>;

/**
 * Applies one drop-then-grow update to the named weights in one all-or-nothing edit: new masks,
 * new connections set to their initial value, the optimizer's slots zeroed there.
 *
 * @param masked the model; every named weight must be masked already.
 * @param requests per weight name.
 * @param record the history record of the update (method name and details).
 * @param optimizer whose slots to reset (the training step's).
 */
export function applyDropGrow(
  masked: MaskedModel, requests: ReadonlyMap<string, DropGrowRequest>, record: { method: string; details: Record<string, unknown> }, optimizer?: SlotOptimizer,
): DropGrowCounts {
  const counts: DropGrowCounts = new Map();
  masked.edit((edit) => {
    for (const [name, req] of requests) {
      const w = masked.prunable(name);
      const old = edit.mask(name).dataSync();
      const r = dropThenGrow(old, req.dropScore, req.growScore, req.count);
      edit.setMask(name, tf.tensor(r.mask, w.shape));
      let grownNew = 0;
      for (let i = 0; i < r.newConnections.length; i++) grownNew += r.newConnections[i];
      if (grownNew > 0) {
        const init = typeof req.init === 'number' ? req.init : tf.tensor(req.init(r.newConnections), w.shape);
        edit.regrow(name, tf.tensor(r.newConnections, w.shape, 'float32'), { init, ...(optimizer ? { optimizer } : {}) });
      }
      let active = 0;
      for (let i = 0; i < r.mask.length; i++) active += r.mask[i];
      counts.set(w.name, { replaced: r.dropped, newConnections: grownNew, active });
    }
    // the counts go into the history, so a notebook can plot the fraction changed per update
    edit.record({ method: record.method, details: { ...record.details, changed: Object.fromEntries(counts) } });
  });
  return counts;
}

/** When a dynamic sparse method updates the masks, over one training run. */
export interface UpdateTimes {
  /** Steps between updates. */
  interval: number;
  /** Global step of the first update. */
  first: number;
  /** No update at or after this global step. */
  end: number;
}

/**
 * Update steps of a run: every `interval` steps from `first` (relative to the run's first
 * step), before `stopAt` of the run.
 */
export function updateTimes(run: TrainingRun, interval: number, firstOffset: number, stopAt: number): UpdateTimes {
  if (!Number.isInteger(interval) || interval < 1) throw new OptionError(`interval must be a positive integer; got ${interval}.`, 'interval');
  return { interval, first: run.initialStep + firstOffset, end: run.initialStep + Math.floor(stopAt * run.totalSteps) };
}

/** Whether `step` is an update step. */
export function isUpdateStep(step: number, t: UpdateTimes): boolean {
  return step >= t.first && step < t.end && (step - t.first) % t.interval === 0;
}

/**
 * Optional on a hook: the steps at which its `onGradients` does anything. A training path that
 * must prepare the hook's view at some cost (the sparse kernels write the weights back and form
 * the dense gradient) prepares it only then.
 */
export interface StepFilter {
  /** True when `onGradients` acts at this global step. */
  activeAt(step: number): boolean;
}

/** One update, as a dynamic sparse method computes it at an update step. */
export type DropGrowPlanner = (info: GradientStepInfo) => Map<string, DropGrowRequest>;

/**
 * The training hook of a dynamic sparse method: at each update step, asks `plan` for the
 * update (it sees the step's batch and dense gradients), applies it to the model's masks (they
 * apply to this very step's update) and optionally skips the step's optimizer update.
 *
 * @param masked the model (masked already).
 * @param method the method's name (history records).
 * @param times when to update.
 * @param plan the update at a step.
 * @param opts `skipUpdate`: no optimizer update on update steps (RigL's code); `details`: more
 *   fields of the history record (each record also holds the per-weight counts, `changed`).
 */
export function dropGrowHook(
  masked: MaskedModel, method: string, times: UpdateTimes, plan: DropGrowPlanner,
  opts: { skipUpdate?: boolean; details?: (step: number) => Record<string, unknown> } = {},
): TrainHook & StepFilter {
  if (!masked.masks().size) {
    throw new UserError(`${method}: the model has no masks yet; give it a sparse mask first (e.g. %prune net static --sparsity 0.9 --distribution erk), then train with --method ${method}.`);
  }
  return {
    activeAt: (step) => isUpdateStep(step, times),
    onGradients(info) {
      if (!isUpdateStep(info.step, times)) return;
      const requests = plan(info);
      applyDropGrow(masked, requests, { method, details: { step: info.step, ...(opts.details?.(info.step) ?? {}) } }, info.optimizer);
      if (opts.skipUpdate) info.replaceUpdate();
    },
  };
}

/** |x| of a tensor's values, as a new array. */
export function absValues(t: tf.Tensor): Float32Array {
  const d = t.dataSync();
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.abs(d[i]);
  return out;
}

/**
 * Standard normal draws from a uniform stream (Box–Muller), so noise and random inits are the
 * same on every backend.
 */
export function normalDraws(n: number, random: () => number, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(random(), 1e-12), u2 = random();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
