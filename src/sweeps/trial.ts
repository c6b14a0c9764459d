/**
 * Runs one trial with the library's `train()`: a normal run directory at
 * <sweep>/trials/<trial>/, the experiment's trackers, and two callbacks of the sweep's own (the
 * metric check and ASHA). A trial whose directory holds a checkpoint (a worker died in it) is
 * resumed from there with the run directory's `--resume` machinery; one that already completed
 * is not run again. trial.json records the outcome beside the run.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { train } from '../experiment/index.js';
import { RunDir, type MetricsRecord, type RunState } from '../trainer/run-dir.js';
import type { Callback, TrainerEvent } from '../trainer/events.js';
import type { SystemConfig } from '../config/system.js';
import { ConfigError } from '../config/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { GymnosError, isUserError } from '../util/errors.js';
import { ashaCallback, type RungStore } from './asha.js';
import { appendEvent, trialDir, type TrialJob } from './sweep-dir.js';
import type { SweepEvent, TrialOutcome } from './events.js';

export interface TrialOptions {
  store: RungStore;
  worker: string;
  signal?: AbortSignal;
  system?: SystemConfig;
  /** Session backend ('null' in orchestration tests). */
  backend?: string;
  onEvent?: (e: SweepEvent) => void;
  /** Extra callbacks for the run (tests use one to hold a trial mid-way). */
  callbacks?: Callback[];
}

/**
 * The abort reason a worker gives its trials when it shuts down (SIGTERM): such a trial is not
 * over; `runTrial` throws (code ERR_REQUEUE) so the queue hands it to another worker, which
 * resumes it. Any other abort stops the trial for good ('stopped').
 */
export const WORKER_SHUTDOWN = 'gymnos-worker-shutdown';

/** A trial interrupted by its worker's shutdown: not a failure, the queue hands it to another worker. */
export class RequeueError extends GymnosError {
  readonly code = 'ERR_REQUEUE';
  constructor(message: string) {
    super(message);
    this.name = 'RequeueError';
  }
}

/** Whether a trial failed with an error the user must fix: it fails at once, no retry. */
export const isUserFailure = isUserError;

/** The sweep metric's value in a metrics row ('val_x' reads validation.x, others train.x). */
export function metricValue(r: MetricsRecord | undefined, metric: string): number | undefined {
  if (!r) return undefined;
  const v = metric.startsWith('val_') ? r.validation?.[metric.slice(4)] : r.train?.[metric];
  return typeof v === 'number' ? v : undefined;
}

/** The trial.json of a trial directory, when there is one. */
export function readOutcome(dir: string): TrialOutcome | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'trial.json'), 'utf8')) as TrialOutcome;
  } catch {
    return undefined;
  }
}

/** Runs (or resumes) one trial to its end; throws when training fails (the caller decides on retries). */
export async function runTrial(job: TrialJob, o: TrialOptions): Promise<TrialOutcome> {
  const dir = trialDir(job.sweepDir, job.trial.id);
  const prior = readOutcome(dir);
  if (prior && prior.status !== 'stopped' && prior.status !== 'failed') return prior; // delivered again after it ended
  const emit = (e: SweepEvent) => {
    appendEvent(job.sweepDir, e);
    o.onEvent?.(e);
  };
  const run = new RunDir(dir);
  const state = run.readJson<RunState>('state.json');
  const ck = existsSync(dir) ? run.latestCheckpoint().found : undefined;
  const resume = ck !== undefined && state?.status !== 'completed';
  if (!resume && existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // died before its first checkpoint: start over
  const resumes = [...(prior?.resumes ?? [])];
  if (resume)
    resumes.push({ step: Number(/step-(\d+)\.gck$/.exec(ck!.path)?.[1] ?? 0), checkpoint: ck!.path, worker: o.worker });
  emit({
    type: 'trialStart',
    sweepId: job.sweepId,
    trial: job.trial.id,
    params: job.trial.params,
    runDir: dir,
    worker: o.worker,
    resumedAt: resume ? { step: resumes[resumes.length - 1].step, checkpoint: ck!.path } : undefined,
  });

  const metricCheck: Callback = {
    name: 'sweep_metric',
    setup(ctx) {
      if (!ctx.metrics.includes(job.metric))
        throw new ConfigError('sweep', [
          {
            path: 'metric',
            message: `expected one of ${ctx.metrics.map((n) => `'${n}'`).join(', ')} for metric but got '${job.metric}' (the metrics this trial's run reports)`,
          },
        ]);
    },
    onEpochEnd(e: Extract<TrainerEvent, { type: 'epochEnd' }>) {
      const v = metricValue(
        { kind: 'epoch', epoch: e.epoch, step: e.step, train: e.train, validation: e.validation },
        job.metric,
      );
      emit({ type: 'trialEpoch', sweepId: job.sweepId, trial: job.trial.id, epoch: e.epoch, value: v });
    },
  };
  const asha = job.asha
    ? ashaCallback({
        ...job.asha,
        metric: job.metric,
        mode: job.mode,
        maxEpochs: job.config.training.epochs,
        trial: job.trial.id,
        store: o.store,
        onPruned: (p) =>
          emit({
            type: 'trialPruned',
            sweepId: job.sweepId,
            trial: job.trial.id,
            epoch: p.epoch,
            value: p.value,
            reason: p.reason,
          }),
      })
    : undefined;
  const t0 = performance.now();
  const base = {
    index: job.trial.index,
    id: job.trial.id,
    params: job.trial.params,
    runDir: dir,
    worker: o.worker,
    resumes,
  };
  const finish = (out: TrialOutcome) => {
    writeFileAtomic(join(dir, 'trial.json'), `${JSON.stringify(out, null, 2)}\n`);
    emit({ type: 'trialEnd', sweepId: job.sweepId, trial: job.trial.id, outcome: out });
    return out;
  };
  try {
    const handle = train(job.config, {
      output: resume ? undefined : dir,
      resume: resume ? dir : undefined,
      signal: o.signal,
      system: o.system,
      baseDir: job.baseDir,
      backend: o.backend,
      callbacks: [metricCheck, ...(asha ? [asha] : []), ...(o.callbacks ?? [])],
    });
    const r = await handle.result;
    const rows = run.readMetrics().filter((x) => x.kind === 'epoch');
    const value = metricValue(rows[rows.length - 1], job.metric) ?? Number.NaN;
    const seconds = (prior?.seconds ?? 0) + (performance.now() - t0) / 1000;
    if (r.status === 'aborted' && o.signal?.reason === WORKER_SHUTDOWN) {
      // not the trial's end: it resumes from the checkpoint the abort left, on another worker
      writeFileAtomic(
        join(dir, 'trial.json'),
        `${JSON.stringify({ ...base, status: 'stopped', value, epochs: rows.length, seconds, error: 'its worker shut down; the trial resumes from its checkpoint' }, null, 2)}\n`,
      );
      throw new RequeueError(
        `worker ${o.worker} shut down during trial ${job.trial.id}; it resumes from its checkpoint`,
      );
    }
    if (r.status === 'aborted')
      return finish({
        ...base,
        status: 'stopped',
        value,
        epochs: rows.length,
        seconds,
        error: 'the sweep was stopped',
      });
    return finish({
      ...base,
      status: asha?.pruned ? 'pruned' : 'completed',
      value,
      epochs: rows.length,
      seconds,
      pruned: asha?.pruned ? { epoch: asha.pruned.epoch, reason: asha.pruned.reason } : undefined,
    });
  } catch (e) {
    const seconds = (prior?.seconds ?? 0) + (performance.now() - t0) / 1000;
    if (isUserFailure(e))
      finish({
        ...base,
        status: 'failed',
        epochs: run.readMetrics().filter((x) => x.kind === 'epoch').length,
        seconds,
        error: (e as Error).message,
      });
    throw e;
  }
}

/** Records a trial that failed for good (its last attempt failed with an internal error). */
export function recordFailure(
  job: TrialJob,
  worker: string,
  error: string,
  onEvent?: (e: SweepEvent) => void,
): TrialOutcome {
  const dir = trialDir(job.sweepDir, job.trial.id);
  const prior = readOutcome(dir);
  const out: TrialOutcome = {
    id: job.trial.id,
    index: job.trial.index,
    params: job.trial.params,
    status: 'failed',
    epochs: new RunDir(dir).readMetrics().filter((x) => x.kind === 'epoch').length,
    seconds: prior?.seconds ?? 0,
    runDir: dir,
    resumes: prior?.resumes ?? [],
    worker,
    error,
  };
  writeFileAtomic(join(dir, 'trial.json'), `${JSON.stringify(out, null, 2)}\n`);
  const e: SweepEvent = { type: 'trialEnd', sweepId: job.sweepId, trial: job.trial.id, outcome: out };
  appendEvent(job.sweepDir, e);
  onEvent?.(e);
  return out;
}
