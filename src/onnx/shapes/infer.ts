/**
 * Type and shape inference over a graph, with symbolic dimensions (a batch named `N` flows through)
 * and propagation of small integer values so Shape -> Gather -> Concat -> Reshape chains resolve.
 */
import type { Dim, Graph, ValueInfo } from '../ir.js';
import { toNumbers, type Tensor } from '../tensor.js';
import { ShapeInferenceError, type OutputInfo, type ShapeCtx, type ShapeRule } from './context.js';
import { elementwiseRules } from './elementwise.js';
import { shapeOpRules } from './shape-ops.js';
import { nnRules } from './nn-ops.js';
import { resizeRules } from './resize.js';
import { ifShapes, loopShapes, scanShapes } from './control-flow.js';
import { recurrentOpRules } from './recurrent-ops.js';

const RULES: Record<string, ShapeRule> = {
  ...elementwiseRules,
  ...shapeOpRules,
  ...nnRules,
  ...resizeRules,
  ...recurrentOpRules,
};

/** Ops shape inference understands. */
export function shapeInferenceOps(): string[] {
  return [...Object.keys(RULES), 'If', 'Loop', 'Scan'].sort();
}

/** Result of inference: info for every value, plus known small integer values. */
export interface ShapeTable {
  info: Map<string, ValueInfo>;
  values: Map<string, Dim[]>;
}

/** Values of a small 0-D/1-D integer or float tensor (shapes, and the float scales of Resize). */
function smallValue(t: Tensor): Dim[] | undefined {
  if (t.dims.length > 1 || t.data.length > 64) return undefined;
  if (!['int64', 'int32', 'float32', 'float64', 'bool'].includes(t.dtype)) return undefined;
  return toNumbers(t);
}

/**
 * Infers every value's type and shape. Unknown ops get unknown shapes unless `strict`, where they
 * throw. Errors name the node. `opset` is the ai.onnx opset the graph uses.
 */
export function inferShapes(
  graph: Graph,
  opset: number,
  options: { strict?: boolean; outer?: ShapeTable } = {},
): ShapeTable {
  const info = new Map<string, ValueInfo>(options.outer?.info);
  const values = new Map<string, Dim[]>(options.outer?.values);
  for (const v of graph.inputs) info.set(v.name, { ...v, shape: v.shape ? [...v.shape] : undefined });
  for (const [name, t] of graph.initializers) {
    info.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
    const v = smallValue(t);
    if (v) values.set(name, v);
  }
  for (const node of graph.nodes) {
    const where = `node '${node.name}' (${node.opType})`;
    const rule = node.domain === '' || node.domain === 'ai.onnx' ? RULES[node.opType] : undefined;
    const present = node.inputs.map((n) => n !== '');
    let count = node.inputs.length;
    while (count > 0 && !present[count - 1]) count--;
    const ctx: ShapeCtx = {
      node,
      where,
      opset,
      count,
      has: (i) => i < node.inputs.length && node.inputs[i] !== '',
      info: (i) => {
        const name = node.inputs[i];
        const vi = name ? info.get(name) : undefined;
        if (!vi)
          throw new Error(`${where}: input ${i} ('${name ?? ''}') has no known type; is it defined before this node?`);
        return vi;
      },
      shape: (i) => {
        const s = ctx.info(i).shape;
        if (!s)
          throw new Error(
            `${where}: the rank of input ${i} ('${node.inputs[i]}') is unknown; give the model input a shape`,
          );
        return s;
      },
      dtype: (i) => ctx.info(i).dtype,
      value: (i) => (ctx.has(i) ? values.get(node.inputs[i]) : undefined),
      constant: (i) => (ctx.has(i) ? graph.initializers.get(node.inputs[i]) : undefined),
      staticInts: (i, why) => {
        const v = ctx.value(i);
        if (!v || v.some((d) => typeof d !== 'number')) {
          throw new Error(
            `${where}: input ${i} ('${node.inputs[i]}', ${why}) must be a constant known before training; it is computed at run time`,
          );
        }
        return v as number[];
      },
    };
    let outs: OutputInfo[];
    if (node.opType === 'If' && (node.domain === '' || node.domain === 'ai.onnx')) {
      outs = ifShapes(
        node,
        where,
        (sub) => inferShapes(sub, opset, { strict: options.strict, outer: { info, values } }).info,
      );
    } else if (
      (node.opType === 'Loop' || node.opType === 'Scan') &&
      (node.domain === '' || node.domain === 'ai.onnx') &&
      opset >= 9
    ) {
      const sub = (g: Graph) => inferShapes(g, opset, { strict: options.strict, outer: { info, values } }).info;
      const input = (i: number) => (ctx.has(i) ? info.get(node.inputs[i]) : undefined);
      const m = ctx.value(0);
      try {
        outs =
          node.opType === 'Loop'
            ? loopShapes(node, where, sub, input, m?.length === 1 ? m[0] : undefined)
            : scanShapes(node, where, sub, input);
      } catch (e) {
        if (options.strict) throw e;
        outs = node.outputs.map(() => ({ dtype: 'float32' as const }));
      }
    } else if (!rule) {
      if (options.strict)
        throw new Error(
          `${where}: no shape inference for op '${node.opType}'${node.domain ? ` in domain '${node.domain}'` : ''}`,
        );
      outs = node.outputs.map(() => ({ dtype: 'float32' as const }));
    } else {
      try {
        outs = rule(ctx);
      } catch (e) {
        // rules throw plain Errors that describe the model ("node 'x' (Conv): ..."); anything else is a bug
        if (e instanceof Error && e.constructor === Error) throw new ShapeInferenceError(e.message, { cause: e });
        throw e;
      }
    }
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const o = outs[i] ?? { dtype: 'float32' as const };
      const declared = graph.valueInfo.get(name);
      const shape = o.shape ?? declared?.shape;
      info.set(name, { name, dtype: o.dtype, shape: shape ? [...shape] : undefined });
      if (o.value) values.set(name, o.value);
    });
  }
  return { info, values };
}
