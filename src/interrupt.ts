/**
 * The ambient abort signal: how long-running prunelab work (training, and everything built on it:
 * `%finetune`, gradual pruning, the experiment drivers, `timeit`) learns that the user wants it
 * to stop when the caller passed no AbortSignal. The Jupyter kernel installs a source that
 * returns the running cell's signal, so `await pl.train(net, data)` stops on Kernel → Interrupt
 * like a Python loop stops on KeyboardInterrupt; a script may install its own (e.g. one aborted
 * on Ctrl-C). Without a source there is no ambient signal and work runs to its end.
 *
 * This module sits below the kernel: the kernel sets the source, prunelab only reads it.
 */

/** Returns the signal of whoever is running prunelab now, or undefined when there is none. */
export type AmbientSignalSource = () => AbortSignal | undefined;

let source: AmbientSignalSource | null = null;

/**
 * Installs (or, with null, removes) the function that gives the ambient signal. The kernel's
 * executor does this once; scripts may do it to make Ctrl-C stop training without passing a signal.
 */
export function setAmbientSignalSource(next: AmbientSignalSource | null): void {
  source = next;
}

/** The ambient signal: the running notebook cell's interrupt signal, or undefined outside one. */
export function ambientSignal(): AbortSignal | undefined {
  return source?.() ?? undefined;
}

/**
 * What long-running work throws when the ambient signal stopped it, named like Python's
 * exception so that notebooks show it the same way. Work stopped by a signal its caller passed
 * explicitly returns normally instead (e.g. `train` with `stopReason: 'aborted'`): that caller
 * asked to handle the stop itself.
 */
export class InterruptedError extends Error {
  /** @param message where the work stopped and in what state it left the user's objects. */
  constructor(message: string) {
    super(message);
    this.name = 'KeyboardInterrupt';
  }
}
