/**
 * Halves the per-cell TypeScript cost of tslab's converter.
 *
 * Every cell makes tslab's watch program build a new program, and TypeScript's builder then
 * recomputes, for each of the ~900 declaration files a notebook sees (Node, tfjs, danfojs,
 * prunelab), the map of which file references which (`BuilderState.create`): about 60 % of a
 * trivial cell's time. tslab only uses that map to list a cell's `.ts`/`.js` dependencies;
 * without it (what TypeScript does for `--module none`), the builder lists all program files,
 * from which tslab keeps the same non-declaration sources. So the map is skipped by presenting
 * the builder state with `module: None`; type checking and emit are unchanged.
 *
 * Applied only to the TypeScript version it was checked against (tslab's 5.0.x); otherwise a
 * no-op.
 */
import * as ts from '@tslab/typescript-for-tslab';

let applied = false;

/** Applies the patch once. @returns whether it is active. */
export function applyTypeScriptSpeedup(): boolean {
  if (applied) return true;
  const internal = (ts as unknown as { BuilderState?: { create?: (...a: unknown[]) => unknown } }).BuilderState;
  if (!ts.version.startsWith('5.0.') || !internal || typeof internal.create !== 'function' || process.env.PRUNELAB_TS_SPEEDUP === '0') return false;
  const original = internal.create;
  internal.create = function (this: unknown, ...args: unknown[]) {
    const program = args[0] as ts.Program;
    const view = Object.create(program) as ts.Program;
    view.getCompilerOptions = () => ({ ...program.getCompilerOptions(), module: ts.ModuleKind.None });
    return original.call(this, view, ...args.slice(1));
  };
  applied = true;
  return true;
}
