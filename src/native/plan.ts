/**
 * The loader plan: plain data describing one native loader. `validatePlan` checks every field
 * (unknown keys are errors), fills defaults and returns the normalized plan that crosses to Rust
 * once, as JSON. Checks that need the file's shapes (crop larger than the image, mean/std per
 * channel) run natively when the loader opens, before the first batch.
 */
import { GymnosError } from '../util/errors.js';
import { isObj, show, PlanChecker } from './plan-checker.js';
import {
  batchTransform,
  imageTransform,
  type BatchTransform,
  type ImageTransform,
  type NormalizedBatchTransform,
  type NormalizedTransform,
} from './transforms.js';

export type {
  Size,
  ImageTransform,
  BatchTransform,
  NormalizedTransform,
  NormalizedBatchTransform,
} from './transforms.js';

/** Image data: one uint8 image column (see native/README.md for the schema contract). */
export interface ImageDataPlan {
  kind: 'image';
  column: string;
  transforms?: ImageTransform[];
  /** Output layout; default 'NCHW'. */
  layout?: 'NCHW' | 'NHWC';
}

/** Tabular data: one FixedSizeList<Float32> column or several Float32 columns. */
export interface TabularDataPlan {
  kind: 'tabular';
  columns: string[];
  /** Per-feature statistics, fitted on the training split (see `fitStandardize`). */
  standardize?: { mean: number[]; std: number[] } | null;
}

/** Where a loader starts: the next batch is batch `position` of epoch `epoch`. */
export interface LoaderCursor {
  epoch: number;
  position: number;
}

/** Everything a native loader needs, as plain data. */
export interface LoaderPlan {
  /** Arrow IPC file (file format, not stream). */
  path: string;
  data: ImageDataPlan | TabularDataPlan;
  /** Label column; `oneHot` = number of classes gives float32 [n, classes] labels. */
  label?: { column: string; oneHot?: number | null } | null;
  batchTransforms?: BatchTransform[];
  batchSize: number;
  /** Default true: a new seeded permutation every epoch. */
  shuffle?: boolean;
  /** uint32; default 0. */
  seed?: number;
  /** Drop the last incomplete batch of each epoch; default false. */
  dropLast?: boolean;
  /** Part `index` of `count`: rows index, index+count, ... of each epoch's permutation. */
  shard?: { index: number; count: number };
  /** Worker threads of this loader's own pool; default 1. */
  threads?: number;
  /** Batches prepared ahead of the consumer; default max(2, 2*threads). */
  prefetch?: number;
  /** Epochs to yield (null = unbounded); default 1. */
  epochs?: number | null;
  /** Resume point; default {epoch: 0, position: 0}. */
  cursor?: LoaderCursor;
  /** Mapped file bytes kept resident before pages are released (default 32 MiB). */
  residentBytes?: number;
  /**
   * Dataset rows to read (a split), in this order; shuffling, sharding and batches work over
   * them. Default: every row. Indices past the file's rows are an error when the loader opens.
   */
  rows?: ArrayLike<number> | null;
}

/** The plan with every default filled in: what crosses to Rust. */
export interface NormalizedPlan {
  path: string;
  data:
    | { kind: 'image'; column: string; layout: 'NCHW' | 'NHWC'; transforms: NormalizedTransform[] }
    | { kind: 'tabular'; columns: string[]; standardize: { mean: number[]; std: number[] } | null };
  label: { column: string; oneHot: number | null } | null;
  batchTransforms: NormalizedBatchTransform[];
  batchSize: number;
  shuffle: boolean;
  seed: number;
  dropLast: boolean;
  shard: { index: number; count: number };
  threads: number;
  prefetch: number;
  epochs: number | null;
  cursor: LoaderCursor;
  residentBytes: number;
  rows: number[] | null;
}

/** Thrown by `validatePlan`; `issues` lists every problem found. */
export class PlanError extends GymnosError {
  readonly code = 'ERR_PLAN';
  constructor(readonly issues: string[]) {
    super(`invalid loader plan:\n  - ${issues.join('\n  - ')}`);
    this.name = 'PlanError';
  }
}

/**
 * Validates a loader plan completely and returns it normalized (defaults filled).
 * @throws PlanError listing every problem, each as "expected ... for plan.<path> but got ...".
 */
export function validatePlan(input: unknown): NormalizedPlan {
  const c = new PlanChecker();
  if (!isObj(input)) throw new PlanError([`expected an object for plan but got ${show(input)}`]);
  const o = input;
  c.keys(o, '', [
    'path',
    'data',
    'label',
    'batchTransforms',
    'batchSize',
    'shuffle',
    'seed',
    'dropLast',
    'shard',
    'threads',
    'prefetch',
    'epochs',
    'cursor',
    'residentBytes',
    'rows',
  ]);
  const path = c.str(o, 'path', '');
  let data: NormalizedPlan['data'] = { kind: 'tabular', columns: [], standardize: null };
  const d = o.data;
  if (!isObj(d) || (d.kind !== 'image' && d.kind !== 'tabular')) {
    c.fail('data.kind', "'image' or 'tabular'", isObj(d) ? d.kind : d);
  } else if (d.kind === 'image') {
    c.keys(d, 'data', ['kind', 'column', 'transforms', 'layout']);
    const layout = d.layout ?? 'NCHW';
    if (layout !== 'NCHW' && layout !== 'NHWC') c.fail('data.layout', "'NCHW' or 'NHWC'", d.layout);
    const ts = d.transforms ?? [];
    const transforms: NormalizedTransform[] = [];
    if (!Array.isArray(ts)) c.fail('data.transforms', 'an array of transforms', ts);
    else {
      const state = { normalized: false };
      ts.forEach((t, i) => {
        const n = imageTransform(c, t, `data.transforms[${i}]`, state);
        if (n) transforms.push(n);
      });
    }
    data = {
      kind: 'image',
      column: c.str(d, 'column', 'data'),
      layout: layout === 'NHWC' ? 'NHWC' : 'NCHW',
      transforms,
    };
  } else {
    c.keys(d, 'data', ['kind', 'columns', 'standardize']);
    const cols = d.columns;
    if (!Array.isArray(cols) || cols.length === 0 || !cols.every((x) => typeof x === 'string' && x.length > 0))
      c.fail('data.columns', 'a non-empty array of column names', cols);
    let standardize: { mean: number[]; std: number[] } | null = null;
    if (d.standardize !== undefined && d.standardize !== null) {
      if (!isObj(d.standardize)) c.fail('data.standardize', '{ mean, std } or null', d.standardize);
      else {
        c.keys(d.standardize, 'data.standardize', ['mean', 'std']);
        standardize = {
          mean: c.numbers(d.standardize, 'mean', 'data.standardize'),
          std: c.numbers(d.standardize, 'std', 'data.standardize', true),
        };
        if (standardize.mean.length !== standardize.std.length)
          c.issues.push('plan.data.standardize: mean and std must have the same length');
      }
    }
    data = { kind: 'tabular', columns: Array.isArray(cols) ? (cols as string[]) : [], standardize };
  }
  let label: NormalizedPlan['label'] = null;
  if (o.label !== undefined && o.label !== null) {
    if (!isObj(o.label)) c.fail('label', '{ column, oneHot? } or null', o.label);
    else {
      c.keys(o.label, 'label', ['column', 'oneHot']);
      const oneHot =
        o.label.oneHot === undefined || o.label.oneHot === null
          ? null
          : c.num(o.label, 'oneHot', 'label', undefined, 1, 1 << 20, true);
      label = { column: c.str(o.label, 'column', 'label'), oneHot };
    }
  }
  const batchTransforms: NormalizedPlan['batchTransforms'] = [];
  const bts = o.batchTransforms ?? [];
  if (!Array.isArray(bts)) c.fail('batchTransforms', 'an array', bts);
  else
    bts.forEach((t, i) => {
      const n = batchTransform(c, t, `batchTransforms[${i}]`, {
        oneHot: label?.oneHot != null,
        image: data.kind === 'image',
      });
      if (n) batchTransforms.push(n);
    });
  const threads = c.num(o, 'threads', '', 1, 1, 256, true);
  let shard = { index: 0, count: 1 };
  if (o.shard !== undefined) {
    if (!isObj(o.shard)) c.fail('shard', '{ index, count }', o.shard);
    else {
      c.keys(o.shard, 'shard', ['index', 'count']);
      const count = c.num(o.shard, 'count', 'shard', undefined, 1, 2 ** 32 - 1, true);
      shard = { index: c.num(o.shard, 'index', 'shard', undefined, 0, Math.max(0, count - 1), true), count };
    }
  }
  let cursor = { epoch: 0, position: 0 };
  if (o.cursor !== undefined) {
    if (!isObj(o.cursor)) c.fail('cursor', '{ epoch, position }', o.cursor);
    else {
      c.keys(o.cursor, 'cursor', ['epoch', 'position']);
      cursor = {
        epoch: c.num(o.cursor, 'epoch', 'cursor', undefined, 0, 2 ** 32 - 1, true),
        position: c.num(o.cursor, 'position', 'cursor', undefined, 0, 2 ** 32 - 1, true),
      };
    }
  }
  let rows: number[] | null = null;
  if (o.rows !== undefined && o.rows !== null) {
    const r = o.rows as ArrayLike<unknown>;
    if (typeof r !== 'object' || typeof r.length !== 'number') c.fail('rows', 'an array of row indices', o.rows);
    else if (r.length === 0)
      c.issues.push('plan.rows is empty: select at least one row, or leave rows out to read them all');
    else {
      rows = Array.from(r as ArrayLike<number>);
      const bad = rows.findIndex((x) => !(Number.isInteger(x) && x >= 0 && x <= 2 ** 32 - 1));
      if (bad >= 0) c.fail(`rows[${bad}]`, 'a row index (an integer >= 0)', rows[bad]);
    }
  }
  const epochs = o.epochs === null ? null : c.num(o, 'epochs', '', 1, 1, 2 ** 32 - 1, true);
  if (epochs !== null && cursor.epoch > epochs)
    c.issues.push(`plan.cursor.epoch (${cursor.epoch}) is past plan.epochs (${epochs})`);
  const plan: NormalizedPlan = {
    path,
    data,
    label,
    batchTransforms,
    batchSize: c.num(o, 'batchSize', '', undefined, 1, 1 << 24, true),
    shuffle: c.bool(o, 'shuffle', true),
    seed: c.num(o, 'seed', '', 0, 0, 2 ** 32 - 1, true),
    dropLast: c.bool(o, 'dropLast', false),
    shard,
    threads,
    prefetch: c.num(o, 'prefetch', '', Math.max(2, 2 * threads), 1, 1024, true),
    epochs,
    cursor,
    residentBytes: c.num(o, 'residentBytes', '', 32 * 1024 * 1024, 1 << 20, 2 ** 50, true),
    rows,
  };
  if (c.issues.length) throw new PlanError(c.issues);
  return plan;
}
