/**
 * The library API: `train(config, { signal })` starts a run and returns at once with a handle: an
 * async iterator of TrainerEvents and a promise of the result. Sessions run in a worker thread, so
 * the caller's event loop keeps serving while training runs; aborting the signal stops after the
 * current step and leaves a run that `resume` continues.
 */
import { parseExperiment, type ExperimentConfig } from '../config/experiment.js';
import { Trainer, type TrainerOptions } from './trainer.js';
import type { FitResult, TrainerEvent } from './events.js';

export interface TrainHandle extends AsyncIterable<TrainerEvent> {
  /** Every event of the run, in order (buffered from the start); ends after `fitEnd` or an error. */
  events(): AsyncIterableIterator<TrainerEvent>;
  /** Resolves when the run completes, stops or is aborted; rejects when it fails. */
  readonly result: Promise<FitResult>;
  /** The run directory, once created (after the first event). */
  readonly runDir?: string;
}

/**
 * Events held for a handle nobody iterates: batchEnd events beyond this many are dropped (the
 * rest are always kept), so an unobserved long run does not grow without bound.
 */
const MAX_UNREAD_BATCH_EVENTS = 1000;

/** Starts training `config` (raw JSON-like, validated here, or already resolved). */
export function train(config: unknown, options: TrainerOptions = {}): TrainHandle {
  const resolved: ExperimentConfig = parseExperiment(config, 'config');
  const buffer: TrainerEvent[] = [];
  const waiters: Array<() => void> = [];
  let done = false;
  let runDir: string | undefined;
  const wake = () => { while (waiters.length) waiters.shift()!(); };
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'fitStart') runDir = e.runDir;
    buffer.push(e);
    if (buffer.length > MAX_UNREAD_BATCH_EVENTS && waiters.length === 0) {
      const i = buffer.findIndex((x) => x.type === 'batchEnd');
      if (i >= 0) buffer.splice(i, 1);
    }
    options.onEvent?.(e);
    wake();
  };
  const trainer = new Trainer(resolved, { ...options, onEvent });
  const result = trainer.fit().finally(() => { done = true; wake(); });
  result.catch(() => undefined); // the caller observes failures through `result` or the iterator
  async function* iterate(): AsyncIterableIterator<TrainerEvent> {
    for (;;) {
      while (buffer.length) yield buffer.shift()!;
      if (done) return;
      await new Promise<void>((r) => waiters.push(r));
    }
  }
  return {
    events: iterate,
    [Symbol.asyncIterator]: iterate,
    result,
    get runDir() { return runDir; },
  };
}
