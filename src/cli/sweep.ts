/**
 * `npm run sweep -- spec.json [--dir D] [--executor local|slurm] [--workers N] [--rerun failed|all]`
 * runs a sweep from a spec file, with progress lines; `npm run sweep -- status <dir-or-name>`
 * prints a sweep's counts. Running the same command again resumes: only trials without a
 * record run. Ctrl-C stops the sweep (running trials are recorded as interrupted and run again
 * next time); a second Ctrl-C exits at once.
 *
 * Exit status: 0 every trial done, 1 some trials failed, 2 bad arguments or spec, 130 interrupted.
 */
import { isUserError, OptionError } from '../errors';
import { readSpecFile } from '../sweep/spec';
import { sweep, type RerunMode } from '../sweep/sweep';
import { statusLine, sweepStatus } from '../sweep/store';

const USAGE =
  'Usage: npm run sweep -- <spec.json> [--dir DIR] [--executor local|slurm|NAME] [--workers N] [--rerun none|failed|all] [--executor-option KEY=VALUE ...]\n' +
  '       npm run sweep -- status <results-dir-or-sweep-name>';

/** Parsed command line. */
export interface SweepCliArgs {
  /** `run` a spec file, or show the `status` of a results directory. */
  command: 'run' | 'status';
  /** The spec file (run) or the results directory or sweep name (status). */
  target: string;
  /** Results directory. */
  dir?: string;
  /** Executor name. */
  executor?: string;
  /** Trials at the same time. */
  workers?: number;
  /** Which recorded trials run again. */
  rerun?: RerunMode;
  /** The executor's own options. */
  executorOptions: Record<string, unknown>;
}

/**
 * Parses the arguments after the script name.
 * @returns the arguments, or `'help'`.
 * @throws OptionError naming the bad flag, with the usage.
 */
export function parseSweepArgs(argv: string[]): SweepCliArgs | 'help' {
  const positional: string[] = [];
  const a: Omit<SweepCliArgs, 'command' | 'target'> = { executorOptions: {} };
  for (let i = 0; i < argv.length; i++) {
    let [flag, value] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--help' || flag === '-h') return 'help';
    if (!flag.startsWith('--')) {
      positional.push(argv[i]);
      continue;
    }
    if (value === undefined) value = argv[++i];
    if (value === undefined) throw new OptionError(`${flag} needs a value.\n${USAGE}`, flag);
    switch (flag) {
      case '--dir': a.dir = value; break;
      case '--executor': a.executor = value; break;
      case '--workers': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new OptionError(`--workers must be a whole number ≥ 1, got '${value}'.\n${USAGE}`, flag);
        a.workers = n;
        break;
      }
      case '--rerun':
        if (!['none', 'failed', 'all'].includes(value)) throw new OptionError(`--rerun must be none, failed or all, got '${value}'.\n${USAGE}`, flag);
        a.rerun = value as RerunMode;
        break;
      case '--executor-option': {
        const eq = value.indexOf('=');
        if (eq <= 0) throw new OptionError(`--executor-option takes KEY=VALUE, got '${value}'.\n${USAGE}`, flag);
        const raw = value.slice(eq + 1);
        let parsed: unknown = raw;
        try {
          parsed = JSON.parse(raw);
        } catch {
          /* a plain string */
        }
        a.executorOptions[value.slice(0, eq)] = parsed;
        break;
      }
      default:
        throw new OptionError(`Unknown flag '${flag}'.\n${USAGE}`, flag);
    }
  }
  if (positional[0] === 'status' && positional.length === 2) return { command: 'status', target: positional[1], ...a };
  if (positional.length !== 1) throw new OptionError(`Give one spec file${positional.length ? `; got ${positional.join(' ')}` : ''}.\n${USAGE}`);
  return { command: 'run', target: positional[0], ...a };
}

async function main(): Promise<number> {
  const args = parseSweepArgs(process.argv.slice(2));
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (args.command === 'status') {
    console.log(statusLine(sweepStatus(args.target)));
    return 0;
  }
  const { spec, baseDir } = readSpecFile(args.target);
  // Ctrl-C / SIGTERM stop the sweep; a second Ctrl-C exits at once.
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    console.log('\n(stopping the sweep: running trials are killed and run again next time; Ctrl-C again to quit)');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const s = await sweep(spec, {
    dir: args.dir, executor: args.executor, workers: args.workers, rerun: args.rerun, executorOptions: args.executorOptions,
    signal: controller.signal, progress: 'console', baseDir,
  });
  console.log(`results: ${s.dir} (${s.done} done, ${s.failed} failed, ${s.skipped} already there, ${s.seconds.toFixed(1)} s)`);
  for (const f of s.failures) console.log(`failed ${f.id} ${JSON.stringify(f.config)}: ${f.error.name}: ${f.error.message.split('\n')[0]} (log: ${f.log})`);
  if (s.interrupted) return 130;
  return s.failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(isUserError(e) ? `error: ${(e as Error).message}` : (e as Error)?.stack ?? String(e));
      process.exit(isUserError(e) ? 2 : 1);
    },
  );
}
