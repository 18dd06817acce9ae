/**
 * `%sweep`: run a sweep from a spec file or a spec variable with a progress bar, and look at a
 * running or finished one (a thin layer over `pl.sweep` and `pl.sweeps`). The declaration is
 * shared by both editions; what it does lives in `./sweep-run` (Node: worker pools, Slurm,
 * results on disk), which the browser edition replaces with an explanation.
 */
import { defineMagic } from '../registry';
import { runSweepMagic, sweepExecutorNames } from './sweep-run';

defineMagic({
  name: 'sweep',
  summary: 'Run a sweep (grid of trials) on a worker pool or a cluster, resumably; show its status or results.',
  description:
    'run: validates the spec, runs every trial without a result (a progress bar shows done / running / failed and the ETA), ' +
    'and stores the results (rows, failures) in --as. Running it again resumes. Interrupting the kernel stops the sweep; ' +
    'the stopped trials run again next time.\n' +
    'status: counts of a running or finished sweep. results: its rows as a table, stored in --as.',
  args: [
    { name: 'action', kind: 'positional', choices: ['run', 'status', 'results'], help: 'run a spec, or show the status or results of a sweep.' },
    { name: 'target', kind: 'positional', help: 'run: a notebook variable holding a spec, or a spec file; status/results: a results directory or a sweep name.' },
    { name: 'dir', help: 'Results directory (default ~/.cache/prunelab/sweeps/<name>).' },
    { name: 'executor', choices: () => sweepExecutorNames(), help: 'Where trials run (default PRUNELAB_EXECUTOR, else local).' },
    { name: 'workers', type: 'int', min: 1, help: 'Trials at the same time (default: the number of cores).' },
    { name: 'rerun', choices: ['none', 'failed', 'all'], default: 'none', help: 'Run recorded trials again: the failed ones, or all.' },
    { name: 'as', type: 'identifier', default: 'sweepResults', help: 'Variable to store the results in (rows, failed, dir).' },
  ],
  assigns: { arg: 'as', type: 'pl.sweeps.SweepResults' },
  examples: [
    '%sweep run spec --workers 2',
    '%sweep run sweeps/mnist.json --executor slurm --rerun failed',
    '%sweep status mnist-magnitude',
    '%sweep results mnist-magnitude --as res',
  ],
  api:
    "const s = await pl.sweep(spec, { workers: 2 });   // s.rows, s.failures\n" +
    "pl.sweeps.status('mnist-magnitude'); const res = pl.sweeps.load('mnist-magnitude'); pl.sweeps.toDataFrame(res.rows)",
  run: runSweepMagic,
});
