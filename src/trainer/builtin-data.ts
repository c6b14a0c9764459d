/**
 * The built-in datasets (digits, iris) as `TrainingData`: loaded into memory, split once (seeded,
 * stratified), shuffled per epoch from (seed, epoch) so any epoch's batch order is reproducible.
 */
import { bool, num, obj, opt, int } from '../config/schema.js';
import { loadDigits, loadIris, type TabularDataset } from '../datasets/builtin.js';
import { splitIndices } from '../datasets/split.js';
import { memoryBatches } from '../datasets/memory-batches.js';
import type { DataBatch, DataContext, DataSplit, DatasetDef, TrainingData } from './data.js';

export interface BuiltinOptions {
  split: { validation: number; test: number; stratify: boolean; seed?: number };
  shuffle: boolean;
  standardize?: boolean;
}

const splitSchema = obj({
  validation: num({ min: 0, default: 0.1, doc: 'fraction (< 1) or count (>= 1) of samples held out for validation' }),
  test: num({ min: 0, default: 0.2, doc: 'fraction (< 1) or count (>= 1) of samples held out for the final test' }),
  stratify: bool({ default: true, doc: 'keep class proportions in every part' }),
  seed: opt(int({ doc: 'seed of the split (default: training.seed)' })),
}, { default: { validation: 0.1, test: 0.2, stratify: true }, doc: 'train/validation/test split' });

class MemorySplit implements DataSplit {
  readonly batchCount: number;
  constructor(private readonly ds: TabularDataset, private readonly indices: number[], private readonly batchSize: number,
    private readonly shuffle: boolean, private readonly seed: number, private readonly dropLast: boolean) {
    this.batchCount = dropLast ? Math.floor(indices.length / batchSize) : Math.ceil(indices.length / batchSize);
  }
  get size(): number { return this.indices.length; }
  *batches(epoch: number, from: number): Iterable<DataBatch> {
    let i = 0;
    for (const b of memoryBatches(this.ds, this.indices, epoch, { batchSize: this.batchSize, shuffle: this.shuffle, seed: this.seed, dropLast: this.dropLast })) {
      if (i++ < from) continue;
      yield { features: b.input, target: b.label };
    }
  }
}

/** Wraps an in-memory dataset as TrainingData with the given split. */
export function memoryTrainingData(ds: TabularDataset, o: BuiltinOptions, ctx: DataContext): TrainingData {
  const seed = o.split.seed ?? ctx.seed;
  const parts = splitIndices(ds.count, { validation: o.split.validation, test: o.split.test, stratify: o.split.stratify, seed }, ds.labels);
  const evalSplit = (idx: number[]) => (idx.length ? new MemorySplit(ds, idx, ctx.evalBatchSize, false, seed, false) : undefined);
  return {
    train: new MemorySplit(ds, parts.train, ctx.batchSize, o.shuffle, seed, ctx.dropLast),
    validation: evalSplit(parts.validation),
    test: evalSplit(parts.test),
    inputShape: ds.sampleShape,
    numClasses: ds.classes.length,
    classes: ds.classes,
  };
}

/** Standardizes features per column with the training part's mean and deviation. */
function standardize(ds: TabularDataset, train: number[]): TabularDataset {
  const per = ds.features.length / ds.count;
  const mean = new Float64Array(per);
  const sq = new Float64Array(per);
  for (const i of train) for (let k = 0; k < per; k++) { const v = ds.features[i * per + k]; mean[k] += v; sq[k] += v * v; }
  const features = new Float32Array(ds.features.length);
  for (let k = 0; k < per; k++) {
    mean[k] /= train.length;
    const sd = Math.sqrt(Math.max(1e-12, sq[k] / train.length - mean[k] * mean[k]));
    for (let i = 0; i < ds.count; i++) features[i * per + k] = (ds.features[i * per + k] - mean[k]) / sd;
  }
  return { ...ds, features };
}

export const digits: DatasetDef<BuiltinOptions> = {
  name: 'digits', doc: 'the UCI handwritten digits shipped with Gymnos: 1,797 8x8 images in [0, 1], 10 classes',
  options: { split: splitSchema, shuffle: bool({ default: true, doc: 'reshuffle the training part every epoch' }) },
  create: async (o, ctx) => memoryTrainingData(loadDigits(), o, ctx),
};

export const iris: DatasetDef<BuiltinOptions> = {
  name: 'iris', doc: "Fisher's iris shipped with Gymnos: 150 samples, 4 features, 3 classes",
  options: {
    split: splitSchema,
    shuffle: bool({ default: true, doc: 'reshuffle the training part every epoch' }),
    standardize: bool({ default: true, doc: 'scale features to zero mean and unit variance (training-part statistics)' }),
  },
  create: async (o, ctx) => {
    let ds = loadIris();
    if (o.standardize) {
      const seed = o.split.seed ?? ctx.seed;
      ds = standardize(ds, splitIndices(ds.count, { ...o.split, seed }, ds.labels).train);
    }
    return memoryTrainingData(ds, o, ctx);
  },
};
