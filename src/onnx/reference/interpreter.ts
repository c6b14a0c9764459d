/**
 * A float64 reference interpreter for ONNX graphs (ai.onnx, opset 13-18 forms), independent of
 * ONNX Runtime. It is the oracle of the gradient-check suite: every floating value is computed in
 * float64 whatever its nominal type (Cast to a float type keeps float64 precision and only
 * records the nominal dtype).
 *
 * Returned tensors may share storage with each other (e.g. an Identity output and its input) but
 * never with the caller's feeds or initializers, which are copied in.
 *
 * Semantics follow ONNX at opset 18 and, where ORT 1.30 (checked by the tests in
 * test/onnx/reference) differs from a literal reading of the spec, ORT:
 * - MaxPool/AveragePool ceil_mode drops a last window that would start in the end padding (ORT's
 *   kernel; ORT's bundled ONNX shape inference does not, and warns about the mismatch).
 * - ConvTranspose with output_shape or SAME_*: explicit pads are ignored; the total padding puts
 *   the odd unit at the end for SAME_UPPER and at the begin for NOTSET/SAME_LOWER.
 * - Reduce* with noop_with_empty_axes and no axes keep their elementwise part (SumSquare -> x^2,
 *   L1/L2 -> |x|, LogSum -> log x).
 * - Clip with min > max gives max; ReduceMax/ReduceMin skip NaN.
 * - Integer types compute in BigInt and wrap to their width; uint64 values past 2^63 are not
 *   supported. Dropout in training mode with ratio > 0 throws (its randomness cannot match ORT).
 */
import type { Graph, Node } from '../ir.js';
import { nodeDependencies, topologicalSort } from '../ir.js';
import type { DType, Tensor } from '../tensor.js';
import { allocArray } from '../tensor.js';
import type { KernelContext } from './kernel.js';
import { REGISTRY } from './registry.js';
import type { RefTensor } from './tensor-util.js';
import { kindOf, toRef } from './tensor-util.js';

export type { RefTensor } from './tensor-util.js';

/** Options of `evaluateGraph`. */
export interface EvaluateOptions {
  /** ai.onnx opset the graph is written in (default 18); selects version-dependent semantics. */
  opset?: number;
  /** Values to return (any graph output or intermediate value); default: the graph outputs. */
  outputs?: string[];
}

/** Values visible to a graph: its own, then those of enclosing scopes. */
class Scope {
  private readonly vals = new Map<string, RefTensor>();
  constructor(private readonly parent?: Scope) {}
  get(name: string): RefTensor | undefined {
    return this.vals.get(name) ?? this.parent?.get(name);
  }
  set(name: string, v: RefTensor): void {
    this.vals.set(name, v);
  }
  names(out: Set<string> = new Set()): Set<string> {
    this.parent?.names(out);
    for (const k of this.vals.keys()) out.add(k);
    return out;
  }
}

/** One evaluation: caches node orders per (sub)graph for Loop bodies run many times. */
class Evaluation {
  private readonly orders = new Map<Graph, Node[]>();
  constructor(private readonly opset: number) {}

  /** Runs `graph`'s nodes in `scope` (inputs and initializers already bound). */
  run(graph: Graph, scope: Scope, wanted: string[] | null): void {
    let order = wanted === null ? this.orders.get(graph) : undefined;
    if (!order) {
      order = topologicalSort(graph.nodes, scope.names());
      if (wanted !== null) order = prune(order, wanted);
      else this.orders.set(graph, order);
    }
    const ctx: KernelContext = {
      opset: this.opset,
      runSubgraph: (g, inputs) => this.subgraph(g, inputs, scope),
    };
    for (const node of order) {
      const inputs = node.inputs.map((name) => {
        if (name === '') return undefined;
        const v = scope.get(name);
        if (v === undefined)
          throw new Error(`node '${node.name}' (${node.opType}) reads '${name}', which has no value`);
        return v;
      });
      const outs = runNode(node, inputs, ctx);
      node.outputs.forEach((name, i) => {
        const v = outs[i];
        if (name !== '' && v !== undefined) scope.set(name, v);
      });
    }
  }

  private subgraph(g: Graph, inputs: RefTensor[], outer: Scope): RefTensor[] {
    if (inputs.length !== g.inputs.length) {
      throw new Error(`subgraph '${g.name}' declares ${g.inputs.length} inputs but was given ${inputs.length}`);
    }
    const scope = new Scope(outer);
    for (const [name, t] of g.initializers) scope.set(name, toRef(t));
    g.inputs.forEach((vi, i) => scope.set(vi.name, inputs[i]));
    this.run(g, scope, null);
    return g.outputs.map((vi) => {
      const v = scope.get(vi.name);
      if (v === undefined) throw new Error(`subgraph '${g.name}' does not compute its output '${vi.name}'`);
      return v;
    });
  }
}

function runNode(node: Node, inputs: Array<RefTensor | undefined>, ctx: KernelContext) {
  if (node.domain !== '' && node.domain !== 'ai.onnx') {
    throw new Error(
      `node '${node.name}': op ${node.domain}::${node.opType} is not supported by the reference interpreter (only the ai.onnx domain is)`,
    );
  }
  const kernel = REGISTRY.get(node.opType);
  if (!kernel) {
    throw new Error(
      `node '${node.name}': op ${node.opType} is not supported by the reference interpreter; supported: ${supportedReferenceOps().join(', ')}`,
    );
  }
  try {
    return kernel(node, inputs, ctx);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg.startsWith("node '")) throw e;
    throw new Error(`node '${node.name}' (${node.opType}): ${msg}`, { cause: e });
  }
}

/** Nodes of `order` needed to compute `wanted` (order kept). */
function prune(order: Node[], wanted: string[]): Node[] {
  const producer = new Map<string, Node>();
  for (const n of order) for (const o of n.outputs) if (o) producer.set(o, n);
  const need = new Set<Node>();
  const stack = wanted.map((w) => producer.get(w)).filter((n): n is Node => n !== undefined);
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    need.add(n);
    for (const d of nodeDependencies(n)) {
      const p = producer.get(d);
      if (p && !need.has(p)) stack.push(p);
    }
  }
  return order.filter((n) => need.has(n));
}

/**
 * Evaluates `graph` in float64. Feeds bind graph inputs (and may override initializers); every
 * graph input without an initializer must be fed. Throws naming the node on an unsupported op.
 */
export function evaluateGraph(
  graph: Graph,
  feeds: Record<string, Tensor | RefTensor>,
  opts: EvaluateOptions = {},
): Record<string, RefTensor> {
  const scope = new Scope();
  for (const [name, t] of graph.initializers) if (!(name in feeds)) scope.set(name, toRef(t));
  for (const [name, t] of Object.entries(feeds)) scope.set(name, toRef(t));
  const missing = graph.inputs.filter((vi) => scope.get(vi.name) === undefined).map((vi) => vi.name);
  if (missing.length) throw new Error(`evaluateGraph: graph '${graph.name}' inputs not fed: ${missing.join(', ')}`);
  const wanted = opts.outputs ?? graph.outputs.map((vi) => vi.name);
  new Evaluation(opts.opset ?? 18).run(graph, scope, wanted);
  const result: Record<string, RefTensor> = {};
  for (const name of wanted) {
    const v = scope.get(name);
    if (v === undefined) throw new Error(`evaluateGraph: '${name}' is not a value of graph '${graph.name}'`);
    result[name] = v;
  }
  return result;
}

/** Op types (ai.onnx domain) the interpreter implements, sorted. */
export function supportedReferenceOps(): string[] {
  return [...REGISTRY.keys()].sort();
}

/**
 * A host `Tensor` of a RefTensor (for feeding ORT or saving): floats as Float32Array or
 * Float64Array per `dtype` (default the nominal type; float16/bfloat16 are given as float32),
 * integers in their own typed array, bool as Uint8Array.
 */
export function refToTensor(r: RefTensor, dtype: DType = r.dtype): Tensor {
  const d: DType = dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
  const n = r.data.length;
  if (kindOf(d) !== kindOf(r.dtype)) throw new Error(`refToTensor: cannot give a ${r.dtype} tensor as ${d}`);
  if (r.data instanceof Float64Array) {
    return { dtype: d, dims: [...r.dims], data: d === 'float64' ? r.data.slice() : Float32Array.from(r.data) };
  }
  if (r.data instanceof Uint8Array) return { dtype: 'bool', dims: [...r.dims], data: r.data.slice() };
  const src = r.data;
  const out = allocArray(d, n);
  if (out instanceof BigInt64Array) out.set(src);
  else if (out instanceof BigUint64Array) for (let i = 0; i < n; i++) out[i] = BigInt.asUintN(64, src[i]);
  else for (let i = 0; i < n; i++) (out as Int32Array)[i] = Number(src[i]);
  return { dtype: d, dims: [...r.dims], data: out };
}
