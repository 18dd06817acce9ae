// The part of plotly.js's API the renderer uses (plotly.js-dist-min ships no types).
declare module 'plotly.js-dist-min' {
  /** A figure as `Plotly.react` takes it. */
  export interface FigureInput {
    data: Record<string, unknown>[];
    layout?: Record<string, unknown>;
    config?: Record<string, unknown>;
    frames?: Record<string, unknown>[];
  }
  /** Draws (or redraws in place) a figure into `root`. */
  export function react(root: HTMLElement, figure: FigureInput): Promise<HTMLElement>;
  /** Removes the figure and every listener plotly.js attached to `root`. */
  export function purge(root: HTMLElement): void;
  export const Plots: {
    /** Re-lays out an autosized figure to its container's current size. */
    resize(root: HTMLElement): Promise<void>;
  };
}
