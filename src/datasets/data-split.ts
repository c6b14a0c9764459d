/**
 * The data interface the Trainer's loop consumes: a dataset
 * block becomes `TrainingData`, whose splits (`DataSplit`) yield batches of plain tensors for an
 * epoch, starting at a batch cursor (so a resumed run continues mid-epoch with the very batches it
 * would have seen). Two implementations: `MemorySplit` (memory-batches.ts: tabular data held in
 * memory) and `NativeSplit` (native-split.ts: image data streamed by the native loader from the
 * Arrow cache); tests and library callers may pass their own (`TrainerOptions.data`).
 */
import type { Tensor } from '../onnx/tensor.js';
import type { Model } from '../onnx/ir.js';

/** One batch: features [B, ...inputShape] and targets (int64 class indices [B], or float values). */
export interface DataBatch {
  features: Tensor;
  target: Tensor;
  /** Frees the batch's (native) memory; the trainer calls it once the step that read it is done. */
  release?(): void;
}

export interface DataSplit {
  /** Samples in the split. */
  readonly size: number;
  /** Batches per epoch. */
  readonly batchCount: number;
  /** The batches of `epoch` (0-based) from batch `from` on; the same arguments give the same batches. */
  batches(epoch: number, from: number): Iterable<DataBatch> | AsyncIterable<DataBatch>;
}

export interface TrainingData {
  train: DataSplit;
  validation?: DataSplit;
  test?: DataSplit;
  /** Shape of one sample's features. */
  inputShape: number[];
  /** Classification: the number of classes (targets are class indices); absent for regression. */
  numClasses?: number;
  classes?: string[];
  /** Shape of one sample's float target vector (dataset.targets); absent for class labels and scalar targets. */
  targetShape?: number[];
  /** Writes what a run keeps about its data (split, fitted preprocessors, dataset.json). */
  saveRun?(dir: string): void;
  /** The inference model with the fitted preprocessing baked in, so it takes raw inputs. */
  bake?(model: Model, inputName: string): Model;
  close?(): Promise<void>;
}

/** What a dataset factory gets besides its options. */
export interface DataContext {
  batchSize: number;
  evalBatchSize: number;
  /** Seed of splits and shuffling. */
  seed: number;
  dropLast: boolean;
  /** The directory relative paths in the experiment resolve against. */
  baseDir: string;
  /** The dataset cache (system.json `cacheDir`); default `<baseDir>/.gymnos/cache`. */
  cacheDir?: string;
  signal?: AbortSignal;
}
