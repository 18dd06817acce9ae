/**
 * Error messages for the `error` reply: TypeScript diagnostics with cell line/column and the
 * offending source line, runtime errors with the frames that matter, magic errors with the
 * magic and its line.
 */
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

function sourceContext(cell: string, line: number, column: number): string[] {
  const text = cell.split('\n')[line];
  if (text === undefined) return [];
  const num = String(line + 1);
  return [`  ${num} | ${text}`, `  ${' '.repeat(num.length)} | ${' '.repeat(column)}^`];
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

const HIDDEN_FRAME = /\(node:|node:internal|\/node_modules\/tslab\/|\/build\/kernel\/|\/build\/src\/magics\/registry|^\s*at (?:async )?Promise\.|<anonymous>\)?$/;

/** Stack frames worth showing: user cells and libraries, not node or kernel internals. */
function userFrames(stack: string | undefined): string[] {
  if (!stack || process.env.PRUNELAB_TRACEBACK === 'full') return (stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  const out: string[] = [];
  for (const l of stack.split('\n')) {
    if (!/^\s+at /.test(l)) continue;
    const cellFrame = l.replace(/\(evalmachine\.<anonymous>:\d+:\d+\)|evalmachine\.<anonymous>:\d+:\d+/, '<cell>');
    if (cellFrame !== l) {
      if (out[out.length - 1] !== cellFrame) out.push(cellFrame);
      continue;
    }
    if (!HIDDEN_FRAME.test(l)) out.push(l);
  }
  return out;
}

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
  if (info) {
    const argError = e.name === 'MagicArgumentError';
    return {
      ename: e.name,
      evalue: message.split('\n')[0],
      traceback: [`${e.name} in ${info.magic} (cell line ${info.line + 1}):`, ...message.split('\n'), ...(argError ? [] : userFrames(e.stack))],
    };
  }
  return { ename: e.name || 'Error', evalue: message, traceback: [`${e.name || 'Error'}: ${message}`, ...userFrames(e.stack)] };
}
