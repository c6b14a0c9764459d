/**
 * DatasetManager: validates a dataset spec, ingests it once into the Arrow cache (or reuses the
 * cached copy), splits it, fits the preprocessing on the training split, and writes what a run
 * must keep (split, fitted preprocessors, dataset metadata with skipped items).
 *
 * A dataset spec is `{ "type": <source>, ...source options, "split"?: {...}, "preprocess"?: [...] }`.
 */
import { join } from 'node:path';
import type { ImageDataPlan, TabularDataPlan } from '../native/plan.js';
import { writeFileAtomic } from '../util/atomic.js';
import { decodeArrow, FEATURES_COLUMN, IMAGE_COLUMN, LABEL_COLUMN } from './arrow-format.js';
import { ingestCached, type CacheMeta } from './cache.js';
import { optionsOf, type ComponentSpec } from '../config/component.js';
import type { Issue } from '../config/schema.js';
import { DatasetError } from './errors.js';
import { fitPreprocess, preprocessSpecs, samplesOf, type Fitted, type PreprocessSpec } from './preprocess/index.js';
import type { ImageNormalizeFitted } from './preprocess/image-normalize.js';
import { SOURCES } from './sources/index.js';
import { datasetSpecSchema } from './spec.js';
import { splitIndices, type SplitIndices, type SplitSpec } from './split.js';
import { saveSplit } from './split-io.js';
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

const SPEC = datasetSpecSchema();

/** Collects, caches, splits and preprocesses datasets. */
export class DatasetManager {
  /**
   * Validates a spec completely (before any file is read), every issue at once; `where` names it
   * in messages. A string is a built-in source's name.
   */
  resolve(spec: unknown, where = 'dataset'): ResolvedSpec {
    const issues: Issue[] = [];
    const r = SPEC.parse(typeof spec === 'string' ? { type: spec } : spec, where, issues);
    if (!r || issues.length) {
      throw new DatasetError(
        issues.length === 1
          ? issues[0].message
          : `invalid ${where}:\n  - ${issues.map((i) => i.message).join('\n  - ')}`,
      );
    }
    const { split, preprocess, ...resolved } = r;
    // as given (for messages and the cache metadata); `options` carries the resolved values
    const {
      split: _s,
      preprocess: _p,
      ...sourceSpec
    } = typeof spec === 'string' ? { type: spec } : (spec as Record<string, unknown>);
    const source = SOURCES.require(r.type, where);
    return {
      source,
      options: source.create(optionsOf(resolved), undefined),
      sourceSpec,
      split: (split ?? {}) as SplitSpec,
      preprocess: preprocessSpecs((preprocess ?? []) as ComponentSpec[]),
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
    const preprocessors = r.preprocess.length
      ? fitPreprocess(r.preprocess, samplesOf(load(), split.train), entry.meta.classes)
      : [];
    return {
      cacheFile: entry.file,
      cacheKey: key,
      cacheHit: hit,
      meta: entry.meta,
      split,
      splitSpec,
      preprocessors,
      data: load,
    };
  }

  /** The `data` and `label` parts of a native LoaderPlan for a prepared dataset. */
  loaderPlanParts(p: PreparedDataset): { data: ImageDataPlan | TabularDataPlan; label: { column: string } } {
    const label = { column: LABEL_COLUMN };
    if (p.meta.kind === 'image') {
      const n = p.preprocessors.find((f): f is ImageNormalizeFitted => f.type === 'image_normalize');
      const transforms = n
        ? [
            { type: 'toFloat' as const, scale: n.scale },
            { type: 'normalize' as const, mean: n.mean, std: n.std },
          ]
        : [{ type: 'toFloat' as const }];
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
        a = a.map((v, j) => v / std[j]);
        c = c.map((v, j) => (v - mean[j]) / std[j]);
        any = true;
      } else if (f.type === 'min_max') {
        const { min, scale, offset } = f as unknown as { min: number[]; scale: number[]; offset: number };
        a = a.map((v, j) => v * scale[j]);
        c = c.map((v, j) => (v - min[j]) * scale[j] + offset);
        any = true;
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
    writeFileAtomic(
      join(dir, 'dataset.json'),
      `${JSON.stringify({ ...meta, cacheFile: p.cacheFile, cacheHit: p.cacheHit }, null, 1)}\n`,
    );
  }
}
