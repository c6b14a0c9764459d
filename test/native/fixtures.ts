/** Helpers that write Arrow IPC files with apache-arrow for the native loader tests. */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Field,
  FixedSizeList,
  FixedSizeBinary,
  Uint8,
  Int8,
  Int16,
  Int32,
  Int64,
  Uint16,
  Uint32,
  Float32,
  Float64,
  Schema,
  makeData,
  RecordBatch,
  Struct,
  Table,
  tableToIPC,
  type DataType,
} from 'apache-arrow';

export const SHAPE_KEY = 'gymnos.shape';

/** A temp directory removed by `cleanup()`. */
export function tempDir(prefix = 'gymnos-native-'): {
  dir: string;
  file: (name: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

export type LabelKind = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'float32' | 'float64';
const LABEL_TYPES: Record<LabelKind, () => DataType> = {
  int8: () => new Int8(),
  int16: () => new Int16(),
  int32: () => new Int32(),
  int64: () => new Int64(),
  uint8: () => new Uint8(),
  uint16: () => new Uint16(),
  uint32: () => new Uint32(),
  float32: () => new Float32(),
  float64: () => new Float64(),
};
const LABEL_ARRAYS: Record<LabelKind, (v: number[]) => ArrayLike<number | bigint>> = {
  int8: (v) => Int8Array.from(v),
  int16: (v) => Int16Array.from(v),
  int32: (v) => Int32Array.from(v),
  int64: (v) => BigInt64Array.from(v, BigInt),
  uint8: (v) => Uint8Array.from(v),
  uint16: (v) => Uint16Array.from(v),
  uint32: (v) => Uint32Array.from(v),
  float32: (v) => Float32Array.from(v),
  float64: (v) => Float64Array.from(v),
};

export interface ImageFileOptions {
  rows: number;
  shape: [number, number, number];
  /** Rows per record batch. */
  batchRows?: number;
  layout?: 'list' | 'binary';
  labelKind?: LabelKind;
  labels?: number[];
  seed?: number;
  pixels?: Uint8Array;
  /** Omit or override the shape metadata. */
  shapeMeta?: string | null;
}

/** Builds an Arrow IPC file (bytes) with an 'image' column and a 'label' column. */
export function imageFileBytes(o: ImageFileOptions): { bytes: Uint8Array; pixels: Uint8Array; labels: number[] } {
  const [h, w, c] = o.shape;
  const width = h * w * c;
  const pixels = o.pixels ?? bytes(o.rows * width, o.seed ?? 7);
  const labels = o.labels ?? Array.from({ length: o.rows }, (_, i) => (i * 7 + 3) % 10);
  const labelKind = o.labelKind ?? 'int32';
  const imgType =
    o.layout === 'binary'
      ? new FixedSizeBinary(width)
      : new FixedSizeList(width, new Field('item', new Uint8(), false));
  const meta =
    o.shapeMeta === null ? new Map<string, string>() : new Map([[SHAPE_KEY, o.shapeMeta ?? JSON.stringify(o.shape)]]);
  const fields = [new Field('image', imgType, false, meta), new Field('label', LABEL_TYPES[labelKind](), false)];
  const schema = new Schema(fields);
  const step = o.batchRows ?? o.rows;
  const batches: RecordBatch[] = [];
  for (let start = 0; start < o.rows; start += step) {
    const len = Math.min(step, o.rows - start);
    const px = pixels.subarray(start * width, (start + len) * width);
    const imgData =
      o.layout === 'binary'
        ? makeData({ type: imgType as FixedSizeBinary, length: len, nullCount: 0, data: px })
        : makeData({
            type: imgType as FixedSizeList,
            length: len,
            nullCount: 0,
            child: makeData({ type: new Uint8(), length: len * width, data: px }),
          });
    const lab = makeData({
      type: LABEL_TYPES[labelKind](),
      length: len,
      nullCount: 0,
      data: LABEL_ARRAYS[labelKind](labels.slice(start, start + len)),
    } as never);
    batches.push(
      new RecordBatch(
        schema,
        makeData({ type: new Struct(fields), length: len, nullCount: 0, children: [imgData, lab] }),
      ),
    );
  }
  return { bytes: tableToIPC(new Table(schema, batches), 'file'), pixels, labels };
}

/** Writes an image file and returns its path plus contents. */
export function writeImageFile(
  path: string,
  o: ImageFileOptions,
): { path: string; pixels: Uint8Array; labels: number[] } {
  const r = imageFileBytes(o);
  writeFileSync(path, r.bytes);
  return { path, pixels: r.pixels, labels: r.labels };
}

/**
 * Writes a tabular file: either one FixedSizeList<Float32> 'features' column or n Float32 columns 'f0'..; plus 'label'.
 */
export function writeTabularFile(
  path: string,
  o: { rows: number; features: number; list: boolean; batchRows?: number; labelKind?: LabelKind },
): { values: Float32Array; labels: number[] } {
  const n = o.features;
  const values = new Float32Array(o.rows * n);
  for (let i = 0; i < values.length; i++) values[i] = Math.fround(Math.sin(i * 0.37) * 10 + (i % n));
  const labels = Array.from({ length: o.rows }, (_, i) => (i * 5 + 1) % 4);
  const labelKind = o.labelKind ?? 'int64';
  const fields: Field[] = o.list
    ? [new Field('features', new FixedSizeList(n, new Field('item', new Float32(), false)), false)]
    : Array.from({ length: n }, (_, j) => new Field(`f${j}`, new Float32(), false));
  fields.push(new Field('label', LABEL_TYPES[labelKind](), false));
  const schema = new Schema(fields);
  const step = o.batchRows ?? o.rows;
  const batches: RecordBatch[] = [];
  for (let start = 0; start < o.rows; start += step) {
    const len = Math.min(step, o.rows - start);
    const x = values.subarray(start * n, (start + len) * n);
    const children: ReturnType<typeof makeData>[] = o.list
      ? [
          makeData({
            type: fields[0].type as FixedSizeList,
            length: len,
            nullCount: 0,
            child: makeData({ type: new Float32(), length: len * n, data: x }),
          }),
        ]
      : Array.from({ length: n }, (_, j) =>
          makeData({
            type: new Float32(),
            length: len,
            nullCount: 0,
            data: Float32Array.from({ length: len }, (_, r) => x[r * n + j]),
          }),
        );
    children.push(
      makeData({
        type: LABEL_TYPES[labelKind](),
        length: len,
        nullCount: 0,
        data: LABEL_ARRAYS[labelKind](labels.slice(start, start + len)),
      } as never) as never,
    );
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: len, nullCount: 0, children })));
  }
  writeFileSync(path, tableToIPC(new Table(schema, batches), 'file'));
  return { values, labels };
}
