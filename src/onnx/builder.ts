/**
 * GraphBuilder: appends nodes and constants to a graph with unique names. Gradient rules, losses,
 * optimizers and the model zoo all emit ONNX through it.
 */
import type { Attr, Graph, Node } from './ir.js';
import { tensor, type DType, type Tensor } from './tensor.js';

/** Attribute values accepted by the builder: tagged attrs, or plain values (integers become ints). */
export type AttrInput = Attr | number | number[] | string | string[];

function toAttr(v: AttrInput): Attr {
  if (typeof v === 'object' && !Array.isArray(v) && v !== null && 'type' in v) return v;
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { type: 'strings', value: v as string[] };
  const nums = v as number[];
  return nums.every((x) => Number.isInteger(x)) ? { type: 'ints', value: nums } : { type: 'floats', value: nums };
}

/** Emits nodes into `graph.nodes` (or a separate list) under a name prefix. */
export class GraphBuilder {
  private counter = 0;
  private readonly constCache = new Map<string, string>();
  /** Where new nodes go; defaults to the graph's own node list. */
  nodes: Node[];

  constructor(
    readonly graph: Graph,
    readonly prefix = 'g',
    nodes?: Node[],
  ) {
    this.nodes = nodes ?? graph.nodes;
  }

  /** A fresh value name that no other value in the graph uses. */
  fresh(hint: string): string {
    let name: string;
    do {
      name = `${this.prefix}/${hint}_${this.counter++}`;
    } while (this.graph.initializers.has(name));
    return name;
  }

  /** Appends one node with a single output and returns the output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, hint?: string): string {
    return this.opN(opType, inputs, 1, attrs, hint)[0];
  }

  /** Appends one node with `n` outputs and returns their names. */
  opN(opType: string, inputs: string[], n: number, attrs: Record<string, AttrInput> = {}, hint?: string): string[] {
    const base = hint ?? opType;
    const outputs = Array.from({ length: n }, (_, i) => this.fresh(n === 1 ? base : `${base}.${i}`));
    this.emit(opType, inputs, outputs, attrs);
    return outputs;
  }

  /** Appends a node with the given output names. */
  emit(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrInput> = {}, domain = ''): Node {
    const node: Node = {
      name: this.fresh(`${opType}_node`),
      opType,
      domain,
      inputs,
      outputs,
      attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, toAttr(v)])),
    };
    this.nodes.push(node);
    return node;
  }

  /** Adds an initializer holding `t` and returns its name. */
  initializer(t: Tensor, hint = 'const'): string {
    const name = this.fresh(hint);
    this.graph.initializers.set(name, t);
    return name;
  }

  /** A constant (initializer) of `dtype`; identical small constants are shared. */
  constant(dtype: DType, values: number | number[], dims?: number[]): string {
    const arr = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [arr.length]);
    const key = arr.length <= 16 ? `${dtype}|${shape.join(',')}|${arr.join(',')}` : undefined;
    if (key) {
      const hit = this.constCache.get(key);
      if (hit) return hit;
    }
    const name = this.initializer(tensor(dtype, shape, arr), `c_${dtype}`);
    if (key) this.constCache.set(key, name);
    return name;
  }

  /** int64 1-D constant (axes, shapes, pads). */
  ints(values: number[]): string {
    return this.constant('int64', values, [values.length]);
  }

  /** int64 scalar constant. */
  int(value: number): string {
    return this.constant('int64', value, []);
  }
}
