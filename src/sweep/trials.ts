/**
 * Trial functions: what one trial of a sweep runs. Registered by name (`prune-finetune`,
 * `dense`, `empty`, or a user's own with {@link registerTrial}), or given as a module path,
 * `path/to/module.js#exportName`, whose export is `{ fields?, run }` or a bare function.
 *
 * A trial function declares its fields once, as `OptionSpec[]` (the same declarations methods
 * use for their options): the spec validator checks every grid and fixed field against them,
 * fills in defaults, and refuses a value of the wrong type before any trial starts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { closeMatches, didYouMean } from '../close-matches';
import { OptionError, UserError } from '../errors';
import { optionSpecProblem, resolveOptionValues, type OptionSpec } from '../prune/method-options';
import { Registry, type RegistryEntry } from '../registry';
import type { TrialConfig } from './types';

/** What a running trial gets besides its configuration. */
export interface TrialContext {
  /** Writes a line to the trial's log (`logs/<id>.log`). */
  log(line: string): void;
  /** Aborted when the sweep is stopped; long work should stop on it. */
  signal: AbortSignal;
  /** The sweep's results directory (absolute): shared caches such as `checkpoints/` go here. */
  dir: string;
  /** The trial's id. */
  id: string;
}

/** Metrics a trial returns: plain JSON values (numbers, strings, booleans, small arrays). */
export type TrialMetrics = Record<string, unknown>;

/** A trial function. */
export interface TrialFunction {
  /** One line for listings. */
  description: string;
  /**
   * Its fields, declared once: names, types, defaults, ranges, help. Without them (a user's
   * bare function) any JSON configuration is accepted as given.
   */
  fields?: readonly OptionSpec[];
  /**
   * Names accepted besides `fields`, e.g. the options of every pruning method (a trial drops
   * those its configuration does not use). Read when a spec is checked.
   */
  extraFields?(): readonly string[];
  /**
   * Validates one configuration and fills in defaults (default: `fields` through
   * `resolveOptionValues`).
   * @param given the trial's grid values and fixed values.
   * @param where who asks, for messages (e.g. `Sweep 'mnist' (trial 'prune-finetune')`).
   * @throws OptionError / UnknownNameError naming the field.
   */
  resolve?(given: Record<string, unknown>, where: string): TrialConfig;
  /** Runs one trial. @returns its metrics. */
  run(config: TrialConfig, ctx: TrialContext): Promise<TrialMetrics> | TrialMetrics;
}

const trials = new Registry<TrialFunction>({
  kind: 'trial function',
  validate: (t) => {
    if (!t || typeof t !== 'object') return 'a trial function is an object { description, fields, run(config, ctx) }';
    if (typeof t.run !== 'function') return 'it needs a run(config, ctx) function that returns the metrics';
    if (t.fields !== undefined && !Array.isArray(t.fields)) return 'fields must be a list of option declarations';
    for (const f of t.fields ?? []) {
      const problem = optionSpecProblem(f);
      if (problem) return problem.replace(/^option/, 'field');
    }
    return undefined;
  },
  hint: "Register one with pl.sweeps.registerTrial(name, { description, fields, run }), or give a module: trial: 'path/to/module.js#exportName'.",
});

/**
 * Registers a trial function (in the process that registers it: a sweep's workers are fresh
 * processes, so a function registered in a notebook reaches them only through a module path;
 * the local executor's workers load the builtin ones).
 *
 * @throws OptionError for a bad name or a malformed function; UserError when the name is taken
 *   and `replace` is not set.
 */
export function registerTrial(name: string, trial: TrialFunction, options: { replace?: boolean } = {}): TrialFunction {
  return trials.register(name, trial, { replace: options.replace, description: trial?.description });
}

/** Removes a trial function. @returns whether it existed. */
export function unregisterTrial(name: string): boolean {
  return trials.unregister(name);
}

/** The registered trial functions with their descriptions, sorted by name. */
export function listTrials(): RegistryEntry<TrialFunction>[] {
  return trials.list();
}

/** The registered trial function of that name. @throws UnknownNameError listing the known ones. */
export function getTrial(name: string): TrialFunction {
  return trials.get(name);
}

/** A trial function ready to expand a spec and to run. */
export interface ResolvedTrial {
  /** What the trial is called in trial specs: the registered name, or `/absolute/module.js#export`. */
  id: string;
  /** The function. */
  fn: TrialFunction;
  /** Validates one configuration and fills in defaults. */
  resolve(given: Record<string, unknown>, where: string): TrialConfig;
  /** Refuses fields that no trial could use, before the grid is expanded. */
  checkFields?(fields: readonly string[], where: string): void;
  /**
   * The trial's own fields (not its methods' options): given, they count as used even when
   * `resolve` drops them for holding their default (which keeps trial ids unchanged).
   */
  ownFields?: readonly string[];
}

/** True when a `trial` string names a module file rather than a registered function. */
export function isModuleTrial(trial: string): boolean {
  return trial.includes('#') || trial.includes('/') || trial.includes(path.sep) || /\.[cm]?js$/.test(trial);
}

/**
 * Finds a trial function: a registered name, or `path/to/module.js#exportName` (relative to
 * `baseDir`, default the working directory; without `#exportName`, the default export or the
 * module itself).
 *
 * @throws UnknownNameError for an unknown name; UserError for a module that cannot be loaded or
 *   does not export a trial function.
 */
export function resolveTrial(trial: string, baseDir?: string): ResolvedTrial {
  if (!isModuleTrial(trial)) {
    const fn = getTrial(trial);
    return withResolution(trial, fn);
  }
  const hash = trial.lastIndexOf('#');
  const file = hash >= 0 ? trial.slice(0, hash) : trial;
  const exportName = hash >= 0 ? trial.slice(hash + 1) : '';
  const abs = path.resolve(baseDir ?? process.cwd(), file);
  const fn = loadModuleTrial(abs, exportName);
  return withResolution(exportName ? `${abs}#${exportName}` : abs, fn);
}

function loadModuleTrial(abs: string, exportName: string): TrialFunction {
  if (!fs.existsSync(abs)) throw new UserError(`Trial module ${abs} does not exist; give 'path/to/module.js#exportName' relative to the spec file (or the working directory).`);
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(abs) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint = err.code === 'ERR_REQUIRE_ESM' ? ' It is an ES module; trial modules are CommonJS (module.exports = { run } or exports.name = ...).' : '';
    throw new UserError(`Cannot load the trial module ${abs}: ${err.message.split('\n')[0]}.${hint}`);
  }
  const exports = Object.keys(mod).filter((k) => k !== '__esModule');
  const value = exportName ? mod[exportName] : 'default' in mod ? mod.default : mod;
  if (value === undefined) {
    throw new UserError(
      `Trial module ${abs} has no export '${exportName}'.${didYouMean(closeMatches(exportName, exports), '')} Its exports: ${exports.join(', ') || 'none'}.`,
    );
  }
  const label = exportName ? `${abs}#${exportName}` : abs;
  if (typeof value === 'function') return { description: `${label} (a function)`, run: value as TrialFunction['run'] };
  const t = value as Partial<TrialFunction>;
  if (t && typeof t === 'object' && typeof t.run === 'function') {
    for (const f of t.fields ?? []) {
      const problem = optionSpecProblem(f);
      if (problem) throw new UserError(`Trial ${label}: ${problem.replace(/^option/, 'field')}.`);
    }
    return { description: t.description ?? label, ...t } as TrialFunction;
  }
  throw new UserError(`Trial ${label} is ${typeof value}; export a function (config, ctx) => metrics, or an object { fields?, run }.`);
}

/** Adds the default field checks to a trial function. */
function withResolution(id: string, fn: TrialFunction): ResolvedTrial {
  const fields = fn.fields;
  const checkFields =
    fields === undefined
      ? undefined
      : (given: readonly string[], where: string) => {
          const own = fields.map((f) => f.name);
          const extra = fn.extraFields?.() ?? [];
          for (const g of given) {
            if (own.includes(g) || extra.includes(g)) continue;
            throw new OptionError(
              `${where}: unknown field '${g}'.${didYouMean(closeMatches(g, [...own, ...extra]), '')} ` +
                `Its fields: ${own.join(', ') || 'none'}${extra.length ? `; and the options of its methods: ${[...new Set(extra)].join(', ')}` : ''}.`,
              g,
            );
          }
        };
  const resolve = (given: Record<string, unknown>, where: string): TrialConfig => {
    if (fn.resolve) return fn.resolve(given, where);
    if (!fields) return JSON.parse(JSON.stringify(given)) as TrialConfig;
    checkFields!(Object.keys(given), where);
    return resolveOptionValues(fields, given, where) as TrialConfig;
  };
  return { id, fn, resolve, checkFields, ownFields: fields?.map((f) => f.name) };
}

/** The builtin trial functions, for `%sweep?` and the README. */
export function describeTrials(): string {
  return trials.describe();
}
