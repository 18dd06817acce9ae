/**
 * Makes `{ x }` work when `x` was declared in an earlier cell.
 *
 * tslab keeps a cell's top-level variables on `exports` and rewrites every later reference `x`
 * to `exports.x` (its `wrapPrevIdentifier` transformer). In a shorthand property `{ x }`,
 * TypeScript's `getSymbolAtLocation` resolves `x` to the new *property*, not the variable.
 * tslab therefore leaves it alone, and the cell fails at run time with
 * "ReferenceError: x is not defined". This patch adds a `before` transformer to tslab's emits
 * that expands such a shorthand to `{ x: exports.x }`. It looks the variable up with the
 * program's own type checker (`getShorthandAssignmentValueSymbol`).
 *
 * The TypeScript namespace's functions cannot be replaced (they are read-only getters), so the
 * transformer is attached where the speed-up patch also hooks in: `BuilderState.create`, which
 * receives every program tslab's watch host builds; that program's `emit` is wrapped. Applies
 * only to the TypeScript version it was checked against (tslab's 5.0.x); otherwise a no-op.
 */
import * as ts from '@tslab/typescript-for-tslab';

/** The file in which tslab declares the variables of earlier cells. */
const PREVIOUS_CELLS_FILE = '__prev__.d.ts';

let applied = false;

/** Applies the patch once. @returns whether it is active. */
export function applyShorthandFix(): boolean {
  if (applied) return true;
  const internal = (ts as unknown as { BuilderState?: { create?: (...a: unknown[]) => unknown } }).BuilderState;
  if (!ts.version.startsWith('5.0.') || !internal || typeof internal.create !== 'function') return false;
  const create = internal.create;
  internal.create = function (this: unknown, ...args: unknown[]) {
    withShorthandExpansion(args[0] as ts.Program);
    return create.apply(this, args);
  };
  applied = true;
  return true;
}

/** Wraps `program.emit` so that emits with custom transformers (tslab's) also expand shorthands. */
function withShorthandExpansion(program: ts.Program): void {
  const emit = program.emit;
  program.emit = function (target, writeFile, cancel, onlyDts, transformers) {
    if (transformers) transformers = { ...transformers, before: [expandShorthands(program), ...(transformers.before ?? [])] };
    return emit.call(this, target, writeFile, cancel, onlyDts, transformers);
  };
}

/** `{ x }` → `{ x: exports.x }` wherever `x` is an earlier cell's variable. */
function expandShorthands(program: ts.Program): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (file) => {
    const checker = program.getTypeChecker();
    const f = context.factory;
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isShorthandPropertyAssignment(node)) {
        const symbol = checker.getShorthandAssignmentValueSymbol(node);
        if (symbol?.declarations?.some((d) => d.getSourceFile().fileName.endsWith(PREVIOUS_CELLS_FILE))) {
          const name = node.name.text;
          const value = f.createPropertyAccessExpression(f.createIdentifier('exports'), f.createIdentifier(name));
          // `({ x = 1 } = o)`: a destructuring default stays a default of the same target
          const init = node.objectAssignmentInitializer && (ts.visitNode(node.objectAssignmentInitializer, visit) as ts.Expression);
          return f.createPropertyAssignment(f.createIdentifier(name), init ? f.createAssignment(value, init) : value);
        }
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(file, visit) as ts.SourceFile;
  };
}
