/**
 * The magic registry: magics are declared once (`defineMagic`) with their arguments, and get
 * parsing, validation, `%name?` help, `%lsmagic` listing and "did you mean" errors from that
 * declaration. The kernel turns magic lines into calls of {@link runMagic}; scripts may call it
 * directly.
 */
import { argumentHelp, parseArgs, usageLine, MagicArgumentError, type ArgSpec, type ParsedArgs } from './args';
import { closeMatches, didYouMean } from '../close-matches';
import type { MagicContext } from './context';
import { UnknownNameError, UserError } from '../errors';
import { Registry } from '../registry';

/** `line` for `%name args`, `cell` for `%%name args` + body. */
export type MagicForm = 'line' | 'cell';

/** What a magic's `run` receives besides the context. */
export interface MagicInvocation {
  /** Parsed arguments by name; `variable` arguments are already resolved to their values. */
  args: ParsedArgs;
  /** For each `variable` argument, the variable name as typed (e.g. `{ model: 'net' }`). */
  names: Record<string, string>;
  /** Whether it was called as `%name` or `%%name`. */
  form: MagicForm;
  /** The cell body after the `%%name` line (cell form only). */
  body?: string;
  /**
   * For `code: 'function'` magics: runs the TypeScript given on the line (or the cell body)
   * once more each time it is called, and resolves to its value.
   */
  code?: () => Promise<unknown>;
}

/** A magic's declaration. */
export interface MagicSpec {
  /** Name without `%`, e.g. `prune`. Lower case, letters, digits, `_` and `-`. */
  name: string;
  /** One line for `%lsmagic`. */
  summary: string;
  /** Longer description for `%name?` (optional). */
  description?: string;
  /** Declared arguments (parsing, validation and help come from these). */
  args: ArgSpec[];
  /**
   * Arguments declared elsewhere and read when used, e.g. the options of every registered
   * pruning method (`%prune`, `%finetune`): parsed and completed like `args`, shown by `%name?`
   * in their own section under `heading`, left out of the usage line.
   */
  extraArgs?: { heading: string; specs: () => ArgSpec[] };
  /** Allowed as a line magic `%name` (default true). */
  line?: boolean;
  /** Allowed as a cell magic `%%name` (default false). */
  cell?: boolean;
  /**
   * Code magics take TypeScript instead of (or after) their arguments, in a `code` positional:
   * - `function`: the kernel wraps it in an async function, given as `invocation.code`
   *   (`%timeit` runs it many times; its declarations stay local to it);
   * - `inline`: the code runs in place, between `start` and `finish` (`%time`; its
   *   declarations are notebook variables and its value is the cell's result).
   */
  code?: 'function' | 'inline';
  /**
   * The magic's return value is stored in the notebook variable named by argument `arg`
   * (an `identifier` argument, usually `--as`), declared with TypeScript type `type` (written
   * with the names a cell sees: `pl`, `tf`, `dfd`), so later code type-checks against it.
   */
  assigns?: { arg: string; type: string };
  /** Example uses, shown by `%name?` and in the README (first one is the headline). */
  examples: string[];
  /** The same thing written with the TypeScript API, for `%name?` and the README. */
  api?: string;
  /** Does the work; the value is the cell's result (or stored, see `assigns`). */
  run?(invocation: MagicInvocation, ctx: MagicContext): unknown | Promise<unknown>;
  /** For `code: 'inline'`: called before the code; its value is handed to `finish`. */
  start?(invocation: MagicInvocation, ctx: MagicContext): unknown;
  /** For `code: 'inline'`: called after the code, also when it threw. */
  finish?(state: unknown, ctx: MagicContext): void;
}

/** A magic name that is not registered (or used in the wrong form). */
export class UnknownMagicError extends UnknownNameError {
  /**
   * @param message the explanation (close matches, `%lsmagic`).
   * @param unknown the name asked for.
   * @param known the magics of the form asked for.
   */
  constructor(message: string, unknown = '', known: readonly string[] = []) {
    super('magic', unknown, known, message);
    this.name = 'UnknownMagicError';
  }
}

/** Options of {@link defineMagic}. */
export interface DefineOptions {
  /** Replace an existing magic of the same name instead of failing. */
  replace?: boolean;
}

/** What is inconsistent in a magic's declaration, or undefined. */
function specProblem(spec: MagicSpec): string | undefined {
  if (!Array.isArray(spec.args)) return 'args must be an array of argument declarations ([] for none)';
  const names = new Set<string>();
  for (const a of spec.args) {
    if (names.has(a.name)) return `argument '${a.name}' is declared twice`;
    names.add(a.name);
  }
  if (typeof spec.summary !== 'string' || !spec.summary || spec.summary.includes('\n')) return 'the summary must be one line of text (it is what %lsmagic shows)';
  if (spec.assigns) {
    const target = spec.args.find((a) => a.name === spec.assigns!.arg);
    if (!target || target.type !== 'identifier') return `assigns.arg '${spec.assigns.arg}' must name an 'identifier' argument`;
  }
  if (spec.code === 'inline' ? !(spec.start && spec.finish) : !spec.run) {
    return spec.code === 'inline' ? 'an inline code magic needs start() and finish()' : 'run() is missing';
  }
  if (spec.code && !spec.args.some((a) => a.type === 'code')) return "a code magic needs a positional argument of type 'code'";
  if (spec.line === false && !spec.cell) return 'enable the line or the cell form';
  return undefined;
}

const magics = new Registry<MagicSpec>({
  kind: 'magic',
  namePattern: /^[a-z][a-z0-9_-]*$/,
  nameRule: "use lower-case letters, digits, '_' or '-', starting with a letter",
  validate: specProblem,
  hint: 'Run %lsmagic to list the magics.',
});

/**
 * Registers a magic.
 *
 * @param spec the declaration; see {@link MagicSpec}.
 * @returns the same spec.
 * @throws OptionError when the name is malformed or the declaration is inconsistent; UserError
 *   when the name is taken (pass `{replace: true}`).
 */
export function defineMagic(spec: MagicSpec, options: DefineOptions = {}): MagicSpec {
  return magics.register(spec?.name, spec, { replace: options.replace, description: spec?.summary });
}

/** Removes a magic (for tests and notebooks that redefine one). @returns whether it existed. */
export function removeMagic(name: string): boolean {
  return magics.unregister(name);
}

/** @returns all magics, sorted by name. */
export function listMagics(): MagicSpec[] {
  return magics.list().map((e) => e.item);
}

/** True when the magic supports the form. */
export function supportsForm(spec: MagicSpec, form: MagicForm): boolean {
  return form === 'line' ? spec.line !== false : spec.cell === true;
}

/**
 * Looks a magic up by name.
 *
 * @param form when given, also checks that the magic supports it.
 * @throws UnknownMagicError for an unknown name, with close matches and a hint to `%lsmagic`.
 */
export function getMagic(name: string, form?: MagicForm): MagicSpec {
  const spec = magics.find(name);
  const prefix = form === 'cell' ? '%%' : '%';
  if (!spec) {
    const candidates = listMagics()
      .filter((m) => !form || supportsForm(m, form))
      .map((m) => m.name);
    throw new UnknownMagicError(`Unknown magic ${prefix}${name}.${didYouMean(closeMatches(name, candidates), prefix)} Run %lsmagic to list the magics.`, name, candidates);
  }
  if (form && !supportsForm(spec, form)) {
    const other = form === 'line' ? `%%${name}` : `%${name}`;
    throw new UnknownMagicError(`${prefix}${name} is not a ${form} magic; use ${other} instead.`);
  }
  return spec;
}

/** The usage line of a magic in a form (`%name ...` or `%%name ...`). */
export function magicUsage(spec: MagicSpec, form: MagicForm = spec.line === false ? 'cell' : 'line'): string {
  return usageLine(spec.name, spec.args, form === 'cell' ? '%%' : '%');
}

/** The text `%name?` shows: usage, description, arguments, examples and the API equivalent. */
export function magicHelp(nameOrSpec: string | MagicSpec): string {
  const spec = typeof nameOrSpec === 'string' ? getMagic(nameOrSpec) : nameOrSpec;
  const lines: string[] = [];
  if (spec.line !== false) lines.push(magicUsage(spec, 'line'));
  if (spec.cell) lines.push(magicUsage(spec, 'cell') + (spec.code ? '\n    <code>' : '\n    <body>'));
  lines.push('', spec.summary);
  if (spec.description) lines.push('', spec.description);
  if (spec.args.length) lines.push('', 'Arguments:', argumentHelp(spec.args));
  const extra = spec.extraArgs?.specs() ?? [];
  if (extra.length) lines.push('', `${spec.extraArgs!.heading}:`, argumentHelp(extra));
  if (spec.assigns) lines.push('', `Stores its result in the variable named by --${spec.assigns.arg} (type ${spec.assigns.type}).`);
  lines.push('', 'Example:', ...spec.examples.map((e) => '  ' + e.replace(/\n/g, '\n  ')));
  if (spec.api) lines.push('', 'Same in TypeScript:', '  ' + spec.api.replace(/\n/g, '\n  '));
  return lines.join('\n');
}

/** The `%lsmagic` listing: line magics and cell magics with their summaries. */
export function lsmagicText(): string {
  const all = listMagics();
  const line = all.filter((m) => supportsForm(m, 'line'));
  const cell = all.filter((m) => supportsForm(m, 'cell'));
  const width = Math.max(0, ...all.map((m) => m.name.length + 2));
  const rows = (ms: MagicSpec[], p: string) => ms.map((m) => `  ${(p + m.name).padEnd(width)}  ${m.summary}`);
  return [
    'Line magics:',
    ...rows(line, '%'),
    '',
    'Cell magics:',
    ...(cell.length ? rows(cell, '%%') : ['  (none)']),
    '',
    'Run %name? for the arguments of a magic.',
  ].join('\n');
}

/**
 * Parses a magic's argument text without running it (the kernel does this before a cell runs,
 * so argument errors come before any side effect).
 *
 * @returns the spec and the parsed arguments (variables still as names).
 * @throws for an unknown magic or a bad argument.
 */
export function parseMagic(form: MagicForm, name: string, argText: string): { spec: MagicSpec; args: ParsedArgs } {
  const spec = getMagic(name, form);
  return { spec, args: parseArgs(spec.name, allArgs(spec), argText, form === 'cell' ? '%%' : '%') };
}

/** The declared arguments and the extra ones, as parsing and completion see them. */
export function allArgs(spec: MagicSpec): ArgSpec[] {
  const extra = spec.extraArgs?.specs() ?? [];
  return extra.length ? [...spec.args, ...extra.filter((e) => !spec.args.some((a) => a.name === e.name))] : spec.args;
}

/** Replaces `variable` argument names by their values, checking each with its `check`. */
function resolveVariables(spec: MagicSpec, form: MagicForm, args: ParsedArgs, ctx: MagicContext) {
  const resolved: ParsedArgs = { ...args };
  const names: Record<string, string> = {};
  for (const a of spec.args) {
    if (a.type !== 'variable' || typeof args[a.name] !== 'string') continue;
    const name = args[a.name] as string;
    names[a.name] = name;
    let value: unknown;
    try {
      value = ctx.get(name);
    } catch (e) {
      throw new MagicArgumentError(`%${spec.name}: ${(e as Error).message}`, magicUsage(spec, form));
    }
    const problem = a.check?.(value);
    if (problem) {
      throw new MagicArgumentError(`%${spec.name}: ${a.kind === 'positional' ? `<${a.name}>` : `--${a.name}`} '${name}' ${problem}`, magicUsage(spec, form));
    }
    resolved[a.name] = value;
  }
  return { args: resolved, names };
}

/** What {@link runMagic} needs besides the name and arguments. */
export interface RunMagicOptions {
  /** The cell body (cell form). */
  body?: string;
  /** For `code: 'function'` magics: the compiled code. */
  code?: () => Promise<unknown>;
}

/**
 * Parses, validates and runs a magic.
 *
 * @param form `line` or `cell`.
 * @param name the magic's name without `%`.
 * @param argText the text after the name.
 * @param ctx the notebook context.
 * @returns what the magic's `run` returns.
 */
export async function runMagic(form: MagicForm, name: string, argText: string, ctx: MagicContext, options: RunMagicOptions = {}): Promise<unknown> {
  const { spec, args } = parseMagic(form, name, argText);
  if (!spec.run) throw new UserError(`%${spec.name} runs code in place; it works only inside the kernel.`);
  const inv = { ...resolveVariables(spec, form, args, ctx), form, body: options.body, code: options.code };
  return spec.run(inv, ctx);
}

/** Like {@link runMagic} for inline code magics: calls `start` and returns a function that calls `finish`. */
export function startInlineMagic(form: MagicForm, name: string, argText: string, ctx: MagicContext): () => void {
  const { spec, args } = parseMagic(form, name, argText);
  if (spec.code !== 'inline') throw new UserError(`%${spec.name} is not an inline code magic.`);
  const inv = { ...resolveVariables(spec, form, args, ctx), form };
  const state = spec.start!(inv, ctx);
  return () => spec.finish!(state, ctx);
}

/**
 * Runs one line such as `%prune net magnitude --sparsity 0.9` (a convenience for scripts and
 * tests; in notebooks the kernel does this). `%name?` returns the help text.
 */
export async function runMagicLine(line: string, ctx: MagicContext): Promise<unknown> {
  const m = /^\s*(%%?)([A-Za-z][\w-]*)(\?)?(?:\s+([\s\S]*))?$/.exec(line);
  if (!m) throw new UserError(`Not a magic line: '${line}'. A magic line starts with %name.`);
  if (m[3]) return magicHelp(getMagic(m[2]));
  return runMagic(m[1] === '%%' ? 'cell' : 'line', m[2], m[4] ?? '', ctx);
}
