/**
 * `progress_bar`: on a TTY, an overall bar (epochs, ETA) and a step bar for the current epoch
 * (loss, rate, ETA) redrawn in place, at most every `refreshMs`; an epoch summary line when each
 * epoch ends. Quiet when the stream is not a TTY (logs and pipes get the log file's lines instead).
 */
import { int } from '../config/schema.js';
import type { Callback, Metrics, TrainerEvent } from '../trainer/events.js';
import type { CallbackDef } from './callback.js';

export interface ProgressBarOptions { refreshMs: number; width: number }

type Out = { isTTY?: boolean; write(s: string): unknown };

const bar = (frac: number, width: number) => {
  const done = Math.max(0, Math.min(width, Math.round(frac * width)));
  return `[${'='.repeat(done)}${done < width ? '>' : ''}${' '.repeat(Math.max(0, width - done - 1))}]`;
};

/** Seconds as h:mm:ss or m:ss. */
export function clock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

const fmt = (m: Metrics | undefined, prefix = '') => Object.entries(m ?? {}).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${prefix}${k} ${(v as number).toFixed(4)}`).join(' ');

export class ProgressBar implements Callback {
  readonly name: string;
  private total = 0;
  private epochs = 0;
  private startStep = 0;
  private t0 = 0;
  private last = 0;
  private open = false;

  constructor(readonly o: ProgressBarOptions, index = 0, private readonly out: Out = process.stderr, private readonly now = () => Date.now()) {
    this.name = `progress_bar#${index}`;
  }

  onEvent(e: TrainerEvent): void {
    if (!this.out.isTTY) return;
    switch (e.type) {
      case 'fitStart':
        this.total = e.totalSteps; this.epochs = e.epochs; this.startStep = e.resumed?.step ?? 0; this.t0 = this.now();
        return;
      case 'batchEnd': {
        const now = this.now();
        if (now - this.last < this.o.refreshMs && e.batch < e.batches) return;
        this.last = now;
        const rate = (e.step - this.startStep) / Math.max(1e-3, (now - this.t0) / 1000);
        const eta = (this.total - e.step) / rate;
        const w = this.o.width;
        this.out.write(`${this.open ? '\x1b[1A' : ''}\r\x1b[2Ktotal ${bar(e.step / Math.max(1, this.total), w)} epoch ${e.epoch + 1}/${this.epochs} ETA ${clock(eta)}\n`
          + `\r\x1b[2K      ${bar(e.batch / Math.max(1, e.batches), w)} ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)} lr ${e.lr.toPrecision(3)} ${rate.toFixed(1)} step/s`);
        this.open = true;
        return;
      }
      case 'epochEnd':
        this.clear();
        this.out.write(`epoch ${e.epoch + 1}/${this.epochs} ${fmt(e.train)}${e.validation ? ` ${fmt(e.validation, 'val_')}` : ''} (${e.seconds.toFixed(1)} s)\n`);
        return;
      case 'stop': case 'error':
        this.clear();
        return;
      case 'epochStart': case 'validationEnd': case 'checkpointSaved': case 'testEnd': case 'fitEnd':
        return;
    }
  }

  private clear(): void {
    if (this.open) this.out.write('\r\x1b[2K\x1b[1A\r\x1b[2K');
    this.open = false;
  }
}

export const progressBar: CallbackDef<ProgressBarOptions> = {
  name: 'progress_bar',
  doc: 'console bars for the run and the epoch with ETA, loss and metrics (TTY only; quiet otherwise)',
  options: {
    refreshMs: int({ min: 0, default: 100, doc: 'least time between redraws' }),
    width: int({ min: 5, default: 24, doc: 'characters per bar' }),
  },
  create: (o, ctx) => new ProgressBar(o, ctx.index),
};
