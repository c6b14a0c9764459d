/**
 * Datasets shipped with the package (no network needed): the UCI handwritten digits and iris, as
 * Debian's python3-sklearn ships them (see data/builtin/ATTRIBUTION.md).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

/** A small in-memory classification dataset: row-major float features and integer labels. */
export interface TabularDataset {
  name: string;
  features: Float32Array;
  /** Shape of one sample's features (digits: [1, 8, 8] as an image, or [64] flat). */
  sampleShape: number[];
  labels: Int32Array;
  classes: string[];
  count: number;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error('cannot find the gymnos package root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Path of a built-in data file. */
export function builtinDataPath(file: string): string {
  return join(packageRoot(), 'data', 'builtin', file);
}

/** The UCI digits: 1,797 8x8 images, pixel values 0..16 scaled to [0, 1], classes 0..9. */
export function loadDigits(): TabularDataset {
  const text = gunzipSync(readFileSync(builtinDataPath('digits.csv.gz'))).toString('utf8');
  const rows = text.trim().split('\n');
  const features = new Float32Array(rows.length * 64);
  const labels = new Int32Array(rows.length);
  rows.forEach((line, i) => {
    const v = line.split(',').map(Number);
    if (v.length !== 65 || v.some((x) => !Number.isFinite(x)))
      throw new Error(`digits.csv.gz line ${i + 1}: expected 65 numbers`);
    for (let k = 0; k < 64; k++) features[i * 64 + k] = v[k] / 16;
    labels[i] = v[64];
  });
  return { name: 'digits', features, sampleShape: [1, 8, 8], labels, classes: [...'0123456789'], count: rows.length };
}

/** Fisher's iris: 150 samples, 4 features (cm, unscaled), 3 classes. */
export function loadIris(): TabularDataset {
  const lines = readFileSync(builtinDataPath('iris.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const classes = header.slice(2);
  const rows = lines.slice(1);
  const features = new Float32Array(rows.length * 4);
  const labels = new Int32Array(rows.length);
  rows.forEach((line, i) => {
    const v = line.split(',').map(Number);
    for (let k = 0; k < 4; k++) features[i * 4 + k] = v[k];
    labels[i] = v[4];
  });
  return { name: 'iris', features, sampleShape: [4], labels, classes, count: rows.length };
}
