/**
 * The in-process runner: N local workers take the trials in order, each trial a `train()` run in
 * its own session worker thread; rung values for ASHA stay in memory. Internal failures are retried
 * up to the sweep's attempts (a retry resumes from the trial's last checkpoint); user errors fail
 * the trial at once. Aborting the signal stops the running trials after their current step (each
 * leaves a resumable run) and starts no new ones.
 */
import { hostname } from 'node:os';
import { MemoryRungStore, type RungStore } from './asha.js';
import { isUserFailure, readOutcome, recordFailure, runTrial } from './trial.js';
import { trialDir, type TrialJob } from './sweep-dir.js';
import type { SweepEvent, TrialOutcome } from './events.js';
import type { SystemConfig } from '../config/system.js';

export interface LocalRunOptions {
  workers: number;
  attempts: number;
  signal?: AbortSignal;
  system?: SystemConfig;
  backend?: string;
  store?: RungStore;
  onEvent: (e: SweepEvent) => void;
}

/** Runs `jobs` with `workers` concurrent trials; resolves with the outcome of every trial that ran. */
export async function runLocal(jobs: TrialJob[], o: LocalRunOptions): Promise<TrialOutcome[]> {
  const store = o.store ?? new MemoryRungStore();
  const outcomes: TrialOutcome[] = [];
  let next = 0;
  const loop = async (w: number) => {
    const worker = `${hostname()}:${process.pid}/local-${w}`;
    while (!o.signal?.aborted && next < jobs.length) {
      const job = jobs[next++];
      for (let attempt = 1; ; attempt++) {
        try {
          outcomes.push(
            await runTrial(job, {
              store,
              worker,
              signal: o.signal,
              system: o.system,
              backend: o.backend,
              onEvent: o.onEvent,
            }),
          );
          break;
        } catch (e) {
          if (isUserFailure(e)) {
            outcomes.push(
              readOutcome(trialDir(job.sweepDir, job.trial.id)) ??
                recordFailure(job, worker, (e as Error).message, o.onEvent),
            );
            break;
          }
          if (attempt >= o.attempts || o.signal?.aborted) {
            outcomes.push(
              recordFailure(job, worker, `failed ${attempt} time(s); last: ${(e as Error).message}`, o.onEvent),
            );
            break;
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.workers, jobs.length)) }, (_, w) => loop(w)));
  return outcomes.sort((a, b) => a.index - b.index);
}
