/**
 * A running cell's output: while it runs, `process.stdout`/`process.stderr` writes and rich
 * displays (`pl.display`, magics, progress bars) go to the cell's {@link CellIO}; when it ends
 * they are put back as they were, so that nothing the kernel or a late callback prints between
 * cells lands in the last cell's output.
 */
import { setDisplaySink, type DisplaySink, type MimeBundle } from '../src/report/display';

/** Where a running cell's output goes. */
export interface CellIO {
  /** Writes to the cell's stdout or stderr stream. */
  stream(name: 'stdout' | 'stderr', text: string): void;
  /** Sends display data (`update`: replace the output with this display id). */
  display(bundle: MimeBundle, displayId: string | undefined, update: boolean): void;
}

/** A `process.stdout.write` look-alike that sends the text to `io`'s stream `name`. */
function streamWriter(io: CellIO, name: 'stdout' | 'stderr'): typeof process.stdout.write {
  return ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
    io.stream(name, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') done();
    return true;
  }) as typeof process.stdout.write;
}

/**
 * Routes stdout, stderr and displays to `io` until the returned function is called, which puts
 * back the writers and display sink that were there before.
 *
 * A display handle keeps the sink it was created with (see `display.ts`), so a progress bar a
 * cell started still updates that cell's output after the cell ends.
 */
export function routeOutputTo(io: CellIO): () => void {
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const sink: DisplaySink = { show: (bundle, id, update) => io.display(bundle, id, update) };
  const previousSink = setDisplaySink(sink);
  process.stdout.write = streamWriter(io, 'stdout');
  process.stderr.write = streamWriter(io, 'stderr');
  return () => {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    setDisplaySink(previousSink);
  };
}
