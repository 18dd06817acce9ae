/**
 * Console progress for training: on a TTY one bar updated in place (throttled); otherwise one
 * line per epoch, so logs and CI output stay readable.
 */
import type { EpochMetrics, Progress } from '../train/types';

/** Options of {@link ConsoleProgress}. */
export interface ConsoleProgressOptions {
  /** Label printed before the bar, e.g. `train`. */
  label: string;
  /** Stream to write to. Default `process.stdout`. */
  stream?: NodeJS.WriteStream;
  /** Force TTY (in-place) mode on or off. Default: `stream.isTTY`. */
  tty?: boolean;
  /** Bar width in characters. Default 24. */
  width?: number;
}

/** Renders `train`'s progress callbacks and epoch rows. */
export class ConsoleProgress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private lastDraw = 0;
  private readonly started = Date.now();
  /** The last step's progress, for saying where training stopped. */
  private reached: Progress | undefined;

  /** @param options label, stream, tty mode, bar width. */
  constructor(private readonly options: ConsoleProgressOptions) {
    this.stream = options.stream ?? process.stdout;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
  }

  /** Pass as `train`'s `onProgress`: redraws the bar at most every 100 ms (TTY only). */
  readonly onProgress = (p: Progress): void => {
    this.reached = p;
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && p.batch < p.batches) return;
    this.lastDraw = now;
    const width = this.options.width ?? 24;
    const done = Math.round((p.batch / p.batches) * width);
    const bar = '█'.repeat(done) + '░'.repeat(width - done);
    this.stream.write(
      `\r${this.options.label} epoch ${p.epoch + 1}/${p.epochs} ${bar} ${p.batch}/${p.batches} ` +
        `loss ${p.loss.toFixed(4)} acc ${(100 * p.accuracy).toFixed(1)}%  \x1b[K`,
    );
  };

  /** Call after each epoch (e.g. from a hook's `onEpochEnd`): prints the epoch's line. */
  epochEnd(m: EpochMetrics, epochs: number): void {
    const val = m.valAccuracy === undefined ? '' : `, test loss ${m.valLoss!.toFixed(4)} acc ${(100 * m.valAccuracy).toFixed(2)}%`;
    const line =
      `${this.options.label} epoch ${m.epoch + 1}/${epochs}: loss ${m.loss.toFixed(4)} acc ${(100 * m.accuracy).toFixed(2)}%` +
      `${val} (${m.seconds.toFixed(1)} s${m.partial ? ', stopped early' : ''})`;
    this.stream.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  /**
   * Call when training stopped early: ends the bar's line (TTY) or prints a line saying where
   * training stopped (the last completed step) and why, e.g. `train stopped at epoch 1/3, batch
   * 27/625: interrupted`.
   *
   * @param reason why it stopped, e.g. `interrupted` or `failed: <error message>`.
   */
  stopped(reason: string): void {
    const p = this.reached;
    const where = p ? `epoch ${p.epoch + 1}/${p.epochs}, batch ${p.batch}/${p.batches}` : 'the first step';
    const line = `${this.options.label} stopped at ${where}: ${reason}`;
    this.stream.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  /** Seconds since this progress display was created. */
  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }
}
