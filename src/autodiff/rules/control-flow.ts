/**
 * Gradient of If on a data condition: a gradient If on the same condition whose branches hold each
 * branch's backward. A branch's backward is a copy of the branch (recomputing its forward, values
 * renamed apart), the vector-Jacobian product written as the scalar sum_i <out_i, dY_i> (the dY_i
 * are read from the outer scope, constants to the branch), and the autodiff of that scalar with
 * respect to every outer value either branch reads that needs a gradient (parameters, activations).
 * Both gradient branches output one gradient per such value, zeros where their branch does not
 * read it, so the If's outputs line up. An If with a constant condition never gets here:
 * canonicalization inlines the branch it takes (src/onnx/control-flow.ts).
 */
import { outerScopeReads, type Graph } from '../../onnx/ir.js';
import { cloneGraph } from '../../onnx/clone.js';
import { GraphBuilder } from '../../onnx/builder.js';
import { inferShapes } from '../../onnx/shapes/infer.js';
import type { GradContext, GradRuleFamily } from '../rule.js';
import { AutodiffError } from '../rule.js';

/** A copy of `g` with every value it defines renamed `${prefix}/${name}` (outer reads untouched). */
function renamedCopy(g: Graph, prefix: string): Graph {
  const c = cloneGraph(g);
  const defined = new Map<string, string>();
  for (const n of c.nodes) for (const o of n.outputs) if (o) defined.set(o, `${prefix}/${o}`);
  for (const k of c.initializers.keys()) defined.set(k, `${prefix}/${k}`);
  const r = (v: string) => defined.get(v) ?? v;
  for (const n of c.nodes) {
    if (Object.values(n.attrs).some((a) => a.type === 'graph' || a.type === 'graphs')) {
      throw new AutodiffError(
        `node '${n.name}' (${n.opType}) inside an If branch has subgraphs of its own; nested control flow is not differentiated`,
      );
    }
    n.inputs = n.inputs.map(r);
    n.outputs = n.outputs.map(r);
    n.name = `${prefix}/${n.name}`;
  }
  c.initializers = new Map([...c.initializers].map(([k, t]) => [r(k), t]));
  c.outputs = c.outputs.map((o) => ({ ...o, name: r(o.name) }));
  c.valueInfo = new Map();
  return c;
}

function ifGrad(c: GradContext): Array<string | undefined> {
  const { node, b } = c;
  const subs = ['then_branch', 'else_branch'].map((k) => {
    const a = node.attrs[k];
    if (!a || a.type !== 'graph') throw new AutodiffError(`${c.where}: If needs the graph attribute '${k}'`);
    return a.value;
  });
  const wrt = [...new Set(subs.flatMap((g) => outerScopeReads(g)))].filter((v) => c.needsValue(v));
  if (wrt.length === 0) return [];
  const grads = subs.map((sub, k) => {
    const tag = `${node.name}/${k === 0 ? 'then' : 'else'}_grad`;
    const g = renamedCopy(sub, tag);
    const gb = new GraphBuilder(g, `${tag}/vjp`);
    const terms = g.outputs.flatMap((o, i) => {
      const dy = c.dy(i);
      return dy ? [gb.op('ReduceSum', [gb.op('Mul', [o.name, dy])], { keepdims: 0 })] : [];
    });
    const loss = terms.length === 1 ? terms[0] : gb.op('Sum', terms);
    const table = inferShapes(g, c.opset, { outer: c.scope });
    const byValue = c.differentiateSubgraph(g, table, loss, wrt, `${tag}/bw`);
    g.outputs = wrt.map((v) => {
      const name = byValue.get(v)!;
      return { name, dtype: c.dtype(v), shape: c.scope.info.get(v)?.shape };
    });
    return g;
  });
  const outs = b.opN(
    'If',
    [node.inputs[0]],
    wrt.length,
    {
      then_branch: { type: 'graph', value: grads[0] },
      else_branch: { type: 'graph', value: grads[1] },
    },
    'if_grad',
  );
  wrt.forEach((v, i) => c.addGrad(v, outs[i]));
  return [];
}

export const controlFlowFamily: GradRuleFamily = {
  family: 'control-flow',
  rules: { If: ifGrad },
};
