/**
 * Maps stack frames in a cell's code back to the cell's lines.
 *
 * tslab compiles a cell's TypeScript to JavaScript (types dropped, blank lines and comments
 * gone, statements reformatted, `exports.x = x` added) and runs it with `vm.runInThisContext`
 * under the name `evalmachine.<anonymous>`, so a frame's line is neither the cell's nor tells
 * which cell. This module
 * - names each cell's script `prunelab-cell-N` (by passing `filename` to the vm call tslab
 *   makes), and keeps its JavaScript beside the TypeScript it was compiled from;
 * - maps a frame `prunelab-cell-N:line:column` by aligning the two token sequences (longest
 *   common subsequence: the compiler keeps the tokens of values and calls in order and only
 *   drops or adds some): the frame's token maps to the same token of the TypeScript, whose line
 *   is the cell's line (the magic transform keeps every line in place).
 */
// the module object itself (not an import-star copy), so that tslab's calls see the wrapper
import vm = require('vm');

/** Prefix of the script names of cells (`prunelab-cell-3`). */
export const CELL_SCRIPT_PREFIX = 'prunelab-cell-';

/** How tslab wraps a compiled cell before `vm.runInThisContext` (see tslab/dist/executor.js). */
const TSLAB_WRAPPERS = ['(function(exports, require) { ', '(async function(exports, require) { '];

/** Scripts kept for mapping: enough for functions of earlier cells that are called later. */
const MAX_SCRIPTS = 200;

/** Above this many token pairs a cell is not aligned (the table would take too much memory). */
const MAX_ALIGNMENT_CELLS = 16_000_000;

interface Token {
  text: string;
  /** 0-based line. */
  line: number;
  /** 0-based column. */
  column: number;
  /** Offset in the text. */
  offset: number;
}

interface CellScript {
  /** The cell as the user wrote it. */
  cell: string;
  /** The TypeScript tslab compiled (the transformed cell: same lines as the cell). */
  typescript: string;
  /** The JavaScript that ran. */
  javascript: string;
  /** Lines of the JavaScript (computed on first use). */
  lineCount?: number;
  /** Per JavaScript token, the index of the matching TypeScript token or −1 (computed on first use). */
  alignment?: { js: Token[]; ts: Token[]; match: Int32Array } | null;
}

const scripts = new Map<string, CellScript>();
let pending: { cell: string; typescript: string } | null = null;
let count = 0;
let installed = false;

/**
 * Records the cell about to be compiled and run (called by the magic transform for every cell
 * the executor runs); the next tslab script run is paired with it.
 */
export function noteCellSource(cell: string, typescript: string): void {
  pending = { cell, typescript };
}

/**
 * Installs the capture of the scripts tslab runs (once per process): wraps
 * `vm.runInThisContext` so that a tslab cell script gets a name and its source is kept. Other
 * scripts pass through untouched.
 */
export function installCellScriptCapture(): void {
  if (installed) return;
  installed = true;
  const original = vm.runInThisContext;
  const wrapped = function runInThisContext(code: string, options?: vm.RunningScriptOptions | string) {
    const cell = pending;
    if (cell && typeof code === 'string' && TSLAB_WRAPPERS.some((w) => code.startsWith(w)) && (options === undefined || typeof options === 'object') && !options?.filename) {
      pending = null;
      const filename = `${CELL_SCRIPT_PREFIX}${++count}`;
      scripts.set(filename, { cell: cell.cell, typescript: cell.typescript, javascript: code });
      if (scripts.size > MAX_SCRIPTS) scripts.delete(scripts.keys().next().value as string);
      return original.call(vm, code, { ...(options ?? {}), filename });
    }
    return original.call(vm, code, options as vm.RunningScriptOptions);
  };
  (vm as { runInThisContext: typeof vm.runInThisContext }).runInThisContext = wrapped as typeof vm.runInThisContext;
}

/** Where a frame of a cell's code is in its cell. */
export interface CellLocation {
  /** The cell's text. */
  cell: string;
  /** 0-based line in the cell. */
  line: number;
  /** 0-based column in the cell, when the frame's own token was found there (undefined: the line is approximate). */
  column?: number;
  /** True when the frame is in the most recently run cell (false: a function of an earlier cell). */
  current: boolean;
}

/** The text of the cell that ran last (the one whose error is being reported), if any ran. */
export function lastCell(): string | undefined {
  return scripts.get(`${CELL_SCRIPT_PREFIX}${count}`)?.cell;
}

/** True for the last line of a cell's script: tslab's `})(__tslab__.exports, ...)` that calls the wrapped cell. */
function isWrapperLine(s: CellScript, line: number): boolean {
  s.lineCount ??= s.javascript.split('\n').length;
  return line === s.lineCount;
}

/**
 * True when a frame `file:line` is tslab's call of a cell's wrapper function (the cell's code
 * is the frame above it): not a frame of the user's code.
 */
export function isCellWrapperFrame(file: string, line: number): boolean {
  const s = scripts.get(file);
  return !!s && isWrapperLine(s, line);
}

/** True for a script name given by {@link installCellScriptCapture}. */
export function isCellScript(file: string): boolean {
  return file.startsWith(CELL_SCRIPT_PREFIX) && scripts.has(file);
}

/**
 * The cell location of a frame `file:line:column` (1-based, as V8 prints them), or undefined
 * when the script is not a known cell or the cell is too large to align.
 */
export function cellLocation(file: string, line: number, column: number): CellLocation | undefined {
  const s = scripts.get(file);
  if (!s || isWrapperLine(s, line)) return undefined;
  s.alignment ??= align(s.javascript, s.typescript);
  if (!s.alignment) return undefined;
  const { js, ts, match } = s.alignment;
  // the token the frame points at: the last one starting at or before (line, column)
  let i = -1;
  for (let lo = 0, hi = js.length - 1; lo <= hi;) {
    const mid = (lo + hi) >> 1;
    const t = js[mid];
    if (t.line < line - 1 || (t.line === line - 1 && t.column <= column - 1)) {
      i = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const current = file === `${CELL_SCRIPT_PREFIX}${count}`;
  if (i >= 0 && match[i] >= 0 && js[i].line === line - 1 && js[i].column === column - 1) {
    const t = ts[match[i]];
    return { cell: s.cell, line: t.line, column: cellColumn(s, t), current };
  }
  // not an exact token (or one the compiler added): the nearest matched token before it gives the line
  for (let j = i; j >= 0; j--) {
    if (match[j] >= 0) return { cell: s.cell, line: ts[match[j]].line, current };
  }
  return undefined;
}

/**
 * The cell column of a TypeScript token: the same on lines the magic transform left alone; on a
 * rewritten line (a magic, the last line of a `%%time` cell) the token's place in the cell's line
 * if it occurs there once, else unknown.
 */
function cellColumn(s: CellScript, t: Token): number | undefined {
  const cellLine = s.cell.split('\n')[t.line] ?? '';
  if (cellLine === (s.typescript.split('\n')[t.line] ?? '')) return t.column;
  const at = cellLine.indexOf(t.text);
  return at >= 0 && cellLine.indexOf(t.text, at + 1) < 0 ? at : undefined;
}

const TOKEN = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|[A-Za-z_$][\w$]*|\d[\w.]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\S/g;

/**
 * Splits code into tokens with positions. Comments are dropped (the compiler drops some); a
 * template literal's text is split like code, which is the same on both sides.
 */
function tokenize(text: string): Token[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const out: Token[] = [];
  let line = 0;
  for (const m of text.matchAll(TOKEN)) {
    const offset = m.index!;
    if (m[0].startsWith('//') || m[0].startsWith('/*')) continue;
    while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
    out.push({ text: m[0], line, column: offset - starts[line], offset });
  }
  return out;
}

/** Longest common subsequence of the two token sequences: per JavaScript token, its TypeScript token or −1. */
function align(javascript: string, typescript: string): CellScript['alignment'] {
  const js = tokenize(javascript);
  const ts = tokenize(typescript);
  const n = js.length, m = ts.length;
  if ((n + 1) * (m + 1) > MAX_ALIGNMENT_CELLS) return null;
  const w = m + 1;
  // lengths of the common subsequence of the suffixes js[i..], ts[j..] (fits 16 bits: the cap keeps min(n, m) < 4000)
  const dp = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i * w + j] = js[i].text === ts[j].text ? dp[(i + 1) * w + j + 1] + 1 : Math.max(dp[(i + 1) * w + j], dp[i * w + j + 1]);
    }
  }
  const match = new Int32Array(n).fill(-1);
  for (let i = 0, j = 0; i < n && j < m;) {
    if (js[i].text === ts[j].text && dp[i * w + j] === dp[(i + 1) * w + j + 1] + 1) {
      match[i] = j;
      i++;
      j++;
    } else if (dp[(i + 1) * w + j] >= dp[i * w + j + 1]) i++;
    else j++;
  }
  return { js, ts, match };
}
