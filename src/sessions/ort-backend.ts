/**
 * The onnxruntime-node backend. ONNX Runtime is imported lazily (the first session or probe), so
 * importing this module costs nothing and a missing install fails with a remedy. Host tensors and
 * `ort.Tensor`s share their typed arrays both ways: no copies on this side of the binding.
 */
import type * as Ort from 'onnxruntime-node';
import { emptyGraph } from '../onnx/ir.js';
import { encodeModel } from '../onnx/io.js';
import { tensor, type DType, type Tensor } from '../onnx/tensor.js';
import { SessionError, asSessionError } from './errors.js';
import { outOfMemoryError } from './oom.js';
import { disabledOptimizers } from './model-options.js';
import { lowerForCpu, nchwcBlockSize } from './nchwc.js';
import { lowerForWebgpu } from './webgpu-lowering.js';
import { probeWebgpuIsolated } from './adapters.js';
import {
  cudaUnavailableMessage,
  deviceLabel,
  diagnoseCuda,
  loadableLibraries,
  webgpuUnavailableMessage,
} from './providers.js';
import type {
  BackendEntry,
  BackendSession,
  BackendVersions,
  ExecutionProvider,
  ProviderReport,
  ResolvedSessionConfig,
  RunOptions,
  SessionBackend,
} from './types.js';

type OrtModule = typeof Ort;
let ortPromise: Promise<OrtModule> | undefined;

/** Imports onnxruntime-node once; rejects with ERR_BACKEND_UNAVAILABLE and a remedy. */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule,
    (e: unknown) => {
      ortPromise = undefined;
      throw new SessionError(
        'ERR_BACKEND_UNAVAILABLE',
        `onnxruntime-node cannot be loaded (${e instanceof Error ? e.message : String(e)}); install it with \`npm install onnxruntime-node\``,
        { cause: e },
      );
    },
  );
  return ortPromise;
}

/** Maps a resolved session config to ONNX Runtime's SessionOptions. */
export function toSessionOptions(c: ResolvedSessionConfig): Ort.InferenceSession.SessionOptions {
  const ep: Ort.InferenceSession.ExecutionProviderConfig =
    c.provider === 'cuda' ? { name: 'cuda', deviceId: c.deviceId } : c.provider;
  return {
    executionProviders: [ep],
    intraOpNumThreads: c.intraOpThreads,
    interOpNumThreads: c.interOpThreads,
    graphOptimizationLevel: c.graphOptimization,
    executionMode: c.executionMode,
    enableProfiling: c.enableProfiling,
    profileFilePrefix: c.profileFilePrefix,
    enableMemPattern: c.memoryPattern,
    enableCpuMemArena: c.cpuMemArena ?? true,
    extra: {
      session: {
        intra_op: { allow_spinning: c.allowSpinning ? '1' : '0' },
        inter_op: { allow_spinning: c.allowSpinning ? '1' : '0' },
      },
    },
    // WebGPU: ORT warns on every session that some nodes run on the CPU; the placement report
    // (placement.ts) says which. GYMNOS_NATIVE_LOGS=1 shows ORT's warnings again.
    ...(c.provider === 'webgpu' && process.env.GYMNOS_NATIVE_LOGS !== '1' ? { logSeverityLevel: 3 as const } : {}),
  };
}

/** Host tensor -> ort.Tensor sharing the same typed array. */
export function toOrtTensor(ort: OrtModule, name: string, t: Tensor): Ort.Tensor {
  if (t.dtype === 'bfloat16')
    throw new SessionError(
      'ERR_SESSION_RUN',
      `feed '${name}': onnxruntime-node has no bfloat16 tensors; cast to float32 or float16`,
    );
  try {
    return new ort.Tensor(t.dtype, t.data as Ort.Tensor.DataType, t.dims);
  } catch (e) {
    throw asSessionError(e, 'ERR_SESSION_RUN', `feed '${name}' (${t.dtype} [${t.dims.join(', ')}]): `);
  }
}

const HOST_DTYPES = new Set<string>([
  'float32',
  'float64',
  'float16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
]);

/** ort.Tensor -> host tensor sharing the same typed array. */
export function fromOrtTensor(name: string, t: Ort.Tensor): Tensor {
  if (!HOST_DTYPES.has(t.type))
    throw new SessionError(
      'ERR_SESSION_RUN',
      `output '${name}' has element type ${t.type}, which Gymnos does not handle`,
    );
  let data = t.data as Tensor['data'] | Float16ArrayLike;
  if (!(data instanceof Uint16Array) && t.type === 'float16')
    data = new Uint16Array(
      (data as Float16ArrayLike).buffer,
      (data as Float16ArrayLike).byteOffset,
      (data as Float16ArrayLike).length,
    );
  return { dtype: t.type as DType, dims: [...t.dims], data: data as Tensor['data'] };
}
type Float16ArrayLike = { buffer: ArrayBuffer; byteOffset: number; length: number };

class OrtSession implements BackendSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private released = false;
  constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
  ) {
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
  }

  async run(feeds: Record<string, Tensor>, outputs?: string[], options?: RunOptions): Promise<Record<string, Tensor>> {
    if (this.released) throw new SessionError('ERR_SESSION_NOT_FOUND', 'this session was released');
    options?.signal?.throwIfAborted();
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrtTensor(this.ort, k, v);
    let result: Ort.InferenceSession.ReturnType;
    try {
      result = outputs ? await this.session.run(ortFeeds, outputs) : await this.session.run(ortFeeds);
    } catch (e) {
      throw outOfMemoryError(e, 'an ONNX Runtime run') ?? asSessionError(e, 'ERR_SESSION_RUN');
    }
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(result)) out[k] = fromOrtTensor(k, v);
    return out;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

/** A two-input MatMul+Add model for probing providers. */
export function probeModel(): Uint8Array {
  const g = emptyGraph('gymnos_probe');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [1, 2] });
  g.initializers.set('w', tensor('float32', [2, 2], [1, 2, 3, 4]));
  g.initializers.set('b', tensor('float32', [2], [0.5, -0.5]));
  g.nodes.push({ name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['xw'], attrs: {} });
  g.nodes.push({ name: 'add', opType: 'Add', domain: '', inputs: ['xw', 'b'], outputs: ['y'], attrs: {} });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [1, 2] });
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'gymnos',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  });
}

/**
 * The model bytes and SessionOptions a Gymnos session of `config` hands ONNX Runtime: the CPU
 * NCHWc lowering, WebGPU's workaround lowering, the optimizers the model asks to disable, and
 * `toSessionOptions`. Exported so a benchmark's raw `InferenceSession` runs exactly what the
 * backend runs (bench/peers/gymnos.ts): a raw loop with other options is no floor.
 */
export async function prepareOrtSession(
  ort: { InferenceSession: typeof Ort.InferenceSession },
  model: Uint8Array,
  config: ResolvedSessionConfig,
): Promise<{ model: Uint8Array; options: Ort.InferenceSession.SessionOptions }> {
  // read from the model as Gymnos wrote it (recompute graphs keep their copies: model-options.ts)
  const disable = disabledOptimizers(model);
  // CPU: training graphs' Convs onto the NCHWc kernels ORT gives only constant-weight Convs (nchwc.ts)
  if (config.provider === 'cpu' && config.graphOptimization === 'all')
    model = lowerForCpu(model, await nchwcBlockSize(ort));
  // WebGPU: around ONNX Runtime 1.30's wrong results for some Conv channel counts (webgpu-lowering.ts)
  if (config.provider === 'webgpu') model = lowerForWebgpu(model);
  const options = toSessionOptions(config);
  if (disable.length)
    options.extra = { ...options.extra, optimization: { disable_specified_optimizers: disable.join(',') } };
  return { model, options };
}

/** Sessions on onnxruntime-node's InferenceSession. */
export class OrtBackend implements SessionBackend {
  readonly name = 'ort';

  async create(model: Uint8Array, config: ResolvedSessionConfig): Promise<BackendSession> {
    const ort = await loadOrt();
    const device = deviceLabel(config.provider, config.deviceId);
    if (config.provider === 'cuda') {
      // Checked first: without the provider files ORT fails with a bare "Failed to load shared library".
      const d = diagnoseCuda();
      if (d.missingProviderFiles.length)
        throw new SessionError('ERR_PROVIDER_UNAVAILABLE', cudaUnavailableMessage(device, d));
    }
    try {
      const prepared = await prepareOrtSession(ort, model, config);
      const session = await ort.InferenceSession.create(prepared.model, prepared.options);
      return new OrtSession(ort, session);
    } catch (e) {
      throw (
        providerError(config.provider, device, e) ??
        outOfMemoryError(e, 'creating an ONNX Runtime session') ??
        asSessionError(e, 'ERR_SESSION_CREATE', 'ONNX Runtime rejected the model: ')
      );
    }
  }

  async available(): Promise<ProviderReport[]> {
    const ort = await loadOrt();
    const bundled = new Map<string, boolean>();
    for (const b of (
      ort as unknown as { listSupportedBackends?: () => Array<{ name: string; bundled: boolean }> }
    ).listSupportedBackends?.() ?? [])
      bundled.set(b.name, b.bundled);
    const model = probeModel();
    const reports: ProviderReport[] = [];
    for (const provider of ['cpu', 'cuda', 'webgpu'] as ExecutionProvider[]) {
      if (bundled.size && !bundled.has(provider)) {
        reports.push({
          provider,
          available: false,
          reason: `this build of onnxruntime-node (${process.platform}/${process.arch}) has no ${provider} provider`,
        });
        continue;
      }
      if (provider === 'webgpu' && !loadableLibraries().has('libvulkan.so.1')) {
        // Dawn would only print "Couldn't load Vulkan" and find no adapter; skip the noise.
        reports.push({ provider, available: false, reason: webgpuUnavailableMessage() });
        continue;
      }
      reports.push(provider === 'webgpu' ? await probeWebgpu(model) : await probe(this, model, provider));
    }
    return reports;
  }

  async versions(): Promise<BackendVersions> {
    const ort = await loadOrt();
    const v = ort.env.versions as Record<string, string | undefined>;
    const out: BackendVersions = { backend: 'onnxruntime-node' };
    for (const [k, val] of Object.entries(v)) if (val) out[`onnxruntime-${k}`] = val;
    return out;
  }
}

async function probe(backend: OrtBackend, model: Uint8Array, provider: ExecutionProvider): Promise<ProviderReport> {
  const config: ResolvedSessionConfig = {
    provider,
    deviceId: 0,
    intraOpThreads: 1,
    interOpThreads: 1,
    graphOptimization: 'all',
    executionMode: 'sequential',
    enableProfiling: false,
    profileFilePrefix: 'gymnos-probe',
    memoryPattern: true,
    allowSpinning: false,
  };
  let s: BackendSession | undefined;
  try {
    s = await backend.create(model, config);
    const y = await s.run({ x: tensor('float32', [1, 2], [1, 1]) });
    const got = Array.from(y.y.data as Float32Array);
    if (got[0] !== 4.5 || got[1] !== 5.5)
      return { provider, available: false, reason: `probe model gave [${got}] instead of [4.5, 5.5]` };
    return { provider, available: true };
  } catch (e) {
    return { provider, available: false, reason: e instanceof Error ? e.message : String(e) };
  } finally {
    await s?.release();
  }
}

/** The WebGPU probe in a child process: Dawn's stderr stays out of this one (returned as `log`). */
async function probeWebgpu(model: Uint8Array): Promise<ProviderReport> {
  const r = await probeWebgpuIsolated(model);
  const log = r.log ? { log: r.log } : {};
  if (!r.ok) return { provider: 'webgpu', available: false, reason: webgpuUnavailableMessage(r.error), ...log };
  if (r.output?.[0] !== 4.5 || r.output?.[1] !== 5.5)
    return {
      provider: 'webgpu',
      available: false,
      reason: `probe model gave [${r.output}] instead of [4.5, 5.5]`,
      ...log,
    };
  return { provider: 'webgpu', available: true, ...log };
}

/** Turns a session-creation failure caused by the provider into ERR_PROVIDER_UNAVAILABLE. */
function providerError(provider: ExecutionProvider, device: string, e: unknown): SessionError | undefined {
  const msg = e instanceof Error ? e.message : String(e);
  if (provider === 'cuda' && /cuda|shared library|providers_shared|cudart|cudnn|cublas|no CUDA-capable/i.test(msg)) {
    return new SessionError('ERR_PROVIDER_UNAVAILABLE', cudaUnavailableMessage(device, diagnoseCuda(), msg), {
      cause: e,
    });
  }
  if (provider === 'webgpu' && /webgpu|adapter|dawn|vulkan/i.test(msg)) {
    return new SessionError('ERR_PROVIDER_UNAVAILABLE', webgpuUnavailableMessage(msg), { cause: e });
  }
  return undefined;
}

/** Registry entry. */
export const ortBackend: BackendEntry = {
  name: 'ort',
  priority: 100,
  description: 'onnxruntime-node InferenceSession (cpu, cuda, webgpu)',
  create: () => new OrtBackend(),
};
