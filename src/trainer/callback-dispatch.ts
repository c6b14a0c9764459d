/**
 * Hands the Trainer's events to its callbacks and carries out what they decide (a `Decision`): a
 * learning-rate factor, a stop request, a copy of the weights, files to save or delete. It keeps
 * what those decisions leave behind (the stop request, the weight copies), hands them to
 * checkpoints and back on resume, and puts the copy a callback asked to end with back at the end.
 * The callbacks never reach into the Trainer; this is the one place their decisions take effect.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Tensor } from '../onnx/tensor.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Logger } from '../util/logger.js';
import type { LearningRate } from './learning-rate.js';
import { packSnapshots, unpackSnapshots, type Snapshot, type TrainerState } from './trainer-state.js';
import {
  describeEvent,
  hookName,
  type Callback,
  type CallbackContext,
  type CallbackSource,
  type Decision,
  type Position,
  type TrainerEvent,
} from './events.js';

/** Events logged at info level (the others at debug). */
const INFO_EVENTS = new Set<TrainerEvent['type']>(['fitStart', 'epochEnd', 'testEnd', 'fitEnd']);

/** `tracking.trackers` entries that add nothing to the run's own metrics record. */
const RECORD_TRACKERS = new Set(['metrics_jsonl', 'metrics_csv']);

/**
 * The CallbackSource of a Trainer created without one: the caller's callbacks only. Configured
 * callbacks or trackers would be silently lost, so a config that names any is refused.
 */
export const GIVEN_CALLBACKS_ONLY: CallbackSource = {
  async create(config, user) {
    const named = [
      ...config.training.callbacks.map((c) => `training.callbacks '${c.type}'`),
      ...config.tracking.trackers
        .filter((t) => !RECORD_TRACKERS.has(t.type))
        .map((t) => `tracking.trackers '${t.type}'`),
    ];
    if (named.length)
      throw new Error(
        `the config names ${named.join(', ')} but this Trainer was created without a callbackSource; use train() from 'gymnos', or pass callbackSource: CallbackProvider`,
      );
    return user;
  },
};

/** What carrying out decisions needs from the Trainer. */
export interface DispatchHost {
  readonly runDir: string;
  readonly log: Logger;
  /** The loop position now (0-based epoch index, batch cursor, steps done). */
  readonly pos: Position;
  /** The learning-rate function, once built. */
  lr(): LearningRate | undefined;
  /** Copies of the current weights (not optimizer state). */
  weightCopies(): Map<string, Tensor>;
  /** Writes the inference model to `path`. */
  saveModel(path: string): void;
  /** Writes a checkpoint that resumes at `at` to `path`. */
  saveCheckpoint(path: string, at: Position): void;
  /** The caller's listener: receives every event after the callbacks. */
  onEvent?(e: TrainerEvent): void;
}

export class CallbackDispatch {
  private callbacks: Callback[] = [];
  /** Weight copies callbacks asked for (`Decision.snapshot`), by tag. */
  private snapshots = new Map<string, Snapshot>();
  /** Where a checkpoint taken now resumes (after an epoch's end: the next epoch's start). */
  private resumeAt?: Position;
  /** Why training should stop (`<callback>: <reason>`), once a callback asked. */
  stopRequest?: string;

  constructor(private readonly host: DispatchHost) {}

  /** The callbacks events go to from now on (set-up phase events before this reach only the log and listener). */
  attach(callbacks: Callback[]): void {
    this.callbacks = callbacks;
  }

  /** Whether a callback reads the gradients (the loop then keeps the last step's). */
  get wantsGradients(): boolean {
    return this.callbacks.some((c) => c.wantsGradients);
  }

  /** Hands each callback what it needs before the first batch; a bad monitor fails here. */
  async setup(ctx: CallbackContext): Promise<void> {
    for (const c of this.callbacks) await c.setup?.(ctx);
  }

  /** Hands an event to the callbacks (applying their decisions, in order) and then the listener. */
  async emit(e: TrainerEvent): Promise<void> {
    if (e.type !== 'batchEnd')
      this.host.log[INFO_EVENTS.has(e.type) ? 'info' : 'debug']({ event: e.type }, describeEvent(e));
    // the loop's position after an epoch's end: the next epoch's (0-based) index, batch 0
    this.resumeAt = e.type === 'epochEnd' ? { epoch: e.epoch, batch: 0, step: e.step } : undefined;
    for (const c of this.callbacks) {
      const d = await c.onEvent?.(e);
      if (d) this.apply(c.name, d);
      const hook = c[hookName(e.type)] as ((x: TrainerEvent) => Decision | void | Promise<Decision | void>) | undefined;
      const h = await hook?.call(c, e);
      if (h) this.apply(c.name, h);
    }
    this.host.onEvent?.(e);
  }

  private apply(from: string, d: Decision): void {
    const { log, pos } = this.host;
    const lr = this.host.lr();
    if (d.lrFactor !== undefined && lr?.setFactor(from, d.lrFactor)) {
      log.info({ callback: from, lrFactor: d.lrFactor, total: lr.factor }, 'learning rate scaled');
    }
    if (d.stop && !this.stopRequest) {
      this.stopRequest = `${from}: ${d.stop.reason}`;
      log.info({ callback: from, reason: d.stop.reason }, 'stop requested');
    }
    if (d.snapshot) {
      this.snapshots.set(d.snapshot.tag, {
        step: pos.step,
        restoreAtEnd: !!d.snapshot.restoreAtEnd,
        tensors: this.host.weightCopies(),
      });
    }
    for (const a of d.save ?? []) {
      const path = resolve(this.host.runDir, a.path);
      if (a.format === 'onnx') this.host.saveModel(path);
      else this.host.saveCheckpoint(path, this.resumeAt ?? pos);
      if (a.meta) writeFileAtomic(`${path}.json`, `${JSON.stringify(a.meta)}\n`);
      log.debug({ callback: from, path }, 'callback file saved');
    }
    for (const p of d.delete ?? []) {
      const path = resolve(this.host.runDir, p);
      rmSync(path, { force: true });
      rmSync(`${path}.json`, { force: true });
    }
  }

  /** The callbacks' part of a checkpoint's trainer state; the weight copies' tensors go into `tensors`. */
  checkpointState(tensors: Map<string, Tensor>): Pick<TrainerState, 'callbacks' | 'snapshots'> {
    return {
      callbacks: Object.fromEntries(this.callbacks.filter((c) => c.state).map((c) => [c.name, c.state!()])),
      snapshots: packSnapshots(this.snapshots, tensors),
    };
  }

  /** Puts back what `checkpointState` saved (the checkpoint's trainer state and tensors). */
  load(t: TrainerState, tensors: Map<string, Tensor>): void {
    this.snapshots = unpackSnapshots(t, tensors);
    for (const c of this.callbacks) if (c.load && t.callbacks?.[c.name] !== undefined) c.load(t.callbacks[c.name]);
  }

  /**
   * Puts the weight copy a callback asked to end with into `weights` (the runner's state);
   * returns which copy, or nothing when none was asked for.
   */
  restoreAtEnd(weights: Map<string, Tensor>): { tag: string; step: number } | undefined {
    const found = [...this.snapshots].find(([, s]) => s.restoreAtEnd);
    if (!found) return undefined;
    const [tag, s] = found;
    for (const [k, t] of s.tensors) weights.set(k, t);
    this.host.log.info({ tag, step: s.step }, "weights restored from a callback's copy");
    return { tag, step: s.step };
  }
}
