/**
 * Curvature of the pruning loss for the target weights of a {@link CriterionContext}: per-example
 * gradients (batched for Dense chains, a loop of single examples otherwise), the three Hessian
 * diagonals OBD can use (exact, Gauss–Newton/Levenberg–Marquardt, empirical Fisher) plus
 * Hutchinson's estimate, and full matrices (exact Hessian, empirical Fisher) for small nets.
 *
 * Conventions: the loss is the call's mean loss over all examples of `ctx.batches()`, so its
 * Hessian is (1/N) Σ_n H_n and the empirical Fisher is (1/N) Σ_n g_n g_nᵀ. Flat parameter
 * vectors concatenate the targets in order, each in tfjs layout (row-major).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../../errors';
import { withParametrizedWeights } from '../../train/parametrize';
import type { CriterionContext } from '../context';
import type { PrunableWeight } from '../targets';
import { activationDerivative, denseChainLayers, denseChainPass, hasElementwiseDerivative, outputCurvatureDiagonal, type ChainLayer } from './dense-chain';

/** Per-example gradients of one target: rank-one factors (Dense) or full rows. */
export type ExampleGradients =
  | {
    /** g_n = x_n δ_nᵀ: inputs X [N, in] and errors Δ [N, out], row-major. */
    kind: 'rank-one'; x: Float32Array; delta: Float32Array; fanIn: number; fanOut: number;
  }
  | {
    /** Full per-example gradients [N, size], each row in tfjs layout. */
    kind: 'full'; g: Float32Array;
  };

/** Per-example gradients of every target on all of the context's data. */
export interface PerExampleGradients {
  /** Number of examples N. */
  n: number;
  /** By target name. */
  byTarget: Map<string, ExampleGradients>;
}

/** The context's examples and the index of each target's layer in a Dense chain, or undefined. */
function chainFor(ctx: CriterionContext): { chain: ChainLayer[]; index: number[] } | undefined {
  const chain = denseChainLayers(ctx.model);
  if (!chain) return undefined;
  const index = ctx.targets.map((t) => chain.findIndex((c) => c.layer === t.layer));
  return index.every((i) => i >= 0) ? { chain, index } : undefined;
}

function exampleCount(ctx: CriterionContext): number {
  return ctx.batches().reduce((a, b) => a + b.xs.shape[0], 0);
}

/** Copies `src` rows into `dst` at row offset `row`. */
function put(dst: Float32Array, src: tf.Tensor, row: number, width: number): void {
  dst.set(src.dataSync() as Float32Array, row * width);
}

/**
 * Per-example gradients of the (per-example) loss for every target. Dense chains: one batched
 * pass per batch, stored as rank-one factors. Anything else: one backward pass per example.
 */
export function perExampleGradients(ctx: CriterionContext): PerExampleGradients {
  const n = exampleCount(ctx);
  const byTarget = new Map<string, ExampleGradients>();
  const found = chainFor(ctx);
  if (found) {
    const xs = ctx.targets.map((t) => new Float32Array(n * t.shape[0]));
    const ds = ctx.targets.map((t) => new Float32Array(n * t.shape[1]));
    let row = 0;
    for (const b of ctx.batches()) {
      const pass = denseChainPass(ctx.model, found.chain, b, ctx.lossFunction, true);
      ctx.targets.forEach((t, i) => {
        const p = pass[found.index[i]];
        put(xs[i], p.x, row, t.shape[0]);
        put(ds[i], p.delta!, row, t.shape[1]);
      });
      pass.forEach((p) => [p.x, p.z, p.delta].forEach((x) => x?.dispose()));
      row += b.xs.shape[0];
    }
    ctx.targets.forEach((t, i) => byTarget.set(t.name, { kind: 'rank-one', x: xs[i], delta: ds[i], fanIn: t.shape[0], fanOut: t.shape[1] }));
    return { n, byTarget };
  }
  const gs = ctx.targets.map((t) => new Float32Array(n * t.size));
  const vars = ctx.targets.map((t) => t.variable.read() as tf.Variable);
  let row = 0;
  for (const b of ctx.batches()) {
    const m = b.xs.shape[0];
    for (let e = 0; e < m; e++) {
      const g = tf.tidy(() => {
        const x = tf.slice(b.xs, e, 1);
        const y = tf.slice(b.ys, e, 1);
        return tf.grads(() => ctx.lossFunction(y, withParametrizedWeights(ctx.model, () => ctx.model.apply(x) as tf.Tensor)))(vars);
      });
      g.forEach((gi, i) => {
        put(gs[i], gi, row, ctx.targets[i].size);
        gi.dispose();
      });
      row++;
    }
  }
  ctx.targets.forEach((t, i) => byTarget.set(t.name, { kind: 'full', g: gs[i] }));
  return { n, byTarget };
}

/** Entry `idx` (tfjs flat index) of example e's gradient of a target with `size` entries. */
export function gradientEntry(src: ExampleGradients, e: number, idx: number, size: number): number {
  if (src.kind === 'full') return src.g[e * size + idx];
  const i = Math.floor(idx / src.fanOut);
  const o = idx - i * src.fanOut;
  return src.x[e * src.fanIn + i] * src.delta[e * src.fanOut + o];
}

/**
 * Empirical-Fisher diagonal (1/N) Σ_n g_n² per target (the "diagonal Fisher" of WoodFisher's
 * repo). Dense chains: (X²)ᵀ(Δ²)/N in one matmul per layer.
 */
export function fisherDiagonal(ctx: CriterionContext): Map<string, tf.Tensor> {
  const pe = perExampleGradients(ctx);
  return new Map(ctx.targets.map((t) => {
    const src = pe.byTarget.get(t.name)!;
    if (src.kind === 'rank-one') {
      return [t.name, tf.tidy(() => {
        const x = tf.tensor2d(src.x, [pe.n, src.fanIn]);
        const d = tf.tensor2d(src.delta, [pe.n, src.fanOut]);
        return tf.div(tf.matMul(tf.square(x), tf.square(d), true, false), pe.n);
      })];
    }
    const out = new Float64Array(t.size);
    for (let e = 0; e < pe.n; e++) for (let k = 0; k < t.size; k++) out[k] += src.g[e * t.size + k] ** 2;
    return [t.name, tf.tensor(Float32Array.from(out, (v) => v / pe.n), t.shape)];
  }));
}

/**
 * The Gauss–Newton / Levenberg–Marquardt diagonal of LeCun, Denker & Solla (1990) by one
 * backward pass of second derivatives, with the off-diagonal terms dropped as in the paper:
 * at the output, ∂²ℓ/∂z_k² (the exact per-example diagonal of the loss Hessian in the logits,
 * p_k(1 − p_k) for softmax cross-entropy); backwards, ∂²ℓ/∂z_i² = f'(z_i)² Σ_l w_il² ∂²ℓ/∂z_l²
 * (the f''·∂ℓ/∂a term dropped); for a weight, ∂²ℓ/∂w_ij² = x_i² ∂²ℓ/∂z_j². Averaged over examples.
 * Dense chains only (the recursion needs each layer's pre-activations).
 */
export function gaussNewtonDiagonal(ctx: CriterionContext): Map<string, tf.Tensor> {
  const chain = denseChainLayers(ctx.model);
  if (!chain) {
    throw new OptionError(`The Gauss–Newton diagonal needs a chain of Dense layers (model '${ctx.model.name}' has other layers); use --diagonal fisher or --diagonal exact instead.`, 'diagonal');
  }
  for (const c of chain.slice(0, -1)) {
    if (!hasElementwiseDerivative(c.activation)) {
      throw new OptionError(`The Gauss–Newton diagonal needs element-wise hidden activations (linear, relu, tanh, sigmoid); layer '${c.layer.name}' uses '${c.activation}'. Use --diagonal fisher instead.`, 'diagonal');
    }
  }
  const n = exampleCount(ctx);
  const acc = chain.map((c) => tf.zeros(c.kernel.shape as number[]));
  for (const b of ctx.batches()) {
    const pass = denseChainPass(ctx.model, chain, b, ctx.lossFunction, false);
    const next = tf.tidy(() => {
      let h: tf.Tensor = outputCurvatureDiagonal(chain[chain.length - 1], pass[chain.length - 1].z, b.ys, ctx.lossFunction);
      const out: tf.Tensor[] = new Array(chain.length);
      for (let l = chain.length - 1; l >= 0; l--) {
        out[l] = tf.add(acc[l], tf.matMul(tf.square(pass[l].x), h, true, false));
        if (l > 0) {
          const w2 = tf.square(chain[l].kernel.read());
          h = tf.mul(tf.square(activationDerivative(chain[l - 1].activation, pass[l - 1].z)), tf.matMul(h, w2, false, true));
        }
      }
      return out;
    });
    acc.forEach((a) => a.dispose());
    next.forEach((t, i) => (acc[i] = t));
    pass.forEach((p) => [p.x, p.z].forEach((x) => x.dispose()));
  }
  const result = new Map<string, tf.Tensor>();
  chain.forEach((c, i) => {
    const t = ctx.targets.find((x) => x.layer === c.layer);
    if (t) result.set(t.name, tf.tidy(() => tf.div(acc[i], n)));
  });
  acc.forEach((a) => a.dispose());
  for (const t of ctx.targets) if (!result.has(t.name)) throw new UserError(`gaussNewtonDiagonal: target '${t.name}' is not a layer of the Dense chain.`);
  return result;
}

/** Total number of entries of the targets (the size of a full Hessian's side). */
export function parameterCount(targets: readonly PrunableWeight[]): number {
  return targets.reduce((a, t) => a + t.size, 0);
}

/** The largest parameter count for which exact diagonals and full matrices are computed. */
export const MAX_EXACT_PARAMETERS = 4096;

function checkSmall(ctx: CriterionContext, what: string, hint: string, option: string): number {
  const p = parameterCount(ctx.targets);
  if (p > MAX_EXACT_PARAMETERS) {
    throw new OptionError(`${what} needs one Hessian-vector product per weight and is limited to ${MAX_EXACT_PARAMETERS} weights; this call prunes ${p}. ${hint}`, option);
  }
  return p;
}

/**
 * Columns of the exact Hessian by Hessian-vector products with unit vectors, handed to `sink`
 * one at a time (column j as a flat Float64Array over all targets).
 */
function exactHessianColumns(ctx: CriterionContext, sink: (j: number, column: Float64Array) => void): void {
  const p = parameterCount(ctx.targets);
  const offsets = ctx.targets.map((_, i) => ctx.targets.slice(0, i).reduce((a, t) => a + t.size, 0));
  ctx.targets.forEach((t, ti) => {
    for (let k = 0; k < t.size; k++) {
      const unit = new Float32Array(t.size);
      unit[k] = 1;
      const v = tf.tensor(unit, t.shape);
      const hv = ctx.hvp(new Map([[t.name, v]]));
      v.dispose();
      const col = new Float64Array(p);
      ctx.targets.forEach((u, ui) => col.set(hv.get(u.name)!.dataSync(), offsets[ui]));
      // the context owns hv's tensors until the call ends; free them now (P of them would pile up)
      for (const x of hv.values()) x.dispose();
      sink(offsets[ti] + k, col);
    }
  });
}

/** Exact Hessian diagonal by one Hessian-vector product per weight (small nets only). */
export function exactDiagonal(ctx: CriterionContext): Map<string, tf.Tensor> {
  const p = checkSmall(ctx, 'The exact Hessian diagonal', 'Use --diagonal gauss-newton, fisher or hutchinson for larger nets.', 'diagonal');
  const diag = new Float32Array(p);
  exactHessianColumns(ctx, (j, col) => (diag[j] = col[j]));
  return splitFlat(ctx.targets, diag);
}

/**
 * Hutchinson's estimate diag(H) ≈ mean over samples of v ⊙ Hv with Rademacher v (seeded).
 */
export function hutchinsonDiagonal(ctx: CriterionContext, samples: number): Map<string, tf.Tensor> {
  const acc = ctx.targets.map((t) => new Float64Array(t.size));
  for (let s = 0; s < samples; s++) {
    const vs = ctx.targets.map((t) => {
      const r = ctx.random(`hutchinson/${s}/${t.name}`);
      return Float32Array.from({ length: t.size }, () => (r() < 0.5 ? -1 : 1));
    });
    const v = new Map(ctx.targets.map((t, i) => [t.name, tf.tensor(vs[i], t.shape)]));
    const hv = ctx.hvp(v);
    ctx.targets.forEach((t, i) => {
      const h = hv.get(t.name)!.dataSync();
      for (let k = 0; k < t.size; k++) acc[i][k] += vs[i][k] * h[k];
    });
    for (const x of v.values()) x.dispose();
    for (const x of hv.values()) x.dispose();
  }
  return new Map(ctx.targets.map((t, i) => [t.name, tf.tensor(Float32Array.from(acc[i], (x) => x / samples), t.shape)]));
}

/** Splits a flat vector over the targets back into tensors of their shapes. */
export function splitFlat(targets: readonly PrunableWeight[], flat: ArrayLike<number>): Map<string, tf.Tensor> {
  let off = 0;
  return new Map(targets.map((t) => {
    const part = Float32Array.from({ length: t.size }, (_, k) => flat[off + k]);
    off += t.size;
    return [t.name, tf.tensor(part, t.shape)];
  }));
}

/** The targets' current values as one flat float64 vector. */
export function flatWeights(ctx: CriterionContext): Float64Array {
  const p = parameterCount(ctx.targets);
  const out = new Float64Array(p);
  let off = 0;
  for (const t of ctx.targets) {
    out.set(ctx.weights().get(t.name)!.dataSync(), off);
    off += t.size;
  }
  return out;
}

/** The exact Hessian of the mean loss over all targets, P×P, symmetrised (small nets only). */
export function exactHessian(ctx: CriterionContext): Float64Array {
  const p = checkSmall(ctx, 'The exact Hessian', 'Use --hessian fisher, or L-OBS / WoodFisher for larger nets.', 'hessian');
  const h = new Float64Array(p * p);
  exactHessianColumns(ctx, (j, col) => {
    for (let i = 0; i < p; i++) h[i * p + j] = col[i];
  });
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (h[i * p + j] + h[j * p + i]);
      h[i * p + j] = s;
      h[j * p + i] = s;
    }
  }
  return h;
}

/** The empirical Fisher (1/N) Σ g_n g_nᵀ over all targets, P×P (small nets only). */
export function fisherMatrix(ctx: CriterionContext): Float64Array {
  const p = parameterCount(ctx.targets);
  if (p > MAX_EXACT_PARAMETERS) {
    throw new OptionError(`The full empirical Fisher is limited to ${MAX_EXACT_PARAMETERS} weights; this call prunes ${p}. Use WoodFisher (block-diagonal) or L-OBS for larger nets.`, 'hessian');
  }
  const pe = perExampleGradients(ctx);
  const f = new Float64Array(p * p);
  const g = new Float64Array(p);
  for (let e = 0; e < pe.n; e++) {
    let off = 0;
    for (const t of ctx.targets) {
      const src = pe.byTarget.get(t.name)!;
      for (let k = 0; k < t.size; k++) g[off + k] = gradientEntry(src, e, k, t.size);
      off += t.size;
    }
    for (let i = 0; i < p; i++) {
      const gi = g[i];
      if (gi === 0) continue;
      const fi = i * p;
      for (let j = 0; j <= i; j++) f[fi + j] += gi * g[j];
    }
  }
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      const v = f[i * p + j] / pe.n;
      f[i * p + j] = v;
      f[j * p + i] = v;
    }
  }
  return f;
}
