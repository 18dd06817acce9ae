/**
 * The current cell's interrupt signal, readable from `pl` without a dependency on the executor.
 * It is prunelab's ambient signal (`src/interrupt.ts`), which training also stops on by default.
 */
import { ambientSignal, setAmbientSignalSource } from '../src/interrupt';

const NEVER_ABORTED = new AbortController().signal;

/** Installs the function that returns the running cell's signal (the executor does this). */
export function setSignalSource(source: () => AbortSignal | undefined): void {
  setAmbientSignalSource(source);
}

/** The running cell's AbortSignal (a never-aborted one outside the kernel's cells). */
export function getCurrentSignal(): AbortSignal {
  return ambientSignal() ?? NEVER_ABORTED;
}
