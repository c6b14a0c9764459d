/**
 * The kernel contract of the reference interpreter. Each op family module exports a
 * `kernels` record (op type -> Kernel); `registry.ts` assembles them.
 */
import type { Graph, Node } from '../ir.js';
import type { RefTensor } from './tensor-util.js';

/** What a kernel can ask of the interpreter besides its inputs. */
export interface KernelContext {
  /** The ai.onnx opset the graph is evaluated under. */
  opset: number;
  /**
   * Runs a subgraph (a Loop body, an If branch) with its inputs bound positionally to `inputs`;
   * it sees the values of the scope the node runs in. Returns its outputs in order.
   */
  runSubgraph(graph: Graph, inputs: RefTensor[]): RefTensor[];
}

/**
 * Computes a node. `inputs[i]` is undefined where the node omits an optional input (or has
 * fewer inputs). Returns one entry per node output (optional outputs may be undefined).
 */
export type Kernel = (
  node: Node,
  inputs: Array<RefTensor | undefined>,
  ctx: KernelContext,
) => Array<RefTensor | undefined>;

/** The input at `i`, or an error naming it when it is missing. */
export function need(inputs: Array<RefTensor | undefined>, i: number, name: string): RefTensor {
  const t = inputs[i];
  if (t === undefined) throw new Error(`missing required input ${i} (${name})`);
  return t;
}
