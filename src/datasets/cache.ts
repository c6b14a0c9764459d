/**
 * The Arrow IPC dataset cache. An entry is `<type>-<key>.arrow` plus `<type>-<key>.json` (its
 * metadata), where the key hashes the source files' contents, the source type and the options
 * that change the result. Both files are written atomically (unique temp name, fsync, rename),
 * the metadata last, so an entry exists only once it is complete. A lock file keeps two
 * processes from ingesting the same key at once: the second waits and reuses the first's entry;
 * a lock whose owner died (or stopped refreshing it) is taken over.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { encodeArrow } from './arrow-format.js';
import { DatasetError } from './errors.js';
import { canonicalJson, hashSourceFiles } from './hash.js';
import type { DatasetSource, IngestContext, IngestedData, SkippedItem } from './types.js';

/** Bump when the cache file layout changes: old entries then miss instead of misreading. */
export const CACHE_FORMAT = 1;

/** The metadata JSON beside each cache file. */
export interface CacheMeta {
  format: number;
  key: string;
  /** The source spec as validated (paths absolute). */
  spec: Record<string, unknown>;
  kind: 'image' | 'tabular';
  count: number;
  classes: string[];
  classCounts: number[];
  /** [H, W, C] of image data. */
  shape?: [number, number, number];
  featureNames?: string[];
  skipped: SkippedItem[];
  /** Origin of each sample (file, or file:line), when the source names them. */
  items?: string[];
  sourceFiles: number;
  arrowBytes: number;
  ingestSeconds: number;
  createdAt: string;
}

/** A complete cache entry. */
export interface CacheEntry {
  file: string;
  metaFile: string;
  meta: CacheMeta;
}

/** The cache key of a source with validated `options`. */
export async function cacheKey(
  source: DatasetSource<unknown>,
  options: unknown,
): Promise<{ key: string; files: number }> {
  const files = await source.files(options);
  const content = await hashSourceFiles(files);
  const h = createHash('sha256').update(
    canonicalJson({ format: CACHE_FORMAT, source: source.type, options: source.keyOptions(options), content }),
  );
  return { key: h.digest('hex').slice(0, 32), files: files.length };
}

const base = (dir: string, type: string, key: string) => join(dir, `${type}-${key}`);

/** Reads the complete entry for `key`, or null. */
export function lookup(cacheDir: string, type: string, key: string): CacheEntry | null {
  const b = base(cacheDir, type, key);
  const metaFile = `${b}.json`;
  if (!existsSync(metaFile) || !existsSync(`${b}.arrow`)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CacheMeta;
    if (meta.format !== CACHE_FORMAT || meta.key !== key) return null;
    return { file: `${b}.arrow`, metaFile, meta };
  } catch {
    return null;
  }
}

/** Every complete entry in `cacheDir`, newest first. */
export function listCache(cacheDir: string): CacheEntry[] {
  if (!existsSync(cacheDir)) return [];
  const out: CacheEntry[] = [];
  for (const f of readdirSync(cacheDir)) {
    const m = /^(.+)-([0-9a-f]{32})\.json$/.exec(f);
    const e = m && lookup(cacheDir, m[1], m[2]);
    if (e) out.push(e);
  }
  return out.sort((a, b) => (a.meta.createdAt < b.meta.createdAt ? 1 : -1));
}

/** Removes every cache entry, temp file and split file in `cacheDir`; returns the files removed. */
export function clearCache(cacheDir: string): number {
  if (!existsSync(cacheDir)) return 0;
  let n = 0;
  for (const f of readdirSync(cacheDir)) {
    if (/\.(arrow|json|lock|tmp)$/.test(f)) {
      rmSync(join(cacheDir, f), { force: true });
      n++;
    }
  }
  return n;
}

const LOCK_STALE_MS = 30_000;
const LOCK_REFRESH_MS = 5_000;

function ownerAlive(lockFile: string): boolean {
  try {
    const [host, pid] = readFileSync(lockFile, 'utf8').split(' ');
    if (Date.now() - statSync(lockFile).mtimeMs > LOCK_STALE_MS) return false;
    if (host !== hostname()) return true;
    process.kill(Number(pid), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(lockFile: string): boolean {
  try {
    const fd = openSync(lockFile, 'wx');
    writeSync(fd, `${hostname()} ${process.pid}`);
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new DatasetError(
        `cannot create the cache lock '${lockFile}' (${(e as Error).message}); check that the cache directory is writable`,
        { cause: e },
      );
    return false;
  }
}

/** Options of `ingestCached`. */
export interface CachedIngestOptions extends IngestContext {
  cacheDir: string;
  /** Ingest again even when an entry exists. */
  force?: boolean;
}

/** Returns the cache entry for a source, ingesting it first when missing. */
export async function ingestCached(
  source: DatasetSource<unknown>,
  options: unknown,
  spec: Record<string, unknown>,
  o: CachedIngestOptions,
): Promise<{ entry: CacheEntry; hit: boolean; key: string }> {
  const { key, files } = await cacheKey(source, options);
  const b = base(o.cacheDir, source.type, key);
  if (!o.force) {
    const hit = lookup(o.cacheDir, source.type, key);
    if (hit) return { entry: hit, hit: true, key };
  }
  mkdirSync(o.cacheDir, { recursive: true });
  const lockFile = `${b}.lock`;
  while (!tryLock(lockFile)) {
    const done = lookup(o.cacheDir, source.type, key);
    if (done && !o.force) return { entry: done, hit: true, key };
    if (!ownerAlive(lockFile)) {
      try {
        unlinkSync(lockFile);
      } catch {
        /* taken over by another waiter */
      }
      continue;
    }
    o.signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, 50));
  }
  const beat = setInterval(() => {
    try {
      utimesSync(lockFile, new Date(), new Date());
    } catch {
      /* lock removed */
    }
  }, LOCK_REFRESH_MS);
  try {
    if (!o.force) {
      const done = lookup(o.cacheDir, source.type, key);
      if (done) return { entry: done, hit: true, key };
    }
    const t0 = performance.now();
    const data = await source.ingest(options, o);
    const seen = new Uint8Array(data.classes.length);
    for (const l of data.labels) seen[l] = 1;
    const present = data.classes.filter((_, i) => seen[i]);
    if (data.count < 2)
      throw new DatasetError(
        `dataset ${canonicalJson(spec)} has ${data.count === 1 ? 'only one sample' : 'no samples'}: too few rows to split into training, validation and test parts; add samples`,
      );
    if (present.length < 2) {
      throw new DatasetError(
        `dataset ${canonicalJson(spec)} has only one class ('${present[0]}'); a classifier needs samples of at least two classes: check the label column or folders`,
      );
    }
    const bytes = encodeArrow(data);
    writeFileAtomic(`${b}.arrow`, bytes);
    const meta = makeMeta(data, key, spec, files, bytes.byteLength, (performance.now() - t0) / 1000);
    writeFileAtomic(`${b}.json`, `${JSON.stringify(meta, null, 1)}\n`);
    return { entry: { file: `${b}.arrow`, metaFile: `${b}.json`, meta }, hit: false, key };
  } finally {
    clearInterval(beat);
    try {
      unlinkSync(lockFile);
    } catch {
      /* already gone */
    }
  }
}

function makeMeta(
  d: IngestedData,
  key: string,
  spec: Record<string, unknown>,
  sourceFiles: number,
  arrowBytes: number,
  seconds: number,
): CacheMeta {
  const classCounts = new Array<number>(d.classes.length).fill(0);
  for (const l of d.labels) classCounts[l]++;
  return {
    format: CACHE_FORMAT,
    key,
    spec,
    kind: d.kind,
    count: d.count,
    classes: d.classes,
    classCounts,
    shape: d.kind === 'image' ? d.shape : undefined,
    featureNames: d.kind === 'tabular' ? d.featureNames : undefined,
    skipped: d.skipped,
    items: d.items && d.items.length <= 1_000_000 ? d.items : undefined,
    sourceFiles,
    arrowBytes,
    ingestSeconds: Math.round(seconds * 1000) / 1000,
    createdAt: new Date().toISOString(),
  };
}
