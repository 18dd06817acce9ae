/**
 * Granularity: which entries of a weight are pruned together. A granularity partitions a weight
 * into groups; element scores are reduced to one score per group (L1, L2, mean or max), whole
 * groups are kept or dropped, and group decisions expand back to an element mask. N:M is the
 * exception: it keeps the N best of every M consecutive inputs (a fixed pattern, no allocation).
 * `neuron` and `filter` are two names of one granularity (output units: Dense columns, Conv
 * filters), so that each reads naturally for its kind of layer.
 *
 * Layouts are tfjs's: Dense `[in, out]`, Conv2D `[kh, kw, in, out]`, DepthwiseConv2D
 * `[kh, kw, in, mult]`, so the output unit is the last axis and the input the one before it.
 */
import { OptionError, ShapeError } from '../errors';
import { Registry, type RegisterOptions, type RegistryEntry } from '../registry';

/** How element scores of a group combine into the group's score. */
export type GroupReduce = 'l1' | 'l2' | 'mean' | 'max';
/** Names of the group reductions, for validation and help. */
export const GROUP_REDUCES: readonly GroupReduce[] = ['l1', 'l2', 'mean', 'max'];

/** What a granularity needs to know about a weight. */
export interface WeightShapeInfo {
  /** Weight variable name (for error messages). */
  name: string;
  /** Shape in tfjs layout. */
  shape: number[];
  /** Kernel role: `kernel`, `depthwise_kernel`, `pointwise_kernel`. */
  role: string;
}

/** A weight split into groups. */
export interface Partition {
  /** Number of groups. */
  numGroups: number;
  /** Group index of every element (row-major); `null` means every element is its own group. */
  groupOf: Int32Array | null;
  /**
   * When set, each group keeps its `keepPerGroup` highest-scoring elements (N:M patterns);
   * the sparsity is then fixed by the pattern and allocation is skipped.
   */
  keepPerGroup?: number;
}

/** A way to group the entries of weights. */
export interface Granularity {
  /** Display name, e.g. `element`, `2:4`, `block 4x4`. */
  name: string;
  /** One line for listings (optional). */
  description?: string;
  /**
   * Fraction of every weight the granularity removes by itself (N:M: 1 − N/M), when its pattern
   * fixes the sparsity; `prune()` then refuses a different `sparsity`.
   */
  impliedSparsity?: number;
  /**
   * Splits a weight into groups.
   * @throws when the weight's shape does not fit (names the weight and the fix).
   */
  partition(w: WeightShapeInfo): Partition;
}

/**
 * A granularity by name (`'element'`, `'neuron'` = `'filter'`, `'channel'`, `'2:4'`, `'block:4x4'`)
 * or object.
 */
export type GranularitySpec =
  | string
  | Granularity
  | { type: 'nm'; n: number; m: number }
  | { type: 'block'; rows: number; cols: number };

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Groups by a function of (outer index, axis index, inner index) around one axis. */
function groupsAlongAxes(shape: number[], lastAxes: number): Partition {
  // group = index modulo the product of the trailing `lastAxes` dims
  const n = sizeOf(shape);
  const mod = sizeOf(shape.slice(shape.length - lastAxes));
  const groupOf = new Int32Array(n);
  for (let i = 0; i < n; i++) groupOf[i] = i % mod;
  return { numGroups: mod, groupOf };
}

const element: Granularity = {
  name: 'element',
  partition: (w) => ({ numGroups: sizeOf(w.shape), groupOf: null }),
};

/**
 * Output units: Dense columns (neurons), Conv filters; for depthwise kernels each (channel,
 * multiplier) filter. Registered as `neuron` with the alias `filter`: one partition, two names.
 */
const outputUnit: Granularity = {
  name: 'neuron',
  partition: (w) => groupsAlongAxes(w.shape, w.role === 'depthwise_kernel' ? 2 : 1),
};

/** Input units: Dense rows (input features), Conv input channels (axis before the last). */
const inputUnit: Granularity = {
  name: 'channel',
  partition: (w) => {
    if (w.shape.length < 2) throw new ShapeError(`Granularity 'channel' needs a kernel of rank ≥ 2; '${w.name}' has shape [${w.shape}].`);
    const n = sizeOf(w.shape);
    const out = w.shape[w.shape.length - 1];
    const cin = w.shape[w.shape.length - 2];
    const groupOf = new Int32Array(n);
    for (let i = 0; i < n; i++) groupOf[i] = Math.floor(i / out) % cin;
    return { numGroups: cin, groupOf };
  },
};

/**
 * N:M sparsity along the input dimension: for every output unit (and kernel position), each run
 * of M consecutive inputs keeps its N best entries (2:4 is what sparse tensor cores accelerate).
 */
export function nmGranularity(n: number, m: number): Granularity {
  if (!(Number.isInteger(n) && Number.isInteger(m) && m >= 1 && n >= 1 && n < m)) {
    throw new OptionError(`N:M granularity needs integers 1 ≤ N < M; got ${n}:${m}.`, 'granularity');
  }
  return {
    name: `${n}:${m}`,
    impliedSparsity: 1 - n / m,
    partition: (w) => {
      if (w.shape.length < 2) throw new ShapeError(`N:M needs a kernel of rank ≥ 2; '${w.name}' has shape [${w.shape}].`);
      const out = w.shape[w.shape.length - 1];
      const cin = w.shape[w.shape.length - 2];
      if (cin % m !== 0) {
        throw new ShapeError(
          `N:M ${n}:${m} needs the input dimension of '${w.name}' (shape [${w.shape}], input size ${cin}) to be a multiple of ${m}; ` +
            `exclude this layer (exclude: ['${w.name.split('/')[0]}']) or choose an M that divides ${cin}.`,
        );
      }
      const size = sizeOf(w.shape);
      const runs = cin / m;
      const groupOf = new Int32Array(size);
      for (let i = 0; i < size; i++) {
        const o = i % out;
        const c = Math.floor(i / out) % cin;
        const p = Math.floor(i / (out * cin));
        groupOf[i] = (p * runs + Math.floor(c / m)) * out + o;
      }
      return { numGroups: (size / cin) * runs, groupOf, keepPerGroup: n };
    },
  };
}

/**
 * Blocks of `rows × cols` on the kernel viewed as a matrix `[product of leading dims, out]`
 * (Dense: `[in, out]`). Edge blocks may be smaller when the sizes do not divide.
 */
export function blockGranularity(rows: number, cols: number): Granularity {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 1 && cols >= 1)) {
    throw new OptionError(`Block granularity needs positive integer sizes; got ${rows}x${cols}.`, 'granularity');
  }
  return {
    name: `block ${rows}x${cols}`,
    partition: (w) => {
      const out = w.shape[w.shape.length - 1];
      const size = sizeOf(w.shape);
      const nRows = size / out;
      const bc = Math.ceil(out / cols);
      const groupOf = new Int32Array(size);
      for (let i = 0; i < size; i++) groupOf[i] = Math.floor(Math.floor(i / out) / rows) * bc + Math.floor((i % out) / cols);
      return { numGroups: Math.ceil(nRows / rows) * bc, groupOf };
    },
  };
}

/** Makes a granularity (registered factories get no parameters: `[]`). */
export type GranularityFactory = (params: number[]) => Granularity;

/** `2:4`, `nm:2:4`: N:M patterns are parsed, not registered. */
const NM_PATTERN = /^(?:nm:)?(\d+):(\d+)$/;
/** `block:4x4`, `block4x4`, `block 4x4`: block sizes are parsed, not registered. */
const BLOCK_PATTERN = /^block[:\s]?(\d+)x(\d+)$/i;

const granularities = new Registry<Granularity | GranularityFactory>({
  kind: 'granularity',
  plural: 'granularities',
  validate: (g, name) => {
    if (name === 'nm' || name === 'block' || NM_PATTERN.test(name) || BLOCK_PATTERN.test(name)) {
      return `'nm', 'block' and names like '2:4' or 'block:4x4' are read as N:M and block patterns, so a granularity registered under them could never be used; choose another name`;
    }
    if (typeof g === 'function') return undefined;
    return typeof g?.partition === 'function' ? undefined : 'a granularity needs a partition(weight) function (or pass a factory returning one)';
  },
  alsoKnown: "N:M (e.g. '2:4'), block:RxC (e.g. 'block:4x4')",
  hint: 'Register one with pl.registerGranularity(name, granularity).',
});

/**
 * Registers a granularity so that it can be named in `prune(..., { granularity: name })`.
 *
 * @param name registry name.
 * @param factory the granularity, or a factory that makes it (called with `[]` on each use).
 * @param options `replace: true` to overwrite a granularity of the same name; `description`,
 *   one line for listings (default: the granularity's own).
 * @throws OptionError for a bad name (`nm`, `block`, N:M or block patterns are parsed, not
 *   looked up) or a malformed granularity; UserError when the name is taken and `replace` is not set.
 */
export function registerGranularity(name: string, factory: GranularityFactory | Granularity, options: RegisterOptions = {}): void {
  granularities.register(name, factory, options);
}

/** Removes a registered granularity. @returns whether it existed. */
export function unregisterGranularity(name: string): boolean {
  return granularities.unregister(name);
}

/** Names of the registered granularities, aliases included, sorted (N:M and block are written `2:4`, `block:4x4`). */
export function granularityNames(): string[] {
  return granularities.names();
}

/** The registered granularities (aliases included) with their one-line descriptions, sorted by name. */
export function listGranularities(): RegistryEntry<Granularity | GranularityFactory>[] {
  return granularities.list();
}

/**
 * The granularity an alias stands for (`filter` → `neuron`), or undefined for a name that is not
 * an alias: an alias is a name registered for a granularity whose own name is another registered name.
 */
export function granularityAlias(name: string): string | undefined {
  const g = granularities.find(name);
  if (!g || typeof g === 'function' || g.name === name) return undefined;
  return granularities.find(g.name) === g ? g.name : undefined;
}

/**
 * Resolves a granularity spec.
 *
 * @throws UnknownNameError for unknown names, listing the known ones; OptionError for a malformed object.
 */
export function resolveGranularity(spec: GranularitySpec | undefined): Granularity {
  if (spec === undefined) return element;
  if (typeof spec === 'object' && spec !== null) {
    if ('partition' in spec) return spec;
    if (spec.type === 'nm') return nmGranularity(spec.n, spec.m);
    if (spec.type === 'block') return blockGranularity(spec.rows, spec.cols);
    throw new OptionError(`Unknown granularity object ${JSON.stringify(spec)}; use { type: 'nm', n, m } or { type: 'block', rows, cols }.`, 'granularity');
  }
  const s = String(spec).trim();
  const nm = NM_PATTERN.exec(s);
  if (nm) return nmGranularity(Number(nm[1]), Number(nm[2]));
  const block = BLOCK_PATTERN.exec(s);
  if (block) return blockGranularity(Number(block[1]), Number(block[2]));
  const f = granularities.find(s);
  if (!f) throw granularities.unknownNameError(String(spec));
  return typeof f === 'function' ? f([]) : f;
}

registerGranularity('element', element, { description: 'single weights (unstructured pruning)' });
registerGranularity('neuron', outputUnit, { description: 'output units: Dense neurons (kernel columns), Conv filters' });
registerGranularity('filter', outputUnit, { description: "output units, as 'neuron' (the name that reads naturally for Conv layers)" });
registerGranularity('channel', inputUnit, { description: 'input units: Dense input features (kernel rows), Conv input channels' });

/** Scores per group, plus which groups are already entirely pruned. */
export interface GroupScores {
  /** One score per group (higher = more important). */
  scores: Float32Array;
  /** 1 where every element of the group is already masked out. */
  pruned: Uint8Array;
}

/**
 * Reduces element scores to group scores. Already-pruned elements (mask 0) count as score 0, so
 * a group's score reflects what it still holds.
 *
 * @param scores element scores, row-major.
 * @param part the weight's partition.
 * @param reduce l1 = Σ|s|, l2 = √Σs², mean = Σs / group size, max = max s.
 * @param mask current mask (null = all alive).
 */
export function groupScores(scores: Float32Array, part: Partition, reduce: GroupReduce, mask: Float32Array | null): GroupScores {
  const n = scores.length;
  const g = part.numGroups;
  const pruned = new Uint8Array(g);
  if (!part.groupOf) {
    if (mask) for (let i = 0; i < n; i++) if (mask[i] === 0) pruned[i] = 1;
    return { scores, pruned };
  }
  const acc = new Float64Array(g).fill(reduce === 'max' ? -Infinity : 0);
  const count = new Int32Array(g);
  const alive = new Int32Array(g);
  const gid = part.groupOf;
  for (let i = 0; i < n; i++) {
    const k = gid[i];
    const live = !mask || mask[i] !== 0;
    const s = live ? scores[i] : 0;
    count[k]++;
    if (live) alive[k]++;
    switch (reduce) {
      case 'l1': acc[k] += Math.abs(s); break;
      case 'l2': acc[k] += s * s; break;
      case 'mean': acc[k] += s; break;
      case 'max': if (s > acc[k]) acc[k] = s; break;
    }
  }
  const out = new Float32Array(g);
  for (let k = 0; k < g; k++) {
    out[k] = reduce === 'l2' ? Math.sqrt(acc[k]) : reduce === 'mean' ? acc[k] / Math.max(1, count[k]) : acc[k];
    if (alive[k] === 0) pruned[k] = 1;
  }
  return { scores: out, pruned };
}

/** Expands per-group keep flags to an element mask. */
export function expandGroups(keep: Uint8Array, part: Partition, size: number): Float32Array {
  const out = new Float32Array(size);
  if (!part.groupOf) {
    for (let i = 0; i < size; i++) out[i] = keep[i];
    return out;
  }
  const gid = part.groupOf;
  for (let i = 0; i < size; i++) out[i] = keep[gid[i]];
  return out;
}

/**
 * N:M-style selection: in every group keep the `n` highest-scoring alive elements (ties by
 * position, earlier wins). Dead elements stay dead.
 */
export function keepBestPerGroup(scores: Float32Array, part: Partition, n: number, mask: Float32Array | null): Float32Array {
  const size = scores.length;
  const gid = part.groupOf!;
  const g = part.numGroups;
  // bucket element indices by group (counting sort), then pick the best n in each bucket
  const start = new Int32Array(g + 1);
  for (let i = 0; i < size; i++) start[gid[i] + 1]++;
  for (let k = 0; k < g; k++) start[k + 1] += start[k];
  const fill = start.slice(0, g);
  const members = new Int32Array(size);
  for (let i = 0; i < size; i++) members[fill[gid[i]]++] = i;
  const out = new Float32Array(size);
  const buf: number[] = [];
  for (let k = 0; k < g; k++) {
    buf.length = 0;
    for (let j = start[k]; j < start[k + 1]; j++) {
      const i = members[j];
      if (!mask || mask[i] !== 0) buf.push(i);
    }
    buf.sort((a, b) => scores[b] - scores[a] || a - b);
    for (let j = 0; j < Math.min(n, buf.length); j++) out[buf[j]] = 1;
  }
  return out;
}
