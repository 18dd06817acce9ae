/**
 * Optimal Brain Surgeon (Hassibi & Stork 1993), exact: the full Hessian H of the loss over all
 * target weights (small nets), its inverse, and the constrained quadratic solved for each removal.
 * Removing weight q costs L_q = w_q² / (2 [H⁻¹]_qq), and the best change of all other weights is
 * δw = −(w_q / [H⁻¹]_qq) H⁻¹ e_q. After each removal H⁻¹ loses row and column q (the exact
 * downdate), so the next choice sees the compensated weights and the reduced Hessian.
 *
 * With `weightsPerStep` k > 1 the k cheapest weights go together with the exact joint update
 * δw = −H⁻¹[:,Q] (H⁻¹[Q,Q])⁻¹ w_Q, cost ½ w_Qᵀ (H⁻¹[Q,Q])⁻¹ w_Q.
 *
 * How it fits `prune()`: the scores are the initial L_q, from which the core allocates how many
 * weights each layer loses (layerwise, global, ...). With `removalOrder: 'sequential'` (default,
 * element granularity) the update then re-chooses which ones, one block at a time with the
 * compensated weights, keeping each layer's count; with `removalOrder: 'fixed'` it keeps the core's
 * masks (any granularity: N:M, neurons) and applies the exact joint update for all of them.
 * `hessian`: `fisher` (default: the outer-product approximation the paper uses, (1/N)Σ g gᵀ) or
 * `exact` (Hessian-vector products; indefinite away from a minimum). Needs data.
 */
import * as tf from '@tensorflow/tfjs';
import type { CriterionContext } from '../context';
import { exactHessian, fisherMatrix, flatWeights, parameterCount } from '../hessian/curvature';
import { addDiagonal, choleskySolve, removeFromInverse, removeSetFromInverse, spdInverse, subMatrix } from '../hessian/linalg';
import type { MaskEdit } from '../masked-model';
import { registerMethod } from '../method';
import type { PrunableWeight } from '../targets';

/** Options of OBS. */
export type ObsOptions = { hessian: 'fisher' | 'exact'; hessianDamping: number; removalOrder: 'sequential' | 'fixed'; weightsPerStep: number };

/** What one OBS removal did. */
export interface ObsRemoval {
  /** Flat indices (into the inverse) removed together. */
  indices: number[];
  /** Predicted loss increase of this removal. */
  cost: number;
}

/**
 * Removes the coordinates `q` jointly: updates `w` by the exact constrained solution, zeroes
 * w_Q and downdates `inv` (n×n, the inverse Hessian over the live coordinates) in place.
 *
 * @returns the predicted loss increase ½ w_Qᵀ (H⁻¹[Q,Q])⁻¹ w_Q.
 */
export function obsRemove(inv: Float64Array, w: Float64Array, n: number, q: readonly number[]): number {
  const k = q.length;
  if (k === 0) return 0;
  const wq = Float64Array.from(q, (i) => w[i]);
  // λ = (H⁻¹[Q,Q])⁻¹ w_Q, the Lagrange multipliers of the constraints w_Q + δw_Q = 0
  const lam = k === 1 ? Float64Array.of(wq[0] / inv[q[0] * n + q[0]]) : choleskySolve(subMatrix(inv, n, q), wq, k);
  let cost = 0;
  for (let a = 0; a < k; a++) cost += 0.5 * wq[a] * lam[a];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let a = 0; a < k; a++) s += inv[i * n + q[a]] * lam[a];
    w[i] -= s;
  }
  for (const i of q) w[i] = 0;
  if (k === 1) removeFromInverse(inv, n, q[0]);
  else removeSetFromInverse(inv, n, q);
  return cost;
}

/**
 * Greedy sequential OBS: repeatedly removes the `weightsPerStep` cheapest live coordinates
 * (w_i² / (2 [H⁻¹]_ii)) among groups that still have quota, with the exact (joint) update.
 *
 * @param groupOf group (layer) of every coordinate; `quota[g]` how many to remove from group g.
 * @param live which coordinates may be removed (already-removed ones are excluded).
 */
export function obsSequential(inv: Float64Array, w: Float64Array, n: number, groupOf: Int32Array, quota: number[], live: Uint8Array, weightsPerStep = 1): ObsRemoval[] {
  const left = quota.slice();
  const out: ObsRemoval[] = [];
  let remaining = left.reduce((a, b) => a + b, 0);
  while (remaining > 0) {
    const cand: { i: number; s: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (!live[i] || left[groupOf[i]] <= 0) continue;
      cand.push({ i, s: (w[i] * w[i]) / (2 * inv[i * n + i]) });
    }
    cand.sort((a, b) => a.s - b.s || a.i - b.i);
    const q: number[] = [];
    const take = left.slice();
    for (const c of cand) {
      if (q.length >= weightsPerStep) break;
      if (take[groupOf[c.i]] <= 0) continue;
      take[groupOf[c.i]]--;
      q.push(c.i);
    }
    if (!q.length) break;
    const cost = obsRemove(inv, w, n, q);
    for (const i of q) {
      live[i] = 0;
      left[groupOf[i]]--;
    }
    remaining -= q.length;
    out.push({ indices: q, cost });
  }
  return out;
}

/** The inverse Hessian over a call's live weights, computed once per call (scores, then update). */
interface ObsSetup {
  /** Flat positions (over all targets) of the live weights, i.e. the coordinates of `inv`. */
  live: number[];
  /** (H + λI)⁻¹ restricted to the live weights. */
  inv: Float64Array;
}
const setups = new WeakMap<CriterionContext, ObsSetup>();

function setupFor(ctx: CriterionContext, o: ObsOptions): ObsSetup {
  const cached = setups.get(ctx);
  if (cached) return cached;
  const p = parameterCount(ctx.targets);
  const full = o.hessian === 'fisher' ? fisherMatrix(ctx) : exactHessian(ctx);
  const masks = flatMasks(ctx, ctx.targets);
  const live: number[] = [];
  for (let i = 0; i < p; i++) if (masks[i]) live.push(i);
  const h = subMatrix(full, p, live);
  addDiagonal(h, live.length, o.hessianDamping);
  const fix = o.hessian === 'exact'
    ? `away from a minimum the exact Hessian can be indefinite: use hessian 'fisher' (--hessian fisher) or a larger hessianDamping (--hessian-damping)`
    : 'use a larger hessianDamping (--hessian-damping)';
  const setup = { live, inv: spdInverse(h, live.length, `Hessian (${o.hessian}, damping ${o.hessianDamping})`, fix) };
  setups.set(ctx, setup);
  return setup;
}

function flatMasks(ctx: CriterionContext, targets: readonly PrunableWeight[], edit?: MaskEdit): Float32Array {
  const out = new Float32Array(parameterCount(targets));
  let off = 0;
  for (const t of targets) {
    const m = edit ? edit.mask(t.name) : ctx.mask(t.name);
    if (m) out.set(m.dataSync() as Float32Array, off);
    else out.fill(1, off, off + t.size);
    off += t.size;
  }
  return out;
}

/** Initial OBS saliencies w_q² / (2 [H⁻¹]_qq) per target (0 for weights already pruned). */
export function obsSaliencies(ctx: CriterionContext, o: ObsOptions): Map<string, tf.Tensor> {
  const { live, inv } = setupFor(ctx, o);
  const w = flatWeights(ctx);
  const s = new Float32Array(w.length);
  const n = live.length;
  live.forEach((pos, i) => (s[pos] = (w[pos] * w[pos]) / (2 * inv[i * n + i])));
  let off = 0;
  return new Map(ctx.targets.map((t) => {
    const part = s.slice(off, off + t.size);
    off += t.size;
    return [t.name, tf.tensor(part, t.shape)];
  }));
}

/** Stages the OBS removals and compensation on the edit. */
export function obsUpdate(edit: MaskEdit, ctx: CriterionContext, targets: readonly PrunableWeight[], o: ObsOptions): void {
  const setup = setupFor(ctx, o);
  const n = setup.live.length;
  const inv = setup.inv.slice();
  const full = flatWeights(ctx);
  const w = Float64Array.from(setup.live, (pos) => full[pos]);
  const staged = flatMasks(ctx, targets, edit);
  const offsets = targets.map((_, i) => targets.slice(0, i).reduce((a, t) => a + t.size, 0));
  const groupOf = Int32Array.from(setup.live, (pos) => {
    let g = 0;
    while (g + 1 < offsets.length && offsets[g + 1] <= pos) g++;
    return g;
  });
  const chosen = setup.live.map((pos) => staged[pos] === 0);
  let removals: ObsRemoval[];
  if (o.removalOrder === 'fixed') {
    const q = chosen.flatMap((c, i) => (c ? [i] : []));
    removals = q.length ? [{ indices: q, cost: obsRemove(inv, w, n, q) }] : [];
  } else {
    const quota = targets.map(() => 0);
    chosen.forEach((c, i) => c && quota[groupOf[i]]++);
    removals = obsSequential(inv, w, n, groupOf, quota, new Uint8Array(n).fill(1), o.weightsPerStep);
  }
  const removed = new Set(removals.flatMap((r) => r.indices));
  const newValues = new Float32Array(full.length);
  const newMask = new Float32Array(full.length);
  setup.live.forEach((pos, i) => {
    if (removed.has(i)) return;
    newMask[pos] = 1;
    newValues[pos] = w[i];
  });
  targets.forEach((t, ti) => {
    const sl = (a: Float32Array) => a.slice(offsets[ti], offsets[ti] + t.size);
    edit.setMask(t.name, tf.tensor(sl(newMask), t.shape));
    edit.setValue(t.name, tf.tensor(sl(newValues), t.shape));
  });
  edit.record({
    method: 'obs-removals',
    details: {
      removed: removed.size, steps: removals.length,
      predictedLossIncrease: removals.reduce((a, r) => a + r.cost, 0),
      lossBefore: ctx.loss(),
    },
  });
}

registerMethod<ObsOptions>({
  name: 'obs',
  description: 'Optimal Brain Surgeon, exact: full Hessian inverse, remove w²/(2[H⁻¹]qq) one by one (or in blocks) with the compensating update (small nets; needs --data)',
  reference: 'Hassibi, Stork. Second order derivatives for network pruning: Optimal Brain Surgeon. NeurIPS 1992',
  options: [
    { name: 'hessian', type: 'string', default: 'fisher', choices: ['fisher', 'exact'], help: 'full Hessian: fisher (the outer-product approximation of the paper, positive semi-definite) or exact (one Hessian-vector product per weight; indefinite away from a minimum)' },
    { name: 'hessianDamping', type: 'number', default: 1e-4, min: 0, help: 'λ added to the Hessian diagonal before inverting' },
    { name: 'removalOrder', type: 'string', default: 'sequential', choices: ['sequential', 'fixed'], help: 'sequential re-chooses each removal after the previous update (element granularity); fixed keeps the core\'s masks and applies the joint update (any granularity)' },
    { name: 'weightsPerStep', type: 'int', default: 1, min: 1, help: 'weights removed together per sequential step, with the exact joint update' },
  ],
  scores: (ctx, o) => obsSaliencies(ctx, o),
  update: (edit, ctx, targets, o) => obsUpdate(edit, ctx, targets, o),
});
