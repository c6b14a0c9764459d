/**
 * `idx`: MNIST-format IDX files (images: uint8 [N, H, W] or [N, H, W, C]; labels: uint8 [N]),
 * gzipped or not (detected from the bytes). Classes are the label values, as strings, 0..max.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { arr, opt, str } from '../../config/schema.js';
import type { DatasetSource, IngestedData } from '../types.js';
import { requireFile } from './fs-helpers.js';

/** Validated options of the idx source. */
export interface IdxOptions {
  images: string;
  labels: string;
  /** Class names (default '0'..'max label'). */
  classes?: string[];
}

const options = {
  images: str({ minLength: 1, doc: 'the IDX image file (e.g. train-images-idx3-ubyte, optionally .gz)' }),
  labels: str({ minLength: 1, doc: 'the IDX label file (e.g. train-labels-idx1-ubyte, optionally .gz)' }),
  classes: opt(arr(str(), { doc: "class names in label order (default '0'..'max label')" })),
};

/** Parses one IDX file: uint8 element type only (what MNIST and its relatives use). */
export function parseIdx(bytes: Uint8Array, file: string): { dims: number[]; data: Uint8Array } {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new DatasetError(
      `'${file}' is not an IDX file (it should start with two zero bytes, a type byte and a dimension count, as MNIST's train-images-idx3-ubyte does)`,
    );
  }
  if (raw[2] !== 0x08)
    throw new DatasetError(
      `'${file}' holds IDX element type 0x${raw[2].toString(16)}; Gymnos reads unsigned bytes (0x08) only`,
    );
  const rank = raw[3];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (rank === 0 || raw.length < 4 + 4 * rank)
    throw new DatasetError(`'${file}': IDX header declares ${rank} dimensions but the file is too short to hold them`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const n = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (raw.length - start !== n) {
    throw new DatasetError(
      `'${file}': IDX header says [${dims.join(', ')}] (${n} bytes of data) but the file holds ${raw.length - start}; the file is truncated or not IDX`,
    );
  }
  return { dims, data: raw.subarray(start) };
}

async function ingest(o: IdxOptions): Promise<IngestedData> {
  const img = parseIdx(await readFile(o.images), o.images);
  const lab = parseIdx(await readFile(o.labels), o.labels);
  if (img.dims.length !== 3 && img.dims.length !== 4)
    throw new DatasetError(
      `'${o.images}' has shape [${img.dims.join(', ')}]; expected images [N, H, W] or [N, H, W, C]`,
    );
  if (lab.dims.length !== 1)
    throw new DatasetError(`'${o.labels}' has shape [${lab.dims.join(', ')}]; expected labels [N]`);
  const [count, h, w] = img.dims;
  const ch = img.dims[3] ?? 1;
  if (lab.dims[0] !== count)
    throw new DatasetError(
      `'${o.images}' holds ${count} images but '${o.labels}' holds ${lab.dims[0]} labels; pass the matching pair of files`,
    );
  if (count === 0) throw new DatasetError(`'${o.images}' holds no images`);
  let max = 0;
  for (const l of lab.data) max = Math.max(max, l);
  const classes = o.classes ?? Array.from({ length: max + 1 }, (_, i) => String(i));
  if (max >= classes.length)
    throw new DatasetError(
      `'${o.labels}' has label ${max} but only ${classes.length} classes are named; name every class`,
    );
  return {
    kind: 'image',
    shape: [h, w, ch],
    pixels: new Uint8Array(img.data),
    labels: Int32Array.from(lab.data),
    classes,
    count,
    skipped: [],
  };
}

export const idxSource: DatasetSource<IdxOptions> = {
  type: 'idx',
  description: 'MNIST-format IDX image and label files, gzipped or not',
  options,
  create: (r: { images: string; labels: string; classes?: string[] }): IdxOptions => ({
    images: resolve(r.images),
    labels: resolve(r.labels),
    classes: r.classes,
  }),
  files: async (o) => {
    await requireFile(o.images, 'the IDX images file');
    await requireFile(o.labels, 'the IDX labels file');
    return [
      { key: 'images', path: o.images },
      { key: 'labels', path: o.labels },
    ];
  },
  keyOptions: ({ images: _i, labels: _l, ...rest }) => rest,
  ingest,
};
