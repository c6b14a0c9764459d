/**
 * The graph IR: a plain, mutable in-memory form of an ONNX model that the opset converter,
 * shape inference and the autodiff work on. `io.ts` converts it to and from `ModelProto` bytes.
 */
import type { DType, Tensor } from './tensor.js';

/** One dimension: a size, a symbolic name (e.g. the batch `N`), or unknown. */
export type Dim = number | string | null;

/** Name, element type and (possibly partial) shape of a value. */
export interface ValueInfo {
  name: string;
  dtype: DType;
  /** undefined when even the rank is unknown. */
  shape?: Dim[];
}

/** A node attribute, tagged with its ONNX attribute type. */
export type Attr =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] };

/** One operator application. Empty strings in `inputs` mark omitted optional inputs. */
export interface Node {
  name: string;
  opType: string;
  /** '' for the default `ai.onnx` domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

/** A graph: nodes in topological order, its interface, and initializers (weights). */
export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  /** Types and shapes of intermediate values, when known. */
  valueInfo: Map<string, ValueInfo>;
  docString?: string;
}

/** A whole model: the main graph plus the opsets it imports and its metadata. */
export interface Model {
  irVersion: number;
  /** Opset version per domain ('' is ai.onnx). */
  opset: Map<string, number>;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadata: Record<string, string>;
  graph: Graph;
}

/** An empty graph. */
export function emptyGraph(name = 'graph'): Graph {
  return { name, nodes: [], inputs: [], outputs: [], initializers: new Map(), valueInfo: new Map() };
}

/** Typed attribute readers that name the node and attribute when something is wrong. */
export function attrInt(node: Node, name: string, dflt?: number): number {
  const a = node.attrs[name];
  if (a === undefined) {
    if (dflt === undefined) throw new Error(`node '${node.name}' (${node.opType}) needs attribute '${name}'`);
    return dflt;
  }
  if (a.type !== 'int')
    throw new Error(`node '${node.name}' (${node.opType}): attribute '${name}' should be an int, got ${a.type}`);
  return a.value;
}

export function attrFloat(node: Node, name: string, dflt?: number): number {
  const a = node.attrs[name];
  if (a === undefined) {
    if (dflt === undefined) throw new Error(`node '${node.name}' (${node.opType}) needs attribute '${name}'`);
    return dflt;
  }
  if (a.type === 'float' || a.type === 'int') return a.value;
  throw new Error(`node '${node.name}' (${node.opType}): attribute '${name}' should be a float, got ${a.type}`);
}

export function attrInts(node: Node, name: string, dflt?: number[]): number[] {
  const a = node.attrs[name];
  if (a === undefined) {
    if (dflt === undefined) throw new Error(`node '${node.name}' (${node.opType}) needs attribute '${name}'`);
    return dflt;
  }
  if (a.type !== 'ints')
    throw new Error(`node '${node.name}' (${node.opType}): attribute '${name}' should be ints, got ${a.type}`);
  return a.value;
}

export function attrFloats(node: Node, name: string, dflt?: number[]): number[] {
  const a = node.attrs[name];
  if (a === undefined) {
    if (dflt === undefined) throw new Error(`node '${node.name}' (${node.opType}) needs attribute '${name}'`);
    return dflt;
  }
  if (a.type !== 'floats' && a.type !== 'ints')
    throw new Error(`node '${node.name}' (${node.opType}): attribute '${name}' should be floats, got ${a.type}`);
  return a.value;
}

export function attrString(node: Node, name: string, dflt?: string): string {
  const a = node.attrs[name];
  if (a === undefined) {
    if (dflt === undefined) throw new Error(`node '${node.name}' (${node.opType}) needs attribute '${name}'`);
    return dflt;
  }
  if (a.type !== 'string')
    throw new Error(`node '${node.name}' (${node.opType}): attribute '${name}' should be a string, got ${a.type}`);
  return a.value;
}

/** Attribute constructors for graph builders. */
export const A = {
  int: (value: number): Attr => ({ type: 'int', value }),
  float: (value: number): Attr => ({ type: 'float', value }),
  string: (value: string): Attr => ({ type: 'string', value }),
  ints: (value: number[]): Attr => ({ type: 'ints', value }),
  floats: (value: number[]): Attr => ({ type: 'floats', value }),
  tensor: (value: Tensor): Attr => ({ type: 'tensor', value }),
  graph: (value: Graph): Attr => ({ type: 'graph', value }),
};

/**
 * Orders nodes so every value is produced before it is used. Throws naming a node on a cycle or
 * on an input that nothing produces. `available` lists values defined outside the nodes (graph
 * inputs, initializers, outer-scope values of a subgraph).
 */
export function topologicalSort(nodes: Node[], available: Iterable<string>): Node[] {
  const produced = new Map<string, number>();
  nodes.forEach((n, i) =>
    n.outputs.forEach((o) => {
      if (o) produced.set(o, i);
    }),
  );
  const have = new Set(available);
  const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
  const order: Node[] = [];
  const visit = (start: number) => {
    const stack: Array<[number, number]> = [[start, 0]];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [i, k] = top;
      const deps = nodeDependencies(nodes[i]);
      if (k < deps.length) {
        top[1]++;
        const name = deps[k];
        if (!name || have.has(name)) continue;
        const j = produced.get(name);
        if (j === undefined) {
          throw new Error(
            `node '${nodes[i].name}' (${nodes[i].opType}) reads '${name}', which no node, input or initializer defines`,
          );
        }
        if (state[j] === 1) throw new Error(`graph has a cycle through node '${nodes[j].name}' (${nodes[j].opType})`);
        if (state[j] === 0) {
          state[j] = 1;
          stack.push([j, 0]);
        }
      } else {
        stack.pop();
        state[i] = 2;
        order.push(nodes[i]);
      }
    }
  };
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0) visit(i);
  return order;
}

/** Values a node reads, including those its subgraphs capture from the outer scope. */
export function nodeDependencies(node: Node): string[] {
  const deps = node.inputs.filter((x) => x !== '');
  for (const a of Object.values(node.attrs)) {
    if (a.type === 'graph') deps.push(...outerScopeReads(a.value));
    else if (a.type === 'graphs') for (const g of a.value) deps.push(...outerScopeReads(g));
  }
  return deps;
}

/** Names a subgraph reads but does not define itself. */
export function outerScopeReads(g: Graph): string[] {
  const defined = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.keys()]);
  for (const n of g.nodes) n.outputs.forEach((o) => defined.add(o));
  const reads = new Set<string>();
  for (const n of g.nodes) for (const d of nodeDependencies(n)) if (!defined.has(d)) reads.add(d);
  return [...reads];
}

/** Map from value name to the node producing it. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from value name to the nodes reading it. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const i of nodeDependencies(n)) {
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}
