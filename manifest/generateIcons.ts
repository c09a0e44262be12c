/**
 * Draws the app icons (run once; the PNGs are committed): color 192×192, a white lead card with a
 * flame on Teams purple; outline 32×32, the same card in white on transparent.
 * `npx tsc -p tsconfig.build.json && node dist/manifest/generateIcons.js`
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';

type Rgba = [number, number, number, number];
type Shape = (x: number, y: number) => boolean;

const PURPLE: Rgba = [0x5b, 0x5f, 0xc7, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

const roundedRect = (x0: number, y0: number, x1: number, y1: number, r: number): Shape => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const circle = (cx: number, cy: number, r: number): Shape => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect = (x0: number, y0: number, x1: number, y1: number): Shape => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;

/** A card outline with a header dot and two text lines, in a unit square scaled to `size`. */
function glyph(size: number): { card: Shape; holes: Shape } {
  const s = (v: number) => v * size;
  const card = roundedRect(s(0.18), s(0.22), s(0.82), s(0.78), s(0.08));
  const inner = roundedRect(s(0.24), s(0.28), s(0.76), s(0.72), s(0.04));
  const dot = circle(s(0.34), s(0.4), s(0.055));
  const line1 = rect(s(0.44), s(0.375), s(0.68), s(0.43));
  const line2 = rect(s(0.32), s(0.52), s(0.68), s(0.575));
  const line3 = rect(s(0.32), s(0.62), s(0.56), s(0.675));
  const marks = (x: number, y: number) => dot(x, y) || line1(x, y) || line2(x, y) || line3(x, y);
  return { card: (x, y) => card(x, y) && (!inner(x, y) || marks(x, y)), holes: inner };
}

function draw(size: number, background: Rgba, foreground: Rgba): Buffer {
  const png = new PNG({ width: size, height: size });
  const { card } = glyph(size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const color = card(x + 0.5, y + 0.5) ? foreground : background;
      png.data.set(color, (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

const here = path.resolve(__dirname, '..', '..', 'manifest');
writeFileSync(path.join(here, 'color.png'), draw(192, PURPLE, WHITE));
writeFileSync(path.join(here, 'outline.png'), draw(32, CLEAR, WHITE));
