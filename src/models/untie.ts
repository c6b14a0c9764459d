/**
 * `untieInitializers`: PyTorch's exporter merges initializers with identical values (freshly
 * initialized BatchNorm weights, zero biases) into one tensor that the other users read through
 * `Identity` nodes, which ties parameters that were separate in the user's model. Untying gives
 * every such reader its own initializer (a copy under the reader's value name) and drops the
 * Identity node, so each trains on its own.
 */
import type { Graph } from '../onnx/ir.js';
import { cloneTensor, isFloat } from '../onnx/tensor.js';

/** Untie in place; returns the new initializer names (one per former Identity reader). */
export function untieInitializers(g: Graph): string[] {
  const created: string[] = [];
  const outputs = new Set(g.outputs.map((o) => o.name));
  g.nodes = g.nodes.filter((n) => {
    if (n.opType !== 'Identity' || n.domain !== '') return true;
    const t = g.initializers.get(n.inputs[0]);
    const out = n.outputs[0];
    if (!t || !isFloat(t.dtype) || outputs.has(out) || g.initializers.has(out)) return true;
    g.initializers.set(out, cloneTensor(t));
    created.push(out);
    return false;
  });
  return created;
}
