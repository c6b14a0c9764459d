/** Small datasets generated on the fly for the dataset tests: image folders, CSVs, IDX files. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';

/** A temp directory; remove it with `cleanup`. */
export function tempDir(prefix = 'gymnos-ds-'): { dir: string; path: (...p: string[]) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (...p) => join(dir, ...p), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an image of solid-ish colour (a gradient keyed by `seed`) with sharp. */
export async function writeImage(
  path: string,
  w: number,
  h: number,
  seed: number,
  format: 'png' | 'jpeg' = 'png',
  channels: 1 | 3 = 3,
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const px = Buffer.alloc(w * h * channels);
  for (let i = 0; i < px.length; i++) px[i] = (seed * 37 + i * 11) & 0xff;
  const img = sharp(px, { raw: { width: w, height: h, channels } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 90 })).toFile(path);
}

/** An image folder `root/<class>/<i>.png` with `perClass` w x h images per class. */
export async function imageFolder(root: string, classes: string[], perClass: number, w = 6, h = 5): Promise<void> {
  let seed = 1;
  for (const c of classes) for (let i = 0; i < perClass; i++) await writeImage(join(root, c, `${i}.png`), w, h, seed++);
}

/** Writes an IDX file of uint8 values with `dims`, optionally gzipped. */
export function writeIdx(path: string, dims: number[], data: Uint8Array, gzip = false): void {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  const bytes = Buffer.concat([head, data]);
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
}
