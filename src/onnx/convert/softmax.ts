/**
 * Softmax, LogSoftmax and Hardmax before opset 13 coerce their input to 2-D at `axis` (default 1)
 * and normalize over everything from `axis` on; from 13 they normalize over `axis` alone
 * (default -1). Where the input's rank is known and `axis` is its last axis the two agree and
 * only the attribute changes; otherwise the node becomes Flatten(axis) -> op(axis=1) -> Reshape
 * back to the input's shape, exactly the old semantics.
 */
import type { Graph, Node } from '../ir.js';
import { attrInt } from '../ir.js';
import type { ShapeTable } from '../shapes/infer.js';

export const COERCING_OPS = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

/** Rewrites one pre-13 softmax-family node; returns the nodes that replace it. */
export function upgradeSoftmax(g: Graph, n: Node, table: ShapeTable | undefined): Node[] {
  const axis = attrInt(n, 'axis', 1);
  const rank = table?.info.get(n.inputs[0])?.shape?.length;
  if (axis === -1 || (rank !== undefined && (axis < 0 ? axis + rank : axis) === rank - 1)) {
    n.attrs.axis = { type: 'int', value: -1 };
    return [n];
  }
  const x = n.inputs[0];
  const flat = `${n.name}/flat`;
  const shape = `${n.name}/shape`;
  const inner = `${n.name}/2d`;
  const out = n.outputs[0];
  void g;
  return [
    {
      name: `${n.name}/Flatten`,
      opType: 'Flatten',
      domain: '',
      inputs: [x],
      outputs: [flat],
      attrs: { axis: { type: 'int', value: axis } },
    },
    { ...n, inputs: [flat], outputs: [inner], attrs: { axis: { type: 'int', value: 1 } } },
    { name: `${n.name}/Shape`, opType: 'Shape', domain: '', inputs: [x], outputs: [shape], attrs: {} },
    { name: `${n.name}/Reshape`, opType: 'Reshape', domain: '', inputs: [inner, shape], outputs: [out], attrs: {} },
  ];
}
