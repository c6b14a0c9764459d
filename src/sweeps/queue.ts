/**
 * Distributed sweeps on a Redis-backed job queue (BullMQ): one job per trial on the queue
 * `gymnos-trials`, so any `gymnosd worker` anywhere picks trials of any sweep. What makes the faults
 * survivable:
 *
 * - a worker killed mid-trial stops renewing its job lock; BullMQ's stalled-job check moves the
 *   job back to the wait list and another worker takes it; `runTrial` finds the trial's run
 *   directory (shared storage) with a checkpoint and resumes it there;
 * - jobs live in Redis: with AOF persistence (`appendonly yes`) a restarted Redis still has them;
 * - a user error (bad config, missing data) is an UnrecoverableError: the job fails at once with
 *   the message; internal errors are retried up to the sweep's `attempts`;
 * - `stopSweep` marks the sweep stopped, removes its waiting jobs and publishes a stop message on
 *   which workers abort their running trials of that sweep (`AbortSignal` into `train()`).
 *
 * Sweep records: `gymnos:sweep:<id>` (a hash: manifest, dir, status), the ASHA rungs
 * `gymnos:sweep:<id>:rung:<epoch>` (trial -> value) and the channel `gymnos:sweep-stop`.
 */
import { hostname } from 'node:os';
import { Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { RungStore } from './asha.js';
import { isUserFailure, readOutcome, recordFailure, runTrial, WORKER_SHUTDOWN } from './trial.js';
import { trialDir } from './sweep-dir.js';
import type { SweepManifest, TrialJob } from './sweep-dir.js';
import type { SweepEvent, TrialOutcome } from './events.js';
import type { SystemConfig } from '../config/system.js';
import type { Callback } from '../trainer/events.js';
import { UserError } from '../util/errors.js';

export const QUEUE = 'gymnos-trials';
const STOP_CHANNEL = 'gymnos:sweep-stop';
const sweepKey = (id: string) => `gymnos:sweep:${id}`;
const jobId = (sweepId: string, trial: string) => `${sweepId}.${trial}`;

/** A Redis client for our own keys; fails with the remedy when Redis cannot be reached. */
export async function connect(url: string): Promise<Redis> {
  const r = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (n) => Math.min(n * 200, 2000),
  });
  try {
    await r.connect();
  } catch (e) {
    r.disconnect();
    throw new UserError(
      `cannot reach Redis at ${url} (${(e as Error).message}); start one (Debian: apt-get install redis-server) and pass its URL with --redis redis://host:port`,
      { cause: e },
    );
  }
  return r;
}

const connection = (url: string) => ({ url, maxRetriesPerRequest: null });

/** ASHA rung values in a Redis hash per rung, shared by every worker of the sweep. */
export class RedisRungStore implements RungStore {
  constructor(
    private readonly redis: Redis,
    private readonly sweepId: string,
  ) {}
  async record(rung: number, trial: string, value: number): Promise<number[]> {
    const key = `${sweepKey(this.sweepId)}:rung:${rung}`;
    const [, vals] = (await this.redis.multi().hset(key, trial, String(value)).hvals(key).exec()) as [
      [null, number],
      [null, string[]],
    ];
    return vals[1].map(Number);
  }
}

/** Records a sweep in Redis and enqueues one job per trial. */
export async function enqueueSweep(url: string, manifest: SweepManifest, dir: string, jobs: TrialJob[]): Promise<void> {
  const redis = await connect(url);
  const queue = new Queue<TrialJob>(QUEUE, { connection: connection(url) });
  try {
    await redis.hset(sweepKey(manifest.id), {
      manifest: JSON.stringify(manifest),
      dir,
      status: 'running',
      createdAt: manifest.createdAt,
    });
    await redis.sadd('gymnos:sweeps', manifest.id);
    await queue.addBulk(
      jobs.map((j) => ({
        name: `${manifest.name}/${j.trial.id}`,
        data: j,
        opts: {
          jobId: jobId(manifest.id, j.trial.id),
          attempts: manifest.attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** A sweep's record in Redis; fails naming the known sweeps when the id is unknown. */
export async function sweepRecord(
  redis: Redis,
  id: string,
): Promise<{ manifest: SweepManifest; dir: string; status: string }> {
  const h = await redis.hgetall(sweepKey(id));
  if (!h.manifest) {
    const known = await redis.smembers('gymnos:sweeps');
    throw new UserError(
      `no sweep '${id}' in this Redis; known sweeps: ${known.length ? known.sort().join(', ') : '(none)'}`,
    );
  }
  return { manifest: JSON.parse(h.manifest) as SweepManifest, dir: h.dir, status: h.status };
}

export interface TrialState {
  id: string;
  state: string;
  attempts: number;
  outcome?: TrialOutcome;
  error?: string;
}

/** Where each trial of a sweep stands (queue state, attempts, outcome). */
export async function sweepStatus(
  url: string,
  id: string,
): Promise<{ manifest: SweepManifest; dir: string; status: string; trials: TrialState[] }> {
  const redis = await connect(url);
  const queue = new Queue<TrialJob>(QUEUE, { connection: connection(url) });
  try {
    const rec = await sweepRecord(redis, id);
    const trials: TrialState[] = [];
    for (const t of rec.manifest.trials) {
      const job = (await queue.getJob(jobId(id, t.id))) as Job<TrialJob, TrialOutcome> | undefined;
      if (!job) {
        trials.push({ id: t.id, state: 'removed', attempts: 0 });
        continue;
      }
      const state = await job.getState();
      trials.push({
        id: t.id,
        state,
        attempts: job.attemptsMade,
        outcome: state === 'completed' ? job.returnvalue : undefined,
        error: job.failedReason || undefined,
      });
    }
    return { ...rec, status: sweepState(rec.status, trials), trials };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/**
 * A sweep's state for `status`: the record says 'running' from `start` until `stop`; once every
 * trial has reached an end (completed, failed or removed) the sweep is 'finished'.
 */
export function sweepState(recorded: string, trials: readonly Pick<TrialState, 'state'>[]): string {
  const ended = (s: string) => s === 'completed' || s === 'failed' || s === 'removed';
  return recorded === 'running' && trials.length > 0 && trials.every((t) => ended(t.state)) ? 'finished' : recorded;
}

/** Stops a sweep: no new trials start, and workers abort its running ones after their current step. */
export async function stopSweep(url: string, id: string): Promise<{ removed: number }> {
  const redis = await connect(url);
  const queue = new Queue<TrialJob>(QUEUE, { connection: connection(url) });
  try {
    const rec = await sweepRecord(redis, id);
    await redis.hset(sweepKey(id), 'status', 'stopped');
    let removed = 0;
    for (const t of rec.manifest.trials) {
      const job = await queue.getJob(jobId(id, t.id));
      if (job && ['waiting', 'delayed', 'prioritized', 'waiting-children'].includes(await job.getState())) {
        await job.remove();
        removed++;
      }
    }
    await redis.publish(STOP_CHANNEL, id);
    return { removed };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

export interface QueueWorkerOptions {
  concurrency: number;
  system?: SystemConfig;
  backend?: string;
  signal?: AbortSignal;
  onEvent?: (e: SweepEvent) => void;
  /** Job lock time (ms): a dead worker's trial is taken over after about this long. */
  lockDuration?: number;
  /** Extra callbacks per trial (tests). */
  callbacks?: () => Callback[];
}

/** Runs trials from the queue until `signal` aborts; resolves after the worker closed. */
export async function runQueueWorker(url: string, o: QueueWorkerOptions): Promise<void> {
  const redis = await connect(url);
  const sub = await connect(url);
  const running = new Map<string, Set<AbortController>>();
  await sub.subscribe(STOP_CHANNEL);
  sub.on('message', (_ch, id: string) => {
    for (const c of running.get(id) ?? []) c.abort('sweep-stop');
  });
  const name = `${hostname()}:${process.pid}`;
  const lockDuration = o.lockDuration ?? 30_000;
  const worker = new Worker<TrialJob, TrialOutcome>(
    QUEUE,
    async (job) => {
      const j = job.data;
      if ((await redis.hget(sweepKey(j.sweepId), 'status')) === 'stopped')
        throw new UnrecoverableError('the sweep was stopped before this trial started');
      const ctl = new AbortController();
      const set = running.get(j.sweepId) ?? new Set();
      running.set(j.sweepId, set.add(ctl));
      const stopAll = () => ctl.abort(WORKER_SHUTDOWN);
      o.signal?.addEventListener('abort', stopAll);
      try {
        return await runTrial(j, {
          store: new RedisRungStore(redis, j.sweepId),
          worker: name,
          signal: ctl.signal,
          system: o.system,
          backend: o.backend,
          onEvent: o.onEvent,
          callbacks: o.callbacks?.(),
        });
      } catch (e) {
        const msg = (e as Error).message;
        if (isUserFailure(e)) throw new UnrecoverableError(msg);
        if ((e as { code?: string }).code === 'ERR_REQUEUE') throw e; // back to the queue (one attempt used)
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1))
          recordFailure(j, name, `failed ${job.attemptsMade + 1} time(s); last: ${msg}`, o.onEvent);
        throw e;
      } finally {
        set.delete(ctl);
        o.signal?.removeEventListener('abort', stopAll);
      }
    },
    {
      connection: connection(url),
      concurrency: o.concurrency,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on('error', (e) => process.stderr.write(`gymnosd worker: ${e.message}\n`));
  await new Promise<void>((res) => {
    if (o.signal?.aborted) res();
    o.signal?.addEventListener('abort', () => res(), { once: true });
  });
  await worker.close();
  await sub.quit().catch(() => undefined);
  redis.disconnect();
}

/**
 * The library's `sweep(..., { redis })`: enqueues the trials, runs `workers` queue workers here
 * (0: only remote ones), and follows the jobs until every trial ended; aborting stops the sweep.
 */
export async function runOnQueue(
  url: string,
  manifest: SweepManifest,
  jobs: TrialJob[],
  o: {
    workers: number;
    signal?: AbortSignal;
    system?: SystemConfig;
    backend?: string;
    onEvent: (e: SweepEvent) => void;
  },
): Promise<TrialOutcome[]> {
  await enqueueSweep(url, manifest, jobs[0]?.sweepDir ?? '', jobs);
  const stopWorkers = new AbortController();
  const local =
    o.workers > 0
      ? runQueueWorker(url, {
          concurrency: o.workers,
          system: o.system,
          backend: o.backend,
          signal: stopWorkers.signal,
          onEvent: o.onEvent,
        })
      : Promise.resolve();
  let stopped = false;
  const onAbort = () => {
    stopped = true;
    void stopSweep(url, manifest.id);
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const s = await sweepStatus(url, manifest.id);
      const open = s.trials.filter((t) => !['completed', 'failed', 'removed'].includes(t.state));
      if (!open.length || (stopped && !s.trials.some((t) => t.state === 'active'))) {
        return s.trials.flatMap((t) =>
          t.outcome ? [t.outcome] : t.state === 'failed' ? [failedOutcome(jobs, t)] : [],
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    stopWorkers.abort();
    await local;
  }
}

/** A failed job's outcome: its trial.json when this process sees the shared directory, else from the job. */
function failedOutcome(jobs: TrialJob[], t: TrialState): TrialOutcome {
  const j = jobs.find((x) => x.trial.id === t.id)!;
  const dir = trialDir(j.sweepDir, t.id);
  return (
    readOutcome(dir) ?? {
      id: t.id,
      index: j.trial.index,
      params: j.trial.params,
      status: 'failed',
      epochs: 0,
      seconds: 0,
      runDir: dir,
      resumes: [],
      worker: '',
      error: t.error ?? 'failed',
    }
  );
}
