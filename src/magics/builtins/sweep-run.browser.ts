/**
 * `%sweep` in the browser edition: sweeps run their trials in worker processes or on a Slurm
 * cluster and keep results on disk, none of which a browser tab has. The magic stays declared
 * (same `%sweep?` help and completion as in Node) and says so when run.
 */
import { UserError } from '../../errors';

/** No executors in the browser. */
export function sweepExecutorNames(): string[] {
  return [];
}

/** @throws UserError: sweeps need the Node kernel. */
export function runSweepMagic(): never {
  throw new UserError(
    '%sweep needs the Node edition of prunelab (worker processes, Slurm, results on disk); a browser tab has none of them. ' +
      'Run the sweep with the Node kernel (npm run notebook) and read its results there, or train one configuration here with %prune and %finetune.',
  );
}
