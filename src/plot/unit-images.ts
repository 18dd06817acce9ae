/** What groups of first-layer units look at: the mean |fan-in weight| per input pixel, as images. */
import { ShapeError, UserError } from '../errors';
import { baseLayout, type Figure } from './figure';

/** A named set of units (columns of the kernel). */
export interface UnitGroup {
  /** Shown above its image. */
  name: string;
  /** Column indices. */
  units: readonly number[];
}

/**
 * One image per group, side by side: pixel p shows the mean over the group's units of
 * |W[p, unit]| (a Dense kernel `[in, out]` whose inputs are an image of `image` = [h, w]).
 *
 * @throws ShapeError when `in` is not h·w; UserError for an empty group.
 */
export function fanInImages(kernel: ArrayLike<number>, shape: readonly [number, number], groups: readonly UnitGroup[], image: readonly [number, number], title = 'Mean |fan-in weight| per pixel'): Figure {
  const [inn, out] = shape;
  const [h, w] = image;
  if (inn !== h * w) throw new ShapeError(`fanInImages: the kernel has ${inn} inputs, not ${h}×${w} = ${h * w} pixels.`);
  const gap = 2;
  const z: (number | null)[][] = Array.from({ length: h }, () => new Array(groups.length * (w + gap) - gap).fill(null));
  groups.forEach((g, k) => {
    if (!g.units.length) throw new UserError(`fanInImages: group '${g.name}' has no units.`);
    for (let p = 0; p < inn; p++) {
      let s = 0;
      for (const u of g.units) s += Math.abs(kernel[p * out + u]);
      z[Math.floor(p / w)][k * (w + gap) + (p % w)] = s / g.units.length;
    }
  });
  return {
    data: [{ type: 'heatmap', z, colorscale: 'Greys', reversescale: true, showscale: true, hoverongaps: false }],
    layout: baseLayout(title, {
      yaxis: { autorange: 'reversed', scaleanchor: 'x', showticklabels: false },
      xaxis: { showticklabels: false },
      annotations: groups.map((g, k) => ({
        x: k * (w + gap) + (w - 1) / 2, y: -1.5, text: `${g.name} (${g.units.length})`, showarrow: false, xref: 'x', yref: 'y',
      })),
    }),
  };
}
