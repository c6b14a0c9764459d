/**
 * A `DataSplit` streamed by the native loader: one split of the cached Arrow file, read as a row
 * selection (no per-split copies). One loader stays open for the split's whole life (it prefetches
 * over epoch boundaries): a training split continues from epoch to epoch; an evaluation split
 * (unshuffled, no augmentation: every loader epoch holds the same batches) serves each pass with
 * the loader's next epoch, so validation after every epoch never reopens it. Only a call that does
 * not continue where the last one stopped (a resume mid-epoch, an early break) reopens it at the
 * trainer's cursor `{ epoch, position }`, which gives the very batches an uninterrupted run would
 * have seen. Batches carry `release()`: the trainer frees their native memory once the step has
 * read them.
 */
import { NativeLoader } from '../native/loader.js';
import type { LoaderCursor, LoaderPlan } from '../native/plan.js';
import { tensor } from '../onnx/tensor.js';
import type { DataBatch, DataSplit } from './data-split.js';

export class NativeSplit implements DataSplit {
  readonly batchCount: number;
  /** Sample shape the loader produces (e.g. [C, H, W]). */
  readonly sampleShape: number[];
  private loader?: NativeLoader;
  private next: LoaderCursor = { epoch: 0, position: 0 };

  /** Opens the loader at epoch 0 (prefetching starts now) to learn the sample shape. */
  constructor(
    readonly size: number,
    private readonly plan: Omit<LoaderPlan, 'cursor' | 'epochs'>,
    private readonly evalOnly: boolean,
  ) {
    this.loader = this.open(this.next);
    this.batchCount = this.loader.info.batchesPerEpoch;
    this.sampleShape = this.loader.info.sampleShape;
  }

  private open(cursor: LoaderCursor): NativeLoader {
    this.opened++;
    return NativeLoader.open({ ...this.plan, epochs: null, cursor });
  }

  private opened = 0;
  /** Loader opens so far (the constructor's included): 1 for a split read in order. */
  get opens(): number {
    return this.opened;
  }

  async *batches(epoch: number, from: number): AsyncGenerator<DataBatch> {
    // an evaluation pass from the start reads whichever loader epoch comes next: they are all alike
    const e = this.evalOnly ? (from === 0 && this.next.position === 0 ? this.next.epoch : 0) : epoch;
    if (!this.loader || this.next.epoch !== e || this.next.position !== from) {
      this.loader?.close();
      this.loader = this.open({ epoch: e, position: from });
    }
    const loader = this.loader;
    for (let i = from; i < this.batchCount; i++) {
      const b = await loader.next();
      if (!b) return;
      this.next = b.cursor;
      const labels = b.labels as Int32Array;
      const target = tensor(
        'int64',
        [b.size],
        BigInt64Array.from(labels, (v) => BigInt(v)),
      );
      yield { features: tensor('float32', b.shape, b.data), target, release: () => b.release() };
    }
  }

  async close(): Promise<void> {
    this.loader?.close();
    this.loader = undefined;
  }
}
