/**
 * Updates beyond zeroing, one real method per extension point:
 * - `reconstruct` (a {@link PruneUpdate}): changes the remaining weights of Dense layers to
 *   best reproduce the unpruned layer's output on data (least squares, the layer-wise view of
 *   OBS compensation);
 * - {@link foldConstantNeurons}: changes a neighbouring layer: removes near-constant neurons and
 *   folds their constant output into the next layer's bias;
 * - {@link dropAndGrow}: regrows weights (SET) and resets their optimizer slots;
 * - {@link LearnedThreshold}: a method with its own trainable variables (per-layer thresholds
 *   trained to a target density), saved with the mask state.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../errors';
import type { LossTerm, SlotOptimizer } from '../train/types';
import { keepAllButLowest, roundHalfEven } from '../sparse/mask-select';
import { createContext, type PruneData } from './context';
import { MaskedModel } from './masked-model';
import { registerUpdate, type PruneUpdate } from './prune';
import { deriveSeed, seededRandom } from './rng';
import { variableName, type PrunableWeight } from './targets';

/** Solves `A x = b` for symmetric positive definite `A` (n×n, row-major) by Cholesky. */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (s <= 0) throw new UserError('choleskySolve: matrix is not positive definite (add damping).');
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/**
 * Least-squares reconstruction of pruned Dense layers: for each output unit, the kept weights
 * become `argmin ‖X w_S − X w‖²` over the layer inputs X captured on the call's data, where w is
 * the unpruned column. Cost O(out · kept³) per layer: meant for small and medium layers.
 * Needs `data`. Layers other than Dense are left as the masks made them.
 */
export const reconstructUpdate: PruneUpdate = {
  name: 'reconstruct',
  description: 'least-squares refit of the kept Dense weights to the unpruned outputs on data (needs data)',
  apply(edit, ctx, targets) {
    const dense = targets.filter((t) => t.layerType === 'Dense' && t.shape.length === 2);
    const cap = ctx.capture(dense.map((t) => t.layerName));
    for (const t of dense) {
      const x = cap.get(t.layerName)!.inputs[0];
      if (x.rank !== 2) continue;
      const [nIn, nOut] = t.shape;
      const gram = Float64Array.from(tf.tidy(() => tf.matMul(x, x, true, false)).dataSync());
      const w = Float64Array.from(edit.value(t.name).dataSync());
      const m = edit.mask(t.name).dataSync();
      let trace = 0;
      for (let i = 0; i < nIn; i++) trace += gram[i * nIn + i];
      const damp = 1e-8 * Math.max(trace / nIn, 1e-12);
      const out = new Float32Array(nIn * nOut);
      for (let j = 0; j < nOut; j++) {
        const s: number[] = [];
        for (let i = 0; i < nIn; i++) if (m[i * nOut + j]) s.push(i);
        if (s.length === 0) continue;
        const k = s.length;
        const a = new Float64Array(k * k);
        const b = new Float64Array(k);
        for (let p = 0; p < k; p++) {
          for (let q = 0; q < k; q++) a[p * k + q] = gram[s[p] * nIn + s[q]];
          a[p * k + p] += damp;
          let r = 0;
          for (let i = 0; i < nIn; i++) r += gram[s[p] * nIn + i] * w[i * nOut + j];
          b[p] = r;
        }
        const sol = choleskySolve(a, b, k);
        for (let p = 0; p < k; p++) out[s[p] * nOut + j] = sol[p];
      }
      edit.setValue(t.name, tf.tensor(out, t.shape));
    }
  },
};
registerUpdate(reconstructUpdate);

/** What {@link foldConstantNeurons} did in one layer. */
export interface FoldedNeurons {
  /** The layer whose neurons were removed. */
  layer: string;
  /** The next layer, whose bias absorbed them. */
  into: string;
  /** Indices of the removed output units. */
  units: number[];
  /** Their constant outputs. */
  values: number[];
}

function denseConsumer(model: tf.LayersModel, layer: tf.layers.Layer): tf.layers.Layer | undefined {
  const consumers = model.layers.filter((l) => {
    try {
      const ins = ([] as unknown[]).concat(l.input as unknown);
      return ins.includes(layer.output);
    } catch {
      return false;
    }
  });
  if (consumers.length !== 1) return undefined;
  const c = consumers[0];
  return c.getClassName() === 'Dense' && (c.getConfig() as { useBias?: boolean }).useBias !== false ? c : undefined;
}

/**
 * Removes Dense neurons whose output is (nearly) constant on the data and folds the constant
 * into the next Dense layer's bias: `b₂ += c_j · W₂[j, :]`, then masks column j of the layer
 * and row j of the next kernel. The network's function is unchanged up to the neurons'
 * variation on the data.
 *
 * @param model the model or its MaskedModel.
 * @param opts `data` to measure the neurons on; `tolerance`: largest standard deviation
 *   counted as constant (default 1e-6); `layers`: only these layer names.
 * @returns per layer, the units folded.
 */
export function foldConstantNeurons(
  model: tf.LayersModel | MaskedModel,
  opts: { data: PruneData; tolerance?: number; layers?: string[] },
): FoldedNeurons[] {
  const masked = model instanceof MaskedModel ? model : MaskedModel.of(model);
  const tol = opts.tolerance ?? 1e-6;
  const pairs: { t: PrunableWeight; next: PrunableWeight; bias: tf.LayerVariable }[] = [];
  for (const t of masked.prunableWeights()) {
    if (t.layerType !== 'Dense' || (opts.layers && !opts.layers.includes(t.layerName))) continue;
    const c = denseConsumer(masked.model, t.layer);
    if (!c) continue;
    const next = masked.prunableWeights().find((w) => w.layer === c);
    const bias = c.weights.find((v) => (v.originalName ?? v.name).endsWith('/bias'));
    if (next && bias) pairs.push({ t, next, bias });
  }
  if (opts.layers) {
    const found = new Set(pairs.map((p) => p.t.layerName));
    const bad = opts.layers.filter((n) => !found.has(n));
    if (bad.length) throw new OptionError(`foldConstantNeurons: ${bad.join(', ')} is not a Dense layer feeding a Dense layer with a bias.`, 'layers');
  }
  const ctx = createContext(masked.model, pairs.map((p) => p.t), { data: opts.data });
  const report: FoldedNeurons[] = [];
  try {
    const cap = ctx.capture(pairs.map((p) => p.t.layerName));
    masked.edit((edit) => {
      for (const { t, next, bias } of pairs) {
        const y = cap.get(t.layerName)!.output;
        const [mean, std] = tf.tidy(() => {
          const flat = y.reshape([-1, y.shape[y.shape.length - 1]]);
          const mu = tf.mean(flat, 0);
          return [mu.dataSync(), tf.sqrt(tf.mean(tf.square(tf.sub(flat, mu)), 0)).dataSync()];
        });
        const nOut = t.shape[1];
        const w2 = edit.value(next.name).dataSync();
        const m2 = edit.mask(next.name).dataSync();
        const nNext = next.shape[1];
        const units: number[] = [];
        for (let j = 0; j < nOut; j++) {
          let live = false;
          for (let k = 0; k < nNext; k++) if (m2[j * nNext + k]) live = true;
          if (live && std[j] <= tol) units.push(j);
        }
        if (!units.length) continue;
        const b2 = Float32Array.from(edit.value(variableName(bias)).dataSync());
        for (const j of units) for (let k = 0; k < nNext; k++) b2[k] += mean[j] * w2[j * nNext + k] * m2[j * nNext + k];
        const col = Float32Array.from(edit.mask(t.name).dataSync());
        for (let i = 0; i < t.shape[0]; i++) for (const j of units) col[i * nOut + j] = 0;
        const row = Float32Array.from(m2);
        for (const j of units) for (let k = 0; k < nNext; k++) row[j * nNext + k] = 0;
        edit.setValue(variableName(bias), tf.tensor(b2, bias.shape as number[]));
        edit.setMask(t.name, tf.tensor(col, t.shape));
        edit.setMask(next.name, tf.tensor(row, next.shape));
        report.push({ layer: t.layerName, into: next.layerName, units, values: units.map((j) => mean[j]) });
      }
      edit.record({ method: 'fold-constant-neurons', details: { tolerance: tol, folded: report.map((r) => ({ layer: r.layer, units: r.units })) } });
    });
  } finally {
    ctx.dispose();
  }
  return report;
}

/**
 * One SET step (Mocanu et al. 2018): in each masked weight, drop the `fraction` of alive
 * weights with the smallest magnitude and regrow as many at random among the previously
 * pruned positions, with value 0 and fresh optimizer slots.
 *
 * @param masked the masked model.
 * @param opts `fraction` of alive weights to replace (0..1); `seed`; `optimizer` whose slots
 *   are reset where weights regrow; `names`: only these weights.
 * @returns per weight name, the number of weights replaced.
 */
export function dropAndGrow(
  masked: MaskedModel,
  opts: { fraction: number; seed?: number; optimizer?: SlotOptimizer; names?: string[] },
): Map<string, number> {
  if (!(opts.fraction >= 0 && opts.fraction <= 1)) throw new OptionError(`dropAndGrow: fraction must be in [0, 1]; got ${opts.fraction}.`, 'fraction');
  const names = opts.names ?? [...masked.masks().keys()];
  if (!names.length) throw new UserError('dropAndGrow: the model has no masks yet; prune it first.');
  const counts = new Map<string, number>();
  masked.edit((edit) => {
    for (const name of names) {
      const w = masked.prunable(name);
      const m = edit.mask(name).dataSync();
      const v = edit.value(name).dataSync();
      const alive: number[] = [], dead: number[] = [];
      for (let i = 0; i < m.length; i++) (m[i] ? alive : dead).push(i);
      const k = Math.min(roundHalfEven(opts.fraction * alive.length), dead.length);
      const keep = keepAllButLowest(Float32Array.from(alive, (i) => Math.abs(v[i])), k);
      const mask = Float32Array.from(m);
      alive.forEach((i, j) => {
        if (!keep[j]) mask[i] = 0;
      });
      // partial Fisher-Yates: k distinct random positions among the previously dead
      const rnd = seededRandom(deriveSeed(opts.seed ?? 0, name));
      const grow = new Float32Array(m.length);
      for (let j = 0; j < k; j++) {
        const r = j + Math.floor(rnd() * (dead.length - j));
        [dead[j], dead[r]] = [dead[r], dead[j]];
        grow[dead[j]] = 1;
      }
      edit.setMask(name, tf.tensor(mask, w.shape));
      edit.regrow(name, tf.tensor(grow, w.shape), { init: 0, optimizer: opts.optimizer });
      counts.set(name, k);
    }
    edit.record({ method: 'set-drop-grow', details: { fraction: opts.fraction, seed: opts.seed ?? 0 } });
  });
  return counts;
}

/** Identity forward, zero gradient: the loss term trains thresholds, not the weights. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Makes tfjs variable names unique (tfjs needs that) without randomness, so runs stay reproducible. */
let thresholdVariableCount = 0;

/**
 * Learned per-weight thresholds (a method with its own trainable variables): a threshold t_l per
 * weight is trained so that the soft density mean σ((|w| − t_l)/(τ·s_l)) reaches `density`
 * (s_l = mean |w| at creation); `commit()` then masks `|w| ≤ t_l`. The thresholds are registered
 * with the MaskedModel, so they are saved and loaded with the mask state.
 */
export class LearnedThreshold {
  /** Threshold variables by weight name. */
  readonly thresholds = new Map<string, tf.Variable>();
  private readonly scales = new Map<string, number>();

  /**
   * @param masked the masked model.
   * @param opts `density`: target fraction kept in (0, 1]; `temperature` τ (default 0.1);
   *   `names`: weights (default all prunable).
   */
  constructor(readonly masked: MaskedModel, readonly opts: { density: number; temperature?: number; names?: string[] }) {
    if (!(opts.density > 0 && opts.density <= 1)) throw new OptionError(`LearnedThreshold: density must be in (0, 1]; got ${opts.density}.`, 'density');
    const names = opts.names ?? masked.prunableWeights().map((w) => w.name);
    const vars: Record<string, tf.Variable> = {};
    for (const n of names) {
      const w = masked.prunable(n).variable.read();
      this.scales.set(n, tf.tidy(() => tf.mean(tf.abs(w)).dataSync()[0]) || 1);
      const existing = masked.variables('learned-threshold').get(n);
      const v = existing ?? tf.variable(tf.scalar(0), true, `learned_threshold_${n.replace(/[^A-Za-z0-9_]/g, '_')}_${thresholdVariableCount++}`);
      this.thresholds.set(n, v);
      if (!existing) vars[n] = v;
    }
    masked.addVariables('learned-threshold', vars);
  }

  /** The loss term for the training loop: Σ_l (soft density_l − target)². */
  lossTerm(): LossTerm {
    const tau = this.opts.temperature ?? 0.1;
    return {
      name: 'learned-threshold',
      trainableVariables: [...this.thresholds.values()],
      loss: () =>
        tf.tidy(() => {
          const terms = [...this.thresholds].map(([n, t]) => {
            const w = stopGradient(tf.abs(this.masked.prunable(n).variable.read()));
            const soft = tf.mean(tf.sigmoid(tf.div(tf.sub(w, t), tau * this.scales.get(n)!)));
            return tf.square(tf.sub(soft, this.opts.density));
          });
          return tf.addN(terms) as tf.Scalar;
        }),
    };
  }

  /** Masks every weight at `|w| ≤ t` (composed with its existing mask). */
  commit(): MaskedModel {
    this.masked.edit((edit) => {
      for (const [n, t] of this.thresholds) {
        const m = tf.tidy(() => tf.mul(edit.mask(n), tf.greater(tf.abs(edit.value(n)), t).toFloat()));
        edit.setMask(n, m);
      }
      edit.record({ method: 'learned-threshold', details: { density: this.opts.density } });
    });
    return this.masked;
  }
}
