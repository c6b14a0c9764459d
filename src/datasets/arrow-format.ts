/**
 * The Arrow IPC form of an ingested dataset: the native loader's schema contract
 * (native/src/dataset.rs). Images: column `image`, FixedSizeList<UInt8>[H*W*C] with field metadata
 * `gymnos.shape` = "[H,W,C]"; tabular: column `features`, FixedSizeList<Float32>[F] with the
 * feature names in `gymnos.features`; both with an Int32 `label` column and the class names in the
 * schema metadata `gymnos.classes`. No nulls, no dictionaries, no compression.
 */
import { readFileSync } from 'node:fs';
import {
  Field,
  FixedSizeList,
  Float32,
  Int32,
  Uint8,
  RecordBatch,
  Schema,
  Struct,
  Table,
  makeData,
  tableFromIPC,
  tableToIPC,
} from 'apache-arrow';
import { DatasetError } from './errors.js';
import { arrowLayoutProblem } from './arrow-check.js';
import type { DatasetData } from './types.js';

/** Field metadata key of an image column's [H,W,C] shape (as the native loader reads it). */
export const SHAPE_KEY = 'gymnos.shape';
export const FEATURES_KEY = 'gymnos.features';
export const CLASSES_KEY = 'gymnos.classes';
export const IMAGE_COLUMN = 'image';
export const FEATURES_COLUMN = 'features';
export const LABEL_COLUMN = 'label';

/** Bytes per record batch (about): keeps each batch's column contiguous and small enough to map. */
const BATCH_BYTES = 16 << 20;

/** Encodes `d` (or the rows `rows` of it) as an Arrow IPC file. */
export function encodeArrow(d: DatasetData, rows?: ArrayLike<number>): Uint8Array {
  const width = d.kind === 'image' ? d.shape[0] * d.shape[1] * d.shape[2] : d.featureNames.length;
  const elem = d.kind === 'image' ? new Uint8() : new Float32();
  const x = new FixedSizeList(width, new Field('item', elem, false));
  const meta =
    d.kind === 'image'
      ? new Map([[SHAPE_KEY, JSON.stringify(d.shape)]])
      : new Map([[FEATURES_KEY, JSON.stringify(d.featureNames)]]);
  const fields = [
    new Field(d.kind === 'image' ? IMAGE_COLUMN : FEATURES_COLUMN, x, false, meta),
    new Field(LABEL_COLUMN, new Int32(), false),
  ];
  const schema = new Schema(fields, new Map([[CLASSES_KEY, JSON.stringify(d.classes)]]));
  const source: Uint8Array | Float32Array = d.kind === 'image' ? d.pixels : d.features;
  const n = rows ? rows.length : d.count;
  const step = Math.max(1, Math.floor(BATCH_BYTES / (width * source.BYTES_PER_ELEMENT)));
  const batches: RecordBatch[] = [];
  for (let start = 0; start < n || (n === 0 && batches.length === 0); start += step) {
    const len = Math.min(step, n - start);
    let values: Uint8Array | Float32Array;
    let labels: Int32Array;
    if (rows) {
      values = d.kind === 'image' ? new Uint8Array(len * width) : new Float32Array(len * width);
      labels = new Int32Array(len);
      for (let k = 0; k < len; k++) {
        const r = rows[start + k];
        (values as Uint8Array).set(source.subarray(r * width, (r + 1) * width) as Uint8Array, k * width);
        labels[k] = d.labels[r];
      }
    } else {
      values = source.subarray(start * width, (start + len) * width);
      labels = d.labels.subarray(start, start + len);
    }
    const child = makeData({ type: elem, length: len * width, data: values } as never);
    const xd = makeData({ type: x, length: len, nullCount: 0, child } as never);
    const ld = makeData({ type: new Int32(), length: len, nullCount: 0, data: labels });
    batches.push(
      new RecordBatch(schema, makeData({ type: new Struct(fields), length: len, nullCount: 0, children: [xd, ld] })),
    );
    if (n === 0) break;
  }
  return tableToIPC(new Table(schema, batches), 'file');
}

/** Reads a cache file written by `encodeArrow` back into memory. */
export function decodeArrow(path: string): DatasetData {
  let table: Table;
  const bytes = readFileSync(path);
  // a damaged cache file must not hang apache-arrow's reader (see arrow-check.ts)
  const problem = arrowLayoutProblem(bytes);
  if (problem)
    throw new DatasetError(
      `the Arrow cache file '${path}' is truncated or corrupt (${problem}); delete it (gymnosd datasets clear) and ingest again`,
    );
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new DatasetError(
      `cannot read the Arrow cache file '${path}' (${(e as Error).message}); delete it (gymnosd datasets clear) and ingest again`,
      { cause: e },
    );
  }
  const classes = JSON.parse(table.schema.metadata.get(CLASSES_KEY) ?? '[]') as string[];
  const labelCol = table.getChild(LABEL_COLUMN);
  const image = table.schema.fields.find((f) => f.name === IMAGE_COLUMN);
  const feat = table.schema.fields.find((f) => f.name === FEATURES_COLUMN);
  const col = table.getChild(image ? IMAGE_COLUMN : FEATURES_COLUMN);
  if (!labelCol || !col || (!image && !feat))
    throw new DatasetError(
      `'${path}' is not a Gymnos dataset cache file (expected columns '${IMAGE_COLUMN}' or '${FEATURES_COLUMN}', and '${LABEL_COLUMN}'); delete it and ingest again`,
    );
  const count = table.numRows;
  const labels = new Int32Array(count);
  let off = 0;
  for (const d of labelCol.data) {
    labels.set((d.values as Int32Array).subarray(d.offset, d.offset + d.length), off);
    off += d.length;
  }
  const width = (col.type as FixedSizeList).listSize;
  const values = image ? new Uint8Array(count * width) : new Float32Array(count * width);
  off = 0;
  for (const d of col.data) {
    const child = d.children[0];
    const start = child.offset + d.offset * width;
    (values as Uint8Array).set((child.values as Uint8Array).subarray(start, start + d.length * width), off);
    off += d.length * width;
  }
  if (image) {
    const shape = JSON.parse(image.metadata.get(SHAPE_KEY) ?? 'null') as [number, number, number];
    return { kind: 'image', shape, pixels: values as Uint8Array, labels, classes, count };
  }
  const featureNames = JSON.parse(feat!.metadata.get(FEATURES_KEY) ?? 'null') as string[] | null;
  return {
    kind: 'tabular',
    featureNames: featureNames ?? Array.from({ length: width }, (_, j) => `f${j}`),
    features: values as Float32Array,
    labels,
    classes,
    count,
  };
}
