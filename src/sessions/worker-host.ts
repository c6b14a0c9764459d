/**
 * SessionWorker: a worker_thread that owns sessions, so `session.run` (which blocks the thread
 * calling it) never runs on the caller's event loop. Feeds go to the worker copied or transferred;
 * outputs come back transferred (no copy). Errors keep their message and code, with the worker's
 * error as `cause`; a worker that crashes or exits rejects every pending call instead of hanging.
 *
 * The worker file is found next to this one: worker-main.js when compiled (dist/), worker-main.ts
 * under tsx (see `workerEntry`).
 */
import { Worker } from 'node:worker_threads';
import { resolveWorkerEntry } from '../util/worker-entry.js';
import type { Tensor } from '../onnx/tensor.js';
import { SessionError, fromWire } from './errors.js';
import type { BackendSession, BackendVersions, ProviderReport, ResolvedSessionConfig, RunOptions } from './types.js';
import { packTensors, type CreateResult, type Request, type Response, type WorkerInit } from './worker-protocol.js';

export interface SessionWorkerOptions {
  /** Backend the worker builds from the registry (default 'ort'). */
  backend?: string;
  /** Options for that backend; must be structured-cloneable (no functions). */
  backendOptions?: unknown;
  /** Move feed buffers to the worker instead of copying them (default false). */
  transferFeeds?: boolean;
}

/**
 * How to start the worker: worker-main.js next to this file when compiled; under tsx, a small
 * bootstrap that registers tsx's loader in the worker and imports worker-main.ts (a `--import tsx`
 * inherited through execArgv does not apply to a worker's entry module on Node 20).
 */
export function workerEntry(): { source: URL | string; eval: boolean } {
  try {
    return resolveWorkerEntry(import.meta.url, 'worker-main');
  } catch (e) {
    throw new SessionError('ERR_BACKEND_UNAVAILABLE', `session worker: ${(e as Error).message}`, { cause: e });
  }
}

type Result = Extract<Response, { ok: true }>['result'];
interface Pending {
  resolve(r: Result): void;
  reject(e: Error): void;
  site: { stack?: string };
}

type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** A worker thread hosting sessions of one backend. */
export class SessionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: SessionError | undefined;
  private terminating = false;
  private readonly transferFeeds: boolean;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private exited: Promise<void>;
  readonly backend: string;

  constructor(options: SessionWorkerOptions = {}) {
    this.backend = options.backend ?? 'ort';
    this.transferFeeds = options.transferFeeds ?? false;
    const entry = workerEntry();
    this.worker = new Worker(entry.source, {
      eval: entry.eval,
      workerData: {
        backend: this.backend,
        backendOptions: options.backendOptions,
        control: this.control,
      } satisfies WorkerInit,
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.unref();
    this.worker.on('message', (msg: Response) => this.settle(msg));
    this.worker.on('error', (e: Error) => {
      this.fail(new SessionError('ERR_WORKER_CRASHED', `session worker crashed: ${e.message}`, { cause: e }));
    });
    this.worker.on('messageerror', (e: Error) => {
      this.fail(
        new SessionError('ERR_WORKER_CRASHED', `session worker sent a message that could not be read: ${e.message}`, {
          cause: e,
        }),
      );
    });
    this.worker.on('exit', (code: number) => {
      if (this.terminating) this.fail(new SessionError('ERR_WORKER_TERMINATED', 'the session worker was terminated'));
      else this.fail(new SessionError('ERR_WORKER_EXITED', `session worker exited unexpectedly with code ${code}`));
    });
  }

  /** The worker's thread id. */
  get threadId(): number {
    return this.worker.threadId;
  }

  /** True once the worker crashed, exited or was terminated. */
  get closed(): boolean {
    return this.dead !== undefined;
  }

  /** Loads a model in the worker under `id`. */
  async createSession(id: string, model: Uint8Array, config: ResolvedSessionConfig): Promise<CreateResult> {
    return (await this.call({ op: 'create', session: id, model, config })) as CreateResult;
  }

  /** Loads a model and returns a BackendSession whose runs happen in the worker. */
  async open(id: string, model: Uint8Array, config: ResolvedSessionConfig): Promise<BackendSession> {
    const names = await this.createSession(id, model, config);
    return new WorkerSession(this, id, names);
  }

  /** Runs session `id`; outputs arrive as host tensors that own their (transferred) buffers. */
  async run(
    id: string,
    feeds: Record<string, Tensor>,
    outputs?: string[],
    options: RunOptions = {},
  ): Promise<Record<string, Tensor>> {
    const { packed, transferList } = packTensors(feeds, options.transferFeeds ?? this.transferFeeds);
    return (await this.call(
      { op: 'run', session: id, feeds: packed, outputs },
      transferList,
      options.signal,
    )) as Record<string, Tensor>;
  }

  /** Releases session `id` (no error if it does not exist). */
  async release(id: string): Promise<void> {
    await this.call({ op: 'release', session: id });
  }

  /** The backend's provider probe, run in the worker. */
  async available(): Promise<ProviderReport[]> {
    return (await this.call({ op: 'available' })) as ProviderReport[];
  }

  /** The backend's versions, as loaded in the worker. */
  async versions(): Promise<BackendVersions> {
    return (await this.call({ op: 'versions' })) as BackendVersions;
  }

  /**
   * Stops the worker: pending calls reject at once with ERR_WORKER_TERMINATED, queued requests are
   * skipped, and the promise settles when the thread has exited, which waits for a run already
   * inside ONNX Runtime to finish (killing the thread mid-run aborts the whole process).
   */
  async terminate(): Promise<void> {
    if (!this.dead) {
      this.terminating = true;
      Atomics.store(this.control, 0, 1);
      this.fail(new SessionError('ERR_WORKER_TERMINATED', 'the session worker was terminated'));
      this.worker.ref(); // keep the process alive until the worker is gone
      this.worker.postMessage({ id: 0, op: 'close' } satisfies Request);
    }
    await this.exited;
  }

  /** Test hook: makes the worker exit (`process.exit`) or throw an uncaught error. */
  crashForTesting(how: 'exit' | 'throw'): void {
    this.worker.postMessage({ id: 0, op: 'crash', how } satisfies Request);
  }

  private call(body: RequestBody, transferList: ArrayBuffer[] = [], signal?: AbortSignal): Promise<Result> {
    if (this.dead) return Promise.reject(new SessionError(this.dead.code, this.dead.message, { cause: this.dead }));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const id = this.nextId++;
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, this.call); // frames from the public method up to the caller
    return new Promise<Result>((resolve, reject) => {
      const onAbort = () => {
        if (this.pending.delete(id)) {
          this.idleCheck();
          reject(abortError(signal!));
        }
      };
      this.pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        site,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.pending.size === 1) this.worker.ref();
      try {
        this.worker.postMessage({ ...body, id } as Request, transferList);
      } catch (e) {
        this.pending.delete(id);
        this.idleCheck();
        signal?.removeEventListener('abort', onAbort);
        reject(
          new SessionError(
            body.op === 'create' ? 'ERR_SESSION_CREATE' : 'ERR_SESSION_RUN',
            `cannot send the ${body.op} request to the session worker: ${(e as Error).message}`,
            { cause: e },
          ),
        );
      }
    });
  }

  private settle(msg: Response): void {
    const p = this.pending.get(msg.id);
    if (!p) return; // aborted by the caller; its result is dropped
    this.pending.delete(msg.id);
    this.idleCheck();
    if (msg.ok) p.resolve(msg.result);
    else p.reject(withCallerStack(fromWire(msg.error), p.site));
  }

  private fail(e: SessionError): void {
    this.dead ??= e;
    const all = [...this.pending.values()];
    this.pending.clear();
    this.worker.unref();
    for (const p of all)
      p.reject(withCallerStack(new SessionError(e.code, e.message, { cause: e.cause ?? e }), p.site));
  }

  /** Lets the process exit while no call is pending. */
  private idleCheck(): void {
    if (this.pending.size === 0) this.worker.unref();
  }
}

/** Gives an error raised from a worker message the stack of the call that caused it. */
function withCallerStack(e: SessionError, site: { stack?: string }): SessionError {
  const frames = site.stack?.split('\n').slice(1).join('\n');
  if (frames) e.stack = `${e.name}: ${e.message}\n${frames}`;
  return e;
}

function abortError(signal: AbortSignal): SessionError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the operation was aborted';
  return new SessionError(
    'ERR_ABORTED',
    `session run aborted: ${reason} (the worker finishes the run and drops its result)`,
    { cause: signal.reason },
  );
}

/** A BackendSession whose runs happen in a SessionWorker. */
export class WorkerSession implements BackendSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  constructor(
    private readonly worker: SessionWorker,
    readonly id: string,
    names: CreateResult,
  ) {
    this.inputNames = names.inputNames;
    this.outputNames = names.outputNames;
  }

  run(feeds: Record<string, Tensor>, outputs?: string[], options?: RunOptions): Promise<Record<string, Tensor>> {
    return this.worker.run(this.id, feeds, outputs, options);
  }

  release(): Promise<void> {
    return this.worker.closed ? Promise.resolve() : this.worker.release(this.id);
  }
}
