/**
 * `image_folder`: one subfolder per class (`root/<class>/<image>`), decoded with sharp once, at
 * ingest, into uint8 HWC pixels with a fixed size and channel count. Class names are the folder
 * names, sorted. Hidden files and files without an image extension are ignored.
 */
import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { DatasetError } from '../errors.js';
import { arr, check, int, oneOf, str, type Schema } from '../../config/schema.js';
import type { DatasetSource, IngestContext, IngestedData, OnError, SkippedItem } from '../types.js';
import { requireDir } from './fs-helpers.js';

/** Validated options of the image_folder source. */
export interface ImageFolderOptions {
  path: string;
  /** [height, width] every image is resized to; without it all images must already share one size. */
  size?: [number, number];
  /** 1 (grayscale) or 3 (RGB); alpha is dropped. */
  channels: 1 | 3;
  /** How a resize keeps the aspect ratio (sharp's `fit`): fill stretches, cover crops, contain pads. */
  fit: 'fill' | 'cover' | 'contain';
  /** File extensions read as images (lower case, with the dot). */
  extensions: string[];
  onError: OnError;
  /** Images decoded at once (sharp runs them on libuv's pool). */
  concurrency: number;
}

const EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];

const SIZE_DOC =
  '[height, width] (or one number for a square) every image is resized to; without it all images must share one size';
const sizeOk = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 16384;

/** `size`: n or [height, width], each 1..16384. */
const size: Schema<number | number[] | undefined> = {
  doc: SIZE_DOC,
  optional: true,
  parse(v, path, issues) {
    if (sizeOk(v) || (Array.isArray(v) && v.length === 2 && v.every(sizeOk))) return v as number | number[];
    issues.push({
      path,
      message: `expected a positive integer or [height, width] for ${path} but got ${JSON.stringify(v)}`,
    });
    return undefined;
  },
  json: () => ({
    description: SIZE_DOC,
    oneOf: [
      { type: 'integer', minimum: 1, maximum: 16384 },
      { type: 'array', items: { type: 'integer', minimum: 1, maximum: 16384 }, minItems: 2, maxItems: 2 },
    ],
  }),
};

const options = {
  path: str({ minLength: 1, doc: 'a folder with one subfolder of images per class' }),
  size,
  channels: check(int({ default: 3, doc: '1 (grayscale) or 3 (RGB); alpha is dropped' }), (v, path) =>
    v === 1 || v === 3 ? undefined : `expected one of 1, 3 for ${path} but got ${v}`,
  ),
  fit: oneOf(['fill', 'cover', 'contain'] as const, {
    default: 'fill',
    doc: 'how a resize keeps the aspect ratio: fill stretches, cover crops, contain pads',
  }),
  extensions: arr(str({ minLength: 1 }), { default: EXTENSIONS, doc: 'file extensions read as images' }),
  onError: oneOf(['fail', 'skip'] as const, {
    default: 'fail',
    doc: "an unreadable image: 'fail' stops, 'skip' leaves it out and lists it",
  }),
  concurrency: int({ min: 1, max: 256, default: 8, doc: 'images decoded at once' }),
};

/** Class folders and their image files (relative `class/file`), sorted; checks the layout. */
async function scan(o: ImageFolderOptions): Promise<{ classes: string[]; files: string[][] }> {
  await requireDir(o.path, 'image folder');
  const entries = (await readdir(o.path, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const classes = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (classes.length === 0) {
    throw new DatasetError(
      `image folder '${o.path}' has no class subfolders; expected one subfolder per class, e.g. '${join(o.path, 'cat', '0001.jpg')}'`,
    );
  }
  if (classes.length === 1) {
    throw new DatasetError(
      `image folder '${o.path}' has only one class folder ('${classes[0]}'); a classifier needs at least two: add one subfolder per class`,
    );
  }
  const files: string[][] = [];
  for (const cls of classes) {
    const names = (await readdir(join(o.path, cls), { withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith('.') && o.extensions.includes(extname(e.name).toLowerCase()))
      .map((e) => `${cls}/${e.name}`)
      .sort();
    if (names.length === 0) {
      throw new DatasetError(
        `class folder '${join(o.path, cls)}' has no images (extensions ${o.extensions.join(' ')}); add images or remove the folder`,
      );
    }
    files.push(names);
  }
  return { classes, files };
}

/** Decodes one image as ingest does (also used by predict, so a model sees the pixels it trained on). */
export async function decode(
  file: string,
  o: Pick<ImageFolderOptions, 'channels' | 'size' | 'fit'>,
): Promise<{ data: Buffer; h: number; w: number }> {
  let img = sharp(file, { failOn: 'error' }).removeAlpha();
  img = o.channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
  if (o.size) img = img.resize(o.size[1], o.size[0], { fit: o.fit });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== o.channels) throw new Error(`decoded ${info.channels} channels, expected ${o.channels}`);
  return { data, h: info.height, w: info.width };
}

async function ingest(o: ImageFolderOptions, ctx: IngestContext): Promise<IngestedData> {
  const { classes, files } = await scan(o);
  const all = files.flatMap((names, label) => names.map((name) => ({ name, label })));
  const total = all.length;
  const decoded: ({ data: Buffer; h: number; w: number } | null)[] = new Array(total).fill(null);
  const skipped: SkippedItem[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < total) {
      ctx.signal?.throwIfAborted();
      const k = next++;
      const file = join(o.path, all[k].name);
      try {
        decoded[k] = await decode(file, o);
      } catch (e) {
        const why = (e as Error).message.split('\n')[0];
        if (o.onError === 'fail') {
          throw new DatasetError(
            `cannot read image '${file}' (${why}); replace or remove the file, or set onError: "skip" to leave unreadable images out`,
            { cause: e },
          );
        }
        skipped.push({ file: all[k].name, reason: `cannot read image: ${why}` });
      }
      ctx.onProgress?.({ done: ++done, total });
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, total) }, worker));
  skipped.sort((a, b) => (a.file < b.file ? -1 : 1));
  const kept = all.map((a, k) => ({ ...a, img: decoded[k] })).filter((a) => a.img !== null);
  const counts = new Array(classes.length).fill(0);
  for (const a of kept) counts[a.label]++;
  const emptied = classes.filter((_, i) => counts[i] === 0);
  if (emptied.length) {
    throw new DatasetError(
      `class folder(s) ${emptied.map((c) => `'${join(o.path, c)}'`).join(', ')} have no readable images left after skipping ${skipped.length} unreadable one(s); add readable images or remove the folder`,
    );
  }
  const first = kept[0];
  const [h, w] = [first.img!.h, first.img!.w];
  const width = h * w * o.channels;
  const pixels = new Uint8Array(kept.length * width);
  const labels = new Int32Array(kept.length);
  kept.forEach((a, i) => {
    if (a.img!.h !== h || a.img!.w !== w) {
      throw new DatasetError(
        `image '${join(o.path, a.name)}' is ${a.img!.w}x${a.img!.h} (width x height) but '${join(o.path, first.name)}' is ${w}x${h}; set "size": [height, width] to resize every image, or make them the same size`,
      );
    }
    pixels.set(a.img!.data, i * width);
    labels[i] = a.label;
  });
  return {
    kind: 'image',
    shape: [h, w, o.channels],
    pixels,
    labels,
    classes,
    count: kept.length,
    items: kept.map((a) => a.name),
    skipped,
  };
}

export const imageFolderSource: DatasetSource<ImageFolderOptions> = {
  type: 'image_folder',
  description: 'a folder with one subfolder of images per class, decoded with sharp and resized at ingest',
  options,
  create: (r: Omit<ImageFolderOptions, 'size'> & { size?: number | number[] }): ImageFolderOptions => ({
    ...r,
    path: resolve(r.path),
    size: r.size === undefined ? undefined : typeof r.size === 'number' ? [r.size, r.size] : [r.size[0], r.size[1]],
    extensions: r.extensions.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()),
  }),
  files: async (o) => {
    const { files } = await scan(o);
    return files.flat().map((name) => ({ key: name, path: join(o.path, name) }));
  },
  keyOptions: ({ path: _path, concurrency: _c, ...rest }) => rest,
  ingest,
};
