/**
 * Error messages for the `error` reply: TypeScript diagnostics with cell line/column and the
 * offending source line, runtime errors with the frames that matter, magic errors with the
 * magic and its line.
 *
 * Runtime errors follow the `%xmode` setting (`pl.magics.tracebackMode()`): `context` (default)
 * shows the frames of the notebook's cells, each mapped to its cell line with the line's source,
 * and counts the frames inside prunelab, its libraries and Node.js without showing them;
 * `verbose` shows every frame; `minimal` the error alone.
 *
 * A prunelab {@link UserError} (a bad option, shape or name: the message says what to change) is
 * the user's to fix, so in `context` mode it shows the notebook's own frames only, without the
 * count of hidden frames. An {@link InternalError} (a bug in prunelab) is shown like any other
 * error, and its traceback ends with a request to report it.
 */
import { isInternalError, isUserError } from '../src/errors';
import { tracebackMode } from '../src/magics/builtins/xmode';
import { cellLocation, isCellScript, isCellWrapperFrame, lastCell } from './cell-scripts';
import { MAGIC_ERROR_INFO, type MagicErrorInfo } from './runtime';
import { mapToCell, MagicSyntaxError, type Transformed } from './transform';

/** What an `error` message carries. */
export interface ErrorContent {
  /** Exception name, e.g. `TypeError`, `TypeScriptError`, `KeyboardInterrupt`. */
  ename: string;
  /** Exception message. */
  evalue: string;
  /** Lines shown to the user. */
  traceback: string[];
}

/** A TypeScript diagnostic as tslab reports it (0-based line/character in the transformed cell). */
export interface CellDiagnostic {
  start: { line: number; character: number };
  messageText: string;
  code: number;
  fileName?: string;
}

/** `  3 | the line` and, when the column is known, a caret under it. */
function sourceContext(cell: string, line: number, column: number | undefined): string[] {
  const text = cell.split('\n')[line];
  if (text === undefined) return [];
  const num = String(line + 1);
  return [`  ${num} | ${text}`, ...(column === undefined ? [] : [`  ${' '.repeat(num.length)} | ${' '.repeat(column)}^`])];
}

/** The error content for TypeScript diagnostics of a cell. */
export function diagnosticsError(cell: string, t: Transformed, diagnostics: CellDiagnostic[]): ErrorContent {
  const traceback: string[] = [];
  let first = '';
  const seen = new Set<string>();
  for (const d of diagnostics) {
    // Generated code can repeat a name (e.g. the runtime in `%time`): report each spot once.
    const key = `${d.fileName}:${d.start.line}:${d.start.character}:${d.messageText}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const message = d.messageText.replace(/\n/g, '\n    ');
    if (d.fileName) {
      traceback.push(`${d.fileName}:${d.start.line + 1}:${d.start.character + 1} - error TS${d.code}: ${message}`);
      first ||= `${d.fileName}:${d.start.line + 1}: ${d.messageText}`;
      continue;
    }
    const pos = mapToCell(t, d.start.line, d.start.character);
    traceback.push(`Cell line ${pos.line + 1}, column ${pos.column + 1} - error TS${d.code}: ${message}`, ...sourceContext(cell, pos.line, pos.column));
    first ||= `${d.messageText.split('\n')[0]} (cell line ${pos.line + 1}, column ${pos.column + 1})`;
  }
  return { ename: 'TypeScriptError', evalue: first, traceback };
}

/** The error content for a magic line that could not be parsed (unknown magic, bad argument). */
export function magicSyntaxError(cell: string, e: MagicSyntaxError): ErrorContent {
  const lines = e.message.split('\n');
  const text = cell.split('\n')[e.line] ?? '';
  const column = text.length - text.trimStart().length;
  return {
    ename: e.name,
    evalue: lines[0],
    traceback: [`${e.name} in cell line ${e.line + 1}:`, ...sourceContext(cell, e.line, column), ...lines],
  };
}

/** Frames of prunelab itself, its libraries and Node.js: hidden in `context` mode. */
const INTERNAL_FRAME = /\/build\/(?:src|kernel)\/|\/node_modules\/|\(node:|\bnode:[a-z_/]+:\d|evalmachine\.<anonymous>|\(<anonymous>\)|\(native\)|^\s*at (?:async )?Promise\.[a-zA-Z]+ \(index \d+\)$/;

/** `    at name (file:line:col)`, `    at file:line:col`, with `async ` / `new ` kept in the name. */
const FRAME = /^\s*at (?:(.*?) \((.*):(\d+):(\d+)\)|(.*):(\d+):(\d+))$/;

/** One line of a stack, parsed. */
interface Frame {
  /** The line as V8 printed it. */
  raw: string;
  /** Function name (with `async `/`new `), '' for top-level code. */
  name: string;
  /** Where the frame is in a cell, when it is in one. */
  cell?: ReturnType<typeof cellLocation>;
  /** True for frames of a cell's code (mapped or not). */
  inCell: boolean;
  /** True for frames of prunelab, its libraries, tslab and Node.js (hidden in `context` mode). */
  internal: boolean;
}

function parseFrames(stack: string | undefined): Frame[] {
  const out: Frame[] = [];
  for (const raw of (stack ?? '').split('\n')) {
    if (!/^\s+at /.test(raw)) continue;
    const m = FRAME.exec(raw);
    let name = m?.[1] ?? '';
    let file = m?.[2] ?? m?.[5] ?? '';
    if (!m?.[1] && file.startsWith('async ')) [name, file] = ['async', file.slice(6)];
    const line = Number(m?.[3] ?? m?.[6]);
    const column = Number(m?.[4] ?? m?.[7]);
    // tslab's call of the cell's wrapper function is plumbing, like Node's frames below it
    const wrapper = isCellWrapperFrame(file, line);
    const inCell = isCellScript(file) && !wrapper;
    // functions of earlier cells are called through tslab's exports proxy: `Proxy.f` is the user's `f`
    name = name.trim().replace(/^(async |new )?Proxy\./, '$1');
    out.push({ raw, name, inCell, internal: wrapper || INTERNAL_FRAME.test(raw), cell: inCell ? cellLocation(file, line, column) : undefined });
  }
  return out;
}

/** A cell frame as the user reads it: `at f (cell line 2)` and the line with a caret under the call. */
function renderCellFrame(f: Frame, indent: string): string[] {
  const loc = f.cell;
  if (!loc) return [`${indent}at ${f.name && f.name !== 'async' ? `${f.name} (cell)` : 'cell'}`];
  const where = loc.current ? `cell line ${loc.line + 1}` : `line ${loc.line + 1} of an earlier cell`;
  const head = `${indent}at ${!f.name ? where : f.name === 'async' ? `async ${where}` : `${f.name} (${where})`}`;
  return [head, ...sourceContext(loc.cell, loc.line, loc.column).map((l) => indent + '  ' + l.slice(2))];
}

/**
 * The frames to show under the message in the current `%xmode`: cell frames mapped to their
 * lines, other frames as printed; in `context` mode without prunelab's and Node's own frames,
 * counted on a last line.
 *
 * @param skipLine a cell line already shown above (the magic's line for magic errors).
 * @param cellOnly in `context` mode, leave the other frames out without counting them (user errors).
 */
function framesToShow(stack: string | undefined, skipLine?: number, cellOnly = false): string[] {
  const mode = tracebackMode();
  if (mode === 'minimal') return [];
  const out: string[] = [];
  let hidden = 0;
  for (const f of parseFrames(stack)) {
    if (f.inCell) {
      if (mode === 'context' && skipLine !== undefined && f.cell?.current && f.cell.line === skipLine) continue;
      const lines = renderCellFrame(f, '    ');
      if (mode === 'verbose') lines[0] += `   [${f.raw.trim().replace(/^at /, '')}]`;
      if (out.length < lines.length || out.slice(-lines.length).join('\n') !== lines.join('\n')) out.push(...lines);
    } else if (mode === 'verbose' || !f.internal) out.push(f.raw);
    else hidden++;
  }
  if (hidden && !cellOnly) out.push(`(${hidden} frame${hidden === 1 ? '' : 's'} inside prunelab and Node.js hidden; %xmode verbose shows them)`);
  return out;
}

/** The last line of an internal error's traceback. */
export const INTERNAL_ERROR_NOTE =
  'This is a bug in prunelab, not in your code: please report it with this cell and the full traceback ' +
  '(run %xmode verbose, then the cell again, to include the frames inside prunelab).';

function isInterrupt(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const err = e as { name?: string; code?: string; message?: string };
  return (
    err.name === 'KeyboardInterrupt' ||
    err.name === 'AbortError' ||
    err.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED' ||
    err.message === 'Interrupted asynchronously'
  );
}

function indentOf(cell: string, line: number): number {
  const text = cell.split('\n')[line] ?? '';
  return text.length - text.trimStart().length;
}

/** The error content for a value thrown by a cell. */
export function runtimeError(e: unknown): ErrorContent {
  if (isInterrupt(e)) {
    const msg = (e as Error).name === 'KeyboardInterrupt' ? (e as Error).message : 'Interrupted';
    return { ename: 'KeyboardInterrupt', evalue: msg, traceback: [`KeyboardInterrupt: ${msg}`] };
  }
  if (!(e instanceof Error)) {
    const shown = typeof e === 'string' ? e : JSON.stringify(e) ?? String(e);
    return { ename: 'Error', evalue: `Uncaught ${shown}`, traceback: [`Uncaught ${shown}`] };
  }
  const info = (e as unknown as Record<symbol, MagicErrorInfo | undefined>)[MAGIC_ERROR_INFO];
  const message = e.message || String(e);
  const user = isUserError(e);
  const bugNote = isInternalError(e) ? [INTERNAL_ERROR_NOTE] : [];
  if (info) {
    // a bad argument is the user's line alone; an error while the magic ran may also have frames
    const argError = e.name === 'MagicArgumentError';
    const minimal = tracebackMode() === 'minimal';
    const cell = lastCell();
    return {
      ename: e.name,
      evalue: message.split('\n')[0],
      traceback: [
        `${e.name} in ${info.magic} (cell line ${info.line + 1}):`,
        ...(cell && !minimal ? sourceContext(cell, info.line, indentOf(cell, info.line)) : []),
        ...message.split('\n'),
        ...(argError ? [] : framesToShow(e.stack, info.line, user)),
        ...bugNote,
      ],
    };
  }
  const name = e.name || 'Error';
  return { ename: name, evalue: message, traceback: [`${name}: ${message}`, ...framesToShow(e.stack, undefined, user), ...bugNote] };
}
