/**
 * Writing ONNX files: the graph IR -> `ModelProto` bytes, with large weights optionally in an
 * external-data file beside the model. (io.ts reads them back and re-exports these.)
 */
import { basename, dirname, resolve } from 'node:path';
import { ModelProtoType, AttrCode } from './proto.js';
import type { Attr, Graph, Model, ValueInfo } from './ir.js';
import { DTYPE_CODE, bytesOf, type Tensor } from './tensor.js';
import { writeFileAtomic } from '../util/atomic.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type P = any;

/** Options for encoding. */
export interface EncodeOptions {
  /**
   * Tensors at least this many bytes go to `externalData.file` (relative to the model) instead of
   * the protobuf; needed past protobuf's 2 GiB limit.
   */
  externalData?: { file: string; threshold: number; chunks: Uint8Array[]; offset: number };
}

function encodeTensor(name: string, t: Tensor, opts: EncodeOptions): P {
  const out: P = { name, dims: t.dims, dataType: DTYPE_CODE[t.dtype] };
  if (t.dtype === 'string') {
    const enc = new TextEncoder();
    out.stringData = (t.data as string[]).map((s) => enc.encode(s));
    return out;
  }
  const bytes = bytesOf(t);
  const ext = opts.externalData;
  if (ext && bytes.byteLength >= ext.threshold) {
    const pad = (64 - (ext.offset % 64)) % 64;
    if (pad) {
      ext.chunks.push(new Uint8Array(pad));
      ext.offset += pad;
    }
    out.dataLocation = 1;
    out.externalData = [
      { key: 'location', value: ext.file },
      { key: 'offset', value: String(ext.offset) },
      { key: 'length', value: String(bytes.byteLength) },
    ];
    ext.chunks.push(bytes);
    ext.offset += bytes.byteLength;
    return out;
  }
  out.rawData = bytes;
  return out;
}

function encodeValueInfo(v: ValueInfo): P {
  const tensorType: P = { elemType: DTYPE_CODE[v.dtype] };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { name: v.name, type: { tensorType } };
}

function encodeAttr(name: string, a: Attr, opts: EncodeOptions): P {
  const enc = new TextEncoder();
  switch (a.type) {
    case 'float':
      return { name, type: AttrCode.FLOAT, f: a.value };
    case 'int':
      return { name, type: AttrCode.INT, i: a.value };
    case 'string':
      return { name, type: AttrCode.STRING, s: enc.encode(a.value) };
    case 'tensor':
      return { name, type: AttrCode.TENSOR, t: encodeTensor('', a.value, {}) };
    case 'graph':
      return { name, type: AttrCode.GRAPH, g: encodeGraph(a.value, opts) };
    case 'floats':
      return { name, type: AttrCode.FLOATS, floats: a.value };
    case 'ints':
      return { name, type: AttrCode.INTS, ints: a.value };
    case 'strings':
      return { name, type: AttrCode.STRINGS, strings: a.value.map((s) => enc.encode(s)) };
    case 'tensors':
      return { name, type: AttrCode.TENSORS, tensors: a.value.map((t) => encodeTensor('', t, {})) };
    case 'graphs':
      return { name, type: AttrCode.GRAPHS, graphs: a.value.map((g) => encodeGraph(g, opts)) };
  }
}

function encodeGraph(g: Graph, opts: EncodeOptions): P {
  return {
    name: g.name,
    docString: g.docString,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, a]) => encodeAttr(k, a, opts)),
    })),
    initializer: [...g.initializers].map(([k, t]) => encodeTensor(k, t, opts)),
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    valueInfo: [...g.valueInfo.values()].filter((v) => v.shape !== undefined).map(encodeValueInfo),
  };
}

/** Encodes a model to `ModelProto` bytes (all weights inline). */
export function encodeModel(model: Model): Uint8Array {
  return ModelProtoType.encode(ModelProtoType.fromObject(modelToObject(model, {}))).finish();
}

function modelToObject(model: Model, opts: EncodeOptions): P {
  return {
    irVersion: model.irVersion,
    opsetImport: [...model.opset].map(([domain, version]) => ({ domain, version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    graph: encodeGraph(model.graph, opts),
  };
}

/**
 * Writes a model file atomically. Tensors of `externalThreshold` bytes or more go to
 * `<file>.data` beside it (written first, also atomically); by default everything is inline
 * unless the model would pass 1.5 GiB.
 */
export function saveModel(model: Model, path: string, options: { externalThreshold?: number } = {}): void {
  let threshold = options.externalThreshold;
  if (threshold === undefined) {
    let total = 0;
    for (const t of model.graph.initializers.values()) if (!Array.isArray(t.data)) total += bytesOf(t).byteLength;
    threshold = total > 1.5 * 2 ** 30 ? 1024 : Infinity;
  }
  if (threshold === Infinity) {
    writeFileAtomic(path, encodeModel(model));
    return;
  }
  const dataFile = `${basename(path)}.data`;
  const ext = { file: dataFile, threshold, chunks: [] as Uint8Array[], offset: 0 };
  const obj = modelToObject(model, { externalData: ext });
  const bytes = ModelProtoType.encode(ModelProtoType.fromObject(obj)).finish();
  writeFileAtomic(resolve(dirname(path), dataFile), ext.chunks);
  writeFileAtomic(path, bytes);
}
