/**
 * Shape inference of If: each branch is inferred in the scope of the node (it reads outer values),
 * and an output's shape is what both branches agree on (a dim they disagree on is unknown).
 */
import type { Dim, Graph, Node } from '../ir.js';
import type { OutputInfo } from './context.js';
import type { DType } from '../tensor.js';

/** Shapes of a subgraph's outputs, inferred by the caller in the node's scope. */
export type InferBranch = (g: Graph) => Map<string, { dtype: DType; shape?: Dim[] }>;

export function ifShapes(node: Node, where: string, infer: InferBranch): OutputInfo[] {
  const subs = ['then_branch', 'else_branch'].map((k) => {
    const a = node.attrs[k];
    if (!a || a.type !== 'graph') throw new Error(`${where}: If needs the graph attribute '${k}'`);
    return a.value;
  });
  const results = subs.map((g) => {
    const info = infer(g);
    return g.outputs.map((o) => info.get(o.name) ?? { dtype: o.dtype, shape: o.shape });
  });
  return node.outputs.map((_, i) => {
    const [t, e] = [results[0][i], results[1][i]];
    if (!t || !e) throw new Error(`${where}: If branches give ${results[0].length} and ${results[1].length} outputs; the node has ${node.outputs.length}`);
    let shape: Dim[] | undefined;
    if (t.shape && e.shape && t.shape.length === e.shape.length) shape = t.shape.map((d, k) => (d === e.shape![k] ? d : null));
    return { dtype: t.dtype, shape };
  });
}
