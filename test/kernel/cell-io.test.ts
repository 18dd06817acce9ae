/**
 * A cell's stdout, stderr and displays go to that cell while it runs, and are put back when it
 * ends (they used to stay routed to the last cell until the next one started).
 */
import * as assert from 'assert';
import { routeOutputTo, type CellIO } from '../../kernel/cell-io';
import { PrunelabExecutor } from '../../kernel/executor';
import { preludeCode, repoRoot } from '../../kernel/prelude';
import { display, setDisplaySink, type DisplaySink } from '../../src/report/display';

/** A CellIO that keeps what it is sent. */
function recordingIO(): CellIO & { streams: [string, string][]; displays: unknown[] } {
  const streams: [string, string][] = [];
  const displays: unknown[] = [];
  return { streams, displays, stream: (name, text) => void streams.push([name, text]), display: (bundle) => void displays.push(bundle) };
}

describe('kernel: cell output routing (cell-io.ts)', () => {
  it('routes stdout, stderr and displays to the cell while routed, and puts back the previous ones', () => {
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    const shown: unknown[] = [];
    const outer: DisplaySink = { show: (bundle) => void shown.push(bundle) };
    const before = setDisplaySink(outer);
    try {
      const io = recordingIO();
      const restore = routeOutputTo(io);
      let doneCalled = false;
      try {
        process.stdout.write('to the cell\n', () => (doneCalled = true));
        process.stderr.write(Buffer.from('bytes too\n'));
        display('shown in the cell');
      } finally {
        restore();
      }
      assert.deepStrictEqual(io.streams, [['stdout', 'to the cell\n'], ['stderr', 'bytes too\n']]);
      assert.ok(doneCalled, 'the write callback is called');
      assert.strictEqual(io.displays.length, 1);
      assert.strictEqual(process.stdout.write, stdoutWrite, 'stdout write restored');
      assert.strictEqual(process.stderr.write, stderrWrite, 'stderr write restored');
      display('after the cell');
      assert.strictEqual(shown.length, 1, 'displays after the cell go to the previous sink');
    } finally {
      setDisplaySink(before);
    }
  });

  it('the prelude imports pl, tf and the magic runtime from the repository', () => {
    const code = preludeCode('/repo');
    assert.match(code, /^import \* as pl from "\/repo\/build\/kernel\/pl";$/m);
    assert.match(code, /^import \* as tf from "\/repo\/node_modules\/@tensorflow\/tfjs";$/m);
    assert.match(code, /declare const dfd: typeof import\("\/repo\/node_modules\/danfojs-node"\);/);
    assert.strictEqual(preludeCode(), preludeCode(repoRoot()));
  });
});

/** Runs a cell and returns its outcome with the stdout/stderr writers found after it (then puts the original ones back, so that a failure is still reported). */
async function runAndCheckWriters(executor: PrunelabExecutor, code: string, io: CellIO) {
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  try {
    const outcome = await executor.run(code, io);
    return { outcome, stdoutRestored: process.stdout.write === stdoutWrite, stderrRestored: process.stderr.write === stderrWrite };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

describe('kernel: the executor puts stdout and stderr back after each cell', function () {
  this.timeout(120_000);
  let executor: PrunelabExecutor;
  before(() => {
    executor = new PrunelabExecutor({ prelude: false });
  });
  after(() => executor.close());

  it('a cell prints to its own IO; after it ends, process.stdout.write is the one from before', async () => {
    const io = recordingIO();
    const r = await runAndCheckWriters(executor, 'console.log("from the cell"); console.error("oops"); 1 + 1', io);
    assert.strictEqual(r.outcome.status, 'ok', JSON.stringify(r.outcome));
    assert.deepStrictEqual(io.streams, [['stdout', 'from the cell\n'], ['stderr', 'oops\n']]);
    assert.ok(r.stdoutRestored, 'stdout write restored after the cell');
    assert.ok(r.stderrRestored, 'stderr write restored after the cell');
  });

  it('also after a cell that throws', async () => {
    const io = recordingIO();
    const r = await runAndCheckWriters(executor, 'console.log("before"); throw new Error("boom")', io);
    assert.strictEqual(r.outcome.status, 'error');
    assert.deepStrictEqual(io.streams, [['stdout', 'before\n']]);
    assert.ok(r.stdoutRestored && r.stderrRestored, 'stdout and stderr writes restored after the failed cell');
  });
});
