/**
 * A progress line for long ingests: on a TTY one line redrawn in place (at most 10 times a
 * second); elsewhere (CI logs, pipes) a plain line at every 10%.
 */
import type { Progress } from './types.js';

/** A progress reporter; `update` is an `onProgress` callback. */
export interface ProgressLine {
  update(p: Progress): void;
  /** Finishes the line (prints the final state once). */
  done(): void;
}

interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Formats one progress state: `label  done/total  pct%  rate/s  eta`. */
export function formatProgress(label: string, p: Progress, seconds: number): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  const rate = seconds > 0 ? p.done / seconds : 0;
  const eta = rate > 0 && p.done < p.total ? ` eta ${Math.ceil((p.total - p.done) / rate)}s` : '';
  return `${label} ${p.done}/${p.total} ${pct}% ${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s${eta}`;
}

/** A progress line on `stream` (default stderr). */
export function progressLine(
  label: string,
  stream: Writable = process.stderr,
  now: () => number = () => performance.now(),
): ProgressLine {
  const t0 = now();
  const tty = !!stream.isTTY;
  let last = -Infinity;
  let lastDecile = -1;
  let state: Progress = { done: 0, total: 0 };
  let shown = false;
  const line = () => formatProgress(label, state, (now() - t0) / 1000);
  return {
    update(p) {
      state = p;
      if (tty) {
        const t = now();
        if (t - last < 100 && p.done < p.total) return;
        last = t;
        stream.write(`\r\x1b[2K${line()}`);
        shown = true;
      } else {
        const decile = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
        if (decile > lastDecile) {
          lastDecile = decile;
          stream.write(`${line()}\n`);
        }
      }
    },
    done() {
      if (tty && shown) stream.write(`\r\x1b[2K${line()}\n`);
    },
  };
}
