/**
 * Live progress of a sweep: done / running / failed / skipped counts and an ETA, as a progress
 * bar in the notebook ({@link ProgressBar}) or as lines on the command line.
 */
import { ProgressBar } from '../report/progress';
import type { SweepProgress } from './types';

/** `1h 02m`, `3m 20s`, `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Fraction of the sweep's trials that have a result (done, failed or skipped). */
export function progressFraction(p: SweepProgress): number {
  return p.total ? (p.done + p.failed + p.skipped) / p.total : 1;
}

/** `12/40 done · 2 running · 1 failed · 8 skipped · ETA 3m 20s`. */
export function progressLabel(p: SweepProgress): string {
  const parts = [`${p.done + p.skipped}/${p.total} done`, `${p.running} running`, `${p.failed} failed`];
  if (p.skipped) parts.push(`${p.skipped} already done`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join(' · ');
}

/**
 * Adds the ETA to an executor's counts: seconds per finished trial so far (wall time, so the
 * pool's parallelism counts) times the trials left.
 */
export class EtaClock {
  private readonly started = Date.now();

  /** @param pending trials this run has to run. */
  constructor(private readonly pending: number) {}

  /** The progress with `etaSeconds` (undefined until a trial finished). */
  withEta(p: SweepProgress): SweepProgress {
    const finished = p.done + p.failed;
    if (finished === 0) return { ...p, etaSeconds: undefined };
    const perTrial = (Date.now() - this.started) / 1000 / finished;
    return { ...p, etaSeconds: perTrial * Math.max(0, this.pending - finished) };
  }
}

/** How a sweep shows its progress. */
export interface ProgressView {
  /** Shows the latest counts. */
  update(p: SweepProgress): void;
  /** Final state: finished, or stopped with a reason. */
  end(p: SweepProgress, stoppedBecause?: string): void;
}

/** A progress bar in the notebook (a line on the console outside one). */
export function barView(name: string): ProgressView {
  const bar = new ProgressBar(`sweep ${name}`);
  return {
    update: (p) => bar.update(progressFraction(p), `sweep ${name}: ${progressLabel(p)}`),
    end: (p, why) => {
      const label = `sweep ${name}: ${progressLabel({ ...p, etaSeconds: undefined })}`;
      if (why) bar.stop(`${label} · ${why}`);
      else bar.done(label, progressFraction(p));
    },
  };
}

/** Lines on a stream: redrawn in place on a terminal, one line per finished trial otherwise. */
export function consoleView(name: string, stream: NodeJS.WriteStream = process.stdout, tty = Boolean(stream.isTTY)): ProgressView {
  let last = '';
  const line = (p: SweepProgress) => `sweep ${name}: ${progressLabel(p)}`;
  return {
    update(p) {
      const counts = `${p.done}/${p.failed}`;
      if (tty) stream.write(`\r${line(p)}\x1b[K`);
      else if (counts !== last && p.done + p.failed > 0) stream.write(`${line(p)}\n`);
      last = counts;
    },
    end(p, why) {
      const text = `${line({ ...p, etaSeconds: undefined })}${why ? ` · ${why}` : ''}`;
      stream.write(tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    },
  };
}
