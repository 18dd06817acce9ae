/** A progress bar that redraws in place in notebooks (`update_display_data`) and prints in consoles. */
import { display, DISPLAY_SYMBOL, escapeHtml, type DisplayHandle, type MimeBundle } from './display';

/** A snapshot of a progress bar's state. */
export interface ProgressState {
  /** Done fraction in [0, 1]. */
  fraction: number;
  /** Text after the bar, e.g. `epoch 1/3 · loss 0.41`. */
  label: string;
}

function bundle(s: ProgressState): MimeBundle {
  const pct = Math.round(100 * Math.min(1, Math.max(0, s.fraction)));
  const width = 30;
  const filled = Math.round((width * pct) / 100);
  return {
    'text/plain': `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${s.label}`,
    'text/html':
      `<div class="prunelab-progress" style="font-family:monospace">` +
      `<progress value="${pct}" max="100" style="width:240px;vertical-align:middle"></progress> ` +
      `<span>${pct}%  ${escapeHtml(s.label)}</span></div>`,
  };
}

/** A value that displays as a progress bar. */
export function progressView(state: ProgressState): { [DISPLAY_SYMBOL](): MimeBundle } {
  return { [DISPLAY_SYMBOL]: () => bundle(state) };
}

/**
 * A live progress bar: shown once, then redrawn in place at most every `minIntervalMs`
 * (and always by `done` and `stop`), so that fast loops do not flood the notebook with messages.
 */
export class ProgressBar {
  private readonly handle: DisplayHandle;
  private last = 0;
  /** The latest state asked for, drawn or not (throttled updates are not lost for `stop`). */
  private latest: ProgressState;
  /** Number of redraws sent (for tests). */
  updates = 0;

  /** Shows the bar at 0 %. */
  constructor(
    label = '',
    private readonly minIntervalMs = 200,
  ) {
    this.latest = { fraction: 0, label };
    this.handle = display(progressView(this.latest));
  }

  /** The latest state asked for (by `update`, even when throttled, or by the final redraw). */
  get state(): ProgressState {
    return { ...this.latest };
  }

  /** Redraws the bar (throttled unless `force`). */
  update(fraction: number, label: string, force = false): void {
    this.latest = { fraction, label };
    const now = Date.now();
    if (!force && now - this.last < this.minIntervalMs) return;
    this.last = now;
    this.updates++;
    this.handle.update(progressView(this.latest));
  }

  /** Final redraw of finished work. */
  done(label: string, fraction = 1): void {
    this.update(fraction, label, true);
  }

  /**
   * Final redraw of work that stopped early (interrupted, failed): the bar stays where the last
   * update left it, never jumps back, and `label` says where and why it stopped.
   */
  stop(label: string): void {
    this.update(this.latest.fraction, label, true);
  }
}
