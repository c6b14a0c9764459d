/**
 * `NativeLoader`: the TypeScript face of the native data engine. It validates the plan, opens
 * the addon's loader once, and afterwards only `next()` and `close()` cross the boundary.
 * Batches are computed on the loader's own thread pool and never on the event loop.
 */
import { loadBinding, type NativeBinding, type NativeHandle, type NativeInfo, type NativeBatch } from './binding.js';
import { NativeLoaderError, wrapNativeError } from './errors.js';
import { validatePlan, type LoaderCursor, type LoaderPlan, type NormalizedPlan } from './plan.js';

/** One batch. Its arrays are backed by memory the loader allocated; nothing is copied. */
export interface Batch {
  /** Epoch this batch belongs to. */
  epoch: number;
  /** Index of this batch within its epoch. */
  index: number;
  /** Number of samples (the last batch of an epoch may be smaller unless dropLast). */
  size: number;
  /** float32 samples, shape `shape` (NCHW for images by default). */
  data: Float32Array;
  shape: number[];
  /** int32 class ids, float32 targets, float32 [size, classes] one-hot/soft labels, or null. */
  labels: Int32Array | Float32Array | null;
  labelShape: number[] | null;
  /** Dataset row of each sample. */
  rows: Uint32Array;
  /** Where to resume to see exactly the batches after this one. */
  cursor: LoaderCursor;
  /**
   * Frees this batch's memory now rather than at the next garbage collection. Afterwards its
   * arrays are detached (length 0). Call it once the batch has been consumed (e.g. after the
   * training step that read it has finished); without it, memory is reclaimed by GC as usual.
   */
  release(): void;
}

/** Static facts about an open loader. */
export type LoaderInfo = NativeInfo;

/** Options for `NativeLoader.open`. */
export interface OpenOptions {
  /** Aborting closes the loader; pending and later `next()` calls reject with an AbortError. */
  signal?: AbortSignal;
  /** Addon to use (tests); default: the package's built addon. */
  binding?: NativeBinding;
}

function abortError(signal: AbortSignal): Error {
  const e = new Error('the loader was aborted', { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

/** A native batch loader over an Arrow IPC file. Async-iterable over its batches. */
export class NativeLoader implements AsyncIterable<Batch> {
  /** Static facts: rows, batches per epoch, sample shape, label kind. */
  readonly info: LoaderInfo;
  /** The validated plan this loader runs. */
  readonly plan: NormalizedPlan;
  #binding: NativeBinding;
  #handle: NativeHandle | null;
  #signal?: AbortSignal;
  #onAbort?: () => void;

  private constructor(
    binding: NativeBinding,
    plan: NormalizedPlan,
    handle: NativeHandle,
    info: NativeInfo,
    signal?: AbortSignal,
  ) {
    this.#binding = binding;
    this.plan = plan;
    this.#handle = handle;
    this.info = info;
    this.#signal = signal;
    if (signal) {
      this.#onAbort = () => this.close();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /**
   * Validates `plan`, opens the file and starts the worker pool (prefetching begins at once).
   * @throws PlanError for an invalid plan; NativeLoaderError (code ERR_ARROW, _IO, _PLAN)
   *   when the file or its schema does not fit the plan.
   */
  static open(plan: LoaderPlan, options: OpenOptions = {}): NativeLoader {
    const normalized = validatePlan(plan);
    if (options.signal?.aborted) throw abortError(options.signal);
    const binding = options.binding ?? loadBinding();
    let opened: { handle: NativeHandle; info: NativeInfo };
    try {
      opened = binding.open(JSON.stringify(normalized));
    } catch (e) {
      throw wrapNativeError(e, `cannot open loader for '${normalized.path}'`);
    }
    return new NativeLoader(binding, normalized, opened.handle, opened.info, options.signal);
  }

  /** True once closed (explicitly, by abort, or after an open failure). */
  get closed(): boolean {
    return this.#handle === null;
  }

  /**
   * The next batch, or null after the last epoch. Never blocks the event loop.
   * @throws NativeLoaderError (e.g. ERR_DATA for a label out of range), AbortError after abort.
   */
  async next(): Promise<Batch | null> {
    if (this.#signal?.aborted) throw abortError(this.#signal);
    if (this.#handle === null) throw new NativeLoaderError('ERR_LOADER_CLOSED', 'the loader is closed');
    let raw: NativeBatch | null;
    try {
      raw = await this.#binding.next(this.#handle);
    } catch (e) {
      if (this.#signal?.aborted) throw abortError(this.#signal);
      throw wrapNativeError(e, `loader for '${this.plan.path}'`);
    }
    return raw === null ? null : this.#wrap(raw);
  }

  #wrap(raw: NativeBatch): Batch {
    const bpe = this.info.batchesPerEpoch;
    const cursor =
      raw.index + 1 >= bpe ? { epoch: raw.epoch + 1, position: 0 } : { epoch: raw.epoch, position: raw.index + 1 };
    const labelShape =
      raw.labels === null ? null : this.info.labels === 'soft' ? [raw.size, this.info.classes] : [raw.size];
    const binding = this.#binding;
    return {
      ...raw,
      shape: [raw.size, ...this.info.sampleShape],
      labelShape,
      cursor,
      release: () => binding.release(raw.data, raw.labels, raw.rows),
    };
  }

  /** Stops the workers and releases the file; pending `next()` calls reject. Idempotent. */
  close(): void {
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    const h = this.#handle;
    this.#handle = null;
    if (h !== null) this.#binding.close(h);
  }

  /** Iterates the remaining batches; breaking out of the loop closes the loader. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    try {
      for (;;) {
        const b = await this.next();
        if (b === null) return;
        yield b;
      }
    } finally {
      this.close();
    }
  }
}
