/**
 * The asynchronous work a cell starts, so that an interrupt can stop it and the kernel knows when
 * it has stopped.
 *
 * Each cell runs in an AsyncLocalStorage context (which also gives `pl` the cell's interrupt
 * signal). While a cell runs, and while an interrupted cell's work drains, an async_hooks `init`
 * hook records the resources created in a cell's context:
 * - timers and immediates, which {@link CellWorkTracker.cancel} clears: a cell that ignores its
 *   signal (`while (true) { await sleep(10) }`, `await tf.nextFrame()` loops) is left waiting on a
 *   promise that never settles, so it halts; timers its leftover callbacks create afterwards are
 *   cleared as they are made;
 * - I/O in flight (libuv requests, and referenced handles: child processes, sockets, servers),
 *   which cannot be cancelled from outside: {@link CellWorkTracker.pending} lists them so the
 *   kernel can wait for them.
 * Promises are not recorded (a pending promise is not work, only what can settle it is), and
 * process.nextTick / queueMicrotask callbacks neither: they run before the event loop goes on.
 *
 * Cost: no `destroy` hook (it would make Node track the death of every promise, about 1 µs each):
 * whether a resource is still alive is read from the resource itself when asked (timers'
 * `_destroyed`, handles' `hasRef()`, the process's list of active requests), and resources are
 * held weakly. What remains per promise is one call of the init hook; `npm run bench:kernel`
 * measures it.
 */
import { AsyncLocalStorage, createHook } from 'async_hooks';

/** Resource types that run before the event loop goes on, so never outlive a macrotask. */
const UNTRACKED = new Set(['PROMISE', 'TickObject', 'Microtask']);
/** Resource types an interrupt cancels. */
const CANCELLABLE = new Set(['Timeout', 'Immediate']);

interface Tracked {
  type: string;
  resource: WeakRef<object>;
}

/** The work of one cell. */
export class CellWork {
  /** Resources created in this cell's context (some may have ended since). */
  resources: Tracked[] = [];
  /** Set by {@link CellWorkTracker.cancel}: timers created from now on are cleared at once. */
  cancelled = false;
  /** Size of `resources` at which ended entries are dropped next (keeps long cells' lists short). */
  sweepAt = 1024;

  /** @param signal the cell's interrupt signal (what `pl.interruptSignal()` and the ambient signal give). */
  constructor(readonly signal: AbortSignal) {}
}

function clearResource(type: string, resource: object): void {
  if (type === 'Timeout') clearTimeout(resource as NodeJS.Timeout);
  else if (type === 'Immediate') clearImmediate(resource as NodeJS.Immediate);
}

/** The libuv requests in flight now (undefined where Node does not list them). */
function activeRequests(): Set<object> | undefined {
  const list = (process as unknown as { _getActiveRequests?: () => object[] })._getActiveRequests;
  return typeof list === 'function' ? new Set(list.call(process)) : undefined;
}

/**
 * Whether a tracked resource still stands for work that can run the cell's code.
 * @param requests the requests in flight; when omitted, every request counts as ended.
 */
function isPending(t: Tracked, requests?: Set<object>): boolean {
  const r = t.resource.deref() as { _destroyed?: boolean; hasRef?: () => boolean } | undefined;
  if (!r) return false; // collected: nothing referenced it, so nothing will call it back
  if (CANCELLABLE.has(t.type)) return r._destroyed !== true;
  // Handles (sockets, pipes, child processes, servers) count while referenced: an unref'd one
  // does not keep even the process alive (libraries use those for background work).
  if (typeof r.hasRef === 'function') return r.hasRef();
  return requests?.has(r) ?? false;
}

/** Runs cells in their own async context and tracks the work each starts. */
export class CellWorkTracker {
  private readonly storage = new AsyncLocalStorage<CellWork>();
  /** Cells whose resources are being recorded. */
  private readonly tracked = new Set<CellWork>();
  private readonly hook = createHook({
    init: (_asyncId, type, _trigger, resource) => {
      if (type === 'PROMISE' || UNTRACKED.has(type)) return; // promises first: they are most of the calls
      const work = this.storage.getStore();
      if (!work || !this.tracked.has(work)) return;
      if (work.resources.length >= work.sweepAt) this.sweep(work);
      work.resources.push({ type, resource: new WeakRef(resource) });
      // Cleared after the constructor that called init has queued the timer.
      if (work.cancelled && CANCELLABLE.has(type)) queueMicrotask(() => clearResource(type, resource));
    },
  });

  /** The work of the cell whose code is running now (also in its callbacks), if any. */
  current(): CellWork | undefined {
    return this.storage.getStore();
  }

  /** Runs `fn` as the code of `work`'s cell and starts recording what it creates. */
  run<T>(work: CellWork, fn: () => T): T {
    if (this.tracked.size === 0) this.hook.enable();
    this.tracked.add(work);
    return this.storage.run(work, fn);
  }

  /** Runs `fn` outside any cell's context (the kernel's own output and messages are no cell's work). */
  outside<T>(fn: () => T): T {
    return this.storage.exit(fn);
  }

  /** Clears the cell's timers and immediates, and those it creates from now on. */
  cancel(work: CellWork): void {
    work.cancelled = true;
    for (const t of work.resources) {
      const r = t.resource.deref();
      if (r && CANCELLABLE.has(t.type)) clearResource(t.type, r);
    }
  }

  /** The types of the cell's work still in flight, e.g. `['PROCESSWRAP', 'PIPEWRAP']`. */
  pending(work: CellWork): string[] {
    const requests = activeRequests();
    return work.resources.filter((t) => isPending(t, requests)).map((t) => t.type);
  }

  /** Stops recording the cell's work (its later timers run as ordinary background work). */
  release(work: CellWork): void {
    work.resources = [];
    this.tracked.delete(work);
    if (this.tracked.size === 0) this.hook.disable();
  }

  /**
   * Drops ended timers and collected resources (a cell looping on timers creates thousands).
   * Requests are kept: one being created is not listed as active yet.
   */
  private sweep(work: CellWork): void {
    const kept = work.resources.filter((t) => {
      const r = t.resource.deref() as { _destroyed?: boolean } | undefined;
      return r !== undefined && !(CANCELLABLE.has(t.type) && r._destroyed === true);
    });
    work.resources = kept;
    work.sweepAt = Math.max(1024, 2 * kept.length);
  }
}

/** Words for Node's resource type names (others are shown as they are). */
const RESOURCE_WORDS: Record<string, string> = {
  PROCESSWRAP: 'child process',
  PIPEWRAP: 'pipe',
  PIPESERVERWRAP: 'pipe server',
  TCPWRAP: 'TCP socket',
  TCPSERVERWRAP: 'TCP server',
  UDPWRAP: 'UDP socket',
  TTYWRAP: 'terminal stream',
  FSREQCALLBACK: 'file operation',
  FSREQPROMISE: 'file operation',
  GETADDRINFOREQWRAP: 'DNS lookup',
  HTTPCLIENTREQUEST: 'HTTP request',
  WRITEWRAP: 'stream write',
  SIGNALWRAP: 'signal listener',
  STATWATCHER: 'file watcher',
  FSEVENTWRAP: 'file watcher',
};

/** `['PIPEWRAP', 'PROCESSWRAP', 'PIPEWRAP']` → `1 child process, 2 pipes`. */
export function describePending(types: string[]): string {
  const counts = new Map<string, number>();
  for (const t of types) {
    const word = RESOURCE_WORDS[t] ?? t;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const plural = (w: string) => (w.endsWith('s') ? `${w}es` : `${w}s`);
  return [...counts].map(([w, n]) => `${n} ${n === 1 || w === w.toUpperCase() ? w : plural(w)}`).sort().join(', ');
}
