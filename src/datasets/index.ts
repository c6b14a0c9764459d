/**
 * The datasets public face: what the rest of Gymnos (the trainer, the CLI, the library) imports
 * from this folder. A dataset block becomes `TrainingData` (`createTrainingData`): splits behind
 * the one `DataSplit` interface, implemented by the native loader (`NativeSplit`, image data
 * streamed from the Arrow cache) and by in-memory batches (`MemorySplit`, tabular data). The
 * `FeedAdapter` turns a split's batches into a training graph's feeds. Below it: the
 * DatasetManager, sources, the Arrow cache, splits and preprocessing.
 */
export type { DataBatch, DataSplit, TrainingData, DataContext } from './data-split.js';
export { createTrainingData } from './training-data.js';
export { NativeSplit } from './native-split.js';
export { MemorySplit, memoryBatches, accuracy, type MemoryBatchOptions } from './memory-batches.js';
export { FeedAdapter, concatRows, type Batch } from './feed.js';
export { parseDatasetBlock, datasetBlockSchema, TRAINER_KEYS, type DatasetBlock } from './block.js';
export { DatasetManager, type PreparedDataset, type PrepareOptions, type ResolvedSpec } from './manager.js';
export { SOURCES } from './sources/index.js';
export { datasetSpecSchema, splitSchema } from './spec.js';
export {
  ingestCached,
  cacheKey,
  listCache,
  clearCache,
  lookup,
  CACHE_FORMAT,
  type CacheMeta,
  type CacheEntry,
} from './cache.js';
export { encodeArrow, decodeArrow, SHAPE_KEY, IMAGE_COLUMN, FEATURES_COLUMN, LABEL_COLUMN } from './arrow-format.js';
export { arrowLayoutProblem } from './arrow-check.js';
export { fitStandardize, type Standardization } from './standardize.js';
export { splitIndices, type SplitSpec, type SplitIndices } from './split.js';
export { saveSplit, loadSplit, splitHash, type SavedSplit } from './split-io.js';
export {
  bakePreprocessing,
  applyPreprocess,
  fitPreprocess,
  samplesOf,
  parseFitted,
  preprocessSpecs,
  PREPROCESSORS,
  type Fitted,
  type Samples,
} from './preprocess/index.js';
export { progressLine, formatProgress, type ProgressLine } from './progress.js';
export { DatasetError } from './errors.js';
export type {
  DatasetSource,
  DatasetData,
  IngestedData,
  IngestContext,
  Progress,
  SkippedItem,
  OnError,
} from './types.js';
