/**
 * `lr_scheduler`: drives the learning rate from a schedule of src/schedules, applied per
 * optimizer step or per epoch (Keras' LearningRateScheduler, Lightning's `interval`). It returns a
 * factor on the optimizer's base rate; the schedules are pure functions of the position, so resume
 * needs no state.
 */
import { oneOf } from '../config/schema.js';
import { createSchedule, SCHEDULES, type Schedule } from '../schedules/index.js';
import type { Callback, CallbackContext, Decision, TrainerEvent } from '../trainer/events.js';
import type { CallbackDef } from './callback.js';

export interface LrSchedulerOptions {
  schedule: { type: string } & Record<string, unknown>;
  interval: 'step' | 'epoch';
}

export class LrScheduler implements Callback {
  readonly name: string;
  private fn?: Schedule;
  private base = 1;
  private perEpoch = 1;
  private total = 1;

  constructor(
    readonly o: LrSchedulerOptions,
    index = 0,
  ) {
    this.name = `lr_scheduler#${index}`;
  }

  setup(ctx: CallbackContext): void {
    this.base = ctx.baseLr;
    this.fn = createSchedule(this.o.schedule, ctx.baseLr);
    this.perEpoch = ctx.stepsPerEpoch;
    this.total = ctx.totalSteps;
  }

  /** The factor for the optimizer step about to run. */
  private at(step: number): Decision {
    const s = this.o.interval === 'epoch' ? Math.floor(step / Math.max(1, this.perEpoch)) * this.perEpoch : step;
    return { lrFactor: this.fn!({ step: s, stepsPerEpoch: this.perEpoch, totalSteps: this.total }) / this.base };
  }

  onEpochStart(e: Extract<TrainerEvent, { type: 'epochStart' }>): Decision {
    return this.at(e.step);
  }
  onBatchEnd(e: Extract<TrainerEvent, { type: 'batchEnd' }>): Decision | void {
    if (this.o.interval === 'step') return this.at(e.step);
  }
}

export const lrScheduler: CallbackDef<LrSchedulerOptions> = {
  type: 'lr_scheduler',
  description: 'set the learning rate from a schedule, per step or per epoch (keep training.lrSchedule constant)',
  options: {
    schedule: SCHEDULES.schema({ doc: `a schedule: { "type": ${SCHEDULES.types().join('|')}, ...options }` }),
    interval: oneOf(['step', 'epoch'] as const, {
      default: 'epoch',
      doc: "'step': update every optimizer step; 'epoch': at each epoch start",
    }),
  },
  create: (o, ctx) => new LrScheduler(o, ctx.index),
};
