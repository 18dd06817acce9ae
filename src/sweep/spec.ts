/**
 * Sweep specs: validation and expansion into trials.
 *
 * Everything that can be wrong with a spec is found here, before any trial starts: an unknown
 * top-level field, an empty grid or an empty value list, a field the trial function does not
 * declare, a value of the wrong type or range, an unknown method. Each error names the field
 * and the values that would be accepted.
 *
 * A trial's id is the first 16 hex digits of the SHA-256 of the canonical JSON (keys sorted) of
 * `{ trial, config, version }`: the same trial of the same prunelab version always has the
 * same id, so the store can tell what is already done.
 */
import * as path from 'path';
import { closeMatches, didYouMean } from '../close-matches';
import { OptionError, UserError } from '../errors';
import { readJsonFile } from '../io/files';
import { listMethods } from '../prune/method';
import './builtin-trials';
import { canonicalJson, trialId } from './ids';
import { resolveTrial, type ResolvedTrial } from './trials';
import type { Grid, SweepSpec, TrialSpec } from './types';

/** The top-level fields of a {@link SweepSpec}. */
export const SPEC_FIELDS: readonly (keyof SweepSpec)[] = ['name', 'trial', 'grid', 'fixed', 'checkpoints'];

/** Allowed sweep names (they become directory names). */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** Options of {@link expandSpec} and {@link checkSpec}. */
export interface ExpandOptions {
  /** Directory that a module path in `trial` is relative to (default: the working directory). */
  baseDir?: string;
  /** Version in the ids (default: this package's). */
  version?: string;
}

/** A validated spec and its trials. */
export interface ExpandedSweep {
  /** The spec, with a module path in `trial` made absolute (as saved in `spec.json`). */
  spec: SweepSpec;
  /** One per distinct configuration, grid order (the first grid field varies slowest). */
  trials: TrialSpec[];
}

/**
 * Checks a spec's shape (fields, name, grid lists) without resolving trial configurations.
 * @throws OptionError naming the field and what is accepted.
 */
export function checkSpecShape(spec: unknown): asserts spec is SweepSpec {
  if (!isPlainObject(spec)) throw new OptionError(`A sweep spec is an object { name, trial, grid, fixed? }; got ${describe(spec)}.`);
  for (const key of Object.keys(spec)) {
    if (!(SPEC_FIELDS as readonly string[]).includes(key)) {
      throw new OptionError(`Sweep spec: unknown field '${key}'.${didYouMean(closeMatches(key, SPEC_FIELDS as string[]), '')} Known fields: ${SPEC_FIELDS.join(', ')}.`, key);
    }
  }
  const name = spec.name;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new OptionError(`Sweep spec: name must start with a letter or digit and use only letters, digits, '-' and '_' (it names the results directory); got ${describe(name)}.`, 'name');
  }
  if (typeof spec.trial !== 'string' || !spec.trial.trim()) {
    throw new OptionError(`Sweep '${name}': trial must be a registered trial name (pl.sweeps.listTrials()) or 'path/to/module.js#exportName'; got ${describe(spec.trial)}.`, 'trial');
  }
  const grids = gridsOf(spec as unknown as SweepSpec);
  if (Array.isArray(spec.grid) && grids.length === 0) {
    throw new OptionError(`Sweep '${name}': the list of grids is empty; give at least one grid, e.g. grid: { seed: [1, 2, 3] }.`, 'grid');
  }
  if (spec.checkpoints !== undefined && (typeof spec.checkpoints !== 'string' || !spec.checkpoints.trim())) {
    throw new OptionError(`Sweep '${name}': checkpoints must be a directory (the dense checkpoint cache of another sweep, e.g. '../01-mnist-paper/checkpoints'); got ${describe(spec.checkpoints)}.`, 'checkpoints');
  }
  const fixed = spec.fixed;
  if (fixed !== undefined && !isPlainObject(fixed)) throw new OptionError(`Sweep '${name}': fixed must be an object of field → value; got ${describe(fixed)}.`, 'fixed');
  grids.forEach((grid, g) => {
    const which = grids.length > 1 || Array.isArray(spec.grid) ? `grid ${g + 1} of ${grids.length}` : 'the grid';
    if (!isPlainObject(grid)) {
      throw new OptionError(`Sweep '${name}': ${which} must be an object of field → list of values, e.g. { seed: [1, 2, 3] }; got ${describe(grid)}.`, 'grid');
    }
    const fields = Object.keys(grid);
    if (fields.length === 0) throw new OptionError(`Sweep '${name}': ${which} is empty; give at least one field with a list of values, e.g. grid: { seed: [1, 2, 3] }.`, 'grid');
    for (const f of fields) {
      const values = grid[f];
      if (!Array.isArray(values)) {
        throw new OptionError(`Sweep '${name}': grid field '${f}' must be a list of values (e.g. [${JSON.stringify(values)}]); got ${describe(values)}. Put single values in 'fixed'.`, f);
      }
      if (values.length === 0) throw new OptionError(`Sweep '${name}': grid field '${f}' has an empty list of values; give at least one value, or remove the field.`, f);
      const seen = new Set<string>();
      for (const v of values) {
        if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
          throw new OptionError(`Sweep '${name}': grid field '${f}' holds ${String(v)}, which JSON cannot store; use finite numbers, strings, booleans or lists.`, f);
        }
        const key = canonicalJson(v);
        if (seen.has(key)) throw new OptionError(`Sweep '${name}': grid field '${f}' lists ${key} twice.`, f);
        seen.add(key);
      }
      if (fixed && fixed[f] !== undefined) throw new OptionError(`Sweep '${name}': field '${f}' is both in grid and in fixed; keep it in one of them.`, f);
    }
  });
  for (const [f, v] of Object.entries(fixed ?? {})) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new OptionError(`Sweep '${name}': fixed field '${f}' is ${v}, which JSON cannot store.`, f);
  }
}

/** The grids of a spec: its one grid, or its list of grids. */
export function gridsOf(spec: Pick<SweepSpec, 'grid'>): Grid[] {
  return Array.isArray(spec.grid) ? [...(spec.grid as Grid[])] : [spec.grid as Grid];
}

/** Cartesian product of the grid, the first field varying slowest (like nested loops in the order written). */
function product(grid: Grid): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [field, values] of Object.entries(grid)) {
    const next: Record<string, unknown>[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [field]: v });
    combos = next;
  }
  return combos;
}

/**
 * Validates a spec and expands it into trials, before anything runs.
 *
 * @param spec the sweep spec (plain data).
 * @param options where module paths are relative to; the version in the ids.
 * @returns the normalised spec and its trials, in grid order (grids of a list one after the
 *   other); duplicates (configurations that differ only in an option of a method they do not
 *   use, or that two grids of a list share) are one trial.
 * @throws OptionError / UnknownNameError naming the field, the problem and the accepted values.
 */
export function expandSpec(spec: SweepSpec, options: ExpandOptions = {}): ExpandedSweep {
  checkSpecShape(spec);
  const trialFn: ResolvedTrial = resolveTrial(spec.trial, options.baseDir);
  const where = `Sweep '${spec.name}' (trial '${spec.trial}')`;
  const fixed = Object.fromEntries(Object.entries(spec.fixed ?? {}).filter(([, v]) => v !== undefined));
  const grids = gridsOf(spec);
  const given = new Set([...grids.flatMap((g) => Object.keys(g)), ...Object.keys(fixed)]);
  trialFn.checkFields?.([...given], where);
  const used = new Set<string>();
  const trials: TrialSpec[] = [];
  const ids = new Set<string>();
  for (const combo of grids.flatMap(product)) {
    const config = trialFn.resolve({ ...fixed, ...combo }, where);
    for (const k of Object.keys(config)) used.add(k);
    const id = trialId(trialFn.id, config, options.version);
    if (ids.has(id)) continue;
    ids.add(id);
    trials.push({ id, trial: trialFn.id, config });
  }
  const own = new Set(trialFn.ownFields ?? []);
  for (const f of given) {
    if (used.has(f) || own.has(f)) continue;
    const declaredBy = listMethods().filter((m) => m.options.some((o) => o.name === f)).map((m) => m.name);
    const methods = [...new Set(trials.map((t) => t.config.method).filter((m) => typeof m === 'string'))];
    throw new OptionError(
      `${where}: field '${f}' is used by none of its trials` +
        (declaredBy.length ? ` (it is an option of method ${declaredBy.join(', ')}; this sweep's methods are ${methods.join(', ') || 'none'}).` : '.'),
      f,
    );
  }
  return { spec: { ...spec, trial: trialFn.id }, trials };
}

/**
 * Reads a spec from a JSON file. A module path in its `trial` is taken relative to the file.
 *
 * @returns the spec and the directory its module paths are relative to.
 * @throws UserError naming the file when it is missing or not JSON.
 */
export function readSpecFile(file: string): { spec: SweepSpec; baseDir: string } {
  const spec = readJsonFile(file, 'sweep spec file') as SweepSpec;
  if (!isPlainObject(spec)) throw new UserError(`The sweep spec file ${path.resolve(file)} must hold a JSON object { name, trial, grid, fixed? }.`);
  return { spec, baseDir: path.dirname(path.resolve(file)) };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list ${JSON.stringify(v).slice(0, 60)}`;
  if (v === null) return 'null';
  return typeof v === 'object' ? `an object ${JSON.stringify(v).slice(0, 60)}` : `${typeof v} ${JSON.stringify(v)}`;
}
