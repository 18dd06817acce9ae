/**
 * The asynchronous work a cell starts, so that an interrupt can stop it and the kernel knows when
 * it has stopped.
 *
 * Each cell runs in an AsyncLocalStorage context (which also gives `pl` the cell's interrupt
 * signal). While a cell runs, and while an interrupted cell's work drains, an async_hooks hook
 * records the resources created in a cell's context, and their destruction:
 * - timers and immediates, which {@link CellWorkTracker.cancel} clears: a cell that ignores its
 *   signal (`while (true) { await sleep(10) }`, `await tf.nextFrame()` loops) is left waiting on a
 *   promise that never settles, so it halts; timers its leftover callbacks create afterwards are
 *   cleared as they are made;
 * - I/O in flight (requests, and referenced handles: child processes, sockets, servers), which
 *   cannot be cancelled from outside: {@link CellWorkTracker.pending} lists them so the kernel
 *   can wait for them.
 * Promises are not recorded (a pending promise is not work, only what can settle it is), and
 * process.nextTick / queueMicrotask callbacks neither: they run before the event loop goes on.
 *
 * Cost: the hook is enabled only while some cell's work is tracked; with it, each promise costs
 * about 1 µs more (the destroy hook makes Node track every promise), measured by
 * `npm run bench:kernel`.
 */
import { AsyncLocalStorage, createHook } from 'async_hooks';

/** Resource types that run before the event loop continues, so never outlive a macrotask. */
const UNTRACKED = new Set(['PROMISE', 'TickObject', 'Microtask']);
/** Resource types an interrupt cancels. */
const CANCELLABLE = new Set(['Timeout', 'Immediate']);
/** Node's request types (libuv requests, crypto/zlib jobs, HTTP client requests): work in flight until destroyed. */
const REQUEST_TYPE = /REQ|WRITEWRAP|SHUTDOWNWRAP|CONNECTWRAP|SENDWRAP|QUERYWRAP/;

interface Tracked {
  type: string;
  resource: object;
}

/** The work of one cell. */
export class CellWork {
  /** Live resources created in this cell's context, by async id. */
  readonly resources = new Map<number, Tracked>();
  /** Set by {@link CellWorkTracker.cancel}: timers created from now on are cleared at once. */
  cancelled = false;

  /** @param signal the cell's interrupt signal (what `pl.interruptSignal()` and the ambient signal give). */
  constructor(readonly signal: AbortSignal) {}
}

function clearResource(t: Tracked): void {
  if (t.type === 'Timeout') clearTimeout(t.resource as NodeJS.Timeout);
  else if (t.type === 'Immediate') clearImmediate(t.resource as NodeJS.Immediate);
}

/** Whether a tracked resource still stands for work that keeps the cell's code alive. */
function isPending(t: Tracked): boolean {
  const r = t.resource as { _destroyed?: boolean; hasRef?: () => boolean };
  if (CANCELLABLE.has(t.type)) return r._destroyed !== true;
  // Handles (sockets, pipes, child processes, servers) count while referenced: an unref'd one
  // does not keep even the process alive (libraries use those for background work).
  if (typeof r.hasRef === 'function') return r.hasRef();
  return REQUEST_TYPE.test(t.type);
}

/** Runs cells in their own async context and tracks the work each starts. */
export class CellWorkTracker {
  private readonly storage = new AsyncLocalStorage<CellWork>();
  /** Cells whose resources are being recorded, and which cell owns each recorded async id. */
  private readonly tracked = new Set<CellWork>();
  private readonly owner = new Map<number, CellWork>();
  private readonly hook = createHook({
    init: (asyncId, type, _trigger, resource) => {
      if (UNTRACKED.has(type)) return;
      const work = this.storage.getStore();
      if (!work || !this.tracked.has(work)) return;
      const t = { type, resource };
      work.resources.set(asyncId, t);
      this.owner.set(asyncId, work);
      // Cleared after the constructor that called init has queued the timer.
      if (work.cancelled && CANCELLABLE.has(type)) queueMicrotask(() => clearResource(t));
    },
    destroy: (asyncId) => {
      const work = this.owner.get(asyncId);
      if (!work) return;
      this.owner.delete(asyncId);
      work.resources.delete(asyncId);
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
    for (const t of work.resources.values()) if (CANCELLABLE.has(t.type)) clearResource(t);
  }

  /** The types of the cell's work still in flight, e.g. `['PROCESSWRAP', 'PIPEWRAP']`. */
  pending(work: CellWork): string[] {
    return [...work.resources.values()].filter(isPending).map((t) => t.type);
  }

  /** Stops recording the cell's work (its later timers run as ordinary background work). */
  release(work: CellWork): void {
    for (const id of work.resources.keys()) this.owner.delete(id);
    work.resources.clear();
    this.tracked.delete(work);
    if (this.tracked.size === 0) this.hook.disable();
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
