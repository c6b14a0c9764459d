/**
 * `predict(model, inputs, opts)`: runs an inference model on raw inputs through the SessionManager
 * (so `session` settings pick the device, provider and threads, and ONNX Runtime runs off the
 * event loop) and returns every output for every sample. `gymnosd predict` prints the records.
 */
import { readFileSync } from 'node:fs';
import { decodeModel, encodeModel } from '../onnx/io.js';
import type { Model, ValueInfo } from '../onnx/ir.js';
import type { Tensor } from '../onnx/tensor.js';
import { SessionManager, type SessionManagerOptions } from '../sessions/session-manager.js';
import { UserError } from '../util/errors.js';
import { readInputs, type InputSpec, type ReadOptions, type SampleBlock } from './inputs.js';

export interface PredictOptions extends ReadOptions {
  /** The `session` block (device, threads, ...) as in an experiment; default `{ device: 'cpu' }`. */
  session?: unknown;
  /** SessionManager options (backend, worker); tests use the null backend. */
  sessionOptions?: SessionManagerOptions;
  /** Samples per session run (default 256). */
  batchSize?: number;
  signal?: AbortSignal;
}

/** The model's outputs for every sample: `outputs[name]` has dims [N, ...]. */
export interface PredictResult {
  /** One name per sample (file name, `file.csv:line`, `file.arrow#i`, or `#i` for a tensor). */
  names: string[];
  inputName: string;
  outputNames: string[];
  outputs: Record<string, Tensor>;
}

/** One sample's outputs: a number (or string) for a one-value output, else the row of values. */
export type PredictRecord = { input: string } & Record<string, number | string | Array<number | string>>;

/** A model argument: a path to an .onnx file, its bytes, or a model in memory. */
export type ModelSource = string | Uint8Array | Model;

function modelOf(source: ModelSource): { model: Model; bytes: Uint8Array; label: string } {
  if (typeof source === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw new UserError(`cannot read ${source}: ${(e as Error).message}`, { cause: e });
    }
    return { model: decodeModel(bytes, source), bytes, label: source };
  }
  if (source instanceof Uint8Array) return { model: decodeModel(source), bytes: source, label: 'the model' };
  return { model: source, bytes: encodeModel(source), label: source.graph.name || 'the model' };
}

/** The model's first data input (initializers that are also inputs are not data). */
export function dataInput(model: Model, label: string): ValueInfo {
  const input = model.graph.inputs.find((v) => !model.graph.initializers.has(v.name));
  if (!input) throw new UserError(`${label} has no data input`);
  return input;
}

function inputSpec(input: ValueInfo): InputSpec {
  return { dims: (input.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)), uint8: input.dtype === 'uint8' };
}

/** Samples from a tensor whose first dimension counts them. */
function fromTensor(t: Tensor): SampleBlock {
  if (!(t.data instanceof Float32Array || t.data instanceof Uint8Array))
    throw new UserError(`predict takes float32 or uint8 tensors; got ${t.dtype}`);
  const n = t.dims[0] ?? 1;
  return { names: Array.from({ length: n }, (_, i) => `#${i}`), data: t.data };
}

function concat(parts: Tensor[], n: number): Tensor {
  if (parts.length === 0) return { dtype: 'float32', dims: [0], data: new Float32Array(0) };
  const first = parts[0];
  const total = parts.reduce((s, p) => s + p.data.length, 0);
  const Ctor = (first.data as unknown as { constructor: new (n: number) => Tensor['data'] }).constructor;
  const data = Array.isArray(first.data) ? parts.flatMap((p) => p.data as string[]) : new Ctor(total);
  if (!Array.isArray(data)) {
    let off = 0;
    for (const p of parts) {
      (data as Float32Array).set(p.data as Float32Array, off);
      off += p.data.length;
    }
  }
  return { dtype: first.dtype, dims: [n, ...first.dims.slice(1)], data };
}

/**
 * Runs `model` on `inputs`: image files, CSV files or one Arrow file (read as the dataset pipeline
 * reads them, see inputs.ts), or a tensor [N, ...] of float32 or uint8 values.
 */
export async function predict(
  model: ModelSource,
  inputs: string[] | Tensor,
  opts: PredictOptions = {},
): Promise<PredictResult> {
  const m = modelOf(model);
  const input = dataInput(m.model, m.label);
  const spec = inputSpec(input);
  const batch = opts.batchSize ?? 256;
  if (!Number.isInteger(batch) || batch < 1)
    throw new UserError(`expected a positive integer batch size but got ${batch}`);
  // the session settings are checked before any input is read
  const sessions = new SessionManager(opts.session ?? { device: 'cpu' }, opts.sessionOptions);
  try {
    const x = Array.isArray(inputs) ? await readInputs(inputs, spec, opts) : fromTensor(inputs);
    const n = x.names.length;
    const per = x.data.length / Math.max(1, n);
    const session = await sessions.createSession('predict', m.bytes);
    const parts: Record<string, Tensor[]> = Object.fromEntries(session.outputNames.map((o) => [o, []]));
    for (let s = 0; s < n; s += batch) {
      opts.signal?.throwIfAborted();
      const k = Math.min(batch, n - s);
      const dims = [k, ...spec.dims.slice(1).map((d, i) => (d > 0 ? d : i === spec.dims.length - 2 ? per : 1))];
      const slice = x.data.subarray(s * per, (s + k) * per);
      const feed: Tensor = spec.uint8
        ? { dtype: 'uint8', dims, data: slice instanceof Uint8Array ? slice.slice() : Uint8Array.from(slice) }
        : { dtype: 'float32', dims, data: slice instanceof Float32Array ? slice.slice() : Float32Array.from(slice) };
      const out = await session.run({ [input.name]: feed }, undefined, { signal: opts.signal });
      for (const o of session.outputNames) parts[o].push(out[o]);
    }
    const outputs = Object.fromEntries(session.outputNames.map((o) => [o, concat(parts[o], n)]));
    return { names: x.names, inputName: input.name, outputNames: session.outputNames, outputs };
  } finally {
    await sessions.close();
  }
}

/** One record per sample: `{ input, <output>: value or row }` (int64 values as numbers). */
export function predictionRecords(r: PredictResult): PredictRecord[] {
  const n = r.names.length;
  return r.names.map((name, i) => {
    const rec: PredictRecord = { input: name } as PredictRecord;
    for (const o of r.outputNames) {
      const t = r.outputs[o];
      const w = n ? t.data.length / n : 0;
      const row = Array.from(t.data.slice(i * w, (i + 1) * w) as ArrayLike<number | bigint | string>, (v) =>
        typeof v === 'bigint' ? Number(v) : v,
      );
      rec[o] = w === 1 ? row[0] : row;
    }
    return rec;
  });
}
