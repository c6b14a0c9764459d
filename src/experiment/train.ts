/**
 * The library API: `train(config, { signal })` starts a run and returns at once with a handle: an
 * async iterator of TrainerEvents and a promise of the result. Sessions run in a worker thread, so
 * the caller's event loop keeps serving while training runs; aborting the signal stops after the
 * current step and leaves a run that `resume` continues.
 *
 * Events are broadcast: every iterator of a handle sees every event, however many there are and
 * whenever they were created (each replays the run from its first event, then follows it live).
 * Memory is bounded: every event except `batchEnd` is kept (a few per epoch), and each iterator
 * (and the replay history) holds at most `MAX_UNREAD_BATCH_EVENTS` unread `batchEnd` events,
 * dropping the oldest beyond that. A consumer that reads slowly or never sees gaps in the
 * `batchEnd` steps, never in anything else; training never waits for a consumer.
 *
 * It composes the run: the experiment is validated here and the Trainer is handed the
 * CallbackProvider, which builds the configured callbacks and trackers (the Trainer itself knows
 * no callback module).
 */
import type { ExperimentConfig } from '../trainer/experiment-config.js';
import { parseExperiment } from './schema.js';
import { Trainer, type TrainerOptions } from '../trainer/trainer.js';
import type { FitResult, TrainerEvent } from '../trainer/events.js';
import { CallbackProvider } from '../callbacks/provider.js';

export interface TrainHandle extends AsyncIterable<TrainerEvent> {
  /**
   * A new iterator over every event of the run, in order, from its first event (see the module
   * note for the bound on unread batchEnd events); it ends after `fitEnd` or when the run fails.
   * Any number may be open at once; each sees every event.
   */
  events(): AsyncIterableIterator<TrainerEvent>;
  /** Resolves when the run completes, stops or is aborted; rejects when it fails. */
  readonly result: Promise<FitResult>;
  /** The run directory, from the fitStart event on. */
  readonly runDir?: string;
}

/** Unread batchEnd events one iterator (or the replay history) holds at most; older ones are dropped. */
export const MAX_UNREAD_BATCH_EVENTS = 1000;

/** A queue of unread events whose batchEnd events are capped (oldest dropped). */
class EventQueue {
  private items: TrainerEvent[] = [];
  private batchEnds = 0;

  constructor(from: readonly TrainerEvent[] = []) {
    for (const e of from) this.push(e);
  }

  get length(): number {
    return this.items.length;
  }

  push(e: TrainerEvent): void {
    this.items.push(e);
    if (e.type !== 'batchEnd' || ++this.batchEnds <= MAX_UNREAD_BATCH_EVENTS) return;
    this.items.splice(
      this.items.findIndex((x) => x.type === 'batchEnd'),
      1,
    );
    this.batchEnds--;
  }

  shift(): TrainerEvent | undefined {
    const e = this.items.shift();
    if (e?.type === 'batchEnd') this.batchEnds--;
    return e;
  }

  snapshot(): TrainerEvent[] {
    return [...this.items];
  }
}

/** Starts training `config` (raw JSON-like, validated here, or already resolved). */
export function train(config: unknown, options: TrainerOptions = {}): TrainHandle {
  return startTraining(parseExperiment(config, 'config'), options);
}

/** Starts training an experiment already resolved by `parseExperiment`. */
export function startTraining(resolved: ExperimentConfig, options: TrainerOptions = {}): TrainHandle {
  const history = new EventQueue();
  const subscribers = new Set<{ queue: EventQueue; wake?: () => void }>();
  let done = false;
  let runDir: string | undefined;
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'fitStart') runDir = e.runDir;
    history.push(e);
    for (const s of subscribers) {
      s.queue.push(e);
      s.wake?.();
    }
    options.onEvent?.(e);
  };
  const trainer = new Trainer(resolved, { callbackSource: CallbackProvider, ...options, onEvent });
  const result = trainer.fit().finally(() => {
    done = true;
    for (const s of subscribers) s.wake?.();
  });
  result.catch(() => undefined); // the caller observes failures through `result` or the iterator
  const iterate = (): AsyncIterableIterator<TrainerEvent> => {
    const sub: { queue: EventQueue; wake?: () => void } = { queue: new EventQueue(history.snapshot()) };
    subscribers.add(sub);
    const it: AsyncIterableIterator<TrainerEvent> = {
      async next(): Promise<IteratorResult<TrainerEvent>> {
        for (;;) {
          const e = sub.queue.shift();
          if (e) return { value: e, done: false };
          if (done || !subscribers.has(sub)) {
            subscribers.delete(sub);
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => {
            sub.wake = r;
          });
          sub.wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<TrainerEvent>> {
        subscribers.delete(sub);
        sub.queue = new EventQueue();
        sub.wake?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  };
  return {
    events: iterate,
    [Symbol.asyncIterator]: iterate,
    result,
    get runDir() {
      return runDir;
    },
  };
}
