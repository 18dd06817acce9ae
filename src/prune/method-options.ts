/**
 * Options declared once: a method lists its options (name, type, default, range, help) and
 * everything else reads that list — `prune()`/`trainingPlan()` validate and fill defaults here,
 * `%prune`/`%finetune` turn them into flags with help and completion, the sweep runner takes
 * them as grid fields. No other place keeps a list of a method's option names.
 */
import { closeMatches, didYouMean } from '../close-matches';
import { OptionError } from '../errors';
import { scalarSchedule, type ScalarScheduleSpec } from '../train/scalar-schedule';

/**
 * Value types of method options.
 * - `number`, `int`, `boolean`, `string` (with `choices`: one of them);
 * - `list`: strings (a magic writes `a,b,c`);
 * - `schedule`: a {@link ScalarScheduleSpec} (a number, `cosine:0.3:0:0:7500`, or an object).
 */
export type OptionType = 'number' | 'int' | 'boolean' | 'string' | 'list' | 'schedule';

/** A value an option can hold (plain JSON, so it saves with the model and fits a sweep grid). */
export type OptionValue = number | boolean | string | string[] | ScalarScheduleSpec;

/** One declared option of a method. */
export interface OptionSpec {
  /** camelCase key in the API (`dropFraction`); magics write it in kebab-case (`--drop-fraction`). */
  name: string;
  /** Value type. */
  type: OptionType;
  /** Value when not given. Without one the option is optional and absent when not given. */
  default?: OptionValue;
  /** Inclusive bounds of `number`/`int` options. */
  min?: number;
  /** Inclusive bounds of `number`/`int` options. */
  max?: number;
  /** When true, `min` itself is not allowed. */
  exclusiveMin?: boolean;
  /** When true, `max` itself is not allowed. */
  exclusiveMax?: boolean;
  /** Allowed values of a `string` option. */
  choices?: readonly string[];
  /** One line of help (shown by `%prune?`, `%finetune?` and `pl.describeMethod`). */
  help: string;
}

/** Resolved option values by name (defaults filled in). */
export type OptionValues = Record<string, OptionValue | undefined>;

/** `dropFraction` → `drop-fraction`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `drop-fraction` → `dropFraction`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Checks one declaration (at registration), so a method with a malformed option never registers.
 * @returns what is wrong, or undefined.
 */
export function optionSpecProblem(spec: OptionSpec): string | undefined {
  if (!spec || typeof spec.name !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(spec.name)) {
    return `option name ${JSON.stringify(spec?.name)} must be camelCase (a lower-case letter, then letters and digits)`;
  }
  const types: OptionType[] = ['number', 'int', 'boolean', 'string', 'list', 'schedule'];
  if (!types.includes(spec.type)) return `option '${spec.name}' has type ${JSON.stringify(spec.type)}; use one of ${types.join(', ')}`;
  if (typeof spec.help !== 'string' || !spec.help.trim() || spec.help.includes('\n')) return `option '${spec.name}' needs one line of help`;
  if (spec.choices && spec.type !== 'string') return `option '${spec.name}': choices are for string options`;
  if (spec.default !== undefined) {
    try {
      checkValue(spec, spec.default, 'default');
    } catch (e) {
      return `option '${spec.name}' has an invalid default: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** An option value for help texts: small numbers in exponent form (1e-6, not 0.000001). */
export function formatOptionValue(v: OptionValue): string {
  if (typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3) return v.toExponential();
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function describeRange(s: OptionSpec): string {
  const lo = s.min === undefined ? '' : `${s.exclusiveMin ? '>' : '≥'} ${s.min}`;
  const hi = s.max === undefined ? '' : `${s.exclusiveMax ? '<' : '≤'} ${s.max}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

/** Validates (and for lists and schedules, normalises) one value. @throws OptionError. */
function checkValue(s: OptionSpec, v: unknown, where: string): OptionValue {
  const bad = (what: string): never => {
    throw new OptionError(`${where}: ${s.name} ${what}; got ${JSON.stringify(v)}.`, s.name);
  };
  switch (s.type) {
    case 'number':
    case 'int': {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`must be a finite number`);
      const n = v as number;
      if (s.type === 'int' && !Number.isInteger(n)) bad('must be an integer');
      const below = s.min !== undefined && (s.exclusiveMin ? n <= s.min : n < s.min);
      const above = s.max !== undefined && (s.exclusiveMax ? n >= s.max : n > s.max);
      if (below || above) bad(`must be ${describeRange(s)}`);
      return n;
    }
    case 'boolean':
      if (typeof v !== 'boolean') bad('must be true or false');
      return v as boolean;
    case 'string':
      if (typeof v !== 'string') bad('must be a string');
      if (s.choices && !s.choices.includes(v as string)) bad(`must be one of ${s.choices.join(', ')}`);
      return v as string;
    case 'list':
      if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter(Boolean);
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad('must be a list of strings');
      return v as string[];
    case 'schedule':
      scalarSchedule(v as ScalarScheduleSpec, `${where}: ${s.name}`); // throws with the accepted forms
      return v as ScalarScheduleSpec;
  }
}

/**
 * Validates the options given to a method and fills in defaults.
 *
 * @param specs the method's declarations.
 * @param given the caller's values (keys not declared are errors, with close matches).
 * @param where who asks, e.g. `prune (method 'set')`, for messages.
 * @throws OptionError naming the option, the problem, and the options the method has.
 */
export function resolveOptionValues(specs: readonly OptionSpec[], given: Record<string, unknown>, where: string): OptionValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const key of Object.keys(given)) {
    if (given[key] === undefined || byName.has(key)) continue;
    const known = specs.map((s) => s.name);
    throw new OptionError(
      `${where}: unknown option '${key}'.${didYouMean(closeMatches(key, known), '')} ` +
        (known.length ? `Its options: ${known.join(', ')}.` : 'It has no options of its own.'),
      key,
    );
  }
  const out: OptionValues = {};
  for (const s of specs) {
    const v = given[s.name];
    if (v === undefined) {
      if (s.default !== undefined) out[s.name] = s.default;
      continue;
    }
    out[s.name] = checkValue(s, v, where);
  }
  return out;
}

/** `--drop-fraction NUMBER (default 0.3, ≥ 0 and ≤ 1): help` lines, for help texts. */
export function describeOptions(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => {
      const facts = [
        s.default !== undefined ? `default ${formatOptionValue(s.default)}` : '',
        describeRange(s),
        s.choices ? `one of ${s.choices.join(', ')}` : '',
      ].filter(Boolean);
      return `  ${s.name} (${s.type}${facts.length ? `; ${facts.join('; ')}` : ''}): ${s.help}`;
    })
    .join('\n');
}
