/**
 * "Did the monitored value improve?", once for every callback that asks (Keras' lesson): the
 * monitored name, its direction, the minimum change that counts, and the best value so far.
 * Names are Keras-style: `loss`, `accuracy` (training) and `val_loss`, `val_accuracy` (validation).
 */
import { num, oneOf, opt, str } from '../config/schema.js';
import { ConfigError } from '../config/errors.js';
import type { TrainerEvent } from '../trainer/events.js';

export type Mode = 'min' | 'max';

/** Schema fields every monitoring callback shares. */
export const monitorOptions = (defaultMonitor = 'val_loss') => ({
  monitor: str({
    minLength: 1,
    default: defaultMonitor,
    doc: "metric to watch: 'loss', 'accuracy', ... (training) or 'val_loss', 'val_accuracy', ... (validation)",
  }),
  mode: oneOf(['auto', 'min', 'max'] as const, {
    default: 'auto',
    doc: "'min': lower is better; 'max': higher is better; 'auto': max for accuracy-like names, else min",
  }),
  minDelta: num({ min: 0, default: 0, doc: 'smallest change that counts as an improvement' }),
});

export const baselineOption = {
  baseline: opt(num({ doc: 'a value the metric must beat; epochs that do not count as no improvement' })),
};

export interface MonitorOptions {
  monitor: string;
  mode: 'auto' | Mode;
  minDelta: number;
  baseline?: number;
}

const MAX_NAMES = /acc|f1|precision|recall|r2|auc|top_?\d|iou/i;

/** The direction of `name` under `mode`. */
export function resolveMode(name: string, mode: 'auto' | Mode): Mode {
  return mode !== 'auto' ? mode : MAX_NAMES.test(name) ? 'max' : 'min';
}

export class Monitor {
  readonly mode: Mode;
  /** Best value seen (undefined before the first). */
  best?: number;

  constructor(
    readonly o: MonitorOptions,
    private readonly path: string,
  ) {
    this.mode = resolveMode(o.monitor, o.mode);
  }

  /** Fails before the first batch when the monitored name is not one the run produces. */
  check(available: string[]): void {
    if (available.includes(this.o.monitor)) return;
    const hint =
      this.o.monitor.startsWith('val_') && !available.some((n) => n.startsWith('val_'))
        ? ' (this run has no validation split: set dataset.split.validation or monitor a training metric)'
        : '';
    throw new ConfigError('experiment', [
      {
        path: `${this.path}.monitor`,
        message: `expected one of ${available.map((n) => `'${n}'`).join(', ')} for ${this.path}.monitor but got '${this.o.monitor}'${hint}`,
      },
    ]);
  }

  /** The monitored value of an epochEnd event (undefined when absent or not a number). */
  value(e: Extract<TrainerEvent, { type: 'epochEnd' }>): number | undefined {
    const val = this.o.monitor.startsWith('val_');
    const v = (val ? e.validation : e.train)?.[val ? this.o.monitor.slice(4) : this.o.monitor];
    return typeof v === 'number' ? v : undefined;
  }

  /** True when `a` beats `b` by more than minDelta (NaN never beats anything). */
  beats(a: number, b: number | undefined): boolean {
    if (Number.isNaN(a)) return false;
    if (b === undefined) return true;
    return this.mode === 'min' ? a < b - this.o.minDelta : a > b + this.o.minDelta;
  }

  /** Records `v`; true when it improves on the best so far (and on the baseline, when set). */
  update(v: number): boolean {
    const ref = this.best ?? this.o.baseline;
    const better = this.beats(v, ref);
    if (better) this.best = v;
    return better;
  }

  state(): { best?: number } {
    return { best: this.best };
  }
  load(s: { best?: number | null }): void {
    this.best = s.best ?? undefined;
  }
}
