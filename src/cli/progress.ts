/**
 * Progress output of `gymnosd train`: the `progress_bar` display on stderr without its epoch
 * summaries (the console log prints those lines), with the console log routed through it so a log
 * line never lands inside the bar. On a TTY: a bar redrawn in place, spinners for long set-up
 * phases; otherwise plain lines only (see `ProgressBar`).
 */
import { ProgressBar, type ProgressOut } from '../callbacks/progress-bar.js';
import type { TrainerOptions } from '../trainer/trainer.js';

export function progressPrinter(
  out: ProgressOut = process.stderr,
): Required<Pick<TrainerOptions, 'onEvent' | 'consoleOut'>> {
  const bar = new ProgressBar({ refreshMs: 100, width: 24 }, 0, { out, summaries: false });
  return { onEvent: (e) => bar.onEvent(e), consoleOut: bar.logStream() };
}
