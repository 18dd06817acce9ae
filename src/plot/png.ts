/**
 * A small PNG encoder for indexed-colour images: plots have few colours (a white background,
 * a handful of trace colours and their anti-aliased edges), so an 8-bit palette PNG is a third
 * of the size of the RGBA PNG a browser canvas writes. Used for the static images committed in
 * notebooks, where every kilobyte stays in the repository's history.
 */
import * as zlib from 'zlib';
import { OptionError, ShapeError } from '../errors';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** The result of {@link palettePng}. */
export interface PalettePng {
  /** The PNG file's bytes. */
  png: Buffer;
  /** Distinct colours in the input. */
  colors: number;
  /** True when every pixel kept its exact colour (at most `maxColors` colours in the input). */
  exact: boolean;
}

/**
 * Encodes RGBA pixels as an 8-bit palette PNG. With more than `maxColors` distinct colours, the
 * most frequent ones form the palette and every other pixel takes the nearest of them (in a
 * plot those are anti-aliasing shades, so the loss is invisible at 1:1).
 *
 * @param rgba `width × height × 4` bytes, row-major.
 */
export function palettePng(rgba: Uint8Array, width: number, height: number, maxColors = 256): PalettePng {
  if (rgba.length !== width * height * 4) throw new ShapeError(`palettePng: ${rgba.length} bytes are not ${width}×${height} RGBA pixels.`);
  if (!(maxColors >= 2 && maxColors <= 256)) throw new OptionError(`palettePng: maxColors must be in [2, 256]; got ${maxColors}.`, 'maxColors');
  const view = new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.length / 4);
  const counts = new Map<number, number>();
  for (let i = 0; i < view.length; i++) counts.set(view[i], (counts.get(view[i]) ?? 0) + 1);
  const palette = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, maxColors).map(([c]) => c);
  const index = new Map<number, number>(palette.map((c, i) => [c, i]));
  const bytes = (c: number) => [c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24]; // little-endian view of RGBA
  const pal = palette.map(bytes);
  const nearest = (c: number): number => {
    const [r, g, b, a] = bytes(c);
    let best = 0;
    let bestD = Infinity;
    for (let i = 0; i < pal.length; i++) {
      const p = pal[i];
      const d = (p[0] - r) ** 2 + (p[1] - g) ** 2 + (p[2] - b) ** 2 + (p[3] - a) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    index.set(c, best);
    return best;
  };
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none (indices do not benefit from the others)
    for (let x = 0; x < width; x++) {
      const c = view[y * width + x];
      raw[y * (width + 1) + 1 + x] = index.get(c) ?? nearest(c);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  const plte = Buffer.from(pal.flatMap((p) => p.slice(0, 3)));
  const opaque = pal.every((p) => p[3] === 255);
  const parts = [
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    ...(opaque ? [] : [chunk('tRNS', Buffer.from(pal.map((p) => p[3])))]),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ];
  return { png: Buffer.concat(parts), colors: counts.size, exact: counts.size <= maxColors };
}
