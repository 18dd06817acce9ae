/**
 * What transformed cells call (as `$prunelab`): magic lines become calls of `line`, `cell`,
 * `help`, `inlineStart`/`inlineEnd`. The kernel's executor installs itself as the host, which
 * gives each call the current cell's context (variables, output, interrupt signal).
 */
import type { MagicContext } from '../src/magics/context';
import { magicHelp, getMagic, runMagic, startInlineMagic, type MagicForm } from '../src/magics/registry';

/** Provides the running cell's context. */
export interface RuntimeHost {
  /** The context of the cell being executed. */
  context(): MagicContext;
}

let host: RuntimeHost | null = null;

/** Installs (or removes) the host; the kernel's executor does this once. */
export function setRuntimeHost(next: RuntimeHost | null): void {
  host = next;
}

function ctx(): MagicContext {
  if (!host) throw new Error('The prunelab runtime is used outside the prunelab kernel; use runMagicLine() from scripts.');
  return host.context();
}

/** An error raised by a magic, with where the magic was in the cell. */
export interface MagicErrorInfo {
  /** Magic name with its prefix, e.g. `%prune`. */
  magic: string;
  /** 0-based line in the cell. */
  line: number;
}

/** Symbol under which errors thrown by magics carry {@link MagicErrorInfo}. */
export const MAGIC_ERROR_INFO = Symbol.for('prunelab.magicError');

function annotate(e: unknown, info: MagicErrorInfo): unknown {
  if (e && typeof e === 'object' && !(MAGIC_ERROR_INFO in e)) {
    Object.defineProperty(e, MAGIC_ERROR_INFO, { value: info, enumerable: false });
  }
  return e;
}

/**
 * Runs a line magic.
 * @param line 0-based cell line, for error messages.
 * @param code for code magics, the compiled code of the rest of the line.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function line(name: string, argText: string, line: number, code?: () => Promise<unknown>): Promise<any> {
  try {
    return await runMagic('line', name, argText, ctx(), { code });
  } catch (e) {
    throw annotate(e, { magic: `%${name}`, line });
  }
}

/** Runs a cell magic (`body` for text magics, `code` for code magics). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function cell(name: string, argText: string, body?: string, code?: () => Promise<unknown>): Promise<any> {
  try {
    return await runMagic('cell', name, argText, ctx(), { body, code });
  } catch (e) {
    throw annotate(e, { magic: `%%${name}`, line: 0 });
  }
}

/** Prints `%name?` help (or the list of magics for a bare `%?`). */
export function help(form: MagicForm, name: string): void {
  const c = ctx();
  if (!name) {
    c.display(getMagic('lsmagic').run!({ args: {}, names: {}, form: 'line' }, c));
    return;
  }
  try {
    c.print(magicHelp(getMagic(name)));
  } catch (e) {
    throw annotate(e, { magic: `${form === 'cell' ? '%%' : '%'}${name}`, line: 0 });
  }
}

const inlineStack: (() => void)[] = [];

/** Starts an inline code magic (`%time`); pairs with {@link inlineEnd}. */
export function inlineStart(form: MagicForm, name: string, argText: string, line: number): void {
  try {
    inlineStack.push(startInlineMagic(form, name, argText, ctx()));
  } catch (e) {
    throw annotate(e, { magic: `${form === 'cell' ? '%%' : '%'}${name}`, line });
  }
}

/** Finishes the innermost inline magic and passes `value` through (the cell's result). */
export function inlineEnd<T>(value?: T): T {
  const finish = inlineStack.pop();
  finish?.();
  return value as T;
}

/** Drops inline magics left open by a cell that threw (called before each cell). */
export function resetInline(): void {
  inlineStack.length = 0;
}
