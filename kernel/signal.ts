/** The current cell's interrupt signal, readable from `pl` without a dependency on the executor. */
let current: () => AbortSignal = () => new AbortController().signal;

/** Installs the function that returns the running cell's signal (the executor does this). */
export function setSignalSource(source: () => AbortSignal): void {
  current = source;
}

/** The running cell's AbortSignal (a never-aborted one outside the kernel). */
export function getCurrentSignal(): AbortSignal {
  return current();
}
