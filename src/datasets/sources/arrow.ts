/**
 * `arrow`: an existing Arrow IPC file (or Feather v2, the same format; stream format too),
 * checked against the loader's schema contract and copied into the cache in canonical form.
 * Images: a FixedSizeBinary or FixedSizeList<UInt8> column with `gymnos.shape` metadata [H,W,C].
 * Features: numeric columns, or one FixedSizeList of numbers. Labels: integer, float or string
 * values; their distinct values become the classes.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { tableFromIPC, type Table, type Vector } from 'apache-arrow';
import { DatasetError } from '../errors.js';
import { arr, opt, str } from '../../config/schema.js';
import type { DatasetSource, IngestedData } from '../types.js';
import { SHAPE_KEY } from '../arrow-format.js';
import { arrowLayoutProblem } from '../arrow-check.js';
import { requireFile } from './fs-helpers.js';

/** Validated options of the arrow source. */
export interface ArrowOptions {
  path: string;
  /** Image column name; or leave it out and give `features`. */
  image?: string;
  /** Feature column names (numeric), or one FixedSizeList column. */
  features?: string[];
  label: string;
  /** Class names in label order (default: sorted distinct label values). */
  classes?: string[];
}

const options = {
  path: str({ minLength: 1, doc: 'an Arrow IPC (Feather v2) file' }),
  image: opt(
    str({ minLength: 1, doc: 'the image column (FixedSizeBinary or FixedSizeList<UInt8>); or give features' }),
  ),
  features: opt(
    arr(str({ minLength: 1 }), { doc: 'numeric feature columns, or one FixedSizeList column; or give image' }),
  ),
  label: str({ minLength: 1, default: 'label', doc: 'the label column' }),
  classes: opt(arr(str(), { doc: 'class names in label order (default: sorted distinct label values)' })),
};

function column(t: Table, name: string, file: string, what: string): Vector {
  const v = t.getChild(name);
  if (!v)
    throw new DatasetError(
      `${what} '${name}' is not a column of '${file}'; its columns are ${t.schema.fields.map((f) => f.name).join(', ')}`,
    );
  if (v.nullCount > 0)
    throw new DatasetError(
      `column '${name}' of '${file}' has ${v.nullCount} null value(s); the loader needs complete columns: fill or drop those rows first`,
    );
  return v;
}

const NUMERIC = /^(u?int\d*|float\d*)$/i;

function readImage(t: Table, o: ArrowOptions, file: string): { shape: [number, number, number]; pixels: Uint8Array } {
  const v = column(t, o.image!, file, 'image column');
  const field = t.schema.fields.find((f) => f.name === o.image)!;
  const type = v.type as {
    typeId: number;
    byteWidth?: number;
    listSize?: number;
    children?: { type: { toString(): string } }[];
  };
  const width =
    type.byteWidth ??
    (type.children?.[0] && /^uint8$/i.test(String(type.children[0].type)) ? type.listSize : undefined);
  if (!width)
    throw new DatasetError(
      `image column '${o.image}' of '${file}' is ${String(v.type)}; expected FixedSizeBinary(H*W*C) or FixedSizeList<Uint8>[H*W*C]`,
    );
  const raw = field.metadata.get(SHAPE_KEY);
  let shape: unknown;
  try {
    shape = JSON.parse(raw ?? 'null');
  } catch {
    shape = null;
  }
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((x) => Number.isInteger(x) && x > 0) ||
    shape[0] * shape[1] * shape[2] !== width
  ) {
    throw new DatasetError(
      `image column '${o.image}' of '${file}' needs field metadata '${SHAPE_KEY}' = "[H,W,C]" with H*W*C = ${width}, but it is ${raw === undefined ? 'missing' : JSON.stringify(raw)}`,
    );
  }
  const pixels = new Uint8Array(t.numRows * width);
  let off = 0;
  for (const d of v.data) {
    const src = (d.children.length ? d.children[0].values : d.values) as Uint8Array;
    pixels.set(src.subarray(0, d.length * width), off);
    off += d.length * width;
  }
  return { shape: shape as [number, number, number], pixels };
}

function readFeatures(t: Table, o: ArrowOptions, file: string): { names: string[]; features: Float32Array } {
  const cols = o.features!.map((n) => column(t, n, file, 'feature column'));
  const n = t.numRows;
  if (cols.length === 1 && (cols[0].type as { listSize?: number }).listSize !== undefined) {
    const size = (cols[0].type as { listSize: number }).listSize;
    const elem = String((cols[0].type as { children: { type: unknown }[] }).children[0].type);
    if (!NUMERIC.test(elem))
      throw new DatasetError(`feature column '${o.features![0]}' of '${file}' holds ${elem}; expected numbers`);
    const features = new Float32Array(n * size);
    for (let r = 0; r < n; r++) features.set(Array.from(cols[0].get(r) as Iterable<number | bigint>, Number), r * size);
    return { names: Array.from({ length: size }, (_, j) => `${o.features![0]}[${j}]`), features };
  }
  cols.forEach((c, j) => {
    if (!NUMERIC.test(String(c.type)))
      throw new DatasetError(
        `feature column '${o.features![j]}' of '${file}' is ${String(c.type)}; expected a numeric column (int or float)`,
      );
  });
  const features = new Float32Array(n * cols.length);
  cols.forEach((c, j) => {
    for (let r = 0; r < n; r++) features[r * cols.length + j] = Number(c.get(r));
  });
  return { names: o.features!, features };
}

async function ingest(o: ArrowOptions): Promise<IngestedData> {
  const file = o.path;
  let t: Table;
  const fix = 'write it uncompressed with Arrow IPC (pyarrow.feather.write_feather(..., compression="uncompressed"))';
  const bytes = await readFile(file);
  const magic =
    bytes.length >= 8 && (bytes.subarray(0, 6).toString('latin1') === 'ARROW1' || bytes.readUInt32LE(0) === 0xffffffff);
  if (!magic)
    throw new DatasetError(
      `cannot read '${file}' as an Arrow IPC or Feather v2 file (it starts with neither 'ARROW1' nor a stream message); ${fix}`,
    );
  const reexport = 'export it again (pyarrow.feather.write_feather(table, path, compression="uncompressed"))';
  // an IPC file ends with its footer and the magic again: without it the file was cut short
  if (
    bytes.subarray(0, 6).toString('latin1') === 'ARROW1' &&
    (bytes.length < 12 || bytes.subarray(bytes.length - 6).toString('latin1') !== 'ARROW1')
  ) {
    throw new DatasetError(
      `'${file}' is truncated (${bytes.length} bytes, and no Arrow footer at its end); ${reexport}`,
    );
  }
  // apache-arrow trusts the layout and loops forever on some damaged footers: check it first
  const problem = arrowLayoutProblem(bytes);
  if (problem)
    throw new DatasetError(
      `'${file}' is truncated or corrupt (not a readable Arrow IPC or Feather v2 file: ${problem}); ${reexport}`,
    );
  try {
    t = tableFromIPC(bytes);
    // decoding is lazy in places: touch every column once so damage shows here, not mid-training
    if (t.numRows > 0) for (const f of t.schema.fields) t.getChild(f.name)?.get(t.numRows - 1);
  } catch (e) {
    // apache-arrow reads no compressed buffers; anything else is damage
    if (/compress/i.test((e as Error).message))
      throw new DatasetError(`cannot read '${file}': its record batches are compressed; ${fix}`, { cause: e });
    throw new DatasetError(
      `'${file}' is truncated or corrupt (not a readable Arrow IPC or Feather v2 file); ${reexport}`,
      { cause: e },
    );
  }
  if (t.numRows === 0) throw new DatasetError(`'${file}' has no rows`);
  const lv = column(t, o.label, file, 'label column');
  const raw = Array.from({ length: t.numRows }, (_, r) => String(lv.get(r)));
  const distinct = [...new Set(raw)];
  const numeric = distinct.every((x) => Number.isFinite(Number(x)));
  const classes = o.classes ?? (numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort());
  const index = new Map(classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(raw, (x, r) => {
    const l = index.get(x);
    if (l === undefined)
      throw new DatasetError(
        `row ${r} of '${file}': label ${JSON.stringify(x)} is not one of the classes ${JSON.stringify(classes)}`,
      );
    return l;
  });
  const base = { labels, classes, count: t.numRows, skipped: [] };
  if (o.image) return { kind: 'image', ...readImage(t, o, file), ...base };
  const f = readFeatures(t, o, file);
  return { kind: 'tabular', featureNames: f.names, features: f.features, ...base };
}

export const arrowSource: DatasetSource<ArrowOptions> = {
  type: 'arrow',
  description: 'an Arrow IPC / Feather v2 file with an image column or numeric feature columns and a label column',
  options,
  check: (o: { image?: string; features?: string[] }, path: string) =>
    (o.image === undefined) === (o.features === undefined)
      ? `expected exactly one of ${path}.image (an image column) or ${path}.features (feature columns) but got ${o.image === undefined ? 'neither' : 'both'}`
      : undefined,
  create: (r: ArrowOptions): ArrowOptions => ({ ...r, path: resolve(r.path) }),
  files: async (o) => {
    await requireFile(o.path, 'the Arrow file');
    return [{ key: 'file', path: o.path }];
  },
  keyOptions: ({ path: _path, ...rest }) => rest,
  ingest,
};
