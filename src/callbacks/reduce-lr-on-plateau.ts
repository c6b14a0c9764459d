/**
 * `reduce_lr_on_plateau`: multiply the learning rate by `factor` when the monitored metric has not
 * improved for `patience` epochs, then wait `cooldown` epochs; never below `minLr`. The factor is a
 * decision the Trainer applies on top of the schedule; it and the counters survive resume.
 */
import { int, num } from '../config/schema.js';
import type { Callback, CallbackContext, Decision, TrainerEvent } from '../trainer/events.js';
import { Monitor, monitorOptions, type MonitorOptions } from './monitor.js';
import { callbackPath, type CallbackDef } from './callback.js';

export interface ReduceLrOptions extends MonitorOptions {
  factor: number;
  patience: number;
  cooldown: number;
  minLr: number;
}

export class ReduceLrOnPlateau implements Callback {
  readonly name: string;
  private readonly monitor: Monitor;
  wait = 0;
  cooldown = 0;
  /** Current factor on the scheduled rate. */
  scale = 1;

  constructor(
    readonly o: ReduceLrOptions,
    index = 0,
  ) {
    this.name = `reduce_lr_on_plateau#${index}`;
    this.monitor = new Monitor(o, callbackPath(index));
  }

  setup(ctx: CallbackContext): void {
    this.monitor.check(ctx.metrics);
  }

  onFitStart(): Decision {
    return { lrFactor: this.scale };
  }

  onEpochEnd(e: Extract<TrainerEvent, { type: 'epochEnd' }>): Decision | void {
    const v = this.monitor.value(e);
    if (v === undefined) return;
    if (this.cooldown > 0) {
      this.cooldown--;
      this.wait = 0;
    } // Keras: the counter restarts after the cooldown
    if (this.monitor.update(v)) {
      this.wait = 0;
      return;
    }
    if (this.cooldown > 0) return;
    if (++this.wait < this.o.patience) return;
    // the rate the trainer last used, reduced, floored at minLr (compared in absolute terms)
    const current = e.lr;
    const next = Math.max(current * this.o.factor, this.o.minLr);
    this.wait = 0;
    if (current <= this.o.minLr || next >= current) return;
    this.scale *= next / current;
    this.cooldown = this.o.cooldown;
    return { lrFactor: this.scale };
  }

  state() {
    return { ...this.monitor.state(), wait: this.wait, cooldown: this.cooldown, scale: this.scale };
  }
  load(s: unknown): void {
    const x = s as { best?: number; wait: number; cooldown: number; scale: number };
    this.monitor.load(x);
    Object.assign(this, { wait: x.wait, cooldown: x.cooldown, scale: x.scale });
  }
}

export const reduceLrOnPlateau: CallbackDef<ReduceLrOptions> = {
  type: 'reduce_lr_on_plateau',
  description: 'multiply the learning rate by factor when a monitored metric plateaus',
  options: {
    ...monitorOptions(),
    factor: num({ exclusiveMin: 0, max: 1, default: 0.1, doc: 'multiplier applied on a plateau (< 1)' }),
    patience: int({ min: 1, default: 10, doc: 'epochs without improvement before reducing' }),
    cooldown: int({ min: 0, default: 0, doc: 'epochs to wait after a reduction before counting again' }),
    minLr: num({ min: 0, default: 0, doc: 'the rate is never reduced below this' }),
  },
  create: (o, ctx) => new ReduceLrOnPlateau(o, ctx.index),
};
