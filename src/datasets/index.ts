/** The datasets public API: DatasetManager, sources, the cache, splits and preprocessing. */
export { DatasetManager, type PreparedDataset, type PrepareOptions, type ResolvedSpec } from './manager.js';
export { SOURCES } from './sources/index.js';
export { datasetSpecSchema, splitSchema } from './spec.js';
export { ingestCached, cacheKey, listCache, clearCache, lookup, CACHE_FORMAT, type CacheMeta, type CacheEntry } from './cache.js';
export { encodeArrow, decodeArrow, SHAPE_KEY, IMAGE_COLUMN, FEATURES_COLUMN, LABEL_COLUMN } from './arrow-format.js';
export { splitIndices, type SplitSpec, type SplitIndices } from './split.js';
export { saveSplit, loadSplit, splitHash, type SavedSplit } from './split-io.js';
export { bakePreprocessing, applyPreprocess, fitPreprocess, samplesOf, parseFitted, preprocessSpecs, PREPROCESSORS, type Fitted, type Samples } from './preprocess/index.js';
export { progressLine, formatProgress, type ProgressLine } from './progress.js';
export { DatasetError } from './errors.js';
export type { DatasetSource, DatasetData, IngestedData, IngestContext, Progress, SkippedItem, OnError } from './types.js';
