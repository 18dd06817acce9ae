/**
 * Turns a cell with magics into TypeScript that the kernels run (tslab's executor in Node, the
 * browser kernel's cell transform), keeping every line of
 * the user's code on the same line (so TypeScript diagnostics point at the right cell line and
 * completion offsets map by a per-line shift).
 *
 * - `%name args` (anywhere, code around it) becomes `await $prunelab.line("name", "args", L);`,
 *   or `let v: T = await ...;` for magics that store their result (`--as v`);
 * - `%name?` becomes a help call;
 * - `%%name args` on the first line applies to the whole cell (its body stays TypeScript for
 *   code magics such as `%%time` / `%%timeit`, and is passed as text otherwise).
 */
// No Node-only imports here: the browser bundle aliases this compiler to `typescript`.
import * as ts from '@tslab/typescript-for-tslab';
import { UserError } from '../src/errors';
import { parseMagic, type MagicForm, type MagicSpec } from '../src/magics/registry';
import { codeLineStarts } from './lexer';

/** The name under which cells see the kernel runtime (see `runtime.ts`). */
export const RUNTIME = '$prunelab';

/** A magic line found in a cell. */
export interface MagicLine {
  /** `line` (`%name`) or `cell` (`%%name`). */
  form: MagicForm;
  /** Magic name ('' when only `%` was typed). */
  name: string;
  /** Text after the name (without a help `?`). */
  argText: string;
  /** True for `%name?` (help). */
  help: boolean;
  /** 0-based line number in the cell. */
  line: number;
  /** Offset of the line's first character in the cell. */
  start: number;
  /** Offset just after the line's last character (before its newline). */
  end: number;
  /** Offset of the first `%`. */
  percent: number;
  /** Offset of the argument text. */
  argStart: number;
}

/** A magic usage error found before the cell runs, with its cell line. */
export class MagicSyntaxError extends UserError {
  constructor(
    message: string,
    /** 0-based line in the cell. */
    readonly line: number,
    /** The original error (e.g. a MagicArgumentError). */
    readonly original?: unknown,
  ) {
    super(message);
    this.name = original instanceof Error ? original.name : "MagicSyntaxError";
  }
}

/** Where user code was copied verbatim into a generated line: columns map back by offset. */
interface Span {
  gen: number;
  orig: number;
  len: number;
}

/** The result of {@link transformCell}. */
export interface Transformed {
  /** TypeScript to execute. */
  code: string;
  /** The magic lines found. */
  magics: MagicLine[];
  /** For generated lines: original text and verbatim spans, to map diagnostics back. */
  lineMaps: Map<number, { original: string; generated: string; spans: Span[] }>;
  /** True when the whole cell is a cell magic. */
  cellMagic?: MagicLine;
}

const MAGIC_RE = /^([ \t]*)(%%?)([A-Za-z][\w-]*)?(\?{1,2})?(.*)$/;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/**
 * Finds the magic lines of a cell: lines starting (after indentation) with `%`, outside strings,
 * template literals and comments.
 */
export function findMagicLines(cell: string): MagicLine[] {
  const codeStarts = codeLineStarts(cell);
  const starts = lineStarts(cell);
  const out: MagicLine[] = [];
  starts.forEach((start, line) => {
    if (!codeStarts[line]) return;
    const nl = cell.indexOf('\n', start);
    const end = nl < 0 ? cell.length : nl;
    const text = cell.slice(start, end).replace(/\r$/, '');
    const m = MAGIC_RE.exec(text);
    if (!m) return;
    const [, indent, pct, name = '', q = '', rest] = m;
    const percent = start + indent.length;
    const lead = rest.length - rest.trimStart().length;
    const argStart = percent + pct.length + name.length + q.length + lead;
    out.push({
      form: pct === '%%' ? 'cell' : 'line',
      name,
      argText: rest.trim() === '' ? '' : rest.slice(lead),
      help: q.length > 0 || /^\s*\?{1,2}\s*$/.test(rest),
      line,
      start,
      end: start + text.length,
      percent,
      argStart,
    });
  });
  return out;
}

/** True when `code` is a single expression (so `%time expr` can return its value). */
export function isExpression(code: string): boolean {
  const sf = ts.createSourceFile('__expr__.ts', code, ts.ScriptTarget.ES2022, true);
  const diags = (sf as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  return diags.length === 0 && sf.statements.length === 1 && ts.isExpressionStatement(sf.statements[0]) && !code.trim().endsWith(';');
}

/** Options of {@link transformCell}. */
export interface TransformOptions {
  /**
   * For completion and inspection: never throw (bad magic lines become blanks) and do not wrap
   * the last expression of a `%%time` body (which would shift columns).
   */
  analysis?: boolean;
}

const json = (v: unknown) => JSON.stringify(v);

function codeArgOffset(argText: string, code: string): number {
  return argText.trimEnd().length - code.length;
}

/**
 * Transforms a cell's magic lines into runtime calls. Line count and the text of non-magic
 * lines are preserved. Free of Node-only imports, so the browser kernel runs the same code
 * (`kernel/browser/cell-transform.ts`); the Node kernel's {@link transformCell} adds the
 * bookkeeping for stack-frame mapping.
 *
 * @throws MagicSyntaxError for an unknown magic or a bad argument (unless `analysis`).
 */
export function transformMagics(cell: string, options: TransformOptions = {}): Transformed {
  const magics = findMagicLines(cell);
  const lineMaps: Transformed['lineMaps'] = new Map();
  if (!magics.length) return { code: cell, magics, lineMaps };
  const lines = cell.split('\n');
  const declared = new Set<string>();

  const fail = (m: MagicLine, e: unknown): string => {
    if (options.analysis) return ' '.repeat(m.end - m.start);
    const msg = e instanceof Error ? e.message : String(e);
    throw new MagicSyntaxError(msg, m.line, e);
  };

  const assignPrefix = (spec: MagicSpec, args: Record<string, unknown>): string => {
    if (!spec.assigns) return '';
    const v = String(args[spec.assigns.arg]);
    if (declared.has(v)) return `${v} = `;
    declared.add(v);
    return `let ${v}: ${spec.assigns.type} = `;
  };

  const generate = (m: MagicLine): { text: string; spans: Span[] } => {
    const original = cell.slice(m.start, m.end);
    const indent = original.slice(0, m.percent - m.start);
    if (m.help) return { text: `${indent}${RUNTIME}.help(${json(m.form)}, ${json(m.name)});`, spans: [] };
    if (!m.name) return { text: fail(m, new Error(`A magic line needs a name after '%'. Run %lsmagic to list the magics.`)), spans: [] };
    if (m.form === 'cell') return { text: fail(m, new Error(`%%${m.name}: a cell magic must be on the first line of the cell.`)), spans: [] };
    let parsed;
    try {
      parsed = parseMagic('line', m.name, m.argText);
    } catch (e) {
      return { text: fail(m, e), spans: [] };
    }
    const { spec, args } = parsed;
    const call = `${RUNTIME}.line(${json(m.name)}, ${json(m.argText)}, ${m.line}`;
    if (!spec.code) return { text: `${indent}${assignPrefix(spec, args)}await ${call});`, spans: [] };
    const code = String(args.code ?? '');
    const origCol = m.argStart - m.start + codeArgOffset(m.argText, code);
    if (spec.code === 'function') {
      const expr = isExpression(code);
      const head = `${indent}${assignPrefix(spec, args)}await ${call}, async () => ${expr ? '(' : '{ '}`;
      return { text: `${head}${code}${expr ? ')' : ' }'});`, spans: [{ gen: head.length, orig: origCol, len: code.length }] };
    }
    // inline: the code runs in place between start and end.
    if (isExpression(code)) {
      const head = `${indent}${RUNTIME}.inlineEnd((${RUNTIME}.inlineStart("line", ${json(m.name)}, ${json(m.argText)}, ${m.line}), (`;
      return { text: `${head}${code})));`, spans: [{ gen: head.length, orig: origCol, len: code.length }] };
    }
    const head = `${indent}${RUNTIME}.inlineStart("line", ${json(m.name)}, ${json(m.argText)}, ${m.line}); `;
    return { text: `${head}${code}; ${RUNTIME}.inlineEnd();`, spans: [{ gen: head.length, orig: origCol, len: code.length }] };
  };

  const first = magics[0];
  const cellMagic = first.form === 'cell' && first.line === 0 && !first.help ? first : undefined;
  for (const m of magics) {
    if (m === cellMagic) continue;
    if (cellMagic && !isCodeCellMagic(cellMagic)) continue; // the body is text, not code
    const { text, spans } = generate(m);
    lines[m.line] = text;
    lineMaps.set(m.line, { original: cell.slice(m.start, m.end), generated: text, spans });
  }
  if (!cellMagic) return { code: lines.join('\n'), magics, lineMaps };
  return wrapCellMagic(cell, cellMagic, lines, lineMaps, magics, options, assignPrefix, fail);
}

function isCodeCellMagic(m: MagicLine): boolean {
  try {
    return !!parseMagic('cell', m.name, m.argText).spec.code;
  } catch {
    return false;
  }
}

function wrapCellMagic(
  cell: string,
  m: MagicLine,
  lines: string[],
  lineMaps: Transformed['lineMaps'],
  magics: MagicLine[],
  options: TransformOptions,
  assignPrefix: (spec: MagicSpec, args: Record<string, unknown>) => string,
  fail: (m: MagicLine, e: unknown) => string,
): Transformed {
  const original = cell.slice(m.start, m.end);
  const setFirst = (text: string) => {
    lines[0] = text;
    lineMaps.set(0, { original, generated: text, spans: [] });
  };
  let parsed;
  try {
    parsed = parseMagic('cell', m.name, m.argText);
  } catch (e) {
    setFirst(fail(m, e));
    return { code: lines.join('\n'), magics, lineMaps, cellMagic: m };
  }
  const { spec, args } = parsed;
  const body = lines.slice(1).join('\n');
  const bodyText = cell.slice(cell.indexOf('\n') + 1 || cell.length);
  if (!spec.code) {
    // The body is data for the magic; its lines stay as blank lines to keep numbering.
    setFirst(`${assignPrefix(spec, args)}await ${RUNTIME}.cell(${json(m.name)}, ${json(m.argText)}, ${json(cell.includes('\n') ? bodyText : '')});`);
    return { code: [lines[0], ...lines.slice(1).map(() => '')].join('\n'), magics, lineMaps, cellMagic: m };
  }
  if (spec.code === 'function') {
    setFirst(`${assignPrefix(spec, args)}await ${RUNTIME}.cell(${json(m.name)}, ${json(m.argText)}, undefined, async () => {`);
    return { code: `${lines[0]}\n${body}\n});`, magics, lineMaps, cellMagic: m };
  }
  setFirst(`${RUNTIME}.inlineStart("cell", ${json(m.name)}, ${json(m.argText)}, 0);`);
  if (!options.analysis) {
    const sf = ts.createSourceFile('__body__.ts', body, ts.ScriptTarget.ES2022, true);
    const last = sf.statements[sf.statements.length - 1];
    if (last && ts.isExpressionStatement(last)) {
      const s = last.expression.getStart(sf);
      const e = last.expression.end;
      const wrapped = `${body.slice(0, s)}${RUNTIME}.inlineEnd(${body.slice(s, e)})${body.slice(e)}`;
      return { code: `${lines[0]}\n${wrapped}`, magics, lineMaps, cellMagic: m };
    }
  }
  return { code: `${lines[0]}\n${body}\n;${RUNTIME}.inlineEnd();`, magics, lineMaps, cellMagic: m };
}

/**
 * Maps a 0-based (line, column) of the transformed code back to the cell: unchanged lines map
 * to themselves; in generated lines, columns inside copied user code map to that code and
 * anything else to the magic's `%`.
 */
export function mapToCell(t: Transformed, line: number, column: number): { line: number; column: number } {
  const lm = t.lineMaps.get(line);
  if (!lm) return { line, column };
  for (const s of lm.spans) {
    if (column >= s.gen && column <= s.gen + s.len) return { line, column: s.orig + (column - s.gen) };
  }
  const indent = lm.original.length - lm.original.trimStart().length;
  return { line, column: indent };
}

/** Converts a cell offset to an offset in `generated` (for positions on unchanged lines). */
export function cellOffsetToGenerated(cell: string, generated: string, offset: number): number {
  const a = lineStarts(cell);
  const b = lineStarts(generated);
  let line = a.length - 1;
  while (line > 0 && a[line] > offset) line--;
  return (b[line] ?? generated.length) + (offset - a[line]);
}

/** Converts an offset in `generated` back to the cell (inverse of {@link cellOffsetToGenerated}). */
export function generatedOffsetToCell(cell: string, generated: string, offset: number): number {
  const a = lineStarts(cell);
  const b = lineStarts(generated);
  let line = b.length - 1;
  while (line > 0 && b[line] > offset) line--;
  if (line >= a.length) return cell.length;
  const lineEnd = line + 1 < a.length ? a[line + 1] - 1 : cell.length;
  return Math.min(a[line] + (offset - b[line]), lineEnd);
}
