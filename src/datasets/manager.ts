/**
 * DatasetManager: validates a dataset spec, ingests it once into the Arrow cache (or reuses the
 * cached copy), splits it, fits the preprocessing on the training split, and writes what a run
 * must keep (split, fitted preprocessors, dataset metadata with skipped items).
 *
 * A dataset spec is `{ "type": <source>, ...source options, "split"?: {...}, "preprocess"?: [...] }`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataPlan, TabularDataPlan } from '../native/plan.js';
import { writeFileAtomic } from '../util/atomic.js';
import { decodeArrow, encodeArrow, FEATURES_COLUMN, IMAGE_COLUMN, LABEL_COLUMN } from './arrow-format.js';
import { ingestCached, type CacheMeta } from './cache.js';
import { DatasetError, isObj } from './errors.js';
import { fitPreprocess, samplesOf, validatePreprocess, type Fitted, type PreprocessSpec } from './preprocess/index.js';
import type { ImageNormalizeFitted } from './preprocess/image-normalize.js';
import { getSource, SOURCES } from './sources/index.js';
import { splitIndices, type SplitIndices, type SplitSpec } from './split.js';
import { saveSplit, splitHash } from './split-io.js';
import type { DatasetData, DatasetSource, Progress } from './types.js';

/** A validated dataset spec. */
export interface ResolvedSpec {
  source: DatasetSource<unknown>;
  options: unknown;
  /** The source part of the spec (type + options), as given. */
  sourceSpec: Record<string, unknown>;
  split: SplitSpec;
  preprocess: PreprocessSpec;
}

/** Options of `prepare`. */
export interface PrepareOptions {
  cacheDir: string;
  /** Split seed when the spec's split has none (default 0). */
  seed?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Ingest again even when cached. */
  force?: boolean;
}

/** A dataset ready for training. */
export interface PreparedDataset {
  cacheFile: string;
  cacheKey: string;
  cacheHit: boolean;
  meta: CacheMeta;
  split: SplitIndices;
  splitSpec: SplitSpec;
  preprocessors: Fitted[];
  /** The cached data in memory (decoded once, on first call). */
  data(): DatasetData;
}

const SPLIT_KEYS = ['validation', 'test', 'seed', 'stratify'];

function validateSplit(v: unknown, where: string): SplitSpec {
  if (v === undefined) return {};
  if (!isObj(v)) throw new DatasetError(`expected { validation?, test?, seed?, stratify? } for ${where} but got ${JSON.stringify(v)}`);
  const bad = Object.keys(v).filter((k) => !SPLIT_KEYS.includes(k));
  if (bad.length) throw new DatasetError(`unknown key ${where}.${bad[0]}; valid keys: ${SPLIT_KEYS.join(', ')}`);
  for (const k of ['validation', 'test'] as const) {
    const x = v[k];
    if (x !== undefined && (typeof x !== 'number' || !(x >= 0) || (x >= 1 && !Number.isInteger(x)))) {
      throw new DatasetError(`expected a fraction in [0, 1) or a whole count >= 1 for ${where}.${k} but got ${JSON.stringify(x)}`);
    }
  }
  const fv = v.validation as number | undefined, ft = v.test as number | undefined;
  if (fv !== undefined && ft !== undefined && fv < 1 && ft < 1 && fv + ft >= 1) {
    throw new DatasetError(`expected fractions summing to less than 1 for ${where}.validation and ${where}.test but got ${fv} + ${ft} = ${+(fv + ft).toFixed(6)}, which leaves no training samples; lower one of them`);
  }
  if (v.seed !== undefined && !(Number.isInteger(v.seed) && (v.seed as number) >= 0)) throw new DatasetError(`expected a non-negative integer for ${where}.seed but got ${JSON.stringify(v.seed)}`);
  if (v.stratify !== undefined && typeof v.stratify !== 'boolean') throw new DatasetError(`expected true or false for ${where}.stratify but got ${JSON.stringify(v.stratify)}`);
  return v as SplitSpec;
}

/** Collects, caches, splits and preprocesses datasets. */
export class DatasetManager {
  constructor(readonly sources: ReadonlyMap<string, DatasetSource<unknown>> = SOURCES) {}

  /** Validates a spec completely (before any file is read). `where` names it in messages. */
  resolve(spec: unknown, where = 'dataset'): ResolvedSpec {
    if (typeof spec === 'string') spec = { type: spec };
    if (!isObj(spec)) throw new DatasetError(`expected { "type": ..., ...options } or a built-in name for ${where} but got ${JSON.stringify(spec)}`);
    const { split, preprocess, ...sourceSpec } = spec;
    const source = this.sources.get(sourceSpec.type as string) ?? getSource(sourceSpec.type, where);
    return {
      source,
      options: source.validate(sourceSpec, where),
      sourceSpec,
      split: validateSplit(split, `${where}.split`),
      preprocess: validatePreprocess(preprocess, `${where}.preprocess`),
    };
  }

  /** Ingests (or reuses) the dataset, splits it and fits the preprocessing on the training part. */
  async prepare(spec: unknown, o: PrepareOptions): Promise<PreparedDataset> {
    const r = this.resolve(spec);
    const { entry, hit, key } = await ingestCached(r.source, r.options, r.sourceSpec, o);
    let data: DatasetData | undefined;
    const load = () => (data ??= decodeArrow(entry.file));
    const splitSpec: SplitSpec = { ...r.split, seed: r.split.seed ?? o.seed ?? 0 };
    const needLabels = splitSpec.stratify === true;
    const split = splitIndices(entry.meta.count, splitSpec, needLabels ? load().labels : undefined);
    const preprocessors = r.preprocess.length ? fitPreprocess(r.preprocess, samplesOf(load(), split.train), entry.meta.classes) : [];
    return { cacheFile: entry.file, cacheKey: key, cacheHit: hit, meta: entry.meta, split, splitSpec, preprocessors, data: load };
  }

  /** The `data` and `label` parts of a native LoaderPlan for a prepared dataset. */
  loaderPlanParts(p: PreparedDataset): { data: ImageDataPlan | TabularDataPlan; label: { column: string } } {
    const label = { column: LABEL_COLUMN };
    if (p.meta.kind === 'image') {
      const n = p.preprocessors.find((f): f is ImageNormalizeFitted => f.type === 'image_normalize');
      const transforms = n ? [{ type: 'toFloat' as const, scale: n.scale }, { type: 'normalize' as const, mean: n.mean, std: n.std }] : [{ type: 'toFloat' as const }];
      return { data: { kind: 'image', column: IMAGE_COLUMN, layout: n?.layout ?? 'NCHW', transforms }, label };
    }
    // Standardize and min-max are affine per feature: fold them into one (x - mean) / std.
    const width = p.meta.featureNames!.length;
    let a = new Array<number>(width).fill(1);
    let c = new Array<number>(width).fill(0);
    let any = false;
    for (const f of p.preprocessors) {
      if (f.type === 'standardize') {
        const { mean, std } = f as unknown as { mean: number[]; std: number[] };
        a = a.map((v, j) => v / std[j]); c = c.map((v, j) => (v - mean[j]) / std[j]); any = true;
      } else if (f.type === 'min_max') {
        const { min, scale, offset } = f as unknown as { min: number[]; scale: number[]; offset: number };
        a = a.map((v, j) => v * scale[j]); c = c.map((v, j) => (v - min[j]) * scale[j] + offset); any = true;
      }
    }
    const standardize = any ? { mean: c.map((v, j) => -v / a[j]), std: a.map((v) => 1 / v) } : null;
    return { data: { kind: 'tabular', columns: [FEATURES_COLUMN], standardize }, label };
  }

  /** Writes `split.json`, `preprocessors.json` and `dataset.json` (metadata, skipped items) into a run directory. */
  saveRun(dir: string, p: PreparedDataset): void {
    saveSplit(dir, p.split, p.cacheKey, p.splitSpec);
    writeFileAtomic(join(dir, 'preprocessors.json'), `${JSON.stringify(p.preprocessors, null, 1)}\n`);
    const { items: _items, ...meta } = p.meta;
    writeFileAtomic(join(dir, 'dataset.json'), `${JSON.stringify({ ...meta, cacheFile: p.cacheFile, cacheHit: p.cacheHit }, null, 1)}\n`);
  }
}
