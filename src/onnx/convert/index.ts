/**
 * The opset converter: brings ai.onnx graphs exported at opsets 9-12 to the opset-13 forms of
 * every op Gymnos handles (the step from 13 to the canonical 18 is in `opset.ts`). ONNX's own
 * version converter exists only in Python; this covers the ops exporters emit for trainable
 * models and names the node of anything it cannot translate.
 */
import type { Graph, Node } from '../ir.js';
import { ConvertError } from './legacy-ops.js';
import { inferShapes, type ShapeTable } from '../shapes/infer.js';
import { ConvertContext, UPGRADERS } from './legacy-ops.js';
import { COERCING_OPS, upgradeSoftmax } from './softmax.js';

export { ConvertError } from './legacy-ops.js';

/** Rewrites, in place, every node of `g` (and its subgraphs) from opset `from` (< 13) to opset-13 forms. */
export function upgradeToOpset13(g: Graph, from: number): void {
  if (from >= 13) return;
  const cx = new ConvertContext(g);
  const coercing: Node[] = [];
  for (const n of g.nodes) {
    if (n.domain !== '') continue;
    const u = UPGRADERS[n.opType];
    if (u && from < u.before) u.upgrade(n, from, cx);
    if (COERCING_OPS.has(n.opType)) coercing.push(n);
    for (const a of Object.values(n.attrs)) {
      if (a.type === 'graph') upgradeToOpset13(a.value, from);
      if (a.type === 'graphs') a.value.forEach((s) => upgradeToOpset13(s, from));
    }
  }
  dropUnusedBatchNormOutputs(g);
  if (!coercing.length) return;
  // ranks from shape inference on the upgraded graph (softmax keeps its input's shape either way)
  let table: ShapeTable | undefined;
  try {
    table = inferShapes(g, 13);
  } catch {
    table = undefined;
  }
  const replaced = new Map(coercing.map((n) => [n, upgradeSoftmax(g, n, table)]));
  g.nodes = g.nodes.flatMap((n) => replaced.get(n) ?? [n]);
}

/** Opset 14 allows BatchNormalization's extra outputs only in training mode; inference exports leave them unread. */
function dropUnusedBatchNormOutputs(g: Graph): void {
  const read = new Set<string>(g.outputs.map((o) => o.name));
  for (const n of g.nodes) n.inputs.forEach((i) => read.add(i));
  for (const n of g.nodes) {
    if (n.opType !== 'BatchNormalization' || n.outputs.length <= 1) continue;
    const extra = n.outputs.slice(1).filter((o) => o && read.has(o));
    if (extra.length)
      throw new ConvertError(
        `node '${n.name}' (BatchNormalization): its running-statistics outputs (${extra.join(', ')}) are read; Gymnos trains BatchNormalization itself: export the model in eval mode`,
      );
    n.outputs = [n.outputs[0]];
  }
}
