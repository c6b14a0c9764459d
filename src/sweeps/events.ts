/**
 * A sweep's progress as one discriminated union (like TrainerEvent): the library's event iterator,
 * the CLI's output and the sweep's events.jsonl consume it.
 */
import type { Params } from './space.js';

export type TrialStatus = 'completed' | 'pruned' | 'failed' | 'stopped';

/** What one trial came to (also its trial.json, beside its run). */
export interface TrialOutcome {
  id: string;
  index: number;
  params: Params;
  status: TrialStatus;
  /** The sweep metric at the trial's last epoch (NaN when it reported none). */
  value?: number;
  epochs: number;
  /** Wall time over every attempt. */
  seconds: number;
  runDir: string;
  /** Each time the trial continued from a checkpoint: where, and on which worker. */
  resumes: Array<{ step: number; checkpoint: string; worker: string }>;
  error?: string;
  /** Why early termination stopped it. */
  pruned?: { epoch: number; reason: string };
  worker: string;
}

export type SweepEvent =
  | { type: 'sweepStart'; sweepId: string; dir: string; trials: number; workers: number }
  | {
      type: 'trialStart';
      sweepId: string;
      trial: string;
      params: Params;
      runDir: string;
      worker: string;
      resumedAt?: { step: number; checkpoint: string };
    }
  | { type: 'trialEpoch'; sweepId: string; trial: string; epoch: number; value?: number }
  | { type: 'trialPruned'; sweepId: string; trial: string; epoch: number; value: number; reason: string }
  | { type: 'trialEnd'; sweepId: string; trial: string; outcome: TrialOutcome }
  | {
      type: 'sweepEnd';
      sweepId: string;
      dir: string;
      best?: TrialOutcome;
      counts: Record<TrialStatus, number>;
      reportPath?: string;
    };

/** One line for a terminal or a log. */
export function describeSweepEvent(e: SweepEvent): string {
  const shown = (p: Params) =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : JSON.stringify(v)}`)
      .join(' ');
  switch (e.type) {
    case 'sweepStart':
      return `sweep ${e.sweepId}: ${e.trials} trial(s), ${e.workers} worker(s), in ${e.dir}`;
    case 'trialStart':
      return `trial ${e.trial} starts on ${e.worker}${e.resumedAt ? ` (resumed at step ${e.resumedAt.step})` : ''}: ${shown(e.params)}`;
    case 'trialEpoch':
      return `trial ${e.trial} epoch ${e.epoch}: ${e.value}`;
    case 'trialPruned':
      return `trial ${e.trial} pruned after epoch ${e.epoch}: ${e.reason}`;
    case 'trialEnd':
      return `trial ${e.trial} ${e.outcome.status}${e.outcome.value !== undefined ? `: ${e.outcome.value}` : ''}${e.outcome.error ? `: ${e.outcome.error}` : ''} (${e.outcome.seconds.toFixed(1)} s)`;
    case 'sweepEnd':
      return `sweep ${e.sweepId} ended: ${Object.entries(e.counts)
        .filter(([, n]) => n)
        .map(([k, n]) => `${n} ${k}`)
        .join(
          ', ',
        )}${e.best ? `; best ${e.best.id} (${e.best.value}): ${shown(e.best.params)} in ${e.best.runDir}` : ''}`;
  }
}
