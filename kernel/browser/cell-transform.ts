/**
 * The browser kernel's cell transform: one cell of TypeScript (with magics) becomes JavaScript
 * that a Web Worker runs, keeping notebook state across cells.
 *
 * tslab (the Node kernel) compiles cells with the TypeScript language service and runs them with
 * Node's `vm`; neither exists in a browser worker, so this module does the same job with
 * `typescript`'s `transpileModule` (types erased, not checked) and a small rewrite:
 * - magic lines go through the Node kernel's own {@link transformMagics} (one source of truth);
 * - top-level `const` / `let` / `var` / `function` / `class` become assignments to properties of
 *   a persistent scope object, and the cell body runs inside `with (scope) { ... }`, so later
 *   cells read them by name and re-running a cell that declares `const x` simply reassigns it;
 * - the body is an async function, so top-level `await` works;
 * - the cell's last statement, when it is an expression, is returned: it is the cell's result.
 *
 * A scope object rather than `globalThis`: a worker's global scope has read-only names that
 * notebooks like to use (`name`, `location`), and a scope object can be reset or inspected.
 *
 * No Node-only imports: the browser bundle imports this module.
 */
import * as ts from 'typescript';
import { mapToCell, transformMagics, type Transformed } from '../magic-transform';

/** The name under which the generated code refers to the scope object. */
export const SCOPE = '$scope';

/** A cell compiled by {@link compileCell}. */
export interface CompiledCell {
  /**
   * JavaScript: the body of a sloppy-mode async function whose one parameter is the scope
   * object ({@link SCOPE}); it resolves to the value of the cell's last expression.
   */
  body: string;
  /** Top-level names the cell declares (they become properties of the scope object). */
  declared: string[];
  /** True when the cell ends in an expression statement, whose value the body returns. */
  hasValue: boolean;
  /** The magic transform's result (maps positions in the compiled TypeScript to the cell). */
  magics: Transformed;
}

/** Options of {@link compileCell}. */
export interface CompileOptions {
  /** Script name for stack traces (`//# sourceURL=`), e.g. `prunelab-cell-3.js`. */
  scriptName?: string;
}

/** A syntax error in a cell (or syntax the browser kernel does not support), with its position. */
export class CellSyntaxError extends SyntaxError {
  constructor(
    /** The compiler's message, without the position. */
    readonly reason: string,
    /** 0-based line in the cell. */
    readonly line: number,
    /** 0-based column in the cell. */
    readonly column: number,
    /** TypeScript diagnostic code (0 for the kernel's own checks). */
    readonly code: number,
  ) {
    // the same wording as the Node kernel's TypeScript errors (kernel/errors.ts)
    super(`${reason} (cell line ${line + 1}, column ${column + 1})`);
    this.name = 'CellSyntaxError';
  }
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  // every cell is a module to the parser, so top-level `await` is accepted
  moduleDetection: ts.ModuleDetectionKind.Force,
  // the body runs in `with (scope)`, which strict mode forbids
  alwaysStrict: false,
  removeComments: false,
};

/**
 * Compiles one cell.
 * @throws CellSyntaxError for a syntax error or an `import`/`export` statement.
 * @throws MagicSyntaxError (from the magic transform) for an unknown magic or a bad argument.
 */
export function compileCell(cell: string, options: CompileOptions = {}): CompiledCell {
  const magics = transformMagics(cell);
  const output = ts.transpileModule(magics.code, { compilerOptions: COMPILER_OPTIONS, fileName: 'cell.ts', reportDiagnostics: true });
  const syntaxError = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntaxError) throw errorAt(magics, syntaxError.file, syntaxError.start ?? 0, ts.flattenDiagnosticMessageText(syntaxError.messageText, '\n'), syntaxError.code);
  rejectModuleSyntax(magics);
  const { body, declared, hasValue } = rewriteTopLevel(output.outputText);
  const sourceUrl = options.scriptName ? `\n//# sourceURL=${options.scriptName}` : '';
  return { body: `with (${SCOPE}) {\n${body}\n}${sourceUrl}`, declared, hasValue, magics };
}

// the constructor of async functions is not a global
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (param: string, body: string) => (scope: object) => Promise<unknown>;

/** Runs a compiled cell against `scope` (which keeps the notebook's variables); resolves to the cell's result. */
export function runCompiledCell(compiled: CompiledCell, scope: object): Promise<unknown> {
  return new AsyncFunction(SCOPE, compiled.body)(scope);
}

function errorAt(magics: Transformed, file: ts.SourceFile | undefined, offset: number, reason: string, code: number): CellSyntaxError {
  const source = file ?? ts.createSourceFile('cell.ts', magics.code, ts.ScriptTarget.ES2022);
  const { line, character } = source.getLineAndCharacterOfPosition(offset);
  const pos = mapToCell(magics, line, character);
  return new CellSyntaxError(reason, pos.line, pos.column, code);
}

/**
 * A worker has no module resolution for a cell's imports, and a cell exports nothing: say so
 * where the statement is instead of failing at run time. Type-only imports are fine (erased).
 */
function rejectModuleSyntax(magics: Transformed): void {
  const source = ts.createSourceFile('cell.ts', magics.code, ts.ScriptTarget.ES2022, true);
  for (const statement of source.statements) {
    const typeOnlyImport = ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly;
    if ((ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement)) && !typeOnlyImport) {
      throw errorAt(magics, source, statement.getStart(source), "import statements are not supported in the browser kernel: 'tf' and 'pl' are already defined; use 'await import(url)' for other modules.", 0);
    }
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exported || ts.isExportDeclaration(statement) || ts.isExportAssignment(statement)) {
      throw errorAt(magics, source, statement.getStart(source), "export is not needed in a notebook cell: top-level declarations are visible to later cells.", 0);
    }
  }
}

/** A piece of the compiled JavaScript to replace. */
interface Edit {
  /** Offset of the first replaced character. */
  start: number;
  /** Offset after the last replaced character. */
  end: number;
  /** The replacement. */
  text: string;
}

/** Rewrites the top level of the transpiled JavaScript (see the module comment). */
function rewriteTopLevel(js: string): { body: string; declared: string[]; hasValue: boolean } {
  const source = ts.createSourceFile('cell.js', js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const text = (node: ts.Node) => node.getText(source);
  const edits: Edit[] = [];
  const hoisted: string[] = [];
  const declared: string[] = [];
  // `export {}` is what `moduleDetection: force` adds to a cell without imports or exports
  const statements = source.statements.filter((s) => !ts.isExportDeclaration(s));
  for (const s of source.statements) if (ts.isExportDeclaration(s)) edits.push({ start: s.getStart(source), end: s.end, text: '' });

  for (const statement of statements) {
    const start = statement.getStart(source);
    if (ts.isVariableStatement(statement)) {
      const isVar = !(statement.declarationList.flags & ts.NodeFlags.BlockScoped);
      const assignments = statement.declarationList.declarations.map((d) => {
        declared.push(...boundNames(d.name));
        if (d.initializer) {
          return ts.isIdentifier(d.name) ? `${SCOPE}.${d.name.text} = ${text(d.initializer)}` : `(${assignmentTarget(d.name, text)} = ${text(d.initializer)})`;
        }
        // `let x;` starts over; `var x;` keeps an earlier value, as a re-declared var does
        const name = (d.name as ts.Identifier).text;
        return `${SCOPE}.${name} = ${isVar ? `${SCOPE}.${name}` : 'undefined'}`;
      });
      edits.push({ start, end: statement.end, text: assignments.join('; ') + ';' });
    } else if (ts.isFunctionDeclaration(statement) && statement.name && statement.body) {
      // functions are hoisted: a cell may call one above its declaration
      declared.push(statement.name.text);
      hoisted.push(`${SCOPE}.${statement.name.text} = ${text(statement)};`);
      edits.push({ start, end: statement.end, text: '' });
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      declared.push(statement.name.text);
      edits.push({ start, end: statement.end, text: `${SCOPE}.${statement.name.text} = ${text(statement)};` });
    }
  }

  const last = statements[statements.length - 1];
  const hasValue = !!last && ts.isExpressionStatement(last);
  if (hasValue) edits.push({ start: last.getStart(source), end: last.end, text: `return (${text(last.expression)});` });

  let body = js;
  for (const e of edits.sort((a, b) => b.start - a.start)) body = body.slice(0, e.start) + e.text + body.slice(e.end);
  return { body: [...hoisted, body].join('\n'), declared: [...new Set(declared)], hasValue };
}

/** The identifiers a binding (`x`, `{ a, b: [c] }`) declares. */
function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : boundNames(e.name)));
}

/** A binding pattern as an assignment pattern whose targets are scope properties: `{ a, b: [c] }` → `{ a: $scope.a, b: [$scope.c] }`. */
function assignmentTarget(name: ts.BindingName, text: (node: ts.Node) => string): string {
  if (ts.isIdentifier(name)) return `${SCOPE}.${name.text}`;
  const withDefault = (e: ts.BindingElement) => (e.initializer ? ` = ${text(e.initializer)}` : '');
  if (ts.isObjectBindingPattern(name)) {
    const properties = name.elements.map((e) => {
      if (e.dotDotDotToken) return `...${assignmentTarget(e.name, text)}`;
      const key = e.propertyName ? text(e.propertyName) : (e.name as ts.Identifier).text;
      return `${key}: ${assignmentTarget(e.name, text)}${withDefault(e)}`;
    });
    return `{ ${properties.join(', ')} }`;
  }
  const items = name.elements.map((e) => (ts.isOmittedExpression(e) ? '' : `${e.dotDotDotToken ? '...' : ''}${assignmentTarget(e.name, text)}${withDefault(e)}`));
  return `[${items.join(', ')}]`;
}
