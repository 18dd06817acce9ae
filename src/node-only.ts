/**
 * Stand-ins for the parts of `pl` that need Node (sweeps and their worker processes, the
 * comparison benchmark, the notebook experiment drivers), for the browser edition: using one
 * raises a UserError that names what was called and where it runs, instead of
 * "Cannot read properties of undefined".
 */
import { UserError } from './errors';

/** The error for using a Node-only part of `pl` in the browser. */
export function nodeOnlyError(what: string, why: string): UserError {
  return new UserError(
    `${what} needs the Node edition of prunelab (${why}); the browser edition has no worker processes, Slurm or results on disk. ` +
      'Open this notebook with the Node kernel (npm run notebook), or train one configuration here with %prune and %finetune.',
  );
}

/**
 * A function or namespace every use of which raises {@link nodeOnlyError}: calling it, or calling
 * any member (`pl.sweeps.sparsitySweep(...)`). Reading a member gives another stand-in, so the
 * error names the whole path.
 */
export function nodeOnly(path: string, why: string): any {
  const target = function () {} as unknown as object;
  return new Proxy(target, {
    apply: () => {
      throw nodeOnlyError(`${path}()`, why);
    },
    get: (_t, prop) => (typeof prop === 'symbol' ? undefined : prop === 'then' ? undefined : nodeOnly(`${path}.${prop}`, why)),
  });
}
