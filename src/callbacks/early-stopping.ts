/**
 * `early_stopping`: stop when the monitored metric has not improved for `patience` epochs. With
 * `restoreBestWeights` (the default) the run ends with the best epoch's weights however it ends:
 * patience, the last epoch, another callback's stop, or an abort (the Trainer restores the copy
 * this callback keeps; see `Decision.snapshot`).
 */
import { bool, int } from '../config/schema.js';
import type { Callback, CallbackContext, Decision, TrainerEvent } from '../trainer/events.js';
import { baselineOption, Monitor, monitorOptions, type MonitorOptions } from './monitor.js';
import { callbackPath, type CallbackDef } from './callback.js';

export interface EarlyStoppingOptions extends MonitorOptions {
  patience: number;
  startFromEpoch: number;
  restoreBestWeights: boolean;
}

export class EarlyStopping implements Callback {
  readonly name: string;
  private readonly monitor: Monitor;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Best value seen regardless of baseline and minDelta (whose weights are kept). */
  private bestSeen?: number;
  bestEpoch?: number;

  constructor(
    readonly o: EarlyStoppingOptions,
    index = 0,
  ) {
    this.name = `early_stopping#${index}`;
    this.monitor = new Monitor(o, callbackPath(index));
  }

  setup(ctx: CallbackContext): void {
    this.monitor.check(ctx.metrics);
  }

  onEpochEnd(e: Extract<TrainerEvent, { type: 'epochEnd' }>): Decision | void {
    if (e.epoch <= this.o.startFromEpoch) return;
    const v = this.monitor.value(e);
    if (v === undefined) return;
    const d: Decision = {};
    if (
      this.o.restoreBestWeights &&
      !Number.isNaN(v) &&
      (this.bestSeen === undefined || (this.monitor.mode === 'min' ? v < this.bestSeen : v > this.bestSeen))
    ) {
      this.bestSeen = v;
      this.bestEpoch = e.epoch;
      d.snapshot = { tag: this.name, restoreAtEnd: true };
    }
    if (this.monitor.update(v)) this.wait = 0;
    else if (++this.wait >= this.o.patience) {
      const best = this.monitor.best ?? this.o.baseline;
      d.stop = {
        reason: `${this.o.monitor} did not improve for ${this.wait} epoch(s) (best ${best === undefined ? 'none' : Number(best.toPrecision(6))}${this.bestEpoch !== undefined ? ` at epoch ${this.bestEpoch}` : ''})`,
      };
    }
    return d;
  }

  state() {
    return { ...this.monitor.state(), wait: this.wait, bestSeen: this.bestSeen, bestEpoch: this.bestEpoch };
  }
  load(s: unknown): void {
    const x = s as { best?: number; wait: number; bestSeen?: number; bestEpoch?: number };
    this.monitor.load(x);
    this.wait = x.wait;
    this.bestSeen = x.bestSeen ?? undefined;
    this.bestEpoch = x.bestEpoch ?? undefined;
  }
}

export const earlyStopping: CallbackDef<EarlyStoppingOptions> = {
  type: 'early_stopping',
  description: 'stop when a monitored metric stops improving; end with the best weights',
  options: {
    ...monitorOptions(),
    ...baselineOption,
    patience: int({ min: 1, default: 3, doc: 'epochs without improvement before stopping' }),
    startFromEpoch: int({
      min: 0,
      default: 0,
      doc: 'epochs to train before monitoring starts (warm-up): 2 monitors from epoch 3 on',
    }),
    restoreBestWeights: bool({
      default: true,
      doc: "end the run (test metrics, model.onnx) with the best epoch's weights, however it ends",
    }),
  },
  create: (o, ctx) => new EarlyStopping(o, ctx.index),
};
