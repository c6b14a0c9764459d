/**
 * `terminate_on_nan`: stop at the first step whose loss is NaN or infinite, as a graceful stop.
 * The Trainer's own check (`training.terminateOnNan`, on by default) already fails such a run
 * (exit 2, no NaN model written) before this callback sees the step; the callback matters only
 * with that check turned off.
 */
import type { Callback, Decision, TrainerEvent } from '../trainer/events.js';
import type { CallbackDef } from './callback.js';

export class TerminateOnNan implements Callback {
  readonly name: string;
  constructor(index = 0) {
    this.name = `terminate_on_nan#${index}`;
  }
  onBatchEnd(e: Extract<TrainerEvent, { type: 'batchEnd' }>): Decision | void {
    if (!Number.isFinite(e.loss))
      return { stop: { reason: `loss is ${e.loss} at step ${e.step} (epoch ${e.epoch}, batch ${e.batch})` } };
  }
}

export const terminateOnNan: CallbackDef<Record<string, never>> = {
  type: 'terminate_on_nan',
  description:
    'stop when the training loss becomes NaN or infinite (a graceful stop; training.terminateOnNan, on by default, already fails such a run)',
  options: {},
  create: (_o, ctx) => new TerminateOnNan(ctx.index),
};
