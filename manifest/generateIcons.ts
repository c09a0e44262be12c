/**
 * Draws the app icons, which are committed (re-run only to change them):
 *   npx tsc -p tsconfig.build.json && node dist/manifest/generateIcons.js
 * The glyph is a lead card with a flame badge (the "customer asked to be contacted" alert), in white:
 * on full-bleed Teams purple in color.png (192×192), on transparent in outline.png (32×32), as Teams asks.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { MANIFEST_DIR } from './projectRoot';

/** A region of the unit square: is the point inside? */
type Shape = (x: number, y: number) => boolean;

const union = (...shapes: Shape[]): Shape => (x, y) => shapes.some((inside) => inside(x, y));
const minus = (shape: Shape, hole: Shape): Shape => (x, y) => shape(x, y) && !hole(x, y);
const circle = (cx: number, cy: number, r: number): Shape => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const roundedRect = (x0: number, y0: number, x1: number, y1: number, r: number): Shape => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const pill = (x0: number, y0: number, x1: number, y1: number): Shape => roundedRect(x0, y0, x1, y1, (y1 - y0) / 2);

/** A flame: a circle under a tip at (cx + lean, tipY), the sides tangent to the circle, bending towards the tip. */
const flameShape = (cx: number, cy: number, r: number, tipY: number, lean: number): Shape => {
  const axis = cy - tipY;
  const cos2 = 1 - (r / axis) ** 2; // cos² of the half-angle at the tip
  const reach = axis * cos2; // how far below the tip the sides touch the circle
  return (x, y) => {
    if (circle(cx, cy, r)(x, y)) return true;
    const down = y - tipY;
    if (down <= 0 || down > reach) return false;
    const middle = cx + lean * (1 - down / reach) ** 2;
    return (x - middle) ** 2 <= down * down * (1 / cos2 - 1);
  };
};

const card = minus(roundedRect(0.02, 0.26, 0.84, 0.96, 0.1), roundedRect(0.1, 0.34, 0.76, 0.88, 0.04));
const lines = union(circle(0.2, 0.47, 0.065), pill(0.32, 0.435, 0.54, 0.505), pill(0.13, 0.6, 0.66, 0.67), pill(0.13, 0.74, 0.48, 0.81));
const flame = minus(flameShape(0.8, 0.34, 0.17, 0.0, -0.12), flameShape(0.8, 0.42, 0.075, 0.24, 0.05));
// Clear space around the flame so it reads as a badge on the card's corner.
const flameClearance = flameShape(0.8, 0.34, 0.23, -0.1, -0.12);
const glyph = union(minus(union(card, lines), flameClearance), flame);

type Rgba = readonly [number, number, number, number];
const TEAMS_PURPLE: Rgba = [0x5b, 0x5f, 0xc7, 255];

/** Share of the pixel the glyph covers, from 4×4 samples (antialiasing). */
function coverage(px: number, py: number, box: { left: number; top: number; side: number }): number {
  let hits = 0;
  for (let sy = 0; sy < 4; sy++) {
    for (let sx = 0; sx < 4; sx++) {
      const x = (px + (sx + 0.5) / 4 - box.left) / box.side;
      const y = (py + (sy + 0.5) / 4 - box.top) / box.side;
      if (glyph(x, y)) hits++;
    }
  }
  return hits / 16;
}

/** The glyph fills a centred square of `glyphSide` pixels; `background` undefined means transparent. */
function draw(size: number, glyphSide: number, background?: Rgba): Buffer {
  const png = new PNG({ width: size, height: size });
  const offset = (size - glyphSide) / 2;
  const box = { left: offset, top: offset, side: glyphSide };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = coverage(x, y, box);
      // Color: white blended over the background. Outline: pure white, the coverage goes into alpha.
      const pixel = background
        ? [...background.slice(0, 3).map((channel) => Math.round(channel + (255 - channel) * c)), 255]
        : [255, 255, 255, Math.round(255 * c)];
      png.data.set(pixel, (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

// Teams keeps a color icon's symbol inside the central 120 px; the outline glyph may nearly fill its 32 px.
writeFileSync(path.join(MANIFEST_DIR, 'color.png'), draw(192, 120, TEAMS_PURPLE));
writeFileSync(path.join(MANIFEST_DIR, 'outline.png'), draw(32, 30));
