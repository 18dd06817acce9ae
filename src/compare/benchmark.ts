/**
 * The comparison's benchmark definition: a JSON file with one line per method and a grid per
 * budget, turned into one sweep of `compare` trials (`src/sweep/compare-trial.ts`).
 *
 *     {
 *       "name": "09-comparison",
 *       "methods": [
 *         { "label": "magnitude", "family": "magnitude", "protocol": "one-shot", "method": "magnitude" },
 *         { "label": "variance+fold", "family": "neurons", "protocol": "one-shot", "method": "variance", "match": ["params", "flops"] },
 *         { "label": "my method", "protocol": "one-shot", "method": "my-method", "module": "my-method.js" }
 *       ],
 *       "budgets": {
 *         "quick": { "methods": ["magnitude"], "models": ["lenet-300-100"], "datasets": ["mnist"], "sparsities": [0.8, 0.95], "seeds": [1, 2, 3],
 *                    "fixed": { "epochs": 3, "denseEpochs": 2, "trainSubset": 3000 } }
 *       },
 *       "paper": [ { "label": "magnitude (iterative)", "model": "lenet-300-100", "dataset": "mnist", "sparsity": 0.92, "accuracy": 0.9841, "source": "..." } ]
 *     }
 *
 * A method line holds the trial's fields for that method (its protocol, method, the method's
 * options); `match` may list several values (a structured method at equal weights and at equal
 * FLOPs: one row each, labelled `label (=params)` and `label (=flops)`); `module` names a
 * CommonJS file (relative to the definition) that registers the method, loaded by every
 * worker; `sparsities` overrides the budget's for that line. A budget's `methods` picks lines
 * by label, or one row of a line by its row label (`variance+fold (=params)`); default all.
 */
import * as fs from 'fs';
import * as path from 'path';
import { OptionError, UnknownNameError, UserError } from '../errors';
import type { Grid, SweepSpec } from '../sweep/types';

/** One method of the comparison: a row of every table. */
export interface MethodLine {
  /** Row name in tables and figures, unique in the definition. */
  label: string;
  /** Family, for grouping (magnitude, neurons, second-order, regularization, from-scratch). */
  family?: string;
  /** How the method spends the budget: one-shot, iterative, gradual, regularize, from-scratch. */
  protocol: string;
  /** The registered method. */
  method: string;
  /** Structured methods: `params`, `flops` or both (one row each). */
  match?: string | string[];
  /** A CommonJS module (relative to the definition file) that registers the method. */
  module?: string;
  /** Sparsities of this line instead of the budget's. */
  sparsities?: number[];
  /** Any other trial field (trainMethod, granularity, scope, the method's options). */
  [field: string]: unknown;
}

/** One budget's grid. */
export interface BudgetGrid {
  /** Labels of the method lines in this budget (default: all). */
  methods?: string[];
  /** Model registry names. */
  models: string[];
  /** Dataset registry names. */
  datasets: string[];
  /** Target sparsities. */
  sparsities: number[];
  /** Seeds (≥ 3 for confidence intervals). */
  seeds: number[];
  /** Fields every trial of the budget shares: epochs, denseEpochs, subsets, learning rates. */
  fixed: Record<string, unknown>;
}

/** A paper's number, for the "paper vs ours" column. */
export interface PaperNumber {
  /** The method line's label it compares with. */
  label: string;
  model: string;
  dataset: string;
  /** The sparsity the paper reports (ours: the row at the nearest target). */
  sparsity: number;
  /** The paper's test accuracy (fraction). */
  accuracy: number;
  /** Where the number comes from (paper, table) and how it was checked. */
  source: string;
}

/** A benchmark definition (see the module comment). */
export interface BenchmarkDefinition {
  /** Sweep name stem: the sweep of budget `b` is `<name>-<b>`. */
  name: string;
  /** One line per method. */
  methods: MethodLine[];
  /** Grids by budget name (`quick`, `paper`, ...). */
  budgets: Record<string, BudgetGrid>;
  /** Papers' numbers. */
  paper?: PaperNumber[];
  /** Directory that `module` paths are relative to (set by {@link readBenchmark}). */
  baseDir?: string;
}

/** Reads and checks a definition file. @throws UserError naming the file and the problem. */
export function readBenchmark(file: string): BenchmarkDefinition {
  let def: BenchmarkDefinition;
  try {
    def = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchmarkDefinition;
  } catch (e) {
    throw new UserError(`Cannot read the benchmark definition ${file}: ${(e as Error).message}`);
  }
  checkBenchmark(def, file);
  return { ...def, baseDir: def.baseDir ?? path.dirname(path.resolve(file)) };
}

/** Checks a definition's shape. @throws OptionError naming the line or budget at fault. */
export function checkBenchmark(def: BenchmarkDefinition, where = 'benchmark'): void {
  if (!def || typeof def !== 'object') throw new OptionError(`${where}: a definition is an object { name, methods, budgets }.`, 'definition');
  if (typeof def.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(def.name)) throw new OptionError(`${where}: name must be letters, digits, '-' or '_'; got ${JSON.stringify(def.name)}.`, 'name');
  if (!Array.isArray(def.methods) || def.methods.length === 0) throw new OptionError(`${where}: give methods, one line { label, protocol, method, ... } per method.`, 'methods');
  const labels = new Set<string>();
  def.methods.forEach((m, i) => {
    for (const k of ['label', 'protocol', 'method'] as const) {
      if (typeof m?.[k] !== 'string' || !(m[k] as string).trim()) throw new OptionError(`${where}: method line ${i + 1} has no ${k} (a line is { label, protocol, method, ...its fields }).`, k);
    }
    if (labels.has(m.label)) throw new OptionError(`${where}: two method lines are labelled '${m.label}'; labels name the rows of the tables, so they must differ.`, 'label');
    labels.add(m.label);
  });
  if (!def.budgets || typeof def.budgets !== 'object' || !Object.keys(def.budgets).length) throw new OptionError(`${where}: give budgets, e.g. { "quick": { models, datasets, sparsities, seeds, fixed } }.`, 'budgets');
  for (const [b, g] of Object.entries(def.budgets)) {
    for (const k of ['models', 'datasets', 'sparsities', 'seeds'] as const) {
      if (!Array.isArray(g?.[k]) || g[k].length === 0) throw new OptionError(`${where}: budget '${b}' needs a non-empty list ${k}.`, k);
    }
    const rowLabels = new Set(def.methods.flatMap((m) => (Array.isArray(m.match) ? m.match.map((x) => `${m.label} (=${x})`) : [])));
    for (const l of g.methods ?? []) {
      if (!labels.has(l) && !rowLabels.has(l)) throw new UnknownNameError('method line', l, [...labels], `${where}: budget '${b}' names method '${l}', which no line has. Labels: ${[...labels].join(', ')}.`);
    }
  }
}

/** The lines of a budget, each structured `match` value its own line. */
export function budgetLines(def: BenchmarkDefinition, budget: string): MethodLine[] {
  const g = budgetGrid(def, budget);
  const expanded = def.methods.flatMap((m) => {
    const matches = Array.isArray(m.match) ? m.match : undefined;
    if (!matches) return [{ base: m.label, line: m }];
    return matches.map((match) => ({ base: m.label, line: { ...m, label: `${m.label} (=${match})`, match } }));
  });
  // a budget picks a line by its label (all its rows) or one row of it (`variance+fold (=params)`)
  return expanded.filter(({ base, line }) => !g.methods || g.methods.includes(base) || g.methods.includes(line.label)).map(({ line }) => line);
}

function budgetGrid(def: BenchmarkDefinition, budget: string): BudgetGrid {
  const g = def.budgets[budget];
  if (!g) throw new UnknownNameError('budget', budget, Object.keys(def.budgets), `Benchmark '${def.name}' has no budget '${budget}'. Budgets: ${Object.keys(def.budgets).join(', ')}.`);
  return g;
}

/**
 * The sweep of one budget: one grid part per method line, over models × datasets × sparsities ×
 * seeds, with the budget's fixed fields.
 */
export function benchmarkSweepSpec(def: BenchmarkDefinition, budget: string): SweepSpec {
  checkBenchmark(def);
  const g = budgetGrid(def, budget);
  const grid: Grid[] = budgetLines(def, budget).map((line) => {
    const { sparsities, module, ...fields } = line;
    const part: Grid = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) part[k] = [v];
    if (module !== undefined) part.modules = [[path.resolve(def.baseDir ?? process.cwd(), module)]];
    part.model = g.models;
    part.dataset = g.datasets;
    part.sparsity = sparsities ?? g.sparsities;
    part.seed = g.seeds;
    return part;
  });
  return { name: `${def.name}-${budget}`, trial: 'compare', grid, fixed: g.fixed ?? {} };
}
