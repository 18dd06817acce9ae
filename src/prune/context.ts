/**
 * What a criterion can look at: weights, data batches, the loss, gradients, Hessian-vector
 * products and captured layer inputs/outputs. Everything is computed lazily on first use and
 * cached, so a magnitude criterion costs nothing extra; tensors handed out are owned by the
 * context and disposed when the pruning call ends.
 */
import * as tf from '@tensorflow/tfjs';
import { withParametrizedWeights } from '../train/parametrize';
import type { PrunableWeight } from './targets';
import { deriveSeed, seededRandom } from './rng';
import { OptionError, UnknownNameError, UserError } from '../errors';

/** One batch of data for data-driven criteria (same shape as the training loop's `Batch`). */
export interface PruneBatch {
  /** Inputs, `[size, ...featureShape]`. */
  xs: tf.Tensor;
  /** Targets: one-hot labels `[size, classes]` (or whatever the loss expects). */
  ys: tf.Tensor;
  /** Examples in the batch (defaults to `xs.shape[0]`). */
  size?: number;
}

/** Data for a criterion: one batch, several, or a function giving batches. Tensors stay the caller's. */
export type PruneData = PruneBatch | PruneBatch[] | (() => Iterable<PruneBatch>);

/** A loss `(yTrue, yPred) → scalar`, mean over the batch. */
export type PruneLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/** Inputs and output of a layer captured on the context's data (batches concatenated). */
export interface Captured {
  /** The layer's input tensors (one per input; most layers have one). */
  inputs: tf.Tensor[];
  /** The layer's output. */
  output: tf.Tensor;
}

/** How Hessian-vector products are computed. */
export type HvpMethod = 'auto' | 'exact' | 'finite-difference';

/** The read-only view a criterion gets. */
export interface CriterionContext {
  /** The model being pruned. */
  readonly model: tf.LayersModel;
  /** The weights being pruned in this call, in layer order. */
  readonly targets: readonly PrunableWeight[];
  /** Seed of this call (random criteria must derive their numbers from it). */
  readonly seed: number;
  /** A seeded uniform generator for `key` (e.g. a weight name): same seed + key, same numbers. */
  random(key: string): () => number;
  /** Current mask of a weight, or undefined when unmasked. */
  mask(name: string): tf.Tensor | undefined;
  /** Current values of the target weights by name (already masked). */
  weights(): ReadonlyMap<string, tf.Tensor>;
  /** The data batches. @throws when the call was given no `data`. */
  batches(): readonly PruneBatch[];
  /** Mean loss over all batches. */
  loss(): number;
  /** Gradients of the mean loss with respect to each target weight. */
  gradients(): ReadonlyMap<string, tf.Tensor>;
  /**
   * Hessian-vector product `H v` of the mean loss (the gradient of `∇L · v`) for the target
   * weights; `v` maps target names to tensors of their shapes (missing names count as 0).
   * Exact double backprop when every op supports it, otherwise central differences of gradients.
   */
  hvp(v: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor>;
  /** Inputs and outputs of the named layers on all batches (inference mode). */
  capture(layerNames: string[]): Map<string, Captured>;
  /**
   * The loss function of this call (mean over a batch), for criteria that need their own passes
   * (per-example gradients, curvature of the output).
   */
  readonly lossFunction: PruneLoss;
}

/** Options of {@link createContext}. */
export interface ContextOptions {
  /** Data batches for data-driven criteria. */
  data?: PruneData;
  /** Loss; default: cross-entropy (on probabilities if the model ends in softmax, else on logits). */
  loss?: PruneLoss;
  /** Seed, default 0. */
  seed?: number;
  /** Hessian-vector method, default `auto`. */
  hvp?: HvpMethod;
  /** Current masks by weight name. */
  masks?: ReadonlyMap<string, tf.Tensor>;
}

/** A context plus its cleanup. */
export interface OwnedContext extends CriterionContext {
  /** Disposes every tensor the context created. */
  dispose(): void;
}

function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const cfg = last?.getConfig() as { activation?: unknown } | undefined;
  return cfg?.activation === 'softmax';
}

/**
 * The default loss: mean categorical cross-entropy. Written with ops that all have gradients
 * of their gradients in tfjs (no `logSumExp`, whose max needs a gradient for `Equal`), so that
 * Hessian-vector products work by double backprop.
 */
export function defaultPruneLoss(model: tf.LayersModel): PruneLoss {
  if (endsInSoftmax(model)) {
    return (y, p) => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.add(p, 1e-7))), -1))) as tf.Scalar;
  }
  return (y, logits) => {
    // shift by the row max as a constant (read out, not traced): log-softmax is shift invariant
    const c = tf.tensor(tf.max(logits, -1, true).dataSync(), [...logits.shape.slice(0, -1), 1]);
    const z = tf.sub(logits, c);
    const logp = tf.sub(z, tf.log(tf.sum(tf.exp(z), -1, true)));
    return tf.neg(tf.mean(tf.sum(tf.mul(y, logp), -1))) as tf.Scalar;
  };
}

function materialize(data: PruneData | undefined): PruneBatch[] | undefined {
  if (data === undefined) return undefined;
  if (typeof data === 'function') return [...data()];
  return Array.isArray(data) ? data : [data];
}

/**
 * A batch whose examples have the model's input size in another shape (MNIST images `[28, 28, 1]`
 * for a model that takes `[784]`, as train() and evaluate() accept) reshaped to the model's input
 * shape, so that criteria which run the model (captures, gradients) take the same data as training.
 */
function fitToInput(b: PruneBatch, model: tf.LayersModel, keep: <T extends tf.Tensor>(t: T) => T): PruneBatch {
  const want = model.inputs.length === 1 ? model.inputs[0].shape.slice(1) : undefined;
  const have = b.xs.shape.slice(1);
  if (!want || want.some((d) => d == null) || (want.length === have.length && want.every((d, i) => d === have[i]))) return b;
  const size = (s: readonly (number | null)[]) => s.reduce((a: number, d) => a * (d as number), 1);
  if (size(want) !== size(have)) return b; // a real mismatch: the model's own error says what is wrong
  return { ...b, xs: keep(b.xs.reshape([b.xs.shape[0], ...(want as number[])])) };
}

function isMissingGradient(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /gradient function not found|not registered for backend/i.test(msg);
}

/**
 * Makes the context for one pruning call.
 *
 * @param model the model.
 * @param targets the weights being pruned.
 * @param opts data, loss, seed, masks.
 */
export function createContext(model: tf.LayersModel, targets: readonly PrunableWeight[], opts: ContextOptions = {}): OwnedContext {
  const seed = opts.seed ?? 0;
  const owned: tf.Tensor[] = [];
  // tf.keep: accessors may first be called inside a user's tf.tidy, and the cache must outlive it
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(tf.keep(t));
    return t;
  };
  let batchList: PruneBatch[] | undefined;
  let grads: Map<string, tf.Tensor> | undefined;
  let lossValue: number | undefined;
  const captured = new Map<string, Captured>();
  const lossFn = opts.loss ?? defaultPruneLoss(model);
  const vars = () => targets.map((t) => t.variable.read() as tf.Variable);
  // Criteria see what the forward pass sees: the effective weights of parametrized layers.
  const forward = (xs: tf.Tensor) => withParametrizedWeights(model, () => model.apply(xs) as tf.Tensor);

  const ctx: OwnedContext = {
    model,
    targets,
    seed,
    random: (key) => seededRandom(deriveSeed(seed, key)),
    mask: (name) => opts.masks?.get(name),
    lossFunction: lossFn,
    weights: () => new Map(targets.map((t) => [t.name, t.variable.read()])),
    batches() {
      batchList ??= materialize(opts.data)?.map((b) => fitToInput(b, model, keep));
      if (!batchList || batchList.length === 0) {
        throw new OptionError('This criterion needs data: pass `data: { xs, ys }` (or an array of batches) to prune().', 'data');
      }
      return batchList;
    },
    loss() {
      if (lossValue === undefined) {
        const bs = ctx.batches();
        let total = 0, count = 0;
        for (const b of bs) {
          const n = b.size ?? b.xs.shape[0];
          total += n * tf.tidy(() => lossFn(b.ys, forward(b.xs)).dataSync()[0]);
          count += n;
        }
        lossValue = total / count;
      }
      return lossValue;
    },
    gradients() {
      if (!grads) grads = new Map(targets.map((t, i) => [t.name, keep(meanGradients()[i])]));
      return grads;
    },
    hvp(v) {
      for (const k of v.keys()) {
        if (!targets.some((t) => t.name === k)) throw new UserError(`hvp: '${k}' is not a target weight of this call.`);
      }
      const vs = targets.map((t) => v.get(t.name) ?? tf.zeros(t.shape));
      let out: tf.Tensor[];
      try {
        out = opts.hvp === 'finite-difference' ? fdHvp(vs) : exactHvp(vs);
      } catch (e) {
        if (opts.hvp === 'exact' || !isMissingGradient(e)) throw e;
        out = fdHvp(vs);
      } finally {
        targets.forEach((t, i) => {
          if (!v.has(t.name)) vs[i].dispose();
        });
      }
      return new Map(targets.map((t, i) => [t.name, keep(out[i])]));
    },
    capture(layerNames) {
      const missing = layerNames.filter((n) => !captured.has(n));
      if (missing.length) {
        const layers = missing.map((n) => {
          try {
            return model.getLayer(n);
          } catch {
            throw new UnknownNameError('layer', n, model.layers.map((l) => l.name), `capture: model '${model.name}' has no layer '${n}'. Layers: ${model.layers.map((l) => l.name).join(', ')}.`);
          }
        });
        // unique symbolic tensors to fetch; model inputs are the batch itself (tf.model cannot output its input)
        const wanted: tf.SymbolicTensor[] = [];
        const slots = layers.map((l) => {
          const ins = ([] as tf.SymbolicTensor[]).concat(l.input as tf.SymbolicTensor | tf.SymbolicTensor[]);
          return [...ins, l.output as tf.SymbolicTensor].map((s) => {
            const k = model.inputs.indexOf(s);
            if (k >= 0) return -1 - k;
            if (!wanted.includes(s)) wanted.push(s);
            return wanted.indexOf(s);
          });
        });
        if (model.inputs.length !== 1) throw new UserError('capture: only single-input models are supported.');
        const probe = wanted.length ? tf.model({ inputs: model.inputs, outputs: wanted }) : undefined;
        const parts: tf.Tensor[][] = wanted.map(() => []);
        const inputParts: tf.Tensor[] = [];
        for (const b of ctx.batches()) {
          inputParts.push(b.xs);
          if (!probe) continue;
          const res = tf.tidy(() => ([] as tf.Tensor[]).concat(withParametrizedWeights(model, () => probe.predict(b.xs) as tf.Tensor | tf.Tensor[])));
          res.forEach((r, i) => parts[i].push(r));
        }
        const cat = parts.map((p) => {
          const c = p.length === 1 ? p[0] : tf.concat(p, 0);
          if (p.length > 1) p.forEach((t) => t.dispose());
          return keep(c);
        });
        const input = keep(inputParts.length === 1 ? inputParts[0].clone() : tf.concat(inputParts, 0));
        layers.forEach((l, j) => {
          const ts = slots[j].map((i) => (i < 0 ? input : cat[i]));
          captured.set(missing[j], { inputs: ts.slice(0, -1), output: ts[ts.length - 1] });
        });
      }
      return new Map(layerNames.map((n) => [n, captured.get(n)!]));
    },
    dispose() {
      for (const t of owned) t.dispose();
      owned.length = 0;
      grads = undefined;
      captured.clear();
    },
  };

  /** Σ_b n_b ∇L_b / Σ_b n_b as new tensors (caller owns). */
  function meanGradients(): tf.Tensor[] {
    const bs = ctx.batches();
    const vs = vars();
    const total = bs.reduce((a, b) => a + (b.size ?? b.xs.shape[0]), 0);
    let acc: tf.Tensor[] | undefined;
    for (const b of bs) {
      const w = (b.size ?? b.xs.shape[0]) / total;
      const g = tf.tidy(() => tf.grads(() => lossFn(b.ys, forward(b.xs)))(vs).map((x) => tf.mul(x, w)));
      if (!acc) acc = g;
      else {
        const next = acc.map((a, i) => tf.add(a, g[i]));
        acc.forEach((t) => t.dispose());
        g.forEach((t) => t.dispose());
        acc = next;
      }
    }
    return acc!;
  }

  function exactHvp(v: tf.Tensor[]): tf.Tensor[] {
    const bs = ctx.batches();
    const vs = vars();
    const total = bs.reduce((a, b) => a + (b.size ?? b.xs.shape[0]), 0);
    return tf.tidy(() => {
      let acc: tf.Tensor[] | undefined;
      for (const b of bs) {
        const w = (b.size ?? b.xs.shape[0]) / total;
        const hv = tf.grads((...ws: tf.Tensor[]) => {
          const g = tf.grads(() => lossFn(b.ys, forward(b.xs)))(ws);
          return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i])))) as tf.Scalar;
        })(vs);
        acc = acc ? acc.map((a, i) => tf.add(a, tf.mul(hv[i], w))) : hv.map((h) => tf.mul(h, w));
      }
      return acc!;
    });
  }

  /** (∇L(w + εv) − ∇L(w − εv)) / 2ε, restoring the weights exactly afterwards. */
  function fdHvp(v: tf.Tensor[]): tf.Tensor[] {
    const saved = targets.map((t) => t.variable.read().clone());
    const n = v.reduce((a, t) => a + t.size, 0);
    const norm = Math.sqrt(v.reduce((a, t) => a + tf.tidy(() => tf.sum(tf.square(t)).dataSync()[0]), 0));
    if (norm === 0) {
      saved.forEach((s) => s.dispose());
      return targets.map((t) => tf.zeros(t.shape));
    }
    // perturbation with per-entry rms 1e-3: balances truncation (ε²) and float32 round-off (1/ε)
    const eps = (1e-3 * Math.sqrt(n)) / norm;
    const shifted = (sign: number) => {
      targets.forEach((t, i) => {
        const w = tf.tidy(() => tf.add(saved[i], tf.mul(v[i], sign * eps)));
        t.variable.write(w);
        w.dispose();
      });
      return meanGradients();
    };
    try {
      const gp = shifted(1);
      const gm = shifted(-1);
      const out = gp.map((g, i) => tf.tidy(() => tf.div(tf.sub(g, gm[i]), 2 * eps)));
      gp.forEach((t) => t.dispose());
      gm.forEach((t) => t.dispose());
      return out;
    } finally {
      targets.forEach((t, i) => t.variable.write(saved[i]));
      saved.forEach((s) => s.dispose());
    }
  }

  return ctx;
}
