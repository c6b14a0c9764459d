/**
 * The TypeScript oracle of a whole loader: reads the Arrow file with apache-arrow, computes the
 * same epoch schedule (permutation, shard, batches) and builds the same batches as the native
 * engine. Used by tests as the reference and by the benchmark as the baseline; it is never used
 * as a fallback at run time.
 */
import { readFileSync } from 'node:fs';
import { tableFromIPC, type Table } from 'apache-arrow';
import type { NormalizedPlan } from '../../../src/native/plan.js';
import { runImagePipeline, writeLayout } from './image.js';
import { Rng, STAGE_BATCH, permutation } from './rng.js';

const f = Math.fround;

/** Field metadata key holding an image column's HWC shape (same as native/src/dataset.rs). */
export const SHAPE_KEY = 'gymnos.shape';

/** Columns of an Arrow file in plain arrays. */
export interface OracleSource {
  rows: number;
  /** Image bytes of a row (HWC), for image data. */
  image?: (row: number) => Uint8Array;
  shape?: [number, number, number];
  /** Features of a row, for tabular data. */
  features?: (row: number) => Float32Array;
  /** Label of a row as a number (64-bit values converted). */
  label?: (row: number) => number;
  labelIsInt: boolean;
}

/** A batch as the oracle builds it. */
export interface OracleBatch {
  epoch: number;
  index: number;
  rows: Uint32Array;
  data: Float32Array;
  labels: Int32Array | Float32Array | null;
}

function chunkAccessor<T>(chunks: { length: number; get: (i: number) => T }[]): (row: number) => T {
  const starts: number[] = [];
  let n = 0;
  for (const c of chunks) {
    starts.push(n);
    n += c.length;
  }
  return (row) => {
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return chunks[lo].get(row - starts[lo]);
  };
}

/** Reads the columns a plan needs from an Arrow IPC file (whole file in memory). */
export function readOracleSource(plan: NormalizedPlan, table?: Table): OracleSource {
  const t = table ?? tableFromIPC(readFileSync(plan.path));
  const src: OracleSource = { rows: t.numRows, labelIsInt: true };
  if (plan.data.kind === 'image') {
    const field = t.schema.fields.find((x) => x.name === (plan.data as { column: string }).column);
    const col = t.getChild(plan.data.column);
    if (!field || !col) throw new Error(`oracle: no column '${plan.data.column}'`);
    src.shape = JSON.parse(field.metadata.get(SHAPE_KEY) ?? 'null') as [number, number, number];
    const width = src.shape[0] * src.shape[1] * src.shape[2];
    src.image = chunkAccessor(
      col.data.map((d) => {
        const values: Uint8Array = d.children.length ? (d.children[0].values as Uint8Array) : (d.values as Uint8Array);
        return { length: d.length, get: (i: number) => values.subarray(i * width, (i + 1) * width) };
      }),
    );
  } else {
    const cols = plan.data.columns.map((name) => {
      const c = t.getChild(name);
      if (!c) throw new Error(`oracle: no column '${name}'`);
      return c;
    });
    if (cols.length === 1 && cols[0].data[0]?.children.length) {
      const n = (cols[0].type as { listSize: number }).listSize;
      src.features = chunkAccessor(
        cols[0].data.map((d) => {
          const values = d.children[0].values as Float32Array;
          return { length: d.length, get: (i: number) => values.slice(i * n, (i + 1) * n) };
        }),
      );
    } else {
      src.features = (row) => Float32Array.from(cols, (c) => c.get(row) as number);
    }
  }
  if (plan.label) {
    const c = t.getChild(plan.label.column);
    if (!c) throw new Error(`oracle: no label column '${plan.label.column}'`);
    src.labelIsInt = /^u?int/i.test(String(c.type));
    src.label = (row) => Number(c.get(row));
  }
  return src;
}

/** The oracle loader: same schedule and batches as the native loader for the same plan. */
export class OracleLoader {
  readonly shardRows: number;
  readonly batchesPerEpoch: number;
  readonly sampleLen: number;
  #perms = new Map<number, Uint32Array>();

  constructor(
    readonly plan: NormalizedPlan,
    readonly source: OracleSource,
  ) {
    const { index, count } = plan.shard;
    const bad = plan.rows?.findIndex((r) => r >= source.rows) ?? -1;
    if (bad >= 0) throw new Error(`plan.rows[${bad}] is ${plan.rows![bad]} but the file has ${source.rows} rows`);
    const rows = plan.rows?.length ?? source.rows;
    this.shardRows = rows > index ? Math.ceil((rows - index) / count) : 0;
    this.batchesPerEpoch = plan.dropLast
      ? Math.floor(this.shardRows / plan.batchSize)
      : Math.ceil(this.shardRows / plan.batchSize);
    if (plan.data.kind === 'image') {
      const probe = runImagePipeline(
        new Uint8Array(source.shape![0] * source.shape![1] * source.shape![2]),
        source.shape!,
        plan.data.transforms,
        plan.seed,
        0,
        0,
      );
      this.sampleLen = probe.data.length;
    } else this.sampleLen = source.features!(0).length;
  }

  /** Dataset rows of batch `index` of `epoch`. */
  batchRows(epoch: number, index: number): Uint32Array {
    const { batchSize, shuffle, seed, shard } = this.plan;
    let perm = this.#perms.get(epoch);
    if (shuffle && !perm) {
      perm = permutation(seed, epoch, this.plan.rows?.length ?? this.source.rows);
      this.#perms.clear();
      this.#perms.set(epoch, perm);
    }
    const start = index * batchSize;
    const end = Math.min(start + batchSize, this.shardRows);
    const rows = new Uint32Array(Math.max(0, end - start));
    for (let k = start; k < end; k++) {
      const pos = shard.index + k * shard.count;
      const i = shuffle ? perm![pos] : pos;
      rows[k - start] = this.plan.rows ? this.plan.rows[i] : i;
    }
    return rows;
  }

  /** Builds batch `index` of `epoch`. */
  batch(epoch: number, index: number): OracleBatch {
    const { plan, source } = this;
    const rows = this.batchRows(epoch, index);
    const n = rows.length;
    const l = this.sampleLen;
    const data = new Float32Array(n * l);
    rows.forEach((row, k) => {
      if (plan.data.kind === 'image') {
        const im = runImagePipeline(source.image!(row), source.shape!, plan.data.transforms, plan.seed, epoch, row);
        writeLayout(im, data, k * l, plan.data.layout === 'NCHW');
      } else {
        const x = source.features!(row);
        const st = plan.data.standardize;
        for (let j = 0; j < l; j++) data[k * l + j] = st ? f(f(x[j] - f(st.mean[j])) / f(st.std[j])) : x[j];
      }
    });
    let labels: Int32Array | Float32Array | null = null;
    const k = plan.label?.oneHot ?? null;
    if (plan.label && source.label) {
      if (k !== null) {
        labels = new Float32Array(n * k);
        rows.forEach((row, i) => {
          const v = source.label!(row);
          if (!(Number.isInteger(v) && v >= 0 && v < k))
            throw new Error(`oracle: label ${v} at row ${row} outside [0, ${k})`);
          labels![i * k + v] = 1;
        });
      } else
        labels = source.labelIsInt
          ? Int32Array.from(rows, (r) => source.label!(r))
          : Float32Array.from(rows, (r) => source.label!(r));
    }
    plan.batchTransforms.forEach((bt, s) => {
      const rng = new Rng(plan.seed, epoch, index, STAGE_BATCH + s);
      if (bt.type === 'mixup') mixup(rng, bt.alpha, bt.p, n, l, data, labels as Float32Array, k!);
      else {
        const shape = this.outShape();
        cutmix(rng, bt.alpha, bt.p, n, shape, data, labels as Float32Array, k!);
      }
    });
    return { epoch, index, rows, data, labels };
  }

  /** [c, h, w, nchw] of the output images (from the transforms' sizes). */
  outShape(): [number, number, number, boolean] {
    if (this.plan.data.kind !== 'image') throw new Error('not images');
    let [h, w, c] = this.source.shape!;
    for (const t of this.plan.data.transforms) if ('size' in t) [h, w] = t.size;
    return [c, h, w, this.plan.data.layout === 'NCHW'];
  }

  /** Every batch the native loader with this plan yields, in order. */
  *batches(): Generator<OracleBatch> {
    const bpe = this.batchesPerEpoch;
    let abs = this.plan.cursor.epoch * bpe + this.plan.cursor.position;
    const end = this.plan.epochs === null ? Infinity : this.plan.epochs * bpe;
    for (; abs < end; abs++) yield this.batch(Math.floor(abs / bpe), abs % bpe);
  }
}

function mixLabels(labels: Float32Array, n: number, k: number, lam: number): void {
  const src = labels.slice();
  const oml = f(1 - lam);
  for (let i = 0; i < n; i++) {
    const j = (i + n - 1) % n;
    for (let c = 0; c < k; c++) labels[i * k + c] = f(f(lam * src[i * k + c]) + f(oml * src[j * k + c]));
  }
}

/** Mixup with the batch rolled by one (mirrors native/src/batch.rs). */
export function mixup(
  rng: Rng,
  alpha: number,
  p: number,
  n: number,
  l: number,
  data: Float32Array,
  labels: Float32Array,
  k: number,
): void {
  if (!rng.coin(p)) return;
  const lam = f(rng.betaSym(alpha));
  const oml = f(1 - lam);
  const src = data.slice();
  for (let i = 0; i < n; i++) {
    const j = (i + n - 1) % n;
    for (let q = 0; q < l; q++) data[i * l + q] = f(f(lam * src[i * l + q]) + f(oml * src[j * l + q]));
  }
  mixLabels(labels, n, k, lam);
}

/** CutMix with the batch rolled by one (mirrors native/src/batch.rs). */
export function cutmix(
  rng: Rng,
  alpha: number,
  p: number,
  n: number,
  [c, h, w, nchw]: [number, number, number, boolean],
  data: Float32Array,
  labels: Float32Array,
  k: number,
): void {
  if (!rng.coin(p)) return;
  const lam = rng.betaSym(alpha);
  const rx = rng.below(w);
  const ry = rng.below(h);
  const r = 0.5 * Math.sqrt(1.0 - lam);
  const rw = Math.floor(r * w);
  const rh = Math.floor(r * h);
  const x1 = Math.max(rx - rw, 0);
  const x2 = Math.min(rx + rw, w);
  const y1 = Math.max(ry - rh, 0);
  const y2 = Math.min(ry + rh, h);
  const lamAdj = f(1.0 - ((x2 - x1) * (y2 - y1)) / (w * h));
  const l = c * h * w;
  const src = data.slice();
  for (let i = 0; i < n; i++) {
    const j = (i + n - 1) % n;
    for (let y = y1; y < y2; y++)
      for (let x = x1; x < x2; x++)
        for (let ch = 0; ch < c; ch++) {
          const o = nchw ? (ch * h + y) * w + x : (y * w + x) * c + ch;
          data[i * l + o] = src[j * l + o];
        }
  }
  mixLabels(labels, n, k, lamAdj);
}
