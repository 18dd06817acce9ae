/**
 * Allocation: how many groups to drop in each weight. Layerwise prunes every weight to the same
 * sparsity; global pools all group scores under one threshold; ERK gives each layer a density
 * ∝ (sum of dims)/(product of dims); a per-layer map sets sparsities explicitly.
 * Counts are exact (`round(s·n)`, half to even, as torch) and already-pruned groups are always
 * among the dropped ones, so repeated pruning composes.
 */
import { OptionError } from '../errors';
import { Registry, type RegisterOptions, type RegistryEntry } from '../registry';
import { keepAllButLowest, roundHalfEven } from '../sparse/mask-select';
import type { GroupScores } from './granularity';
import type { PrunableWeight } from './targets';

/** One weight as allocation sees it. */
export interface AllocationItem {
  /** The weight. */
  weight: PrunableWeight;
  /** Its group scores and already-pruned groups. */
  groups: GroupScores;
}

/** How the requested sparsity counts already-pruned groups. */
export type SparsityBase = 'total' | 'remaining';

/** What an allocation gets besides the items. */
export interface AllocationRequest {
  /** Requested sparsity (fraction of groups to drop), may be undefined for per-layer maps. */
  sparsity: number | undefined;
  /**
   * `total` (default): the result has that fraction of all groups dropped (already-pruned ones
   * count). `remaining`: drop that fraction of the still-alive groups (torch's repeated pruning).
   */
  base: SparsityBase;
}

/** An allocation strategy. */
export interface Allocation {
  /** Display name. */
  name: string;
  /** One line for listings (optional). */
  description?: string;
  /**
   * Decides which groups survive.
   * @returns per item, keep flags per group (1 keep, 0 drop); already-pruned groups must be 0.
   */
  allocate(items: AllocationItem[], req: AllocationRequest): Uint8Array[];
}

function countOnes(a: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += a[i];
  return c;
}

/** Number of groups to drop in a pool of `n` groups of which `pruned` are already dropped. */
export function dropCount(n: number, pruned: number, sparsity: number, base: SparsityBase): number {
  return base === 'remaining' ? pruned + roundHalfEven(sparsity * (n - pruned)) : Math.max(pruned, roundHalfEven(sparsity * n));
}

/** Scores with already-pruned groups forced to the bottom. */
function withForced(g: GroupScores): Float32Array {
  if (!g.pruned.includes(1)) return g.scores; // selection does not modify its input: no copy needed
  const s = Float32Array.from(g.scores);
  for (let i = 0; i < s.length; i++) if (g.pruned[i]) s[i] = -Infinity;
  return s;
}

/** Keeps all but the `k` lowest groups of one item. */
export function dropLowest(g: GroupScores, k: number): Uint8Array {
  return keepAllButLowest(withForced(g), k);
}

function needSparsity(req: AllocationRequest, name: string): number {
  if (req.sparsity === undefined) throw new OptionError(`Allocation '${name}' needs a sparsity.`, 'sparsity');
  return req.sparsity;
}

/** Same sparsity in every weight. */
export const layerwiseAllocation: Allocation = {
  name: 'layerwise',
  description: 'the same sparsity in every weight',
  allocate(items, req) {
    const s = needSparsity(req, 'layerwise');
    return items.map((it) => dropLowest(it.groups, dropCount(it.groups.scores.length, countOnes(it.groups.pruned), s, req.base)));
  },
};

/** One threshold across all weights (torch `global_unstructured`). */
export const globalAllocation: Allocation = {
  name: 'global',
  description: 'one score threshold across all weights (torch global_unstructured)',
  allocate(items, req) {
    const s = needSparsity(req, 'global');
    const total = items.reduce((a, it) => a + it.groups.scores.length, 0);
    const pool = new Float32Array(total);
    let off = 0, pruned = 0;
    for (const it of items) {
      pool.set(withForced(it.groups), off);
      off += it.groups.scores.length;
      pruned += countOnes(it.groups.pruned);
    }
    const keep = keepAllButLowest(pool, dropCount(total, pruned, s, req.base));
    off = 0;
    return items.map((it) => {
      const k = keep.slice(off, off + it.groups.scores.length);
      off += it.groups.scores.length;
      return k;
    });
  },
};

/**
 * ERK densities (Evci et al. 2020, RigL): density_l = ε·(Σ dims)/(Π dims), with ε chosen so that
 * the kept fraction over all given weights is `1 − sparsity`; a layer whose density would exceed
 * 1 becomes dense and ε is re-solved for the rest.
 *
 * @param shapes weight shapes (Dense `[in, out]`, Conv `[kh, kw, in, out]`).
 * @param sparsity overall sparsity in [0, 1).
 * @param kernelDims true (ERK): all dims count; false (ER, Mocanu et al.): only the last two
 *   (in and out channels), `(n_in + n_out)/(n_in·n_out)`.
 * @returns density per weight in (0, 1].
 */
export function erkDensities(shapes: number[][], sparsity: number, kernelDims = true): number[] {
  const n = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const dims = (s: number[]) => (kernelDims ? s : s.slice(-2));
  const raw = shapes.map((s) => dims(s).reduce((a, b) => a + b, 0) / dims(s).reduce((a, b) => a * b, 1));
  const dense = new Set<number>();
  const budget = (1 - sparsity) * n.reduce((a, b) => a + b, 0);
  for (;;) {
    let rhs = budget, divisor = 0;
    for (let i = 0; i < n.length; i++) {
      if (dense.has(i)) rhs -= n[i];
      else divisor += raw[i] * n[i];
    }
    if (divisor === 0) return n.map(() => 1);
    const eps = rhs / divisor;
    let maxRaw = -Infinity;
    for (let i = 0; i < n.length; i++) if (!dense.has(i)) maxRaw = Math.max(maxRaw, raw[i]);
    if (eps * maxRaw > 1) {
      for (let i = 0; i < n.length; i++) if (!dense.has(i) && raw[i] === maxRaw) dense.add(i);
      continue;
    }
    return n.map((_, i) => (dense.has(i) ? 1 : eps * raw[i]));
  }
}

/** ERK: per-layer densities from layer shapes, then layerwise selection. */
export const erkAllocation: Allocation = {
  name: 'erk',
  description: 'Erdős–Rényi-kernel densities ∝ (sum of dims)/(product of dims) (Evci et al. 2020, RigL)',
  allocate(items, req) {
    const s = needSparsity(req, 'erk');
    const d = erkDensities(items.map((it) => it.weight.shape), s);
    return items.map((it, i) => dropLowest(it.groups, dropCount(it.groups.scores.length, countOnes(it.groups.pruned), 1 - d[i], 'total')));
  },
};

/**
 * Explicit sparsity per layer or weight name; weights not listed get the call's `sparsity`
 * when one is given and are left as they are otherwise.
 *
 * @throws when a key names no target weight.
 */
export function perLayerAllocation(map: Record<string, number>): Allocation {
  for (const [k, s] of Object.entries(map)) checkSparsity(s, `perLayer['${k}']`);
  return {
    name: 'per-layer',
    allocate(items, req) {
      const used = new Set<string>();
      const out = items.map((it) => {
        const key = [it.weight.name, it.weight.layerName].find((k) => k in map);
        if (key) used.add(key);
        const s = key !== undefined ? map[key] : req.sparsity;
        const pruned = countOnes(it.groups.pruned);
        const k = s === undefined ? pruned : dropCount(it.groups.scores.length, pruned, s, req.base);
        return dropLowest(it.groups, k);
      });
      const unknown = Object.keys(map).filter((k) => !used.has(k));
      if (unknown.length) {
        throw new OptionError(`perLayer names ${unknown.map((k) => `'${k}'`).join(', ')} match no weight being pruned; targets: ${items.map((it) => it.weight.layerName).join(', ')}.`, 'scope');
      }
      return out;
    },
  };
}

/**
 * Validates a sparsity value.
 * @throws unless it is a finite number in [0, 1).
 */
export function checkSparsity(s: unknown, what = 'sparsity'): number {
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s >= 1) {
    throw new OptionError(`${what} must be a number in [0, 1) (the fraction of weights to remove, e.g. 0.9); got ${String(s)}.`, what);
  }
  return s;
}

const allocations = new Registry<Allocation>({
  kind: 'scope',
  validate: (a) => (typeof a?.allocate === 'function' ? undefined : 'an allocation needs an allocate(items, request) function'),
  alsoKnown: 'or { perLayer: { layerName: sparsity } }',
  hint: 'Register one with pl.registerAllocation(name, allocation).',
});

/**
 * Registers an allocation strategy by name (for `scope: name` and `%prune --scope`).
 *
 * @param name registry name.
 * @param allocation the strategy.
 * @param options `replace: true` to overwrite a strategy of the same name; `description`, one
 *   line for listings (default: the allocation's own).
 * @throws OptionError for a bad name or an object without `allocate`; UserError when the name
 *   is taken and `replace` is not set.
 */
export function registerAllocation(name: string, allocation: Allocation, options: RegisterOptions = {}): void {
  allocations.register(name, allocation, options);
}

/** Removes a registered allocation strategy. @returns whether it existed. */
export function unregisterAllocation(name: string): boolean {
  return allocations.unregister(name);
}

/** Names of the registered allocation strategies, sorted. */
export function allocationNames(): string[] {
  return allocations.names();
}

/** The registered allocation strategies with their one-line descriptions, sorted by name. */
export function listAllocations(): RegistryEntry<Allocation>[] {
  return allocations.list();
}

registerAllocation('layerwise', layerwiseAllocation);
registerAllocation('global', globalAllocation);
registerAllocation('erk', erkAllocation);

/** An allocation by name, per-layer map or object. */
export type ScopeSpec = string | { perLayer: Record<string, number> } | Allocation;

/**
 * Resolves a scope.
 * @throws UnknownNameError for unknown names, listing the known ones; OptionError for anything else that is not a scope.
 */
export function resolveAllocation(scope: ScopeSpec | undefined): Allocation {
  if (scope === undefined) return layerwiseAllocation;
  if (typeof scope === 'string') return allocations.get(scope);
  if (scope !== null && typeof scope === 'object') {
    if ('perLayer' in scope) return perLayerAllocation(scope.perLayer);
    if (typeof (scope as Allocation).allocate === 'function') return scope as Allocation;
  }
  throw new OptionError(`Invalid scope ${JSON.stringify(scope)}; use ${allocationNames().join(', ')}, or { perLayer: { layerName: sparsity } }.`, 'scope');
}
