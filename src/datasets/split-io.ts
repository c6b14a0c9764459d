/**
 * Saving the split with the run: `split.json` holds the index lists, the spec and seed that made
 * them, the cache key of the data they index, and a hash that `loadSplit` checks.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { DatasetError } from './errors.js';
import type { SplitIndices, SplitSpec } from './split.js';

/** The saved form of a split. */
export interface SavedSplit extends SplitIndices {
  /** Cache key of the dataset the indices refer to. */
  cacheKey: string;
  spec: SplitSpec;
  /** SHA-256 of the three index lists. */
  hash: string;
}

/** Hash of the three index lists (identifies a split). */
export function splitHash(s: SplitIndices): string {
  const h = createHash('sha256');
  for (const k of ['train', 'validation', 'test'] as const) h.update(`${k}:${s[k].join(',')}\n`);
  return h.digest('hex');
}

/** Writes `<dir>/split.json` atomically and returns its path. */
export function saveSplit(dir: string, split: SplitIndices, cacheKey: string, spec: SplitSpec): string {
  const path = join(dir, 'split.json');
  const saved: SavedSplit = {
    cacheKey,
    spec,
    hash: splitHash(split),
    train: split.train,
    validation: split.validation,
    test: split.test,
  };
  writeFileAtomic(path, `${JSON.stringify(saved)}\n`);
  return path;
}

/**
 * Reads `<dir>/split.json`, checks its hash, and (when given) that it indexes the dataset with
 * `expectedKey`.
 */
export function loadSplit(dir: string, expectedKey?: string): SavedSplit {
  const path = join(dir, 'split.json');
  let s: SavedSplit;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as SavedSplit;
  } catch (e) {
    throw new DatasetError(
      `cannot read the saved split '${path}' (${(e as Error).message}); the run directory is incomplete`,
      { cause: e },
    );
  }
  if (
    !['train', 'validation', 'test'].every((k) => Array.isArray((s as unknown as Record<string, unknown>)[k])) ||
    splitHash(s) !== s.hash
  ) {
    throw new DatasetError(
      `the saved split '${path}' is damaged (its index lists do not match its hash); restore it or start a new run`,
    );
  }
  if (expectedKey !== undefined && s.cacheKey !== expectedKey) {
    throw new DatasetError(
      `the saved split '${path}' was made for dataset ${s.cacheKey} but the data now hashes to ${expectedKey}: the source files or ingest options changed since that run; start a new run to split the new data`,
    );
  }
  return s;
}
