/**
 * The TrackerManager: loads the configured trackers (lazily) and hands each one every event, as
 * one callback that never returns decisions. A tracker failing during training is reported once
 * (a warning) and does not stop the run; failing in setup does, before the first batch.
 */
import type { Callback, CallbackContext, TrainerEvent } from '../trainer/events.js';
import type { ComponentSpec } from '../config/component.js';
import { TRACKERS, type Tracker } from './index.js';

export class TrackerManager implements Callback {
  readonly name = 'trackers';
  private readonly failed = new Set<string>();

  /** Whether a tracker reads gradients (the Trainer then fetches each epoch's last ones). */
  readonly wantsGradients: boolean;

  constructor(
    readonly trackers: Tracker[],
    private readonly warn: (msg: string) => void = (m) => process.emitWarning(m, 'GymnosTrackerWarning'),
  ) {
    this.wantsGradients = trackers.some((t) => t.wantsGradients);
  }

  /** Loads the trackers `specs` name (the metrics files need none: the run directory writes them). */
  static async create(specs: readonly ComponentSpec[]): Promise<TrackerManager> {
    const trackers: Tracker[] = [];
    for (const [i, spec] of specs.entries()) {
      const t = await TRACKERS.create(spec, undefined, `tracking.trackers[${i}]`);
      if (t) trackers.push(t);
    }
    return new TrackerManager(trackers);
  }

  async setup(ctx: CallbackContext): Promise<void> {
    for (const t of this.trackers) await t.setup?.(ctx);
  }

  async onEvent(e: TrainerEvent): Promise<void> {
    for (const t of this.trackers) {
      if (this.failed.has(t.name)) continue;
      try {
        await t.onEvent(e);
      } catch (err) {
        this.failed.add(t.name);
        this.warn(`tracker ${t.name} failed and is off for the rest of the run: ${(err as Error).message}`);
      }
    }
  }
}
