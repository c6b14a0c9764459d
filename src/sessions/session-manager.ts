/**
 * SessionManager: fits sessions to the execution environment. It validates the `session` config
 * (errors name the JSON path), picks the backend, resolves the device ('auto' probes cuda, then
 * cpu), creates named sessions (in a worker thread by default for ONNX Runtime, so training never
 * blocks the caller's event loop) and reports the platform for platform.json.
 */
import { cpus, totalmem, platform as osPlatform, arch, release as osRelease } from 'node:os';
import { validateSessionConfig } from './config.js';
import { SessionError } from './errors.js';
import { AUTO_ORDER, deviceLabel } from './providers.js';
import { backendEntry } from './registry.js';
import type {
  BackendSession,
  BackendVersions,
  ProviderReport,
  ResolvedSessionConfig,
  SessionBackend,
  ValidatedSessionConfig,
} from './types.js';
import { SessionWorker } from './worker-host.js';

export interface SessionManagerOptions {
  /** Registered backend name ('ort' default, 'null' for tests), or a backend instance (in-process only). */
  backend?: string | SessionBackend;
  /** Options for a named backend (structured-cloneable when `inWorker`). */
  backendOptions?: unknown;
  /** Run sessions in a worker thread. Default: true for 'ort', false otherwise. */
  inWorker?: boolean;
  /** Worker sessions: move feed buffers instead of copying them (default false). */
  transferFeeds?: boolean;
  /** Where the session block sits in the experiment JSON, for error messages (default 'session'). */
  configPath?: string;
}

/** What platform.json records about sessions and the machine. */
export interface PlatformReport {
  backend: string;
  versions: BackendVersions;
  device: string;
  provider: string;
  deviceId: number;
  inWorker: boolean;
  intraOpThreads: number;
  interOpThreads: number;
  executionMode: string;
  graphOptimization: string;
  cpu: { model: string; cores: number; speedMHz: number };
  memoryBytes: number;
  node: string;
  os: string;
}

export class SessionManager {
  readonly config: ValidatedSessionConfig;
  readonly backendName: string;
  readonly inWorker: boolean;
  private readonly local?: SessionBackend;
  private readonly options: SessionManagerOptions;
  private worker?: SessionWorker;
  private resolved?: Promise<ResolvedSessionConfig>;
  private readonly sessions = new Map<string, BackendSession>();

  /** Validates `config` (the experiment's `session` block); throws ERR_SESSION_CONFIG. */
  constructor(config: unknown, options: SessionManagerOptions = {}) {
    this.options = options;
    this.config = validateSessionConfig(config, options.configPath ?? 'session');
    if (typeof options.backend === 'object') {
      if (options.inWorker)
        throw new SessionError(
          'ERR_SESSION_CONFIG',
          'a backend instance cannot move into a worker thread; name a registered backend instead',
        );
      this.local = options.backend;
      this.backendName = options.backend.name;
      this.inWorker = false;
    } else {
      const entry = backendEntry(options.backend ?? 'ort');
      this.backendName = entry.name;
      this.inWorker = options.inWorker ?? entry.name === 'ort';
      if (!this.inWorker) this.local = entry.create(options.backendOptions);
      else checkCloneable(options.backendOptions);
    }
  }

  /** The config with the device resolved ('auto' probed once). Throws ERR_PROVIDER_UNAVAILABLE. */
  resolve(): Promise<ResolvedSessionConfig> {
    this.resolved ??= this.doResolve();
    return this.resolved;
  }

  /** Loads `model` as session `name` (in the worker when `inWorker`). */
  async createSession(name: string, model: Uint8Array): Promise<BackendSession> {
    if (this.sessions.has(name))
      throw new SessionError('ERR_SESSION_EXISTS', `a session named '${name}' already exists; release it first`);
    const config = await this.resolve();
    const session = this.inWorker
      ? await this.getWorker().open(name, model, config)
      : await this.local!.create(model, config);
    const release = session.release.bind(session);
    const sessions = this.sessions;
    const tracked: BackendSession = {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: session.run.bind(session),
      async release() {
        sessions.delete(name);
        await release();
      },
    };
    this.sessions.set(name, tracked);
    return tracked;
  }

  /** The session called `name`. */
  session(name: string): BackendSession {
    const s = this.sessions.get(name);
    if (!s)
      throw new SessionError(
        'ERR_SESSION_NOT_FOUND',
        `no session named '${name}' (have: ${[...this.sessions.keys()].join(', ') || 'none'})`,
      );
    return s;
  }

  /** Which providers load here, probed where the sessions run. */
  async available(): Promise<ProviderReport[]> {
    return this.inWorker ? this.getWorker().available() : this.local!.available();
  }

  /** The platform report for platform.json. */
  async platform(): Promise<PlatformReport> {
    const c = await this.resolve();
    const versions = this.inWorker ? await this.getWorker().versions() : await this.local!.versions();
    const cpuList = cpus();
    return {
      backend: this.backendName,
      versions,
      device: deviceLabel(c.provider, c.deviceId),
      provider: c.provider,
      deviceId: c.deviceId,
      inWorker: this.inWorker,
      intraOpThreads: c.intraOpThreads,
      interOpThreads: c.interOpThreads,
      executionMode: c.executionMode,
      graphOptimization: c.graphOptimization,
      cpu: { model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length, speedMHz: cpuList[0]?.speed ?? 0 },
      memoryBytes: totalmem(),
      node: process.versions.node,
      os: `${osPlatform()}-${arch()} ${osRelease()}`,
    };
  }

  /** Releases every session and stops the worker. */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    await Promise.allSettled(all.map((s) => s.release()));
    this.sessions.clear();
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private getWorker(): SessionWorker {
    if (!this.worker || this.worker.closed) {
      this.worker = new SessionWorker({
        backend: this.backendName,
        backendOptions: this.options.backendOptions,
        transferFeeds: this.options.transferFeeds,
      });
    }
    return this.worker;
  }

  private async doResolve(): Promise<ResolvedSessionConfig> {
    const { device, ...rest } = this.config;
    if (device.kind === 'device') return { ...rest, provider: device.provider, deviceId: device.deviceId };
    const reports = await this.available();
    for (const provider of AUTO_ORDER) {
      if (reports.find((r) => r.provider === provider)?.available) return { ...rest, provider, deviceId: 0 };
    }
    const why = reports.map((r) => `${r.provider}: ${r.reason ?? 'unavailable'}`).join('; ');
    throw new SessionError(
      'ERR_PROVIDER_UNAVAILABLE',
      `session.device 'auto': no execution provider loads here (${why})`,
    );
  }
}

function checkCloneable(options: unknown): void {
  try {
    structuredClone(options);
  } catch (e) {
    throw new SessionError(
      'ERR_SESSION_CONFIG',
      `backendOptions cannot be sent to the session worker (${(e as Error).message}); functions stay on this thread: set inWorker: false`,
      { cause: e },
    );
  }
}
