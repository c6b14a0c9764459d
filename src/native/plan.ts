/**
 * The loader plan: plain data describing one native loader. `validatePlan` checks every field
 * (unknown keys are errors), fills defaults and returns the normalized plan that crosses to Rust
 * once, as JSON. Checks that need the file's shapes (crop larger than the image, mean/std per
 * channel) run natively when the loader opens, before the first batch.
 */
import { GymnosError } from '../util/errors.js';

/** A `[height, width]` pair, or one number for a square. */
export type Size = number | [number, number];

/** Per-sample image transforms, applied in order to uint8 HWC images (values 0..255). */
export type ImageTransform =
  /** Pad by `padding` pixels of value `fill` on each side, then crop `size` at a random offset. */
  | { type: 'randomCrop'; size: Size; padding?: number; fill?: number }
  /** torchvision RandomResizedCrop: random area fraction `scale` and aspect `ratio`, bilinear resize to `size`. */
  | { type: 'randomResizedCrop'; size: Size; scale?: [number, number]; ratio?: [number, number] }
  /** Mirror left-right with probability `p` (default 0.5). */
  | { type: 'horizontalFlip'; p?: number }
  /** Mirror top-bottom with probability `p` (default 0.5). */
  | { type: 'verticalFlip'; p?: number }
  /** Rotate about the centre by a uniform angle in [-degrees, degrees], bilinear, `fill` outside. */
  | { type: 'rotation'; degrees: number; fill?: number }
  /**
   * Random brightness, contrast, saturation factors in [max(0,1-x), 1+x] and hue shift in [-hue, hue] (hue <= 0.5),
   * applied in that order.
   */
  | { type: 'colorJitter'; brightness?: number; contrast?: number; saturation?: number; hue?: number }
  /** Replace RGB by its luma (0.299, 0.587, 0.114) in all 3 channels with probability `p` (default 1). */
  | { type: 'grayscale'; p?: number }
  /** torchvision RandomErasing with a constant `value`. */
  | { type: 'randomErasing'; p?: number; scale?: [number, number]; ratio?: [number, number]; value?: number }
  /** Bilinear resize (half-pixel centres, no antialias). */
  | { type: 'resize'; size: Size }
  /** Multiply by `scale` (default 1/255): uint8 range to float [0, 1]. */
  | { type: 'toFloat'; scale?: number }
  /** (x - mean[c]) / std[c], one value or one per channel. */
  | { type: 'normalize'; mean: number[]; std: number[] };

/** Batch-level transforms; both need `label.oneHot` and produce soft labels. */
export type BatchTransform =
  /** Mix each sample with its predecessor in the batch: lam ~ Beta(alpha, alpha), applied with probability `p`. */
  | { type: 'mixup'; alpha?: number; p?: number }
  /** Paste a box from each sample's predecessor; labels weighted by area. Images only. */
  | { type: 'cutmix'; alpha?: number; p?: number };

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
  batchTransforms: { type: 'mixup' | 'cutmix'; alpha: number; p: number }[];
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

/** A transform with all parameters present and sizes as pairs. */
export type NormalizedTransform =
  | { type: 'randomCrop'; size: [number, number]; padding: number; fill: number }
  | { type: 'randomResizedCrop'; size: [number, number]; scale: [number, number]; ratio: [number, number] }
  | { type: 'horizontalFlip'; p: number }
  | { type: 'verticalFlip'; p: number }
  | { type: 'rotation'; degrees: number; fill: number }
  | { type: 'colorJitter'; brightness: number; contrast: number; saturation: number; hue: number }
  | { type: 'grayscale'; p: number }
  | { type: 'randomErasing'; p: number; scale: [number, number]; ratio: [number, number]; value: number }
  | { type: 'resize'; size: [number, number] }
  | { type: 'toFloat'; scale: number }
  | { type: 'normalize'; mean: number[]; std: number[] };

/** Thrown by `validatePlan`; `issues` lists every problem found. */
export class PlanError extends GymnosError {
  readonly code = 'ERR_PLAN';
  constructor(readonly issues: string[]) {
    super(`invalid loader plan:\n  - ${issues.join('\n  - ')}`);
    this.name = 'PlanError';
  }
}

type Rec = Record<string, unknown>;
const show = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));
const isObj = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  issues: string[] = [];
  fail(path: string, expected: string, got: unknown): void {
    this.issues.push(`expected ${expected} for plan.${path} but got ${show(got)}`);
  }
  keys(o: Rec, path: string, allowed: string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k))
        this.issues.push(`unknown key plan.${path ? `${path}.` : ''}${k}; valid keys: ${allowed.join(', ')}`);
    }
  }
  num(o: Rec, k: string, path: string, def: number | undefined, lo: number, hi: number, int = false): number {
    const v = o[k] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
      this.fail(`${path}.${k}`.replace(/^\./, ''), `${int ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, o[k]);
      return def ?? lo;
    }
    return v;
  }
  bool(o: Rec, k: string, def: boolean): boolean {
    const v = o[k] ?? def;
    if (typeof v !== 'boolean') {
      this.fail(k, 'a boolean', o[k]);
      return def;
    }
    return v;
  }
  str(o: Rec, k: string, path: string): string {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0) {
      this.fail(`${path}.${k}`.replace(/^\./, ''), 'a non-empty string', v);
      return '';
    }
    return v;
  }
  pair(o: Rec, k: string, path: string, def: [number, number], lo: number, hi: number): [number, number] {
    const v = o[k] ?? def;
    if (
      !Array.isArray(v) ||
      v.length !== 2 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
      !(v[0] >= lo && v[0] <= v[1] && v[1] <= hi)
    ) {
      this.fail(`${path}.${k}`, `[min, max] with ${lo} <= min <= max <= ${hi}`, o[k]);
      return def;
    }
    return [v[0], v[1]];
  }
  size(o: Rec, k: string, path: string): [number, number] {
    const v = o[k];
    const ok = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 65536;
    if (ok(v)) return [v as number, v as number];
    if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
    this.fail(`${path}.${k}`, 'a positive integer or [height, width]', v);
    return [1, 1];
  }
  numbers(o: Rec, k: string, path: string, positive = false): number[] {
    const v = o[k];
    if (
      !Array.isArray(v) ||
      v.length === 0 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))
    ) {
      this.fail(`${path}.${k}`, `a non-empty array of ${positive ? 'positive ' : ''}finite numbers`, v);
      return [positive ? 1 : 0];
    }
    return v as number[];
  }
}

const TRANSFORM_KEYS: Record<NormalizedTransform['type'], string[]> = {
  randomCrop: ['size', 'padding', 'fill'],
  randomResizedCrop: ['size', 'scale', 'ratio'],
  horizontalFlip: ['p'],
  verticalFlip: ['p'],
  rotation: ['degrees', 'fill'],
  colorJitter: ['brightness', 'contrast', 'saturation', 'hue'],
  grayscale: ['p'],
  randomErasing: ['p', 'scale', 'ratio', 'value'],
  resize: ['size'],
  toFloat: ['scale'],
  normalize: ['mean', 'std'],
};
const BIG = 1e9;

function transform(c: Checker, t: unknown, path: string, state: { normalized: boolean }): NormalizedTransform | null {
  if (!isObj(t) || typeof t.type !== 'string' || !(t.type in TRANSFORM_KEYS)) {
    c.fail(`${path}.type`, `one of ${Object.keys(TRANSFORM_KEYS).join(', ')}`, isObj(t) ? t.type : t);
    return null;
  }
  const type = t.type as NormalizedTransform['type'];
  c.keys(t, path, ['type', ...TRANSFORM_KEYS[type]]);
  const p = (def: number) => c.num(t, 'p', path, def, 0, 1);
  switch (type) {
    case 'randomCrop':
      return {
        type,
        size: c.size(t, 'size', path),
        padding: c.num(t, 'padding', path, 0, 0, 4096, true),
        fill: c.num(t, 'fill', path, 0, -BIG, BIG),
      };
    case 'randomResizedCrop':
      return {
        type,
        size: c.size(t, 'size', path),
        scale: c.pair(t, 'scale', path, [0.08, 1], 1e-9, 1),
        ratio: c.pair(t, 'ratio', path, [3 / 4, 4 / 3], 1e-6, 1e6),
      };
    case 'horizontalFlip':
    case 'verticalFlip':
      return { type, p: p(0.5) };
    case 'rotation':
      return {
        type,
        degrees: c.num(t, 'degrees', path, undefined, 0, 360),
        fill: c.num(t, 'fill', path, 0, -BIG, BIG),
      };
    case 'colorJitter':
      if (state.normalized)
        c.issues.push(`plan.${path}: colorJitter must come before normalize (it clamps to the pixel range)`);
      return {
        type,
        brightness: c.num(t, 'brightness', path, 0, 0, BIG),
        contrast: c.num(t, 'contrast', path, 0, 0, BIG),
        saturation: c.num(t, 'saturation', path, 0, 0, BIG),
        hue: c.num(t, 'hue', path, 0, 0, 0.5),
      };
    case 'grayscale':
      return { type, p: p(1) };
    case 'randomErasing':
      return {
        type,
        p: p(0.5),
        scale: c.pair(t, 'scale', path, [0.02, 0.33], 0, 1),
        ratio: c.pair(t, 'ratio', path, [0.3, 3.3], 1e-6, 1e6),
        value: c.num(t, 'value', path, 0, -BIG, BIG),
      };
    case 'resize':
      return { type, size: c.size(t, 'size', path) };
    case 'toFloat':
      return { type, scale: c.num(t, 'scale', path, 1 / 255, 1e-30, BIG) };
    case 'normalize': {
      state.normalized = true;
      const mean = c.numbers(t, 'mean', path);
      const std = c.numbers(t, 'std', path, true);
      if (mean.length !== std.length)
        c.issues.push(`plan.${path}: mean has ${mean.length} values but std has ${std.length}; give one per channel`);
      return { type, mean, std };
    }
  }
}

/**
 * Validates a loader plan completely and returns it normalized (defaults filled).
 * @throws PlanError listing every problem, each as "expected ... for plan.<path> but got ...".
 */
export function validatePlan(input: unknown): NormalizedPlan {
  const c = new Checker();
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
        const n = transform(c, t, `data.transforms[${i}]`, state);
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
      const p = `batchTransforms[${i}]`;
      if (!isObj(t) || (t.type !== 'mixup' && t.type !== 'cutmix'))
        return c.fail(`${p}.type`, "'mixup' or 'cutmix'", isObj(t) ? t.type : t);
      c.keys(t, p, ['type', 'alpha', 'p']);
      batchTransforms.push({
        type: t.type,
        alpha: c.num(t, 'alpha', p, t.type === 'mixup' ? 0.2 : 1, 1e-6, 1e6),
        p: c.num(t, 'p', p, 1, 0, 1),
      });
      if (label?.oneHot == null)
        c.issues.push(`plan.${p}: ${t.type} produces soft labels; set plan.label.oneHot to the number of classes`);
      if (t.type === 'cutmix' && data.kind !== 'image')
        c.issues.push(`plan.${p}: cutmix needs image data; use mixup for tabular data`);
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
