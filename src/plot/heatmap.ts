/** Mask heatmaps: where a layer's kept weights are. */
import { baseLayout, type Figure } from './figure';
import { ShapeError } from '../errors';

/** Options of {@link maskHeatmap}. */
export interface MaskHeatmapOptions {
  /** Figure title. */
  title?: string;
  /** Largest number of rows/columns drawn; bigger masks are pooled into blocks (default 160). */
  maxCells?: number;
}

/**
 * Averages a 2-D array over blocks so that it has at most `maxRows × maxCols` cells; a cell then
 * shows the density of kept weights in its block (exactly 0/1 when no pooling is needed).
 *
 * @param values row-major `rows × cols` values.
 * @returns the pooled grid and the block size used.
 */
export function poolGrid(values: ArrayLike<number>, rows: number, cols: number, maxRows: number, maxCols: number): { z: number[][]; blockRows: number; blockCols: number } {
  if (values.length !== rows * cols) throw new ShapeError(`poolGrid: ${values.length} values do not form ${rows}×${cols}.`);
  const br = Math.max(1, Math.ceil(rows / maxRows));
  const bc = Math.max(1, Math.ceil(cols / maxCols));
  const outR = Math.ceil(rows / br);
  const outC = Math.ceil(cols / bc);
  const sum = Array.from({ length: outR }, () => new Array<number>(outC).fill(0));
  const cnt = Array.from({ length: outR }, () => new Array<number>(outC).fill(0));
  for (let r = 0; r < rows; r++) {
    const rr = Math.floor(r / br);
    for (let c = 0; c < cols; c++) {
      const cc = Math.floor(c / bc);
      sum[rr][cc] += values[r * cols + c];
      cnt[rr][cc] += 1;
    }
  }
  return { z: sum.map((row, i) => row.map((s, j) => s / cnt[i][j])), blockRows: br, blockCols: bc };
}

/**
 * A heatmap of a 0/1 mask. Dense kernels `[in, out]` are drawn as they are; convolution kernels
 * `[kh, kw, in, out]` are drawn as `[kh·kw·in, out]` (one column per output filter).
 *
 * @param mask the mask values (row-major) with its shape, e.g. from `tensor.dataSync()`.
 * @returns a plotly heatmap figure (kept = dark).
 */
export function maskHeatmap(mask: { values: ArrayLike<number>; shape: number[] }, options: MaskHeatmapOptions = {}): Figure {
  const shape = mask.shape;
  if (shape.length < 1) throw new ShapeError('maskHeatmap: the mask must have at least one dimension.');
  const cols = shape.length === 1 ? shape[0] : shape[shape.length - 1];
  const rows = shape.length === 1 ? 1 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const max = options.maxCells ?? 160;
  const { z, blockRows, blockCols } = poolGrid(mask.values, rows, cols, max, max);
  let kept = 0;
  for (let i = 0; i < mask.values.length; i++) kept += mask.values[i] !== 0 ? 1 : 0;
  const density = mask.values.length ? kept / mask.values.length : 0;
  const pooled = blockRows > 1 || blockCols > 1;
  const xName = shape.length > 2 ? 'output filter' : 'output unit';
  const yName = shape.length > 2 ? 'kernel position × input channel' : 'input unit';
  return {
    data: [
      {
        type: 'heatmap',
        z,
        // Cell (i, j) covers a block of blockRows × blockCols weights: placing cells at their
        // blocks' centres makes the axes count real input/output units, not blocks.
        x0: (blockCols - 1) / 2,
        dx: blockCols,
        y0: (blockRows - 1) / 2,
        dy: blockRows,
        hovertemplate: pooled
          ? `${xName} %{x}<br>${yName} %{y}<br>kept %{z:.0%} of the ${blockRows}×${blockCols} block<extra></extra>`
          : `${xName} %{x}<br>${yName} %{y}<br>kept %{z}<extra></extra>`,
        zmin: 0,
        zmax: 1,
        colorscale: [
          [0, '#f7fbff'],
          [1, '#08306b'],
        ],
        colorbar: { title: { text: pooled ? 'kept fraction' : 'kept' } },
      },
    ],
    layout: baseLayout(
      `${options.title ?? 'Mask'} — ${(100 * (1 - density)).toFixed(1)}% pruned` + (pooled ? ` (each cell: the kept fraction of ${blockRows}×${blockCols} weights)` : ''),
      {
        xaxis: { title: { text: xName }, automargin: true },
        yaxis: { title: { text: yName }, autorange: 'reversed', automargin: true },
      },
    ),
  };
}
