/** `%time` / `%%time` and `%timeit` / `%%timeit`, as in IPython. */
import { ambientSignal } from '../../interrupt';
import { defineMagic } from '../registry';
import { UserError } from '../../errors';

/** Formats seconds with 3 significant digits in s, ms, µs or ns. */
export function formatDuration(seconds: number): string {
  const units: [number, string][] = [
    [1, 's'],
    [1e-3, 'ms'],
    [1e-6, 'µs'],
    [1e-9, 'ns'],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(seconds) >= scale || unit === 'ns') return `${Number((seconds / scale).toPrecision(3))} ${unit}`;
  }
  return `${seconds} s`;
}

interface TimeState {
  /** performance.now() at the start, in ms. */
  wall: number;
  /** CPU usage at the start; undefined where the host has none (browsers). */
  cpu: NodeJS.CpuUsage | undefined;
  print: (text: string) => void;
}

defineMagic({
  name: 'time',
  summary: 'Time one run of a statement or of the cell (CPU and wall time).',
  description: 'The code runs in place: its declarations stay notebook variables and its value is the cell result.',
  line: true,
  cell: true,
  code: 'inline',
  args: [{ name: 'code', kind: 'positional', type: 'code', required: false, help: 'TypeScript to time (the cell body for %%time).' }],
  examples: ['%time net.predict(tf.zeros([1, 784]))', '%%time\nawait pl.train(net, data.train, { epochs: 1 })'],
  api: 'const t0 = performance.now(); /* code */ console.log(performance.now() - t0, "ms");',
  start(_inv, ctx): TimeState {
    // CPU time exists in Node only; the browser edition reports wall time alone
    const cpu = typeof process !== 'undefined' && typeof process.cpuUsage === 'function' ? process.cpuUsage() : undefined;
    return { wall: performance.now(), cpu, print: (t) => ctx.print(t) };
  },
  finish(state) {
    const s = state as TimeState;
    const wall = (performance.now() - s.wall) / 1e3;
    if (!s.cpu) {
      s.print(`Wall time: ${formatDuration(wall)}`);
      return;
    }
    const cpu = process.cpuUsage(s.cpu);
    const user = cpu.user / 1e6;
    const sys = cpu.system / 1e6;
    s.print(`CPU times: user ${formatDuration(user)}, sys: ${formatDuration(sys)}, total: ${formatDuration(user + sys)}\nWall time: ${formatDuration(wall)}`);
  },
});

/** The result of `%timeit -o`. */
export interface TimeitResult {
  /** Loops per run. */
  loops: number;
  /** Number of runs. */
  repeat: number;
  /** Seconds per loop of each run. */
  timings: number[];
  /** Mean seconds per loop over runs. */
  average: number;
  /** Standard deviation of seconds per loop over runs. */
  stdev: number;
  /** Fastest run's seconds per loop. */
  best: number;
}

/**
 * Times `fn` like IPython's `%timeit`: `repeat` runs of `loops` calls each; when `loops` is
 * not given, it is the first power of 10 whose run takes at least `minRunSeconds`.
 */
export async function timeit(fn: () => Promise<unknown>, options: { loops?: number; repeat?: number; minRunSeconds?: number; signal?: AbortSignal } = {}): Promise<TimeitResult> {
  const repeat = options.repeat ?? 7;
  const signal = options.signal ?? ambientSignal(); // in a notebook: the cell's interrupt
  const runOnce = async (loops: number) => {
    const t0 = performance.now();
    for (let i = 0; i < loops; i++) {
      await fn();
      if (signal?.aborted) throw signal.reason;
    }
    return (performance.now() - t0) / 1e3;
  };
  let loops = options.loops ?? 0;
  const timings: number[] = [];
  if (!loops) {
    // Calibrate: 1, 10, 100, ... loops until one run is long enough; that run counts.
    const min = options.minRunSeconds ?? 0.2;
    for (loops = 1; ; loops *= 10) {
      const t = await runOnce(loops);
      if (t >= min || loops >= 1e6) {
        timings.push(t / loops);
        break;
      }
    }
  }
  while (timings.length < repeat) timings.push((await runOnce(loops)) / loops);
  const average = timings.reduce((a, b) => a + b, 0) / timings.length;
  const stdev = Math.sqrt(timings.reduce((a, b) => a + (b - average) ** 2, 0) / timings.length);
  return { loops, repeat, timings, average, stdev, best: Math.min(...timings) };
}

/** IPython's one-line summary of a timeit result. */
export function timeitSummary(r: TimeitResult): string {
  return `${formatDuration(r.average)} ± ${formatDuration(r.stdev)} per loop (mean ± std. dev. of ${r.repeat} run${r.repeat === 1 ? '' : 's'}, ${r.loops} loop${r.loops === 1 ? '' : 's'} each)`;
}

defineMagic({
  name: 'timeit',
  summary: 'Time a statement or the cell over many runs (mean ± std. dev.).',
  description: 'The code runs inside a function, so its declarations stay local to it.',
  line: true,
  cell: true,
  code: 'function',
  args: [
    { name: 'loops', short: 'n', type: 'int', min: 1, help: 'Loops per run (default: calibrated so that a run takes ≥ 0.2 s).' },
    { name: 'repeat', short: 'r', type: 'int', min: 1, default: 7, help: 'Number of runs.' },
    { name: 'output', short: 'o', type: 'boolean', help: 'Return the TimeitResult (timings, average, stdev, best) as the cell result.' },
    { name: 'code', kind: 'positional', type: 'code', required: false, help: 'TypeScript to time (the cell body for %%timeit).' },
  ],
  examples: ['%timeit -n 100 tf.dispose(net.predict(x))', '%%timeit -r 3\nconst y = net.predict(x);\ntf.dispose(y);'],
  api: 'await pl.magics.timeit(async () => tf.dispose(net.predict(x)), { loops: 100 })',
  async run({ args, code, form }, ctx) {
    if (!code || (form === 'line' && !String(args.code ?? '').trim())) throw new UserError('%timeit needs code to time, e.g. %timeit -n 10 f(x).');
    const r = await timeit(code, { loops: args.loops as number | undefined, repeat: args.repeat as number, signal: ctx.signal });
    ctx.print(timeitSummary(r));
    return args.output ? r : undefined;
  },
});
