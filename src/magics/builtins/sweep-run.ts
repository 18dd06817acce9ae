/** What `%sweep` does in the Node edition (its declaration is in ./sweep). */
import * as fs from 'fs';
import { OptionError, UserError } from '../../errors';
import { InterruptedError } from '../../interrupt';
import { executorNames } from '../../sweep/executors';
import { readSpecFile } from '../../sweep/spec';
import { loadSweep, readSpec, rowsToDataFrame, statusLine, sweepStatus, type SweepResults } from '../../sweep/store';
import { sweep, type RerunMode } from '../../sweep/sweep';
import type { SweepSpec } from '../../sweep/types';
import type { MagicInvocation } from '../registry';
import type { MagicContext } from '../context';

/** The spec named on the line: a notebook variable of that name, else a spec file. */
function specOf(target: string, ctx: MagicContext): { spec: SweepSpec; baseDir?: string } {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(target) && ctx.has(target)) {
    const spec = ctx.get(target);
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new OptionError(`%sweep run: ${target} is ${Array.isArray(spec) ? 'a list' : typeof spec}, not a sweep spec { name, trial, grid, fixed? }.`, 'spec');
    }
    return { spec: spec as SweepSpec };
  }
  if (fs.existsSync(target)) return readSpecFile(target);
  throw new UserError(`%sweep run: '${target}' is neither a notebook variable nor a spec file; give a variable holding { name, trial, grid, fixed? } or the path of a JSON spec.`);
}

function failureLines(r: SweepResults): string[] {
  return r.failed.map((f) => `  failed ${f.id} ${JSON.stringify(f.config)}: ${f.error.name}: ${f.error.message.split('\n')[0]} (log: ${f.log})`);
}

/** The names `--executor` accepts. */
export function sweepExecutorNames(): string[] {
  return executorNames();
}

/** Runs `%sweep run|status|results`. */
export async function runSweepMagic({ args }: MagicInvocation, ctx: MagicContext): Promise<SweepResults> {
  const target = args.target as string;
  if (args.action === 'status') {
    const s = sweepStatus(target);
    ctx.print(statusLine(s));
    for (const c of s.corrupt) ctx.print(`  ${c.problem}`);
    return loadSweep(s.dir);
  }
  if (args.action === 'results') {
    const r = loadSweep(target);
    ctx.print(`${r.rows.length} done, ${r.failed.length} failed${r.corrupt.length ? `, ${r.corrupt.length} corrupt records` : ''} in ${r.dir}`);
    for (const line of failureLines(r)) ctx.print(line);
    for (const c of r.corrupt) ctx.print(`  ${c.problem}`);
    if (r.rows.length) ctx.display(rowsToDataFrame(r.rows));
    return r;
  }
  const { spec, baseDir } = specOf(target, ctx);
  const s = await sweep(spec, {
    dir: args.dir as string | undefined,
    executor: args.executor as string | undefined,
    workers: args.workers as number | undefined,
    rerun: args.rerun as RerunMode,
    signal: ctx.signal,
    baseDir,
  });
  const results: SweepResults = { dir: s.dir, spec: readSpec(s.dir), rows: s.rows, failed: s.failures, corrupt: s.corrupt };
  if (s.interrupted) {
    throw new InterruptedError(`%sweep stopped: ${s.done} of ${s.total} trials done (results in ${s.dir}); run the same line again to resume.`);
  }
  ctx.print(`sweep ${s.name}: ${s.done} done, ${s.failed} failed, ${s.skipped} already there (${s.seconds.toFixed(1)} s, ${s.executor}); results in ${s.dir}`);
  for (const line of failureLines(results)) ctx.print(line);
  return results;
}
