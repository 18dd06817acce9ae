// A plotly figure in a notebook output: drawn with plotly.js, re-laid out when the output area's
// width changes, purged when the output is removed.
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { DEFAULT_HEIGHT, parseFigure } from './figure';

type Plotly = typeof import('plotly.js-dist-min');

let plotlyLoading: Promise<Plotly> | null = null;

/**
 * plotly.js, fetched on the first figure: it is 4.5 MB minified, and a session that shows no figure
 * should not download it. A failed fetch is retried by the next figure.
 */
function loadPlotly(): Promise<Plotly> {
  plotlyLoading ??= import(/* webpackChunkName: "plotly" */ 'plotly.js-dist-min').then(
    // a UMD bundle: the module namespace's default export is plotly's `module.exports`
    (m) => ((m as unknown as { default?: Plotly }).default ?? m) as Plotly,
    (err) => {
      plotlyLoading = null;
      throw err;
    },
  );
  return plotlyLoading;
}

/** CSS class of the renderer's node. */
export const RENDERER_CLASS = 'jp-prunelab-Plotly';

export class PlotlyRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass(RENDERER_CLASS);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const figure = parseFigure(model.data[this.mimeType]);
    const plotly = await loadPlotly();
    if (this.isDisposed) return;
    const height = typeof figure.layout?.height === 'number' ? figure.layout.height : DEFAULT_HEIGHT;
    this.node.style.height = `${height}px`;
    await plotly.react(this.node, {
      data: figure.data,
      layout: figure.layout ?? {},
      // The widget follows its output area's width itself (below); plotly's `responsive` mode would
      // add a window resize listener per figure and miss panel resizes that leave the window alone.
      config: { ...figure.config, responsive: false },
      ...(figure.frames ? { frames: figure.frames } : {}),
    });
    if (this.isDisposed) {
      plotly.purge(this.node);
      return;
    }
    this.plotly = plotly;
    this.followWidth();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.widthObserver?.disconnect();
    cancelAnimationFrame(this.resizeFrame);
    this.plotly?.purge(this.node);
    this.plotly = null;
    super.dispose();
  }

  /** Re-lays out the figure whenever the node's width changes (sidebar, window, split panes). */
  private followWidth(): void {
    if (this.widthObserver) return;
    this.widthObserver = new ResizeObserver((entries) => {
      const width = entries[entries.length - 1].contentRect.width;
      // width 0: hidden (a background tab); the figure is re-laid out when it shows again
      if (width === 0 || width === this.laidOutWidth) return;
      this.laidOutWidth = width;
      // one re-layout per frame while a panel is being dragged
      cancelAnimationFrame(this.resizeFrame);
      this.resizeFrame = requestAnimationFrame(() => {
        if (this.plotly && this.node.isConnected) {
          // a figure removed meanwhile is not an error the user needs to see
          this.plotly.Plots.resize(this.node).catch(() => undefined);
        }
      });
    });
    this.widthObserver.observe(this.node);
  }

  private readonly mimeType: string;
  /** plotly.js once a figure is drawn (what resize and purge call). */
  private plotly: Plotly | null = null;
  private widthObserver: ResizeObserver | null = null;
  private laidOutWidth = -1;
  private resizeFrame = 0;
}
