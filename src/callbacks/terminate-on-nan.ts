/** `terminate_on_nan`: stop at the first step whose loss is NaN or infinite. */
import type { Callback, Decision, TrainerEvent } from '../trainer/events.js';
import type { CallbackDef } from './callback.js';

export class TerminateOnNan implements Callback {
  readonly name: string;
  constructor(index = 0) { this.name = `terminate_on_nan#${index}`; }
  onBatchEnd(e: Extract<TrainerEvent, { type: 'batchEnd' }>): Decision | void {
    if (!Number.isFinite(e.loss)) return { stop: { reason: `loss is ${e.loss} at step ${e.step} (epoch ${e.epoch}, batch ${e.batch})` } };
  }
}

export const terminateOnNan: CallbackDef<Record<string, never>> = {
  name: 'terminate_on_nan',
  doc: 'stop when the training loss becomes NaN or infinite',
  options: {},
  create: (_o, ctx) => new TerminateOnNan(ctx.index),
};
