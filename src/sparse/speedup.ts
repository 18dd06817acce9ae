/**
 * Practical vs theoretical speedup: times dense vs each sparse format (and vs the shrunk
 * model) on the active backend, next to the FLOP-based theoretical speedup and byte-based
 * size, and finds the break-even sparsity per layer shape. Figures: ./speedup-plot.ts.
 *
 * Timings are wall-clock medians over `repeats` runs after `warmup` runs, each run including
 * the read-back of the result (dataSync), so dense tfjs and the sparse kernels are charged
 * the same way. They are measurements, not tests: never assert on them.
 */
import * as tf from '@tensorflow/tfjs';
import { denseToSparse, SparseFormat, ToSparseOptions } from './formats';
import { sparseBytes, denseBytes } from './bytes';
import { chainLayers, kernelLayerKind, MaskMap, maskedKernel, transpose2d } from './layer-kernels';
import { SparseConv2D, SparseImpl, SparseLinear } from './ops';
import { SparseModel, toSparse } from './sparse-model';
import { shrinkModel } from './shrink';
import { mulberry32 } from '../data/random';
import { UserError } from '../errors';

/** Summary of repeated timings, in milliseconds. */
export interface TimingStats {
  /** Median. */
  median: number;
  /** First quartile. */
  q1: number;
  /** Third quartile. */
  q3: number;
  /** Fastest run. */
  min: number;
  /** Slowest run. */
  max: number;
  /** Number of timed runs. */
  repeats: number;
}

/** Warm-up and repetition counts. */
export interface TimingOptions {
  /** Untimed runs first (JIT, caches, allocation). Default 3. */
  warmup?: number;
  /** Timed runs. Default 15. */
  repeats?: number;
  /**
   * Time budget of one measurement in ms (default 2000): once the warm-up and timed runs have
   * taken this long, timing stops after at least 3 timed runs (and the warm-up after 1 run), and
   * `repeats` in the result says how many were taken. Fast work (microseconds to milliseconds)
   * never reaches it; it keeps a slow path (sparse products through tfjs ops on software WebGL,
   * 0.2 s each at batch 64) from turning `%speedup` into many minutes.
   */
  maxMs?: number;
}

/** Timed runs that a time budget never cuts below. */
const MIN_TIMED_RUNS = 3;

/**
 * Times a synchronous function.
 *
 * @param fn the work (must finish its result, e.g. call dataSync).
 * @param opts warm-up and repeats.
 */
export function timeIt(fn: () => void, opts: TimingOptions = {}): TimingStats {
  const warmup = opts.warmup ?? 3;
  const repeats = Math.max(1, opts.repeats ?? 15);
  const budget = opts.maxMs ?? 2000;
  const start = performance.now();
  const spent = () => performance.now() - start;
  for (let i = 0; i < warmup && !(i >= 1 && spent() > budget); i++) fn();
  const t: number[] = [];
  for (let i = 0; i < repeats && !(i >= Math.min(MIN_TIMED_RUNS, repeats) && spent() > budget); i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  const q = (p: number) => t[Math.min(t.length - 1, Math.floor(p * (t.length - 1) + 0.5))];
  return { median: q(0.5), q1: q(0.25), q3: q(0.75), min: t[0], max: t[t.length - 1], repeats: t.length };
}

/** One measurement: dense vs one sparse variant. */
export interface SpeedupRow {
  /** Layer name, or 'model'. */
  layer: string;
  /** 'dense' / 'conv2d' layer, or the whole 'model'. */
  kind: 'dense' | 'conv2d' | 'model';
  /** [out, in] of the layer's kernel as stored (A = Wᵀ); [0, 0] for the model. */
  shape: [number, number];
  /** Fraction of pruned kernel weights (whole model: over all kernels). */
  sparsity: number;
  /** Batch size. */
  batch: number;
  /** The sparse variant timed. */
  variant: SparseFormat | 'shrunk';
  /** Dense timing. */
  dense: TimingStats;
  /** Sparse / shrunk timing. */
  sparse: TimingStats;
  /** dense.median / sparse.median. */
  measured: number;
  /** FLOP-based: dense multiply-adds / multiply-adds on the kept weights (1 / (1 - sparsity)). */
  theoretical: number;
  /** Dense float32 bytes of the kernel(s). */
  denseBytes: number;
  /** Bytes of the variant (sparse format, or the shrunk model's kernels). */
  variantBytes: number;
}

/** One point of a sparsity sweep. */
export interface SweepPoint {
  /** [out, in]. */
  shape: [number, number];
  /** Sparsity of the random mask. */
  sparsity: number;
  /** Batch size. */
  batch: number;
  /** Format. */
  format: SparseFormat;
  /** dense median / sparse median. */
  measured: number;
  /** 1 / (1 - sparsity). */
  theoretical: number;
  /** Dense median, ms. */
  denseMs: number;
  /** Sparse median, ms. */
  sparseMs: number;
}

/** Break-even sparsity of one layer shape, batch and format. */
export interface BreakEven {
  /** [out, in]. */
  shape: [number, number];
  /** Batch size. */
  batch: number;
  /** Format. */
  format: SparseFormat;
  /** Lowest sparsity at which sparse matched dense (linear interpolation), null if never in the sweep. */
  sparsity: number | null;
}

/** Options of {@link speedup}. */
export interface SpeedupOptions extends TimingOptions, Omit<ToSparseOptions, 'mask'> {
  /** Formats to time. Default ['csr', 'bsr']. */
  formats?: SparseFormat[];
  /** Batch sizes. Default [1, 32]. */
  batchSizes?: number[];
  /** Kernel implementation. Default 'auto'. */
  impl?: SparseImpl;
  /** Masks by kernel name (default: kernel zeros are the pruned weights). */
  masks?: MaskMap;
  /** Also time the structurally shrunk model (models only). Default true. */
  shrunk?: boolean;
  /** Sparsities of the break-even sweep; [] skips it. Default [0.5, 0.7, 0.8, 0.9, 0.95, 0.98]. */
  breakEvenSparsities?: number[];
}

/** What {@link speedup} returns. */
export interface SpeedupReport {
  /** tfjs backend the timings ran on. */
  backend: string;
  /** Per layer / model, per format and batch. */
  rows: SpeedupRow[];
  /** The sweep behind the break-even points (random unstructured masks, per kernel shape). */
  sweep: SweepPoint[];
  /** Break-even sparsity per layer shape, batch and format. */
  breakEven: BreakEven[];
}

/** The input shape of a layer that is part of a built model (batch dimension included). */
function layerInputShape(layer: tf.layers.Layer): number[] {
  let shape: (number | null)[] | undefined;
  try {
    shape = (layer.input as tf.SymbolicTensor).shape;
  } catch {
    shape = layer.batchInputShape;
  }
  if (!shape || shape.slice(1).some((d) => d === null)) {
    throw new UserError(`speedup: the input shape of layer '${layer.name}' is unknown; pass a layer of a built model with a fixed input shape.`);
  }
  return shape as number[];
}

function randomInput(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

/**
 * Times dense against sparse for one Dense-shaped product A [out, in] with a random mask.
 *
 * @param shape [out, in].
 * @param sparsity fraction of zeros in the random unstructured mask.
 * @param opts formats, batch sizes, implementation, timing.
 * @returns one point per format and batch.
 */
export function speedupSweepPoint(
  shape: [number, number],
  sparsity: number,
  opts: { formats: SparseFormat[]; batchSizes: number[]; impl?: SparseImpl; seed?: number } & TimingOptions & Omit<ToSparseOptions, 'mask'>,
): SweepPoint[] {
  const [out, inn] = shape;
  const rnd = mulberry32(opts.seed ?? 1);
  const a = new Float32Array(out * inn);
  for (let i = 0; i < a.length; i++) a[i] = rnd() >= sparsity ? rnd() * 2 - 1 : 0;
  const points: SweepPoint[] = [];
  const w = tf.tensor2d(transpose2d(a, out, inn), [inn, out]);
  try {
    for (const B of opts.batchSizes) {
      const x = randomInput([B, inn], B) as tf.Tensor2D;
      const dense = timeIt(() => tf.tidy(() => tf.matMul(x, w).dataSync()), opts);
      for (const f of opts.formats) {
        let op: SparseLinear;
        try {
          op = new SparseLinear(denseToSparse(a, shape, f, opts), { impl: opts.impl });
        } catch {
          continue; // e.g. a random pattern is not N:M
        }
        const sp = timeIt(() => { const y = op.apply(x); y.dataSync(); y.dispose(); }, opts);
        op.dispose();
        points.push({ shape, sparsity, batch: B, format: f, measured: dense.median / sp.median, theoretical: 1 / Math.max(1e-9, 1 - sparsity), denseMs: dense.median, sparseMs: sp.median });
      }
      x.dispose();
    }
  } finally {
    w.dispose();
  }
  return points;
}

/**
 * Break-even sparsities from a sweep: the lowest sparsity where measured ≥ 1, linearly
 * interpolated between the sweep's points.
 */
export function breakEvenFromSweep(points: SweepPoint[]): BreakEven[] {
  const groups = new Map<string, SweepPoint[]>();
  for (const p of points) {
    const k = `${p.shape.join('x')}|${p.batch}|${p.format}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  const out: BreakEven[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.sparsity - b.sparsity);
    let s: number | null = null;
    for (let i = 0; i < g.length; i++) {
      if (g[i].measured >= 1) {
        if (i === 0) s = g[0].sparsity;
        else {
          const [p, q] = [g[i - 1], g[i]];
          s = p.sparsity + ((1 - p.measured) / (q.measured - p.measured)) * (q.sparsity - p.sparsity);
        }
        break;
      }
    }
    out.push({ shape: g[0].shape, batch: g[0].batch, format: g[0].format, sparsity: s });
  }
  return out;
}

/**
 * Measures practical speedup of a pruned model or layer.
 *
 * For each Dense / Conv2D layer with pruned weights: dense (tfjs matMul / conv2d on the masked
 * kernel) vs each sparse format, per batch size. For a model also: the whole model dense vs
 * `toSparse` per format vs the shrunk model. Plus a break-even sweep per layer shape.
 *
 * @param target a chain model or a single Dense / Conv2D layer (built).
 * @param opts formats, batch sizes, masks, timing, sweep.
 * @returns rows, sweep and break-even points; see {@link speedupFigure} for a plot.
 */
export function speedup(target: tf.LayersModel | tf.layers.Layer, opts: SpeedupOptions = {}): SpeedupReport {
  const formats = opts.formats ?? ['csr', 'bsr'];
  const batchSizes = opts.batchSizes ?? [1, 32];
  const isModel = target instanceof tf.LayersModel;
  const layers = isModel ? chainLayers(target) : [target];
  const rows: SpeedupRow[] = [];
  const shapes = new Map<string, [number, number]>();
  let totalW = 0;
  let totalPruned = 0;
  for (const layer of layers) {
    const kind = kernelLayerKind(layer);
    if (!kind) continue;
    const mk = maskedKernel(layer, opts.masks);
    totalW += mk.values.length;
    totalPruned += Math.round(mk.sparsity * mk.values.length);
    if (mk.sparsity === 0) continue;
    const out = mk.shape[mk.shape.length - 1];
    const inner = mk.values.length / out;
    const at = transpose2d(mk.values, inner, out);
    shapes.set(`${out}x${inner}`, [out, inner]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const cfg = layer.getConfig() as any;
    const kernel = tf.tensor(mk.values, mk.shape);
    const bias = mk.bias ? tf.tensor1d(mk.bias) : undefined;
    try {
      for (const B of batchSizes) {
        const inShape = [B, ...layerInputShape(layer).slice(1)];
        const x = randomInput(inShape, B);
        const pair = (v: number | number[]): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v]);
        const geom = { kernelSize: [mk.shape[0], mk.shape[1]] as [number, number], strides: pair(cfg.strides ?? 1), dilations: pair(cfg.dilationRate ?? 1), padding: cfg.padding };
        const denseRun = kind === 'dense'
          ? () => tf.tidy(() => { const y = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D); (bias ? tf.add(y, bias) : y).dataSync(); })
          : () => tf.tidy(() => { const y = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, geom.strides, geom.padding, 'NHWC', geom.dilations); (bias ? tf.add(y, bias) : y).dataSync(); });
        const dense = timeIt(denseRun, opts);
        for (const f of formats) {
          let a;
          try {
            a = denseToSparse(at, [out, inner], f, { blockShape: opts.blockShape, n: opts.n, m: opts.m, mask: mk.mask ? transpose2d(mk.mask.dataSync() as Float32Array, inner, out) : undefined });
          } catch {
            continue;
          }
          const op = kind === 'dense' ? new SparseLinear(a, { bias: mk.bias, impl: opts.impl }) : new SparseConv2D(a, geom, { bias: mk.bias, impl: opts.impl });
          const sp = timeIt(() => { const y = op.apply(x); y.dataSync(); y.dispose(); }, opts);
          op.dispose();
          rows.push({
            layer: layer.name, kind, shape: [out, inner], sparsity: mk.sparsity, batch: B, variant: f, dense, sparse: sp,
            measured: dense.median / sp.median, theoretical: 1 / Math.max(1e-9, 1 - mk.sparsity),
            denseBytes: denseBytes(mk.shape), variantBytes: sparseBytes(a).total,
          });
        }
        x.dispose();
      }
    } finally {
      tf.dispose([kernel, ...(bias ? [bias] : [])]);
    }
  }
  if (isModel) {
    const model = target as tf.LayersModel;
    const sparsity = totalW ? totalPruned / totalW : 0;
    const shrunk = opts.shrunk === false ? undefined : shrinkModel(model, { masks: opts.masks });
    try {
      for (const B of batchSizes) {
        const x = randomInput([B, ...(model.inputs[0].shape.slice(1) as number[])], B);
        const dense = timeIt(() => tf.tidy(() => { (model.predict(x) as tf.Tensor).dataSync(); }), opts);
        const base = { layer: 'model', kind: 'model' as const, shape: [0, 0] as [number, number], sparsity, batch: B, dense, theoretical: 1 / Math.max(1e-9, 1 - sparsity), denseBytes: totalW * 4 };
        for (const f of formats) {
          let sm: SparseModel;
          try {
            sm = toSparse(model, { format: f, impl: opts.impl, masks: opts.masks, blockShape: opts.blockShape, n: opts.n, m: opts.m });
          } catch {
            continue;
          }
          const sp = timeIt(() => { const y = sm.predict(x); y.dataSync(); y.dispose(); }, opts);
          const bytes = sm.layers.reduce((s, l) => s + (l.bytes ?? 0), 0);
          sm.dispose();
          rows.push({ ...base, variant: f, sparse: sp, measured: dense.median / sp.median, variantBytes: bytes });
        }
        if (shrunk) {
          const sp = timeIt(() => tf.tidy(() => { (shrunk.model.predict(x) as tf.Tensor).dataSync(); }), opts);
          const kernels = chainLayers(shrunk.model).filter((l) => kernelLayerKind(l)).reduce((s, l) => s + l.weights[0].shape.reduce((a, b) => a! * b!, 1)!, 0);
          rows.push({ ...base, variant: 'shrunk', sparse: sp, measured: dense.median / sp.median, variantBytes: kernels * 4 });
        }
        x.dispose();
      }
    } finally {
      shrunk?.model.dispose();
    }
  }
  const sweepS = opts.breakEvenSparsities ?? [0.5, 0.7, 0.8, 0.9, 0.95, 0.98];
  const sweep: SweepPoint[] = [];
  for (const shape of shapes.values()) {
    for (const s of sweepS) {
      sweep.push(...speedupSweepPoint(shape, s, { formats: formats.filter((f) => f !== 'nm'), batchSizes, impl: opts.impl, warmup: 1, repeats: Math.max(3, Math.ceil((opts.repeats ?? 15) / 3)), blockShape: opts.blockShape }));
    }
  }
  return { backend: tf.getBackend(), rows, sweep, breakEven: breakEvenFromSweep(sweep) };
}
