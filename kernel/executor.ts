/**
 * prunelab's executor: tslab's executor (TypeScript → JavaScript, declarations kept across
 * cells, completion, inspection) wrapped with
 * - the magic transform (`transform.ts`) before execution, completion and inspection;
 * - capture of the cell's value (for `execute_result`), of TypeScript diagnostics and of thrown
 *   errors (for `error` messages) instead of tslab's printing them to stdout/stderr;
 * - stdout/stderr and rich display routed to the running request while its cell runs
 *   (`cell-io.ts`), and the prelude (`prelude.ts`) run at start;
 * - interruption: each cell runs in its own async context (`cell-work.ts`) with an AbortSignal
 *   that prunelab's long work (training, magics) stops on by default; a cell that has not stopped
 *   after the grace period has its timers cancelled and is abandoned (tslab's interrupt); work it
 *   left that cannot be cancelled (I/O, child processes) keeps the cell busy until it ends, so
 *   the kernel never reports idle while an interrupted cell's code can still run.
 */
import { createConverter, type CompletionInfo, type Converter, type ConvertResult } from 'tslab/dist/converter';
import { createExecutor, type ConverterSet, type Executor } from 'tslab/dist/executor';
import type * as tsTypes from '@tslab/typescript-for-tslab';
import { isNoResult, mimeBundle, type MimeBundle } from '../src/report/display';
import { closeMatches } from '../src/magics/close-matches';
import { unknownVariableError, type MagicContext } from '../src/magics/context';
import { display } from '../src/report/display';
import { completeMagicLine, magicInspect } from './complete';
import { diagnosticsError, magicSyntaxError, runtimeError, type CellDiagnostic, type ErrorContent } from './errors';
import { RUNTIME, cellOffsetToGenerated, findMagicLines, generatedOffsetToCell, MagicSyntaxError, transformCell, type Transformed } from './transform';
import { resetInline, setRuntimeHost } from './runtime';
import { setSignalSource } from './signal';
import { CellWork, CellWorkTracker, describePending } from './cell-work';
import { applyTypeScriptSpeedup } from './ts-speedup';
import { applyShorthandFix } from './ts-shorthand';
import { installCellScriptCapture } from './cell-scripts';
import { routeOutputTo, type CellIO } from './cell-io';
import { lazyDanfo, preludeCode, repoRoot, startBackend } from './prelude';

export type { CellIO } from './cell-io';
export { preludeCode, repoRoot } from './prelude';

applyTypeScriptSpeedup();
applyShorthandFix();
// Tracebacks map frames to cell lines only for scripts captured from the first cell on.
installCellScriptCapture();

/** How a cell ended. */
export type Outcome = { status: 'ok'; result?: MimeBundle } | ({ status: 'error' } & ErrorContent);

/** Options of {@link PrunelabExecutor}. */
export interface ExecutorOptions {
  /** Directory that relative imports in cells resolve from (default: the working directory). */
  rootDir?: string;
  /** Run the prelude (`pl`, `tf`, `dfd`, backend) at start (default true). */
  prelude?: boolean;
  /**
   * Milliseconds an interrupted cell gets to stop on its AbortSignal before its timers are
   * cancelled and it is abandoned (default 3000).
   */
  interruptGraceMs?: number;
}

const NO_VALUE = Symbol('no value');

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** TensorFlow.js's engine, where the prelude has loaded it (read from its global, so the kernel does not load tfjs itself). */
function tfEngine(): { state: { scopeStack: unknown[] }; endScope(): void } | undefined {
  return (globalThis as { _tfengine?: { state: { scopeStack: unknown[] }; endScope(): void } })._tfengine;
}

/**
 * Ends the `tf.tidy` scopes an interrupted cell was stopped inside (SIGINT cuts a synchronous
 * loop without running tidy's `finally`), disposing their tensors as the tidy would have.
 */
function closeAbandonedScopes(depthBefore: number): void {
  const engine = tfEngine();
  if (!engine) return;
  while (engine.state.scopeStack.length > depthBefore) engine.endScope();
}

/** Whether `e` is Node's error for synchronous code stopped by SIGINT (vm's breakOnSigint). */
function isSyncInterrupt(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED';
}

/** Names hidden from variable listings and suggestions. */
const INTERNAL_NAMES = new Set([RUNTIME, 'tsLastExpr']);

/** The prunelab executor; see the module comment. */
export class PrunelabExecutor implements Executor {
  private readonly convs: ConverterSet;
  private readonly inner: Executor;
  private readonly root: string;
  private readonly graceMs: number;
  private readonly withPrelude: boolean;
  private started: Promise<void> | null = null;

  // State of the cell being executed.
  private lastValue: unknown = NO_VALUE;
  private diagnostics: CellDiagnostic[] | null = null;
  private thrown: unknown[] = [];
  private controller = new AbortController();
  private running = false;
  private forceTimer: NodeJS.Timeout | null = null;
  private io: CellIO | null = null;
  /** The async work of each cell (the running one's is `work`). */
  private readonly tracker = new CellWorkTracker();
  private work: CellWork | null = null;
  /** Set when the grace period ended before the interrupted cell did. */
  private abandoned = false;
  /** Set while an interrupted cell waits for the work it left to stop. */
  private draining = false;

  constructor(options: ExecutorOptions = {}) {
    this.root = repoRoot();
    this.graceMs = options.interruptGraceMs ?? 3000;
    this.withPrelude = options.prelude !== false;
    const t0 = Date.now();
    const node = this.wrapConverter(createConverter({ isJS: false, isBrowser: false }));
    if (process.env.PRUNELAB_KERNEL_TIMING) process.stderr.write(`[prunelab timing] converter ${Date.now() - t0} ms\n`);
    let browser: Converter | null = null;
    this.convs = {
      node,
      get browser() {
        return (browser ??= createConverter({ isJS: false, isBrowser: true }));
      },
      close() {
        node.close();
        browser?.close();
      },
    };
    this.inner = createExecutor(options.rootDir ?? process.cwd(), this.convs, {
      log: (value: unknown) => {
        this.lastValue = value;
      },
      error: (...args: unknown[]) => {
        // tslab prints diagnostics as ("%s%d:%d - %s", file, line, col, text); those are
        // captured structurally by the converter wrapper. Anything else is a thrown value.
        if (typeof args[0] === 'string' && args[0].startsWith('%s%d:%d')) return;
        this.thrown.push(args[0]);
      },
    });
    setRuntimeHost({ context: () => this.context() });
    // The signal of the cell whose code calls (also from its callbacks after it ended); none outside cells.
    setSignalSource(() => this.tracker.current()?.signal);
  }

  /**
   * Runs the prelude (once; later calls return the same promise). The kernel calls this after
   * binding its sockets, so that clients get `kernel_info` answered while TypeScript loads the
   * API's types; the first cell waits for it.
   */
  start(): Promise<void> {
    this.started ??= this.withPrelude ? this.runPrelude() : Promise.resolve();
    return this.started;
  }

  private wrapConverter(conv: Converter): Converter {
    return {
      ...conv,
      convert: (prevDecl: string, src: string): ConvertResult => {
        const r = conv.convert(prevDecl, src);
        if (r.diagnostics.length) this.diagnostics = r.diagnostics;
        return r;
      },
      inspect: conv.inspect.bind(conv),
      complete: conv.complete.bind(conv),
      close: conv.close.bind(conv),
      addModule: conv.addModule.bind(conv),
    };
  }

  private async runPrelude(): Promise<void> {
    const t0 = Date.now();
    // The backend starts (compiling the wasm module) while the prelude is type-checked; its one
    // printed line stays out of the first cell's output.
    const backend = startBackend();
    const out = await this.runCode(preludeCode(this.root));
    if (process.env.PRUNELAB_KERNEL_TIMING) process.stderr.write(`[prunelab timing] prelude ${Date.now() - t0} ms\n`);
    await backend;
    if (out.status === 'error') throw new Error(`The prunelab prelude failed: ${out.evalue}\n${out.traceback.join('\n')}`);
    // After the prelude's `declare const dfd` (which exports nothing), so the value stays.
    this.locals.dfd = lazyDanfo(this.root);
  }

  /** The notebook's variables (tslab's exported locals). */
  get locals(): Record<string, unknown> {
    return this.inner.locals;
  }

  /** Names of user variables (without the kernel's internals). */
  variableNames(): string[] {
    return Object.keys(this.locals).filter((n) => !INTERNAL_NAMES.has(n));
  }

  /** The magic context of the running cell. */
  context(): MagicContext {
    const locals = this.locals;
    return {
      get: (name) => {
        if (!(name in locals) || INTERNAL_NAMES.has(name)) throw unknownVariableError(name, this.variableNames());
        return locals[name];
      },
      has: (name) => name in locals && !INTERNAL_NAMES.has(name),
      variableNames: () => this.variableNames(),
      display: (value) => display(value),
      print: (text) => void process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
      signal: this.controller.signal,
    };
  }

  /** The AbortSignal of the running cell (aborted on interrupt). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Runs a cell: transforms magics, executes, and reports the value or the error.
   *
   * @param cell the cell's source.
   * @param cellIO where its output goes: stdout/stderr and displays are routed there while the
   *   cell runs and put back when it ends (display handles it created keep updating it).
   */
  async run(cell: string, cellIO: CellIO): Promise<Outcome> {
    await this.start().catch(() => undefined);
    // Sending output is the kernel's work, not the cell's (it would hold an interrupted cell back).
    const io: CellIO = {
      stream: (name, text) => this.tracker.outside(() => cellIO.stream(name, text)),
      display: (bundle, id, update) => this.tracker.outside(() => cellIO.display(bundle, id, update)),
    };
    this.io = io;
    const restoreOutput = routeOutputTo(io);
    try {
      return await this.runCode(cell);
    } finally {
      restoreOutput();
      this.io = null;
    }
  }

  private async runCode(cell: string): Promise<Outcome> {
    let t: Transformed;
    try {
      t = transformCell(cell);
    } catch (e) {
      if (e instanceof MagicSyntaxError) return { status: 'error', ...magicSyntaxError(cell, e) };
      return { status: 'error', ...runtimeError(e) };
    }
    this.lastValue = NO_VALUE;
    this.diagnostics = null;
    this.thrown = [];
    this.controller = new AbortController();
    const work = new CellWork(this.controller.signal);
    this.work = work;
    this.abandoned = false;
    this.running = true;
    resetInline();
    let ok: boolean;
    let leftovers = '';
    const scopeDepth = tfEngine()?.state.scopeStack.length ?? 0;
    try {
      ok = await this.tracker.run(work, () => this.inner.execute(t.code));
      if (this.forceTimer) clearTimeout(this.forceTimer);
      // SIGINT during synchronous code stops it through the vm (our SIGINT handler does not run then).
      if (!work.signal.aborted && this.thrown.some(isSyncInterrupt)) this.controller.abort(this.thrown.find(isSyncInterrupt));
      if (work.signal.aborted) {
        closeAbandonedScopes(scopeDepth);
        leftovers = await this.stopLeftovers(work);
      }
    } finally {
      this.running = false;
      this.draining = false;
      if (this.forceTimer) clearTimeout(this.forceTimer);
      this.forceTimer = null;
      this.tracker.release(work);
      this.work = null;
    }
    if (this.diagnostics) return { status: 'error', ...diagnosticsError(cell, t, this.diagnostics) };
    // An interrupted cell ends as an error even if its code returned normally (e.g. `pl.train`
    // given the signal returns `stopReason: 'aborted'`), so that queued cells ("Run All") stop.
    if (work.signal.aborted) return { status: 'error', ...runtimeError(this.interruptError(leftovers)) };
    if (!ok || this.thrown.length) return { status: 'error', ...runtimeError(this.thrown[0]) };
    if (this.lastValue === NO_VALUE || isNoResult(this.lastValue)) return { status: 'ok' };
    try {
      return { status: 'ok', result: mimeBundle(this.lastValue) };
    } catch (e) {
      return { status: 'error', ...runtimeError(e) };
    }
  }

  /** tslab's Executor interface: runs `src` with output to the process streams. */
  async execute(src: string): Promise<boolean> {
    return (await this.runCode(src)).status === 'ok';
  }

  /**
   * After an interrupted cell returned (by itself, or abandoned at the end of the grace period):
   * cancels the timers it left and, while its other work (I/O, child processes) runs on, keeps
   * the cell busy, saying so on its stderr.
   *
   * @returns a sentence for the error message ('' when nothing was left running).
   */
  private async stopLeftovers(work: CellWork): Promise<string> {
    this.tracker.cancel(work);
    // Node reports finished I/O a moment later: give it that moment before saying anything.
    for (let i = 0; i < 10 && this.tracker.pending(work).length; i++) await delay(10);
    const left = this.tracker.pending(work);
    if (left.length === 0) return '';
    this.draining = true;
    const t0 = Date.now();
    this.io?.stream(
      'stderr',
      `KeyboardInterrupt: the cell's work is still running (${describePending(left)}), and prunelab cannot cancel it. ` +
        'The kernel stays busy until it ends; the next cell waits. Restart the kernel to end it now.\n',
    );
    while (this.tracker.pending(work).length) await delay(50);
    return ` The cell's work (${describePending(left)}) was still running; the kernel waited ${((Date.now() - t0) / 1000).toFixed(1)} s for it to end.`;
  }

  /** The error an interrupted cell ends with: its own KeyboardInterrupt (e.g. training's, which says where it stopped) or a generic one. */
  private interruptError(leftovers: string): Error {
    const own = this.thrown.find((e): e is Error => e instanceof Error && e.name === 'KeyboardInterrupt');
    let message = own?.message ?? 'Interrupted by the user.';
    if (this.abandoned && !own) {
      message = `Interrupted by the user: the cell did not stop within ${this.graceMs / 1000} s of the interrupt, so it was abandoned and its timers cancelled.`;
    }
    const err = new Error(message + leftovers);
    err.name = 'KeyboardInterrupt';
    return err;
  }

  /**
   * Interrupts the running cell: aborts its signal (prunelab's training stops at the next step,
   * leaving the model consistent) and, if the cell has not finished after the grace period,
   * cancels its timers and abandons it with tslab's interrupt. A cell already waiting for the
   * work it left is reminded of that (only a restart ends such work).
   */
  interrupt(): void {
    if (!this.running) return;
    if (this.draining) {
      const left = this.work ? describePending(this.tracker.pending(this.work)) : 'its work';
      this.io?.stream('stderr', `Still waiting for the interrupted cell's work (${left}) to end; restart the kernel to end it now.\n`);
      return;
    }
    const err = new Error('Interrupted by the user');
    err.name = 'KeyboardInterrupt';
    if (!this.controller.signal.aborted) this.controller.abort(err);
    this.forceTimer ??= this.tracker.outside(() =>
      setTimeout(() => {
        if (!this.running || !this.work) return;
        this.abandoned = true;
        this.tracker.cancel(this.work);
        this.inner.interrupt();
      }, this.graceMs),
    );
  }

  /** True while a cell runs. */
  get busy(): boolean {
    return this.running;
  }

  /**
   * Completion at `position`: magic names, options and variables on magic lines; TypeScript
   * completion elsewhere (on the transformed cell, offsets mapped back).
   */
  complete(src: string, position: number): CompletionInfo {
    const m = findMagicLines(src).find((l) => position >= l.start && position <= l.end);
    if (m) return completeMagicLine(src, m, position, this.variableNames());
    const t = transformCell(src, { analysis: true });
    const info = this.inner.complete(t.code, cellOffsetToGenerated(src, t.code, position));
    return {
      ...info,
      start: generatedOffsetToCell(src, t.code, info.start),
      end: generatedOffsetToCell(src, t.code, info.end),
    };
  }

  /** The help of the magic whose line holds `position`, or null when it is not on a magic line. */
  magicHelpAt(src: string, position: number): string | null {
    const m = findMagicLines(src).find((l) => position >= l.start && position <= l.end);
    return m ? magicInspect(m) : null;
  }

  /** TypeScript quick info at `position` (on the transformed cell, offsets mapped). */
  inspect(src: string, position: number): tsTypes.QuickInfo {
    const t = transformCell(src, { analysis: true });
    return this.inner.inspect(t.code, cellOffsetToGenerated(src, t.code, position));
  }

  /** Suggestions for a misspelt variable name. */
  suggestVariables(name: string): string[] {
    return closeMatches(name, this.variableNames());
  }

  /** Forgets all variables and declarations (the prelude is run again). */
  reset(): void {
    this.inner.reset();
    void this.runCode(preludeCode(this.root)).then(() => {
      this.locals.dfd = lazyDanfo(this.root);
    });
  }

  /** Releases the TypeScript compiler's resources. */
  close(): void {
    setRuntimeHost(null);
    this.inner.close();
  }
}
