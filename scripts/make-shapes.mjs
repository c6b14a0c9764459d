#!/usr/bin/env node
// Writes a small image-folder dataset of RGB PNGs in three classes (circle, square, triangle):
// shapes of random size, position and colour on a random dark background, drawn into raw pixel
// buffers and encoded with sharp. Deterministic for a given seed.
//
//   node scripts/make-shapes.mjs [outDir=examples/data/shapes] [perClass=100] [size=32]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle'];

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Is pixel (x, y) inside the shape of class `k` centred at (cx, cy) with half-size r? */
function inside(k, x, y, cx, cy, r) {
  const dx = x + 0.5 - cx;
  const dy = y + 0.5 - cy;
  if (k === 0) return dx * dx + dy * dy <= r * r;
  if (k === 1) return Math.abs(dx) <= r * 0.85 && Math.abs(dy) <= r * 0.85;
  // triangle, apex up: |dx| grows linearly from the apex (dy = -r) to the base (dy = r)
  return dy >= -r && dy <= r && Math.abs(dx) <= (dy + r) / 2;
}

/** Raw HWC RGB pixels of one image of class k. */
export function drawShape(k, size, rand) {
  const px = new Uint8Array(size * size * 3);
  const bg = [0, 1, 2].map(() => Math.floor(rand() * 70));
  const fg = [0, 1, 2].map(() => 140 + Math.floor(rand() * 116));
  const r = size * (0.22 + rand() * 0.18);
  const cx = r + rand() * (size - 2 * r);
  const cy = r + rand() * (size - 2 * r);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = inside(k, x, y, cx, cy, r) ? fg : bg;
      px.set(c, (y * size + x) * 3);
    }
  }
  return px;
}

/** Writes `perClass` PNGs per class under outDir/<class>/; returns the number written. */
export async function makeShapes(outDir, { perClass = 100, size = 32, seed = 1 } = {}) {
  const rand = rng(seed);
  let n = 0;
  for (const [k, name] of SHAPE_CLASSES.entries()) {
    mkdirSync(join(outDir, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = drawShape(k, size, rand);
      await sharp(px, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(join(outDir, name, `${String(i).padStart(4, '0')}.png`));
      n++;
    }
  }
  return n;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [out = 'examples/data/shapes', perClass = '100', size = '32'] = process.argv.slice(2);
  const n = await makeShapes(out, { perClass: Number(perClass), size: Number(size) });
  console.log(`wrote ${n} images to ${out}`);
}
