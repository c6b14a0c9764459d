/**
 * Public types of the session layer, in one file (as onnxruntime's `js/common` keeps its API):
 * the `session` block of an experiment, its resolved form, and the backend interface that ONNX
 * Runtime and the null backend implement.
 */
import type { Tensor } from '../onnx/tensor.js';

/** Execution providers Gymnos can ask ONNX Runtime for. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

/** ONNX Runtime's graph optimization levels. */
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

/** ONNX Runtime's executor: one node at a time, or independent nodes on the inter-op pool. */
export type ExecutionMode = 'sequential' | 'parallel';

/** The `session` block of an experiment config, as a user writes it. */
export interface SessionConfig {
  /** 'cpu' | 'cuda' | 'cuda:N' | 'webgpu' | 'auto' (cuda when it loads, else cpu). Default 'cpu'. */
  device?: string;
  /** Threads one operator may use. Default: the physical CPU cores, 1 to 8 (measured; see `defaultIntraOpThreads`). */
  intraOpThreads?: number;
  /** Threads running independent operators when `executionMode` is 'parallel'. Default 1. */
  interOpThreads?: number;
  /** Default 'all'; it does little for training graphs whose weights are inputs. */
  graphOptimization?: GraphOptimization;
  /** Default 'sequential'. */
  executionMode?: ExecutionMode;
  /** Writes ONNX Runtime's JSON profile (profileFilePrefix + timestamp). Default false. */
  enableProfiling?: boolean;
  /** Prefix of the profile file when profiling. Default 'gymnos-ort-profile'. */
  profileFilePrefix?: string;
  /**
   * ONNX Runtime's memory pattern planner: on the first run it records every intermediate tensor's
   * offset and from then on allocates one block for them all. Default false: measured on training
   * graphs (bench/memory.ts) it adds the whole block's size to the peak (ResNet-20 batch 64: 728 ->
   * 463 MB with it off) for no measurable speed-up.
   */
  memoryPattern?: boolean;
  /**
   * ONNX Runtime's CPU arena allocator (keeps freed blocks for reuse instead of returning them).
   * Default true: measured with bench/memory.ts, turning it off (malloc per tensor) raised the
   * training peak (ResNet-20 batch 64 with memoryPattern off: 444 -> 723 MB).
   */
  cpuMemArena?: boolean;
  /** Let intra-op threads spin while waiting for work. Default false (measured faster under load). */
  allowSpinning?: boolean;
}

/** A device request after parsing: a concrete provider, or 'auto' still to be probed. */
export type DeviceRequest = { kind: 'auto' } | { kind: 'device'; provider: ExecutionProvider; deviceId: number };

/** A validated `SessionConfig` with every default filled; the device may still be 'auto'. */
export interface ValidatedSessionConfig {
  device: DeviceRequest;
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimization: GraphOptimization;
  executionMode: ExecutionMode;
  enableProfiling: boolean;
  profileFilePrefix: string;
  memoryPattern: boolean;
  allowSpinning: boolean;
  /**
   * Optional only so hand-built configs stay valid; `validateSessionConfig` always sets it. Absent = true (ORT's
   * default).
   */
  cpuMemArena?: boolean;
}

/** What a backend receives: every setting concrete, the device resolved to one provider. */
export interface ResolvedSessionConfig extends Omit<ValidatedSessionConfig, 'device'> {
  provider: ExecutionProvider;
  /** Device ordinal for cuda (0 for the others). */
  deviceId: number;
}

/** Whether a provider loads here, and why not. */
export interface ProviderReport {
  provider: ExecutionProvider;
  available: boolean;
  /** Why it is unavailable, with the remedy. */
  reason?: string;
  /** What the provider's native code printed while probing (WebGPU: Dawn's and the Vulkan driver's warnings). */
  log?: string;
}

/** Options of one `run` call. */
export interface RunOptions {
  /**
   * Worker sessions only: move the feeds' ArrayBuffers to the worker instead of copying them. The
   * caller's arrays are detached afterwards (length 0). A list moves only the feeds it names (the
   * rest are copied). Default: the worker's `transferFeeds`.
   */
  transferFeeds?: boolean | readonly string[];
  /** Stop waiting for the run: the call rejects with an AbortError. */
  signal?: AbortSignal;
}

/** One loaded model, ready to run. */
export interface BackendSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Runs the model; returns `outputs` (default: all outputs) as host tensors. */
  run(feeds: Record<string, Tensor>, outputs?: string[], options?: RunOptions): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Versions a backend reports for platform.json. */
export type BackendVersions = Record<string, string>;

/** Something that loads ONNX models and runs them. */
export interface SessionBackend {
  readonly name: string;
  create(model: Uint8Array, config: ResolvedSessionConfig): Promise<BackendSession>;
  /** Probes which execution providers load on this machine. */
  available(): Promise<ProviderReport[]>;
  versions(): Promise<BackendVersions>;
}

/**
 * What each backend module exports; the registry is built from these ("register by
 * construction"). `options` must be structured-cloneable for the backend to run in a worker.
 */
export interface BackendEntry {
  readonly name: string;
  /** Higher wins when no backend is named. */
  readonly priority: number;
  /** One line for help texts. */
  readonly description: string;
  create(options?: unknown): SessionBackend;
}
