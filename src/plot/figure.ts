/**
 * Plotly figures as plain JSON (`{data, layout}`), their MIME bundle and an offline HTML
 * rendering for the classic Notebook.
 */
import { escapeHtml, registerFormatter, type MimeBundle } from '../report/display';
import { processTag } from '../env';

/** One plotly trace (`{type: 'bar', x, y, ...}`); any plotly.js trace attributes are allowed. */
export type Trace = Record<string, unknown> & { type?: string; name?: string };

/** A plotly figure as plain JSON, exactly what `Plotly.newPlot(div, data, layout, config)` takes. */
export interface Figure {
  /** The traces. */
  data: Trace[];
  /** Layout (title, axes, size, ...). */
  layout?: Record<string, unknown>;
  /** Plotly config (e.g. `{responsive: true}`). */
  config?: Record<string, unknown>;
}

/** The MIME type JupyterLab's and nteract's plotly renderers read. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/**
 * Where the HTML fallback loads plotly.js from in the classic Notebook: a RequireJS module path
 * (the Notebook maps `kernelspecs/` to its kernelspec resource handler, and the prunelab
 * kernelspec ships `plotly.min.js` from the installed `plotly.js-dist-min` package, so no CDN).
 */
export const PLOTLY_REQUIRE_PATH = 'kernelspecs/prunelab/plotly.min';

const FIGURE_KEYS = new Set(['data', 'layout', 'config', 'frames']);

/** True for a plain plotly figure: `{data: [trace objects], layout?: {...}}` and nothing else. */
export function isFigure(v: unknown): v is Figure {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.data) || !o.data.every((t) => t && typeof t === 'object' && !Array.isArray(t))) return false;
  if (o.layout !== undefined && (typeof o.layout !== 'object' || o.layout === null)) return false;
  return Object.keys(o).every((k) => FIGURE_KEYS.has(k));
}

/** The figure's title text, if any. */
export function figureTitle(fig: Figure): string {
  const t = fig.layout?.title;
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string') return (t as { text: string }).text;
  return '';
}

/** A short plain-text description of a figure (for consoles and `text/plain`). */
export function figureText(fig: Figure): string {
  const traces = fig.data.map((t) => `${t.type ?? 'scatter'}${t.name ? ` '${t.name}'` : ''}`);
  const title = figureTitle(fig);
  return `<plotly figure${title ? ` '${title}'` : ''}: ${traces.length} trace${traces.length === 1 ? '' : 's'}${traces.length ? ` (${traces.join(', ')})` : ''}>`;
}

let htmlCounter = 0;

/** JSON safe to put inside a `<script>` element (no `</script>` or `<!--` can appear). */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A static rendering of a figure, shown where plotly.js cannot run (GitHub, nbconvert, untrusted notebooks). */
export interface StaticImage {
  /** PNG bytes, base64-encoded. */
  pngBase64: string;
  /** Width and height in CSS pixels (the PNG may have more pixels, for sharp screens). */
  width: number;
  height: number;
}

/**
 * Self-contained HTML that draws the figure with plotly.js already in the page (`window.Plotly`)
 * or loaded through RequireJS from {@link PLOTLY_REQUIRE_PATH} (the classic Notebook), and
 * otherwise says what is missing. With a static image, the image is what the HTML shows until
 * plotly.js replaces it with the interactive figure, and what stays where scripts do not run.
 */
export function figureHtml(fig: Figure, staticImage?: StaticImage): string {
  htmlCounter += 1;
  const id = `prunelab-plot-${processTag()}-${Date.now().toString(36)}-${htmlCounter}`;
  const height = typeof fig.layout?.height === 'number' ? fig.layout.height : 420;
  const title = figureTitle(fig).replace(/<br>/g, ' ');
  const img = staticImage
    ? `<img class="prunelab-static" alt="${escapeHtml(title || 'plotly figure')}" width="${staticImage.width}" height="${staticImage.height}" style="max-width:100%;height:auto;" src="data:image/png;base64,${staticImage.pngBase64}">`
    : '';
  return [
    staticImage
      ? `<div id="${id}" class="prunelab-plot" style="width:100%;">${img}</div>`
      : `<div id="${id}" class="prunelab-plot" style="width:100%;height:${height}px;"></div>`,
    '<script type="text/javascript">',
    '(function () {',
    `  var fig = ${scriptJson({ data: fig.data, layout: fig.layout ?? {}, config: { responsive: true, ...(fig.config ?? {}) } })};`,
    `  var el = document.getElementById(${JSON.stringify(id)});`,
    `  function draw(P) { window.Plotly = window.Plotly || P; el.innerHTML = ""; el.style.height = "${height}px"; P.newPlot(el, fig.data, fig.layout, fig.config); }`,
    staticImage
      ? '  function missing(why) { el.title = "static image: plotly.js could not be loaded (" + why + ")"; }'
      : '  function missing(why) { el.style.height = "auto"; el.textContent = "plotly.js could not be loaded (" + why + "). Install the prunelab kernelspec (npm run setup) or open the notebook in the classic Notebook."; }',
    '  if (window.Plotly) { draw(window.Plotly); return; }',
    '  if (typeof window.requirejs === "function") {',
    `    window.requirejs([${JSON.stringify(PLOTLY_REQUIRE_PATH)}], draw, function (err) { missing(String(err && err.message || err)); });`,
    '    return;',
    '  }',
    '  missing("no RequireJS in this page");',
    '})();',
    '</script>',
  ].join('\n');
}

/** The MIME bundle of a figure: plotly JSON, offline HTML and a text description. */
export function figureBundle(fig: Figure): MimeBundle {
  return {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout ?? {}, ...(fig.config ? { config: fig.config } : {}) },
    'text/html': figureHtml(fig),
    'text/plain': figureText(fig),
  };
}

/** Absolute path of plotly.min.js in the installed `plotly.js-dist-min` package. */
export function plotlyScriptPath(): string {
  return require.resolve('plotly.js-dist-min/plotly.min.js');
}

registerFormatter({ name: 'plotly', test: isFigure, format: (v) => figureBundle(v as Figure) });

/** Shared layout defaults of prunelab's plots. */
export function baseLayout(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    margin: { l: 60, r: 20, t: 50, b: 60 },
    height: 420,
    ...extra,
  };
}
