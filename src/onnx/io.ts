/**
 * Reading and writing ONNX files: `ModelProto` bytes <-> the graph IR, with external-data weights.
 * Reading (decoding, external data, reference checks) is here; writing is encode.ts, re-exported
 * so this stays the one module to import for both.
 */
import { readFileSync, existsSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ModelProtoType, AttrCode, int64ToNumber, int64ToBigInt, type Int64Like } from './proto.js';
import type { Attr, Graph, Model, Node, ValueInfo, Dim } from './ir.js';
import { emptyGraph, topologicalSort } from './ir.js';
import {
  arrayFromBytes,
  dtypeFromCode,
  dtypeSize,
  sizeOf,
  type Tensor,
  type TensorArray,
  type DType,
} from './tensor.js';
import { GymnosError } from '../util/errors.js';
import { printable } from '../util/printable.js';

export { encodeModel, saveModel, type EncodeOptions } from './encode.js';

/**
 * A problem with an ONNX file: says which file and what is wrong. Names from the file are escaped
 * (printable()), so a message never carries raw control bytes to a terminal.
 */
export class OnnxFormatError extends GymnosError {
  readonly code = 'ERR_ONNX_FORMAT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(printable(message), options);
    this.name = 'OnnxFormatError';
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type P = any;

const utf8 = new TextDecoder('utf-8');

/** Where to look for external-data files while decoding. */
interface DecodeContext {
  baseDir?: string;
  source: string;
}

function decodeTensor(t: P, ctx: DecodeContext): Tensor {
  const dims = (t.dims ?? []).map((d: Int64Like) => int64ToNumber(d));
  const code = t.dataType ?? 0;
  let dtype: DType;
  try {
    dtype = dtypeFromCode(code);
  } catch (e) {
    throw new OnnxFormatError(`${ctx.source}: tensor '${t.name ?? ''}' has ${(e as Error).message}`);
  }
  const n = sizeOf(dims);
  let data: TensorArray;
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length)) {
    data = readExternal(t, dtype, n, ctx);
  } else if (t.rawData && t.rawData.length) {
    data = arrayFromBytes(dtype, t.rawData);
  } else {
    data = typedFromFields(t, dtype);
  }
  if (data.length !== n) {
    throw new OnnxFormatError(
      `${ctx.source}: tensor '${t.name ?? ''}' has ${data.length} elements but dims [${dims}] need ${n}; the file is truncated or corrupt`,
    );
  }
  return { dtype, dims, data };
}

function typedFromFields(t: P, dtype: DType): TensorArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(t.floatData ?? []);
    case 'float64':
      return Float64Array.from(t.doubleData ?? []);
    case 'int64':
      return BigInt64Array.from((t.int64Data ?? []).map((v: Int64Like) => int64ToBigInt(v)));
    case 'uint64':
      return BigUint64Array.from((t.uint64Data ?? []).map((v: Int64Like) => BigInt.asUintN(64, int64ToBigInt(v))));
    case 'uint32':
      return Uint32Array.from((t.uint64Data ?? []).map((v: Int64Like) => int64ToNumber(v)));
    case 'string':
      return (t.stringData ?? []).map((b: Uint8Array) => utf8.decode(b));
    case 'int32':
      return Int32Array.from(t.int32Data ?? []);
    case 'int16':
      return Int16Array.from(t.int32Data ?? []);
    case 'uint16':
    case 'float16':
    case 'bfloat16':
      return Uint16Array.from(t.int32Data ?? []);
    case 'int8':
      return Int8Array.from(t.int32Data ?? []);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(t.int32Data ?? []);
  }
}

function readExternal(t: P, dtype: DType, n: number, ctx: DecodeContext): TensorArray {
  const kv = new Map<string, string>((t.externalData ?? []).map((e: P) => [e.key, e.value]));
  const location = kv.get('location');
  const name = t.name ?? '';
  if (!location)
    throw new OnnxFormatError(`${ctx.source}: tensor '${name}' is stored externally but names no 'location'`);
  if (!ctx.baseDir) {
    throw new OnnxFormatError(
      `${ctx.source}: tensor '${name}' keeps its data in external file '${location}'; load the model from its file path (not from bytes) so the file can be found`,
    );
  }
  if (isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
    throw new OnnxFormatError(
      `${ctx.source}: tensor '${name}' names external data '${location}' outside the model's folder; external data must be a relative path beside the model`,
    );
  }
  const file = resolve(ctx.baseDir, location);
  if (!existsSync(file))
    throw new OnnxFormatError(
      `${ctx.source}: external data file '${file}' for tensor '${name}' is missing; copy it beside the model`,
    );
  const offset = Number(kv.get('offset') ?? 0);
  const length = kv.has('length') ? Number(kv.get('length')) : n * dtypeSize(dtype);
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (offset + length > size) {
      throw new OnnxFormatError(
        `${ctx.source}: tensor '${name}' needs bytes ${offset}..${offset + length} of '${file}', which has only ${size}; the file is truncated`,
      );
    }
    const buf = new Uint8Array(length);
    readSync(fd, buf, 0, length, offset);
    return arrayFromBytes(dtype, buf);
  } finally {
    closeSync(fd);
  }
}

function decodeValueInfo(v: P): ValueInfo {
  const tt = v.type?.tensorType;
  const name: string = v.name ?? '';
  if (!tt) return { name, dtype: 'float32', shape: undefined };
  const dtype = tt.elemType ? dtypeFromCode(tt.elemType) : 'float32';
  const shape: Dim[] | undefined = tt.shape
    ? (tt.shape.dim ?? []).map((d: P): Dim =>
        d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? int64ToNumber(d.dimValue) : null,
      )
    : undefined;
  return { name, dtype, shape };
}

function decodeAttr(a: P, ctx: DecodeContext): Attr {
  const type: number = a.type ?? 0;
  switch (type) {
    case AttrCode.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    case AttrCode.INT:
      return { type: 'int', value: int64ToNumber(a.i) };
    case AttrCode.STRING:
      return { type: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
    case AttrCode.TENSOR:
      return { type: 'tensor', value: decodeTensor(a.t, ctx) };
    case AttrCode.GRAPH:
      return { type: 'graph', value: decodeGraph(a.g, ctx) };
    case AttrCode.FLOATS:
      return { type: 'floats', value: [...(a.floats ?? [])] };
    case AttrCode.INTS:
      return { type: 'ints', value: (a.ints ?? []).map((x: Int64Like) => int64ToNumber(x)) };
    case AttrCode.STRINGS:
      return { type: 'strings', value: (a.strings ?? []).map((b: Uint8Array) => utf8.decode(b)) };
    case AttrCode.TENSORS:
      return { type: 'tensors', value: (a.tensors ?? []).map((t: P) => decodeTensor(t, ctx)) };
    case AttrCode.GRAPHS:
      return { type: 'graphs', value: (a.graphs ?? []).map((g: P) => decodeGraph(g, ctx)) };
    default:
      throw new OnnxFormatError(
        `${ctx.source}: attribute '${a.name}' has type code ${type}, which Gymnos does not read (sparse tensors and type protos are not supported)`,
      );
  }
}

function decodeGraph(g: P, ctx: DecodeContext): Graph {
  const graph = emptyGraph(g.name || 'graph');
  if (g.sparseInitializer && g.sparseInitializer.length) {
    throw new OnnxFormatError(
      `${ctx.source}: graph '${graph.name}' has sparse initializers, which Gymnos does not support; export dense weights`,
    );
  }
  graph.docString = g.docString || undefined;
  for (const t of g.initializer ?? []) graph.initializers.set(t.name, decodeTensor(t, ctx));
  const initNames = graph.initializers;
  graph.inputs = (g.input ?? []).map(decodeValueInfo).filter((v: ValueInfo) => !initNames.has(v.name));
  graph.outputs = (g.output ?? []).map(decodeValueInfo);
  for (const v of g.valueInfo ?? []) {
    const vi = decodeValueInfo(v);
    graph.valueInfo.set(vi.name, vi);
  }
  graph.nodes = (g.node ?? []).map((n: P, i: number): Node => {
    const attrs: Record<string, Attr> = {};
    for (const a of n.attribute ?? []) {
      if (a.refAttrName)
        throw new OnnxFormatError(
          `${ctx.source}: node '${n.name}' uses a function attribute reference, which Gymnos does not support`,
        );
      attrs[a.name] = decodeAttr(a, ctx);
    }
    return {
      name: n.name || `${n.opType}_${i}`,
      opType: n.opType ?? '',
      domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
    };
  });
  return graph;
}

/** Decodes `ModelProto` bytes. `path`, when given, locates external data and names the file in errors. */
export function decodeModel(bytes: Uint8Array, path?: string): Model {
  const source = path ?? '<bytes>';
  if (bytes.byteLength === 0) throw new OnnxFormatError(`${source}: the file is empty; expected an ONNX model`);
  let m: P;
  try {
    m = ModelProtoType.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(
      `${source}: not a valid ONNX model (protobuf decoding failed: ${(e as Error).message}); the file is truncated, corrupt or not ONNX`,
      { cause: e },
    );
  }
  if (!m.graph)
    throw new OnnxFormatError(`${source}: the model has no graph; the file is truncated, corrupt or not ONNX`);
  if (m.functions && m.functions.length) {
    throw new OnnxFormatError(
      `${source}: the model defines local functions (${m.functions.map((f: P) => f.name).join(', ')}), which Gymnos does not inline yet; export without them`,
    );
  }
  const opset = new Map<string, number>();
  for (const o of m.opsetImport ?? [])
    opset.set(o.domain === 'ai.onnx' ? '' : (o.domain ?? ''), int64ToNumber(o.version));
  const ctx: DecodeContext = { baseDir: path ? dirname(resolve(path)) : undefined, source };
  const metadata: Record<string, string> = {};
  for (const kv of m.metadataProps ?? []) metadata[kv.key] = kv.value;
  return {
    irVersion: int64ToNumber(m.irVersion),
    opset,
    producerName: m.producerName ?? '',
    producerVersion: m.producerVersion ?? '',
    domain: m.domain ?? '',
    modelVersion: int64ToNumber(m.modelVersion),
    docString: m.docString ?? '',
    metadata,
    graph: checkReferences(decodeGraph(m.graph, ctx), source),
  };
}

/**
 * Every value the graph reads must come from somewhere: a graph input, an initializer or a node's
 * output, with no cycles; every graph output must be produced. A file that breaks this was
 * corrupted or edited, and is refused here, naming the node and the value.
 */
function checkReferences(graph: Graph, source: string): Graph {
  const fix = 'the file is corrupt or was edited: repair the graph or export the model again';
  const defined = [...graph.inputs.map((v) => v.name), ...graph.initializers.keys()];
  try {
    topologicalSort(graph.nodes, defined);
  } catch (e) {
    throw new OnnxFormatError(`${source}: ${(e as Error).message}; ${fix}`, { cause: e });
  }
  const produced = new Set([...defined, ...graph.nodes.flatMap((n) => n.outputs)]);
  const missing = graph.outputs.find((o) => !produced.has(o.name));
  if (missing)
    throw new OnnxFormatError(
      `${source}: graph output '${missing.name}' is produced by no node, input or initializer; ${fix}`,
    );
  return graph;
}

/** Reads an ONNX file from disk, with its external data. */
export function loadModel(path: string): Model {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new OnnxFormatError(
      `${path}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { cause: e },
    );
  }
  return decodeModel(bytes, path);
}
