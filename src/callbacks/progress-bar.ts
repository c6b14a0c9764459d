/**
 * Training progress for a console (the `progress_bar` callback, and what `gymnosd train` shows).
 *
 * On a TTY: one line redrawn in place, at most every `refreshMs`, as batches finish:
 * `epoch 2/8 [=====>      ] 23/45 0:03<0:05 312 samples/s loss 0.1234` (elapsed<ETA of the
 * epoch, cut to the terminal's width), and a compact line when each epoch ends (see `epochLine`).
 * A set-up phase (dataset ingest, graph build, session creation) that runs past a second gets a
 * spinner with its elapsed time, then a line saying how long it took.
 *
 * Not a TTY (a pipe, a CI log): plain lines only, never a carriage return or an escape code: a
 * line for a set-up phase past a second (and one when it ends), and a progress line at most every
 * 10 seconds inside a long epoch.
 *
 * Speed and ETA: samples/s is the epoch's training samples over the time since its start; the ETA
 * is the epoch's elapsed time per batch times the batches left.
 */
import { int } from '../config/schema.js';
import { describeEvent, epochLine, PHASE_LABEL, type SetupPhase, type TrainerEvent } from '../trainer/events.js';
import type { Callback } from '../trainer/events.js';
import type { CallbackDef } from './callback.js';

export interface ProgressBarOptions {
  refreshMs: number;
  width: number;
}

/** Where the display writes: process.stderr, or a fake with `isTTY` and `columns` in tests. */
export type ProgressOut = { isTTY?: boolean; columns?: number; write(s: string): unknown };

/** Calls `f` every `ms` until the returned function is called (a timer that does not keep Node alive). */
export type Ticker = (ms: number, f: () => void) => () => void;

const realTicker: Ticker = (ms, f) => {
  const t = setInterval(f, ms);
  t.unref();
  return () => clearInterval(t);
};

/** Set-up phases shorter than this stay silent. */
const PHASE_QUIET_MS = 1000;
/** Least time between two plain progress lines inside an epoch (not a TTY). */
const PLAIN_EVERY_MS = 10_000;
const SPINNER = ['-', '\\', '|', '/'];

/** `[====>     ]`: `frac` of `width` characters. */
export function bar(frac: number, width: number): string {
  const done = Math.max(0, Math.min(width, Math.floor(frac * width)));
  return `[${'='.repeat(done)}${done < width ? '>' : ''}${' '.repeat(Math.max(0, width - done - 1))}]`;
}

/** Seconds as h:mm:ss or m:ss. */
export function clock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600),
    m = Math.floor((t % 3600) / 60),
    sec = t % 60;
  return h
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Samples per second: 1 decimal under 100, whole numbers above. */
export function rate(samples: number, seconds: number): string {
  if (!(seconds > 0)) return '-';
  const r = samples / seconds;
  return r < 100 ? r.toFixed(1) : String(Math.round(r));
}

/** Speed and ETA of an epoch `elapsed` seconds in, `done` of its batches trained since then, `left` to go. */
export function epochEta(elapsed: number, done: number, left: number): number {
  return done > 0 ? (elapsed / done) * left : Infinity;
}

export interface ProgressBarDeps {
  out?: ProgressOut;
  /** Milliseconds (injected in tests). */
  now?: () => number;
  ticker?: Ticker;
  /** Print the compact line at each epoch's end and the test line (default true; the CLI's log prints its own). */
  summaries?: boolean;
}

export class ProgressBar implements Callback {
  readonly name: string;
  private readonly out: ProgressOut;
  private readonly now: () => number;
  private readonly ticker: Ticker;
  private readonly summaries: boolean;
  private epochs = 0;
  private ep?: { t0: number; from: number; samples: number; lastDraw: number; lastPlain: number };
  private phase?: { phase: SetupPhase; t0: number; shown: boolean; frame: number; stop: () => void };
  /** The transient line on a TTY (redrawn after log lines), '' when none. */
  private line = '';

  constructor(
    readonly o: ProgressBarOptions,
    index = 0,
    deps: ProgressBarDeps = {},
  ) {
    this.name = `progress_bar#${index}`;
    this.out = deps.out ?? process.stderr;
    this.now = deps.now ?? (() => Date.now());
    this.ticker = deps.ticker ?? realTicker;
    this.summaries = deps.summaries ?? true;
  }

  private get tty(): boolean {
    return !!this.out.isTTY;
  }

  onEvent(e: TrainerEvent): void {
    switch (e.type) {
      case 'setupPhase':
        if (!e.done) this.phaseStart(e.phase);
        else this.phaseEnd(e.seconds);
        return;
      case 'fitStart':
        this.epochs = e.epochs;
        return;
      case 'epochStart':
        this.ep = { t0: this.now(), from: e.batch, samples: 0, lastDraw: -Infinity, lastPlain: this.now() };
        return;
      case 'batchEnd':
        this.batch(e);
        return;
      case 'epochEnd':
        this.clear();
        if (this.summaries && this.tty) this.out.write(`${epochLine(e)}\n`);
        return;
      case 'testEnd':
        if (this.summaries && this.tty) this.out.write(`${describeEvent(e)}\n`);
        return;
      case 'stop':
      case 'error':
        this.phaseEnd(undefined, false);
        this.clear();
        return;
      case 'validationEnd':
      case 'checkpointSaved':
      case 'fitEnd':
        return;
    }
  }

  /** A stream for log lines that clears the transient line first and redraws it after (gymnosd's console log). */
  logStream(): { write(s: string): unknown } {
    return {
      write: (s: string) => {
        if (!this.line) return this.out.write(s);
        const line = this.line;
        this.clear();
        this.out.write(s);
        this.draw(line);
        return true;
      },
    };
  }

  private batch(e: Extract<TrainerEvent, { type: 'batchEnd' }>): void {
    const ep = (this.ep ??= { t0: this.now(), from: 0, samples: 0, lastDraw: -Infinity, lastPlain: this.now() });
    ep.samples += e.samples;
    const now = this.now();
    const elapsed = (now - ep.t0) / 1000;
    const eta = epochEta(elapsed, e.batch - ep.from, e.batches - e.batch);
    const text = (w: number) =>
      `epoch ${e.epoch}/${this.epochs || '?'} ${w ? `${bar(e.batch / Math.max(1, e.batches), w)} ` : ''}${e.batch}/${e.batches} ${clock(elapsed)}<${clock(eta)} ${rate(ep.samples, elapsed)} samples/s loss ${e.loss.toFixed(4)}`;
    if (this.tty) {
      if (now - ep.lastDraw < this.o.refreshMs && e.batch < e.batches) return;
      ep.lastDraw = now;
      this.draw(text(this.o.width));
    } else if (now - ep.lastPlain >= PLAIN_EVERY_MS && e.batch < e.batches) {
      ep.lastPlain = now;
      this.out.write(`${text(0)}\n`);
    }
  }

  private phaseStart(phase: SetupPhase): void {
    this.phaseEnd();
    const p = { phase, t0: this.now(), shown: false, frame: 0, stop: () => undefined as void };
    this.phase = p;
    p.stop = this.ticker(this.tty ? Math.max(50, this.o.refreshMs) : 250, () => {
      const ms = this.now() - p.t0;
      if (ms < PHASE_QUIET_MS) return;
      if (this.tty)
        this.draw(`${SPINNER[p.frame++ % SPINNER.length]} ${PHASE_LABEL[phase]} ${(ms / 1000).toFixed(1)}s`);
      else if (!p.shown) this.out.write(`${PHASE_LABEL[phase]}...\n`);
      p.shown = true;
    });
  }

  /** Ends the running phase; one line with its time when it was shown and it finished (`ok`). */
  private phaseEnd(seconds?: number, ok = true): void {
    const p = this.phase;
    if (!p) return;
    p.stop();
    this.phase = undefined;
    this.clear();
    if (p.shown && ok)
      this.out.write(`${PHASE_LABEL[p.phase]}: done in ${(seconds ?? (this.now() - p.t0) / 1000).toFixed(1)} s\n`);
  }

  private draw(text: string): void {
    const cols = this.out.columns;
    const fit = cols && cols > 1 && text.length >= cols ? text.slice(0, cols - 1) : text;
    this.out.write(`\r\x1b[2K${fit}`);
    this.line = fit;
  }

  private clear(): void {
    if (this.line) this.out.write('\r\x1b[2K');
    this.line = '';
  }
}

export const progressBar: CallbackDef<ProgressBarOptions> = {
  type: 'progress_bar',
  description:
    'a console bar for the epoch (samples/s, elapsed, ETA, loss) and a compact line per epoch on a TTY; plain lines otherwise',
  options: {
    refreshMs: int({ min: 0, default: 100, doc: 'least time between redraws' }),
    width: int({ min: 5, default: 24, doc: 'characters per bar' }),
  },
  create: (o, ctx) => new ProgressBar(o, ctx.index),
};
