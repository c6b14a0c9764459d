/**
 * The library API: `sweep(config, { signal, redis, workers })` starts a sweep and returns at once
 * with a handle: an async iterator of SweepEvents and a promise of the result. Without `redis` the
 * trials run in this process (`workers` at a time). With `redis` they are enqueued on that Redis
 * (BullMQ) for `gymnosd worker` processes anywhere; `workers` > 0 also runs that many queue
 * workers here, and the handle follows the sweep until every trial ended. Aborting the signal
 * stops the sweep (running trials stop after their current step).
 */
import { resolve } from 'node:path';
import { parseSystem, type SystemConfig } from '../experiment/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { loadSweepFile, parseSweep, type Sweep } from './sweep-file.js';
import { appendEvent, bestTrial, countStatuses, createSweepDir, readSweepDir, trialJobs } from './sweep-dir.js';
import { runLocal } from './local.js';
import { renderSweepReport } from './report.js';
import type { SweepEvent, TrialOutcome, TrialStatus } from './events.js';

export interface SweepOptions {
  signal?: AbortSignal;
  /** A Redis URL (redis://host:port): enqueue the trials there for queue workers. */
  redis?: string;
  /** Trials at once in this process (default: the sweep file's `workers`; with `redis`: 0). */
  workers?: number;
  system?: SystemConfig;
  /** Directory holding sweeps (default: the sweep file's `output`, else <runsDir>/sweeps). */
  output?: string;
  /** Session backend for the trials ('null' in orchestration tests). */
  backend?: string;
  onEvent?: (e: SweepEvent) => void;
}

export interface SweepResult {
  id: string;
  dir: string;
  /** Every trial that ended, by index. */
  outcomes: TrialOutcome[];
  best?: TrialOutcome;
  counts: Record<TrialStatus, number>;
  reportPath: string;
}

export interface SweepHandle extends AsyncIterable<SweepEvent> {
  events(): AsyncIterableIterator<SweepEvent>;
  readonly result: Promise<SweepResult>;
  readonly id: string;
  readonly dir: string;
}

/** Writes the sweep's report.html from its directory; returns its path. */
export function writeSweepReport(dir: string, out = resolve(dir, 'report.html')): string {
  writeFileAtomic(out, renderSweepReport(readSweepDir(dir)));
  return out;
}

/** Starts a sweep: `config` is a sweep file path, a raw sweep object, or a parsed Sweep. */
export function sweep(config: string | Record<string, unknown> | Sweep, options: SweepOptions = {}): SweepHandle {
  const s: Sweep =
    typeof config === 'string'
      ? loadSweepFile(config)
      : 'trials' in config && 'file' in config
        ? (config as Sweep)
        : parseSweep(config, 'sweep');
  const system = options.system ?? parseSystem({}, 'defaults', process.cwd());
  const { id, dir, manifest } = createSweepDir(s, system.runsDir, options.output);
  const jobs = trialJobs(s, id, dir, manifest);
  const buffer: SweepEvent[] = [];
  const waiters: Array<() => void> = [];
  let done = false;
  const wake = () => {
    while (waiters.length) waiters.shift()!();
  };
  const onEvent = (e: SweepEvent) => {
    buffer.push(e);
    options.onEvent?.(e);
    wake();
  };
  const say = (e: SweepEvent) => {
    appendEvent(dir, e);
    onEvent(e);
  };
  const workers = options.workers ?? (options.redis ? 0 : s.file.workers);
  const run = async (): Promise<SweepResult> => {
    say({ type: 'sweepStart', sweepId: id, dir, trials: jobs.length, workers });
    let outcomes: TrialOutcome[];
    if (options.redis) {
      const q = await import('./queue.js');
      outcomes = await q.runOnQueue(options.redis, manifest, jobs, {
        workers,
        signal: options.signal,
        system,
        backend: options.backend,
        onEvent,
      });
    } else {
      outcomes = await runLocal(jobs, {
        workers,
        attempts: s.file.attempts,
        signal: options.signal,
        system,
        backend: options.backend,
        onEvent,
      });
    }
    const best = bestTrial(outcomes, s.mode);
    const reportPath = writeSweepReport(dir);
    const counts = countStatuses(outcomes);
    say({ type: 'sweepEnd', sweepId: id, dir, best, counts, reportPath });
    return { id, dir, outcomes, best, counts, reportPath };
  };
  const result = run().finally(() => {
    done = true;
    wake();
  });
  result.catch(() => undefined);
  async function* iterate(): AsyncIterableIterator<SweepEvent> {
    for (;;) {
      while (buffer.length) yield buffer.shift()!;
      if (done) return;
      await new Promise<void>((r) => waiters.push(r));
    }
  }
  return { events: iterate, [Symbol.asyncIterator]: iterate, result, id, dir };
}
