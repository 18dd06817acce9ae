/**
 * Facts of the host process that exist in Node and not in a browser worker: the rest of the
 * library reads them here, so that the browser edition gets `undefined` instead of a
 * ReferenceError on `process`.
 */

/** An environment variable in Node; always undefined in a browser. */
export function envVar(name: string): string | undefined {
  return typeof process !== 'undefined' ? process.env?.[name] : undefined;
}

/** A tag that tells this process's ids from another's: the pid in Node, `web` in a browser. */
export function processTag(): string {
  return typeof process !== 'undefined' && typeof process.pid === 'number' ? String(process.pid) : 'web';
}

/** CPU time used by this process so far, in seconds; undefined where the host cannot say (browsers). */
export function cpuSeconds(): number | undefined {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return undefined;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
