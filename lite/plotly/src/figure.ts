// The plotly figure a notebook output holds, checked before plotly.js sees it.
import type { FigureInput } from 'plotly.js-dist-min';

/** The MIME type of a plotly figure (what the prunelab kernels, plotly.py and nteract write). */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/**
 * Height when the layout gives none: the Node kernel's own HTML rendering (src/plot/figure.ts)
 * uses the same, so that a figure has one size in every front end.
 */
export const DEFAULT_HEIGHT = 420;

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The figure in an output's data (`{data: [traces], layout?, config?, frames?}`), or an Error that
 * says what is wrong with it, for the output area to show instead of a blank plot.
 */
export function parseFigure(value: unknown): FigureInput {
  const problem = figureProblem(value);
  if (problem) {
    throw new Error(
      `This ${PLOTLY_MIME} output is not a plotly figure: ${problem}. ` +
        'Expected {data: [trace objects], layout?: {...}, config?: {...}}, what pl.plot.* returns.',
    );
  }
  return value as FigureInput;
}

function figureProblem(v: unknown): string | null {
  if (!isRecord(v)) return `it is ${Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`}`;
  if (!Array.isArray(v.data)) return '`data` is not an array of traces';
  const bad = v.data.findIndex((t) => !isRecord(t));
  if (bad >= 0) return `trace ${bad} is not an object`;
  for (const key of ['layout', 'config'] as const) {
    if (v[key] !== undefined && !isRecord(v[key])) return `\`${key}\` is not an object`;
  }
  if (v.frames !== undefined && !Array.isArray(v.frames)) return '`frames` is not an array';
  return null;
}
