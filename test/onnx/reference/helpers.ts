/**
 * Test helpers for the reference interpreter: one-node graphs, seeded data, and a comparison
 * against onnxruntime-node (the independent oracle for forward semantics).
 */
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import type { Attr, Graph, Model, Node } from '../../../src/onnx/ir.js';
import { encodeModel } from '../../../src/onnx/io.js';
import type { DType, Tensor, TensorArray } from '../../../src/onnx/tensor.js';
import { tensor } from '../../../src/onnx/tensor.js';
import { evaluateGraph } from '../../../src/onnx/reference/interpreter.js';
import type { RefTensor } from '../../../src/onnx/reference/interpreter.js';

/** Deterministic uniform numbers in [lo, hi), rounded to float32. */
export function rand(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out.push(Math.fround(lo + (hi - lo) * u));
  }
  return out;
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** A float32 tensor of seeded random values. */
export function randT(dims: number[], seed = 1, lo = -1, hi = 1): Tensor {
  return tensor('float32', dims, rand(size(dims), seed, lo, hi));
}
export const f32 = (dims: number[], data: number[]): Tensor => tensor('float32', dims, data);
export const i64 = (dims: number[], data: number[]): Tensor => tensor('int64', dims, data);
export const i32 = (dims: number[], data: number[]): Tensor => tensor('int32', dims, data);
export const bool = (dims: number[], data: number[]): Tensor =>
  tensor(
    'bool',
    dims,
    data.map((v) => (v ? 1 : 0)),
  );

/** One graph input: a tensor, or null for an omitted optional input. */
export type CaseInput = Tensor | null;

export interface OpCase {
  op: string;
  attrs?: Record<string, Attr>;
  inputs: CaseInput[];
  /** Output element types (default one float32 output). */
  outputs?: DType[];
  /** Inputs (by position) to bake in as initializers rather than feed. */
  constInputs?: number[];
  opset?: number;
}

/** Builds the one-node graph of a case; inputs are named in0.., outputs out0... */
export function opGraph(c: OpCase): { graph: Graph; feeds: Record<string, Tensor> } {
  const names = c.inputs.map((t, i) => (t === null ? '' : `in${i}`));
  while (names.length && names[names.length - 1] === '') names.pop();
  const outTypes = c.outputs ?? ['float32'];
  const node: Node = {
    name: `${c.op}_0`,
    opType: c.op,
    domain: '',
    inputs: names,
    outputs: outTypes.map((_, i) => `out${i}`),
    attrs: c.attrs ?? {},
  };
  const graph: Graph = {
    name: `${c.op}_graph`,
    nodes: [node],
    inputs: [],
    outputs: outTypes.map((dtype, i) => ({ name: `out${i}`, dtype })),
    initializers: new Map(),
    valueInfo: new Map(),
  };
  const feeds: Record<string, Tensor> = {};
  c.inputs.forEach((t, i) => {
    if (t === null) return;
    if (c.constInputs?.includes(i)) graph.initializers.set(`in${i}`, t);
    else {
      graph.inputs.push({ name: `in${i}`, dtype: t.dtype, shape: [...t.dims] });
      feeds[`in${i}`] = t;
    }
  });
  return { graph, feeds };
}

export function modelOf(graph: Graph, opset = 18): Model {
  return {
    irVersion: 9,
    opset: new Map([['', opset]]),
    producerName: 'gymnos-test',
    producerVersion: '0',
    domain: '',
    modelVersion: 1,
    docString: '',
    metadata: {},
    graph,
  };
}

/** Runs a graph in onnxruntime-node. */
export async function runOrt(
  graph: Graph,
  feeds: Record<string, Tensor>,
  opset = 18,
): Promise<Record<string, { dims: number[]; data: ArrayLike<number | bigint> }>> {
  const session = await ort.InferenceSession.create(encodeModel(modelOf(graph, opset)), { logSeverityLevel: 3 });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds))
    ortFeeds[k] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
  const res = await session.run(ortFeeds);
  await session.release();
  const out: Record<string, { dims: number[]; data: ArrayLike<number | bigint> }> = {};
  for (const [k, v] of Object.entries(res)) out[k] = { dims: [...v.dims], data: v.data as ArrayLike<number | bigint> };
  return out;
}

/** Asserts two flat arrays agree: floats within atol + rtol*|expected|, others exactly. */
export function assertClose(
  actual: ArrayLike<number | bigint>,
  expected: ArrayLike<number | bigint>,
  what: string,
  tol = 1e-5,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]),
      e = Number(expected[i]);
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    const ok = Math.abs(a - e) <= tol + tol * Math.abs(e);
    if (!ok) assert.fail(`${what}: element ${i} is ${a}, expected ${e} (|diff| ${Math.abs(a - e)})`);
  }
}

/** Evaluates a case in the interpreter and in ORT and asserts shapes and values agree. */
export async function checkOp(c: OpCase, tol = 1e-5): Promise<Record<string, RefTensor>> {
  const { graph, feeds } = opGraph(c);
  const opset = c.opset ?? 18;
  const ref = evaluateGraph(graph, feeds, { opset });
  const got = await runOrt(graph, feeds, opset);
  for (const vi of graph.outputs) {
    const r = ref[vi.name],
      o = got[vi.name];
    const label = `${c.op} ${vi.name} ${JSON.stringify(Object.fromEntries(Object.entries(c.attrs ?? {}).map(([k, a]) => [k, a.type === 'tensor' ? `tensor[${a.value.dims}]` : a.type === 'graph' ? 'graph' : a.value])))}`;
    assert.deepEqual(r.dims, o.dims, `${label}: dims`);
    assert.equal(r.dtype, vi.dtype, `${label}: dtype`);
    assertClose(r.data, o.data, label, tol);
  }
  return ref;
}

/** Evaluates a case in the interpreter only. */
export function refOp(c: OpCase): Record<string, RefTensor> {
  const { graph, feeds } = opGraph(c);
  return evaluateGraph(graph, feeds, { opset: c.opset ?? 18 });
}

export const toNums = (t: RefTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);
export type { TensorArray };
