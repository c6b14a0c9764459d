/**
 * The null backend: no ONNX Runtime. It decodes the model only to learn its inputs and outputs,
 * checks feeds the way a real session would (names, element types, static dimensions), and
 * returns deterministic outputs: a constant fill, or a caller-supplied function per output. Trainer,
 * callback and tracker tests run on it in milliseconds.
 */
import type { Dim, Graph, ValueInfo } from '../onnx/ir.js';
import { decodeModel } from '../onnx/io.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { allocArray, sizeOf, type Tensor } from '../onnx/tensor.js';
import { SessionError, asSessionError } from './errors.js';
import type {
  BackendEntry,
  BackendSession,
  BackendVersions,
  ProviderReport,
  ResolvedSessionConfig,
  RunOptions,
  SessionBackend,
} from './types.js';

/** Context handed to an output function. */
export interface NullOutputContext {
  /** The output's declared (or inferred) info, dims resolved where the feeds allow. */
  info: ValueInfo;
  /** Number of earlier `run` calls of this session. */
  call: number;
}

/** Computes one output from the feeds. */
export type NullOutputFn = (feeds: Record<string, Tensor>, ctx: NullOutputContext) => Tensor;

export interface NullBackendOptions {
  /** Value of every element of outputs without a function (default 0; booleans: nonzero is true). */
  fill?: number;
  /** Per output name, a function computing it. Functions cannot cross into a worker thread. */
  outputs?: Record<string, NullOutputFn>;
}

class NullSession implements BackendSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private calls = 0;
  private released = false;
  private readonly inferred = new Map<string, Map<string, ValueInfo>>();

  constructor(
    private readonly graph: Graph,
    private readonly opset: number,
    private readonly options: NullBackendOptions,
  ) {
    const inits = graph.initializers;
    this.inputNames = graph.inputs.filter((v) => !inits.has(v.name)).map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
  }

  async run(feeds: Record<string, Tensor>, outputs?: string[], options?: RunOptions): Promise<Record<string, Tensor>> {
    if (this.released) throw new SessionError('ERR_SESSION_NOT_FOUND', 'this session was released');
    options?.signal?.throwIfAborted();
    const bound = this.checkFeeds(feeds);
    const wanted = outputs ?? this.outputNames;
    const out: Record<string, Tensor> = {};
    for (const name of wanted) {
      const decl = this.graph.outputs.find((v) => v.name === name);
      if (!decl)
        throw new SessionError(
          'ERR_SESSION_RUN',
          `output '${name}' is not an output of the model; its outputs are ${this.outputNames.join(', ')}`,
        );
      const fn = this.options.outputs?.[name];
      const info = {
        ...decl,
        shape: decl.shape?.map((d) => (typeof d === 'string' && bound.has(d) ? bound.get(d)! : d)),
      };
      if (fn) {
        try {
          out[name] = fn(feeds, { info, call: this.calls });
        } catch (e) {
          throw asSessionError(e, 'ERR_SESSION_RUN', `null backend output function for '${name}' failed: `);
        }
        continue;
      }
      out[name] = this.filled(name, this.concreteDims(info, feeds), info);
    }
    this.calls++;
    return out;
  }

  async release(): Promise<void> {
    this.released = true;
  }

  /** Validates feeds like a real session; returns the symbolic dims they bind. */
  private checkFeeds(feeds: Record<string, Tensor>): Map<string, number> {
    const bound = new Map<string, number>();
    const inputs = new Map(this.graph.inputs.map((v) => [v.name, v]));
    for (const name of Object.keys(feeds)) {
      if (!inputs.has(name))
        throw new SessionError(
          'ERR_SESSION_RUN',
          `feed '${name}' is not an input of the model; its inputs are ${this.inputNames.join(', ')}`,
        );
    }
    for (const name of this.inputNames)
      if (!(name in feeds))
        throw new SessionError(
          'ERR_SESSION_RUN',
          `missing feed '${name}'; the model's inputs are ${this.inputNames.join(', ')}`,
        );
    for (const [name, t] of Object.entries(feeds)) {
      const v = inputs.get(name)!;
      if (t.dtype !== v.dtype)
        throw new SessionError(
          'ERR_SESSION_RUN',
          `feed '${name}': expected element type ${v.dtype} but got ${t.dtype}`,
        );
      if (t.data.length !== sizeOf(t.dims))
        throw new SessionError(
          'ERR_SESSION_RUN',
          `feed '${name}': ${t.data.length} elements for dims [${t.dims.join(', ')}]`,
        );
      if (!v.shape) continue;
      const where = `feed '${name}': expected dims [${v.shape.map((d) => d ?? '?').join(', ')}] but got [${t.dims.join(', ')}]`;
      if (v.shape.length !== t.dims.length) throw new SessionError('ERR_SESSION_RUN', where);
      v.shape.forEach((d, i) => {
        if (typeof d === 'number' && d !== t.dims[i]) throw new SessionError('ERR_SESSION_RUN', where);
        if (typeof d === 'string') {
          const prev = bound.get(d);
          if (prev !== undefined && prev !== t.dims[i])
            throw new SessionError('ERR_SESSION_RUN', `${where} (dimension '${d}' is ${prev} elsewhere)`);
          bound.set(d, t.dims[i]);
        }
      });
    }
    return bound;
  }

  /** Dims of an output: from its declaration, else from shape inference on the feeds' shapes. */
  private concreteDims(info: ValueInfo, feeds: Record<string, Tensor>): number[] {
    const known = info.shape;
    if (known && known.every((d): d is number => typeof d === 'number')) return known;
    const key = this.inputNames.map((n) => `${n}:${feeds[n].dims.join('x')}`).join('|');
    let table = this.inferred.get(key);
    if (!table) {
      const g: Graph = {
        ...this.graph,
        inputs: this.graph.inputs.map((v) => (feeds[v.name] ? { ...v, shape: feeds[v.name].dims as Dim[] } : v)),
      };
      try {
        table = inferShapes(g, this.opset).info;
      } catch {
        table = new Map();
      }
      this.inferred.set(key, table);
    }
    const shape = table.get(info.name)?.shape;
    if (shape && shape.every((d): d is number => typeof d === 'number')) return shape;
    throw new SessionError(
      'ERR_SESSION_RUN',
      `null backend cannot tell the shape of output '${info.name}' ([${(known ?? []).map((d) => d ?? '?').join(', ')}]); supply options.outputs['${info.name}']`,
    );
  }

  private filled(name: string, dims: number[], info: ValueInfo): Tensor {
    const n = sizeOf(dims);
    const data = allocArray(info.dtype, n);
    const fill = this.options.fill ?? 0;
    if (fill !== 0) {
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(BigInt(Math.trunc(fill)));
      else if (Array.isArray(data)) data.fill(String(fill));
      else if (info.dtype === 'bool') (data as Uint8Array).fill(1);
      else if (info.dtype === 'float16' || info.dtype === 'bfloat16')
        throw new SessionError(
          'ERR_SESSION_RUN',
          `null backend: a nonzero fill for ${info.dtype} output '${name}' needs an output function`,
        );
      else (data as Float32Array).fill(fill);
    }
    return { dtype: info.dtype, dims, data };
  }
}

/** Sessions that run nothing. */
export class NullBackend implements SessionBackend {
  readonly name = 'null';
  constructor(private readonly options: NullBackendOptions = {}) {
    if (options.fill !== undefined && !Number.isFinite(options.fill))
      throw new SessionError(
        'ERR_SESSION_CONFIG',
        `null backend: expected a finite number for fill but got ${options.fill}`,
      );
  }

  async create(model: Uint8Array, _config: ResolvedSessionConfig): Promise<BackendSession> {
    let graph: Graph;
    let opset: number;
    try {
      const m = decodeModel(model);
      graph = m.graph;
      opset = m.opset.get('') ?? 18;
    } catch (e) {
      throw asSessionError(e, 'ERR_SESSION_CREATE');
    }
    for (const name of Object.keys(this.options.outputs ?? {})) {
      if (!graph.outputs.some((v) => v.name === name)) {
        throw new SessionError(
          'ERR_SESSION_CREATE',
          `null backend: options.outputs names '${name}', which is not an output of the model (${graph.outputs.map((v) => v.name).join(', ')})`,
        );
      }
    }
    return new NullSession(graph, opset, this.options);
  }

  async available(): Promise<ProviderReport[]> {
    return [{ provider: 'cpu', available: true }];
  }

  async versions(): Promise<BackendVersions> {
    return { backend: 'null' };
  }
}

/** Registry entry; lowest priority so it is only used when named. */
export const nullBackend: BackendEntry = {
  name: 'null',
  priority: 0,
  description: 'runs nothing: zeros or per-output functions, for tests without ONNX Runtime',
  create: (options?: unknown) => new NullBackend((options ?? {}) as NullBackendOptions),
};
