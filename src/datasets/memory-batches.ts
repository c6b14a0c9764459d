/**
 * Batches from an in-memory dataset (tabular data, the built-in ones, and tests): `MemorySplit`
 * is the `DataSplit` of that small-data path. Image data streams through the native loader
 * instead (`NativeSplit`).
 */
import { tensor, type Tensor } from '../onnx/tensor.js';
import { Rng } from '../util/rng.js';
import type { TabularDataset } from './builtin.js';
import type { DataBatch, DataSplit } from './data-split.js';

export interface MemoryBatchOptions {
  batchSize: number;
  shuffle?: boolean;
  /** Seed of the per-epoch permutation (epoch e uses seed + e). */
  seed?: number;
  dropLast?: boolean;
  /** Shape given to each sample's features (default: the dataset's sampleShape). */
  sampleShape?: number[];
}

/** The batches of one epoch over `indices`: features [B, ...sampleShape] and int64 labels [B]. */
export function* memoryBatches(
  ds: TabularDataset,
  indices: number[],
  epoch: number,
  o: MemoryBatchOptions,
): Generator<{ input: Tensor; label: Tensor; indices: number[] }> {
  const order = [...indices];
  if (o.shuffle) new Rng((o.seed ?? 0) + epoch * 1_000_003).shuffle(order);
  const shape = o.sampleShape ?? ds.sampleShape;
  const per = shape.reduce((a, b) => a * b, 1);
  const stride = ds.features.length / ds.count;
  if (per !== stride)
    throw new Error(`sample shape [${shape}] has ${per} values, but dataset '${ds.name}' has ${stride} per sample`);
  for (let start = 0; start < order.length; start += o.batchSize) {
    const idx = order.slice(start, start + o.batchSize);
    if (o.dropLast && idx.length < o.batchSize) break;
    const x = new Float32Array(idx.length * per);
    const y = new BigInt64Array(idx.length);
    idx.forEach((s, i) => {
      x.set(ds.features.subarray(s * per, (s + 1) * per), i * per);
      y[i] = BigInt(ds.labels[s]);
    });
    yield {
      input: tensor('float32', [idx.length, ...shape], x),
      label: tensor('int64', [idx.length], y),
      indices: idx,
    };
  }
}

/** Fraction of rows of `logits` [B, C] whose argmax equals the label. */
export function accuracy(logits: Tensor, labels: Tensor): number {
  const [b, c] = logits.dims;
  const d = logits.data as Float32Array;
  let hit = 0;
  for (let i = 0; i < b; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (d[i * c + k] > d[i * c + best]) best = k;
    if (BigInt(best) === (labels.data as BigInt64Array)[i]) hit++;
  }
  return hit / b;
}

/**
 * In-memory batches of one split part (`indices` into `ds`); the same (epoch, from) gives the same
 * batches. With `targetOf`, a batch's targets are what it gives for the batch's samples (float
 * regression values or target vectors); otherwise the class labels.
 */
export class MemorySplit implements DataSplit {
  readonly batchCount: number;
  constructor(
    private readonly ds: TabularDataset,
    private readonly indices: number[],
    private readonly batchSize: number,
    private readonly shuffle: boolean,
    private readonly seed: number,
    private readonly dropLast: boolean,
    private readonly targetOf?: (samples: number[]) => Tensor,
  ) {
    this.batchCount = dropLast ? Math.floor(indices.length / batchSize) : Math.ceil(indices.length / batchSize);
  }
  get size(): number {
    return this.indices.length;
  }
  *batches(epoch: number, from: number): Iterable<DataBatch> {
    let i = 0;
    for (const b of memoryBatches(this.ds, this.indices, epoch, {
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      seed: this.seed,
      dropLast: this.dropLast,
    })) {
      if (i++ < from) continue;
      yield { features: b.input, target: this.targetOf ? this.targetOf(b.indices) : b.label };
    }
  }
}
