/**
 * Raw inputs for `predict`, read the way the dataset pipeline reads them: image files decoded by
 * the image_folder source's decoder (resized to the model's input), numeric CSV rows parsed by the
 * csv source's parser, or an Arrow file in the dataset cache format. Models exported by
 * `gymnosd train` have their fitted preprocessing baked in, so images go in as uint8 [N, H, W, C]
 * and features as the CSV holds them.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { decodeArrow } from '../datasets/arrow-format.js';
import { csvHeader, parseCsv } from '../datasets/sources/csv-parse.js';
import { decode as decodeImage } from '../datasets/sources/image-folder.js';
import { UserError } from '../util/errors.js';

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
]);
const ARROW_EXTENSIONS = new Set(['.arrow', '.feather', '.ipc']);

/** Samples read from files: one name per sample and the values, sample after sample. */
export interface SampleBlock {
  names: string[];
  data: Uint8Array | Float32Array;
}

/** What the model's first input takes: its dims (-1 where symbolic) and whether it is uint8 NHWC. */
export interface InputSpec {
  dims: number[];
  uint8: boolean;
}

/** Images resized to the model's [H, W, C] (uint8 NHWC), or scaled to float NCHW for an un-baked model. */
async function readImages(files: string[], input: InputSpec, fit: 'fill' | 'cover' | 'contain'): Promise<SampleBlock> {
  const { dims, uint8 } = input;
  const [h, w, c] = uint8 ? [dims[1], dims[2], dims[3]] : [dims[2], dims[3], dims[1]];
  if (![h, w, c].every((d) => typeof d === 'number' && d > 0)) {
    throw new UserError(`the model's image input has no fixed size ([${dims}]); cannot resize images for it`);
  }
  if (c !== 1 && c !== 3)
    throw new UserError(`the model's image input has ${c} channels; images are read with 1 (grayscale) or 3 (RGB)`);
  const per = h * w * c;
  const px = new Uint8Array(files.length * per);
  for (const [i, f] of files.entries()) {
    const { data } = await decodeImage(f, { channels: c, size: [h, w], fit }).catch((e: Error) => {
      throw new UserError(`${f}: cannot decode the image (${e.message})`, { cause: e });
    });
    if (data.length !== per) throw new UserError(`${f}: decoded ${data.length} bytes, expected ${h}x${w}x${c}`);
    px.set(data, i * per);
  }
  const names = files.map((f) => basename(f));
  if (uint8) return { names, data: px };
  const out = new Float32Array(px.length);
  const hw = h * w;
  for (let n = 0; n < files.length; n++) {
    for (let k = 0; k < c; k++) for (let p = 0; p < hw; p++) out[n * per + k * hw + p] = px[n * per + p * c + k] / 255;
  }
  return { names, data: out };
}

/** Numeric CSV rows: the given columns, or every column. */
function readCsv(file: string, columns: string[] | undefined, width: number): SampleBlock {
  const records = parseCsv(readFileSync(file, 'utf8'), file, ',');
  const header = csvHeader(records[0], file);
  const cols = (columns ?? header).map((c) => {
    const k = header.indexOf(c);
    if (k < 0) throw new UserError(`${file}: no column '${c}'; its columns are ${header.join(', ')}`);
    return k;
  });
  if (cols.length !== width) {
    throw new UserError(
      `${file}: ${cols.length} columns but the model takes ${width} features; choose them with --columns`,
    );
  }
  const rows = records.slice(1).filter((r) => r.fields.some((f) => f.trim() !== ''));
  const data = new Float32Array(rows.length * width);
  rows.forEach((r, i) =>
    cols.forEach((k, j) => {
      const v = Number(r.fields[k]);
      if (!Number.isFinite(v))
        throw new UserError(`${file}:${r.line}: '${r.fields[k]}' in column '${header[k]}' is not a number`);
      data[i * width + j] = v;
    }),
  );
  return { names: rows.map((r) => `${basename(file)}:${r.line}`), data };
}

function readArrow(file: string): SampleBlock {
  const d = decodeArrow(file);
  const names = Array.from({ length: d.count }, (_, i) => `${basename(file)}#${i}`);
  return { names, data: d.kind === 'image' ? d.pixels : d.features };
}

export interface ReadOptions {
  /** CSV: the feature columns (default: every column). */
  columns?: string[];
  /** Images: how a resize keeps the aspect ratio (default 'fill', stretching). */
  fit?: 'fill' | 'cover' | 'contain';
}

/** Reads image files, CSV files or one Arrow file for a model input; a mix is an error. */
export async function readInputs(files: string[], input: InputSpec, o: ReadOptions = {}): Promise<SampleBlock> {
  if (files.length === 0) throw new UserError('no inputs: pass image files, .csv files or one .arrow file');
  const exts = new Set(files.map((f) => extname(f).toLowerCase()));
  if ([...exts].every((e) => IMAGE_EXTENSIONS.has(e))) return readImages(files, input, o.fit ?? 'fill');
  if (exts.size === 1 && exts.has('.csv')) {
    const width = input.dims.slice(1).reduce((p, q) => p * q, 1);
    const parts = files.map((f) => readCsv(f, o.columns, width));
    const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
    let off = 0;
    for (const p of parts) {
      data.set(p.data, off);
      off += p.data.length;
    }
    return { names: parts.flatMap((p) => p.names), data };
  }
  if (files.length === 1 && ARROW_EXTENSIONS.has([...exts][0])) return readArrow(files[0]);
  throw new UserError(
    `inputs must be image files (${[...IMAGE_EXTENSIONS].join(', ')}), .csv files, or one .arrow file; got ${files.join(', ')}`,
  );
}
