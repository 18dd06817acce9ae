/**
 * Declarative magic arguments: a magic declares each argument once (name, type, default, help)
 * and gets tokenising, parsing, validation, usage lines and `%name?` help from that declaration,
 * like IPython's `magic_arguments`.
 */
import { closeMatches, didYouMean } from '../close-matches';
import { OptionError, UserError } from '../errors';

/**
 * Value types of magic arguments.
 * - `string`, `number`, `int`, `boolean` (a flag: `--x`, `--no-x`, `--x=false`).
 * - `variable`: the name of a notebook variable the magic reads; checked to be an identifier
 *   here and resolved to its value when the magic runs.
 * - `identifier`: a name the magic writes (e.g. `--as net`).
 * - `list`: comma-separated strings (`--exclude fc1,fc3`); repeating the option appends.
 * - `code`: the rest of the line, raw (a positional only; `%timeit -n 10 f(x)`).
 */
export type ArgType = 'string' | 'number' | 'int' | 'boolean' | 'variable' | 'identifier' | 'list' | 'code';

/** One declared argument of a magic. */
export interface ArgSpec {
  /** Key in the parsed arguments; an option is written `--name`, a positional shown as `<name>`. */
  name: string;
  /** `positional` (by order) or `option` (by `--name`). Default `option`. */
  kind?: 'positional' | 'option';
  /** Value type. Default `string`. */
  type?: ArgType;
  /** Value when the argument is not given (already of the declared type). */
  default?: unknown;
  /** When true, leaving the argument out is an error. Positionals without a default are required. */
  required?: boolean;
  /** One-line help, shown by `%name?` and in the README. */
  help: string;
  /** Allowed values (strings), or a function giving them (for registries that grow at runtime). */
  choices?: readonly string[] | (() => readonly string[]);
  /** One-letter alias for an option, e.g. `n` for `-n`. */
  short?: string;
  /** Inclusive numeric bounds for `number` and `int`. */
  min?: number;
  /** Inclusive numeric bounds for `number` and `int`. */
  max?: number;
  /** When true, `min` itself is not allowed (e.g. a learning rate must be > 0). */
  exclusiveMin?: boolean;
  /** When true, `max` itself is not allowed (e.g. sparsity must be < 1). */
  exclusiveMax?: boolean;
  /** Placeholder shown for the value in usage lines (default from the type, e.g. `NUMBER`). */
  metavar?: string;
  /**
   * For a `boolean` without a default: when true, a flag not given stays undefined instead of
   * `false` (a method option then takes the method's own default, which may be true).
   */
  unsetWhenAbsent?: boolean;
  /**
   * For `variable` arguments: checks the variable's value when the magic runs and returns what
   * is wrong with it (e.g. `is a Dataset, not a model`), or undefined when it is acceptable.
   */
  check?: (value: unknown) => string | undefined;
}

/** Parsed arguments by `ArgSpec.name`. Variables are still names here (see `MagicContext`). */
export type ParsedArgs = Record<string, unknown>;

/** A usage error of a magic: bad or unknown argument. Its message ends with the usage line. */
export class MagicArgumentError extends OptionError {
  /** The magic's usage line. */
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(`${message}\nUsage: ${usage}`);
    this.name = 'MagicArgumentError';
    this.usage = usage;
  }
}

/** A token of a magic's argument string, with its position (for `code` arguments). */
interface Token {
  /** The token with quotes removed and escapes resolved. */
  value: string;
  /** Offset of the token's first character in the argument string. */
  start: number;
  /** True when any part was quoted (a quoted `--x` is a value, not an option). */
  quoted: boolean;
}

/**
 * Splits an argument string like a POSIX shell does for words: whitespace separates, single
 * quotes keep everything, double quotes allow `\"` and `\\`.
 *
 * @throws Error for an unterminated quote.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    const start = i;
    let value = '';
    let quoted = false;
    while (i < text.length && !/\s/.test(text[i])) {
      const ch = text[i];
      if (ch === "'" || ch === '"') {
        quoted = true;
        const close = ch;
        i++;
        while (i < text.length && text[i] !== close) {
          if (close === '"' && text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
          value += text[i++];
        }
        if (i >= text.length) throw new UserError(`unterminated ${close} quote in: ${text}`);
        i++;
      } else {
        value += ch;
        i++;
      }
    }
    tokens.push({ value, start, quoted });
  }
  return tokens;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Words a notebook variable cannot be called: TypeScript's reserved words, those reserved in
 * strict mode and in modules (cells are both), and names strict code may not declare or that
 * would shadow a built-in value. A magic storing into one of them (`--as class`) would produce
 * a declaration TypeScript rejects with an unrelated message.
 */
const RESERVED_WORDS = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with',
  'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static', 'yield', 'await',
  'arguments', 'eval', 'undefined', 'NaN', 'Infinity',
]);

/**
 * Names the kernel binds in every notebook (`pl`, `tf`, `dfd` and the magic runtime): a magic
 * storing its result there would replace the API for every later cell.
 */
const NOTEBOOK_NAMES = new Set(['pl', 'tf', 'dfd', '$prunelab']);

/** A valid variable name close to `name`: invalid characters become `_`, a reserved word gets a trailing `_`. */
export function suggestVariableName(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_$]/g, '_');
  if (!s) s = 'value';
  if (/^[0-9]/.test(s)) s = `_${s}`;
  if (RESERVED_WORDS.has(s) || NOTEBOOK_NAMES.has(s)) s = `${s}_`;
  return s;
}

/**
 * What is wrong with `name` as a notebook variable name, or undefined when it is fine. The one
 * check behind every magic argument of type `variable` and `identifier` (`--as`).
 *
 * @param writes true for names the magic stores into (`identifier`), which must also leave
 *   the kernel's own names (`pl`, `tf`, `dfd`) alone.
 */
export function variableNameProblem(name: string, writes = false): string | undefined {
  if (!IDENTIFIER.test(name)) {
    return `expects a variable name (letters, digits, _ and $, not starting with a digit), got '${name}'`;
  }
  if (RESERVED_WORDS.has(name)) return `'${name}' is a reserved word in TypeScript and cannot name a variable`;
  if (writes && NOTEBOOK_NAMES.has(name)) return `'${name}' is a name every notebook relies on (${[...NOTEBOOK_NAMES].slice(0, 3).join(', ')}); storing into it would replace it for every later cell`;
  return undefined;
}

function choicesOf(spec: ArgSpec): readonly string[] | undefined {
  return typeof spec.choices === 'function' ? spec.choices() : spec.choices;
}

function typeOf(spec: ArgSpec): ArgType {
  return spec.type ?? 'string';
}

function isPositional(spec: ArgSpec): boolean {
  return spec.kind === 'positional';
}

/** True when an argument must be given. */
export function isRequired(spec: ArgSpec): boolean {
  if (spec.required !== undefined) return spec.required;
  return isPositional(spec) && spec.default === undefined && typeOf(spec) !== 'code';
}

function metavar(spec: ArgSpec): string {
  if (spec.metavar) return spec.metavar;
  const choices = typeof spec.choices === 'function' ? undefined : spec.choices;
  if (choices && choices.length <= 4) return choices.join('|');
  switch (typeOf(spec)) {
    case 'number':
      return 'NUMBER';
    case 'int':
      return 'N';
    case 'variable':
    case 'identifier':
      return 'VAR';
    case 'list':
      return 'A,B,...';
    case 'code':
      return 'CODE';
    default:
      return spec.name.toUpperCase();
  }
}

/**
 * The usage line of a magic, e.g. `%prune <model> <criterion> [--sparsity NUMBER] [--exclude A,B,...]`.
 *
 * @param prefix `%` for line magics, `%%` for cell magics.
 */
export function usageLine(name: string, specs: readonly ArgSpec[], prefix = '%'): string {
  const parts = [`${prefix}${name}`];
  const options = specs.filter((s) => !isPositional(s));
  for (const o of options) {
    const flag = typeOf(o) === 'boolean' ? `--${o.name}` : `--${o.name} ${metavar(o)}`;
    parts.push(isRequired(o) ? flag : `[${flag}]`);
  }
  for (const p of specs.filter(isPositional)) {
    const shown = typeOf(p) === 'code' ? metavar(p) : `<${p.name}>`;
    parts.push(isRequired(p) ? shown : `[${shown}]`);
  }
  // Positionals first reads better, except that a trailing `code` positional must come last.
  const positionals = parts.slice(1 + options.length);
  const codeLast = positionals.filter((p) => p.includes('CODE'));
  return [parts[0], ...positionals.filter((p) => !p.includes('CODE')), ...parts.slice(1, 1 + options.length), ...codeLast].join(' ');
}

function describeDefault(spec: ArgSpec): string {
  if (spec.default === undefined) return '';
  const d = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
  return d === '' ? '' : ` (default: ${d})`;
}

/**
 * The help table of the arguments, one per line: `  --sparsity NUMBER   Fraction ... (default: 0.9)`.
 * @param options `dynamicChoices: false` leaves out choices that come from registries.
 */
export function argumentHelp(specs: readonly ArgSpec[], options: { dynamicChoices?: boolean } = {}): string {
  const rows = specs.map((s) => {
    const left = isPositional(s)
      ? `<${s.name}>`
      : `${s.short ? `-${s.short}, ` : ''}--${s.name}${typeOf(s) === 'boolean' ? '' : ' ' + metavar(s)}`;
    // Choices from registries (datasets, criteria, ...) change at runtime: static docs leave them out.
    const choices = typeof s.choices === 'function' && options.dynamicChoices === false ? undefined : choicesOf(s);
    const choiceText = choices && choices.length > 4 ? ` One of: ${choices.join(', ')}.` : '';
    return [left, `${s.help}${choiceText}${describeDefault(s)}`];
  });
  const width = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join('\n');
}

function convert(spec: ArgSpec, raw: string, usage: string, magic: string): unknown {
  const where = isPositional(spec) ? `<${spec.name}>` : `--${spec.name}`;
  const fail = (why: string): never => {
    throw new MagicArgumentError(`%${magic}: ${where} ${why}`, usage);
  };
  const type = typeOf(spec);
  let value: unknown = raw;
  switch (type) {
    case 'number':
    case 'int': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) fail(`expects a number, got '${raw}'.`);
      if (type === 'int' && !Number.isInteger(n)) fail(`expects a whole number, got '${raw}'.`);
      if (spec.min !== undefined && (n < spec.min || (spec.exclusiveMin && n === spec.min))) {
        fail(`must be ${spec.exclusiveMin ? '>' : '>='} ${spec.min}, got ${raw}.`);
      }
      if (spec.max !== undefined && (n > spec.max || (spec.exclusiveMax && n === spec.max))) {
        fail(`must be ${spec.exclusiveMax ? '<' : '<='} ${spec.max}, got ${raw}.`);
      }
      value = n;
      break;
    }
    case 'boolean': {
      const v = raw.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) value = true;
      else if (['false', '0', 'no', 'off'].includes(v)) value = false;
      else fail(`expects true or false, got '${raw}'.`);
      break;
    }
    case 'variable':
    case 'identifier': {
      const problem = variableNameProblem(raw, type === 'identifier');
      if (problem) fail(`${problem}. Use another name, e.g. ${isPositional(spec) ? '' : `--${spec.name} `}${suggestVariableName(raw)}.`);
      break;
    }
    case 'list':
      value = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      break;
    default:
      break;
  }
  const choices = choicesOf(spec);
  if (choices && type !== 'list' && !choices.includes(String(value))) {
    fail(`must be one of: ${choices.join(', ')}; got '${raw}'.${didYouMean(closeMatches(raw, choices))}`);
  }
  if (choices && type === 'list') {
    for (const item of value as string[]) {
      if (!choices.includes(item)) fail(`items must be among: ${choices.join(', ')}; got '${item}'.${didYouMean(closeMatches(item, choices))}`);
    }
  }
  return value;
}

/**
 * Parses and validates a magic's argument string against its declaration.
 *
 * @param magic the magic's name (for messages).
 * @param specs the declared arguments.
 * @param text everything after `%name` on the line.
 * @param prefix `%` or `%%`, for the usage line.
 * @returns the arguments by name, with defaults filled in and values converted to their types.
 * @throws MagicArgumentError naming the bad argument, with close matches and the usage line.
 */
export function parseArgs(magic: string, specs: readonly ArgSpec[], text: string, prefix = '%'): ParsedArgs {
  const usage = usageLine(magic, specs, prefix);
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (e) {
    throw new MagicArgumentError(`%${magic}: ${(e as Error).message}`, usage);
  }
  const options = specs.filter((s) => !isPositional(s));
  const positionals = specs.filter(isPositional);
  const out: ParsedArgs = {};
  const given = new Set<string>();
  let nextPositional = 0;
  let onlyPositionals = false;
  const isOptionToken = (t: Token) =>
    !onlyPositionals && !t.quoted && t.value.startsWith('-') && t.value.length > 1 && !/^-\.?\d/.test(t.value);

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!onlyPositionals && !tok.quoted && tok.value === '--') {
      onlyPositionals = true;
      continue;
    }
    if (isOptionToken(tok)) {
      const body = tok.value.startsWith('--') ? tok.value.slice(2) : tok.value.slice(1);
      const eq = body.indexOf('=');
      const key = eq >= 0 ? body.slice(0, eq) : body;
      let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
      let spec = tok.value.startsWith('--')
        ? options.find((o) => o.name === key)
        : options.find((o) => o.short === key);
      if (!spec && tok.value.startsWith('--') && key.startsWith('no-')) {
        const negated = options.find((o) => o.name === key.slice(3) && typeOf(o) === 'boolean');
        if (negated) {
          spec = negated;
          if (inline !== undefined) {
            throw new MagicArgumentError(`%${magic}: --${key} takes no value.`, usage);
          }
          inline = 'false';
        }
      }
      if (!spec) {
        const names = options.map((o) => o.name);
        const hint = didYouMean(closeMatches(key, names), '--');
        const known = names.length ? ` Options: ${names.map((n) => '--' + n).join(', ')}.` : ' It takes no options.';
        throw new MagicArgumentError(`%${magic}: unknown option ${tok.value.split('=')[0]}.${hint}${known}`, usage);
      }
      let raw: string;
      if (typeOf(spec) === 'boolean') {
        raw = inline ?? 'true';
      } else if (inline !== undefined) {
        raw = inline;
      } else {
        const next = tokens[i + 1];
        if (!next) throw new MagicArgumentError(`%${magic}: --${spec.name} needs a value (${metavar(spec)}).`, usage);
        raw = next.value;
        i++;
      }
      const value = convert(spec, raw, usage, magic);
      if (typeOf(spec) === 'list' && given.has(spec.name)) {
        out[spec.name] = [...(out[spec.name] as string[]), ...(value as string[])];
      } else {
        out[spec.name] = value;
      }
      given.add(spec.name);
      continue;
    }
    const spec = positionals[nextPositional++];
    if (!spec) {
      throw new MagicArgumentError(`%${magic}: unexpected argument '${tok.value}'.`, usage);
    }
    if (typeOf(spec) === 'code') {
      out[spec.name] = text.slice(tok.start).trim();
      given.add(spec.name);
      break;
    }
    out[spec.name] = convert(spec, tok.value, usage, magic);
    given.add(spec.name);
  }

  for (const spec of specs) {
    if (given.has(spec.name)) continue;
    if (isRequired(spec)) {
      const what = isPositional(spec) ? `<${spec.name}>` : `--${spec.name}`;
      throw new MagicArgumentError(`%${magic}: missing ${what} (${spec.help.replace(/\.$/, '')}).`, usage);
    }
    if (spec.default !== undefined) {
      out[spec.name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    } else if (typeOf(spec) === 'boolean' && !spec.unsetWhenAbsent) {
      out[spec.name] = false;
    } else if (typeOf(spec) === 'code') {
      out[spec.name] = '';
    }
  }
  return out;
}
