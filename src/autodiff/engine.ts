/**
 * Reverse-mode autodiff over an ONNX graph: walks the nodes between the parameters and the loss in
 * reverse order, asks each node's rule for its input gradients, and sums gradients that meet.
 * The result is ordinary ONNX nodes appended to the graph.
 */
import { nodeDependencies, type Dim, type Graph, type Node } from '../onnx/ir.js';
import { GraphBuilder } from '../onnx/builder.js';
import { isFloat, type DType } from '../onnx/tensor.js';
import { inferShapes, type ShapeTable } from '../onnx/shapes/infer.js';
import { AutodiffError, type GradContext } from './rule.js';
import { gradRule, NON_DIFFERENTIABLE, supportedOps } from './registry.js';
import { unbroadcast } from './unbroadcast.js';

export interface DifferentiateOptions {
  /** Scalar value to differentiate. */
  loss: string;
  /** Values (parameters) to differentiate with respect to. */
  wrt: string[];
  opset: number;
  /** Name prefix for the emitted nodes. */
  prefix?: string;
  /** Gradient seed shaped like `loss` (default: a constant 1; then `loss` must be a scalar). */
  seed?: string;
}

export interface DifferentiateResult {
  /** Gradient value name per parameter (same order as `wrt`). */
  grads: Map<string, string>;
  /** Parameters the loss does not depend on (their gradient is zero). */
  unused: string[];
}

/** Finds every node the graph cannot differentiate on the path from `wrt` to `loss`. */
export function unsupportedNodes(graph: Graph, loss: string, wrt: string[]): Node[] {
  const active = activeNodes(graph, loss, wrt);
  return active.nodes.filter((n) => n.domain !== '' || (!gradRule(n.opType) && !NON_DIFFERENTIABLE.has(n.opType)));
}

function activeNodes(graph: Graph, loss: string, wrt: string[]) {
  const fromParams = new Set(wrt);
  for (const n of graph.nodes) {
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    // (subgraph reads count as inputs: an If branch may read a parameter)
    if (nodeDependencies(n).some((i) => fromParams.has(i))) n.outputs.forEach((o) => o && fromParams.add(o));
  }
  const toLoss = new Set([loss]);
  const nodes: Node[] = [];
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k];
    if (!n.outputs.some((o) => toLoss.has(o))) continue;
    const deps = nodeDependencies(n);
    if (!deps.some((i) => fromParams.has(i))) continue;
    nodes.push(n);
    deps.forEach((i) => i && toLoss.add(i));
  }
  return { nodes: nodes.reverse(), fromParams, toLoss };
}

/** Appends the backward pass of `loss` with respect to `wrt` to `graph`. */
export function differentiate(graph: Graph, table: ShapeTable, opts: DifferentiateOptions): DifferentiateResult {
  const b = new GraphBuilder(graph, opts.prefix ?? 'grad');
  const info = table.info;
  const lossInfo = info.get(opts.loss);
  if (!lossInfo) throw new AutodiffError(`loss value '${opts.loss}' is not in the graph`);
  if (!opts.seed && lossInfo.shape && lossInfo.shape.length > 0 && lossInfo.shape.some((d) => d !== 1)) {
    throw new AutodiffError(`loss value '${opts.loss}' must be a scalar, but has shape [${lossInfo.shape.join(', ')}]`);
  }
  const { nodes, fromParams } = activeNodes(graph, opts.loss, opts.wrt);
  const bad = nodes.filter((n) => n.domain !== '' || (!gradRule(n.opType) && !NON_DIFFERENTIABLE.has(n.opType)));
  if (bad.length) {
    const list = bad.map((n) => `'${n.name}' (${n.domain ? `${n.domain}.` : ''}${n.opType})`).join(', ');
    throw new AutodiffError(
      `cannot differentiate node${bad.length > 1 ? 's' : ''} ${list}: no gradient rule for ${[...new Set(bad.map((n) => n.opType))].join(', ')}. Supported ops: ${supportedOps().join(', ')}`,
    );
  }

  const contributions = new Map<string, string[]>();
  const add = (name: string, g: string) => {
    const list = contributions.get(name);
    if (list) list.push(g);
    else contributions.set(name, [g]);
  };
  const total = (name: string): string | undefined => {
    const list = contributions.get(name);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    const s = b.op('Sum', list, {}, 'grad_sum');
    contributions.set(name, [s]);
    return s;
  };
  const shapeOf = (name: string): Dim[] => {
    const s = info.get(name)?.shape;
    if (!s)
      throw new AutodiffError(
        `the shape of '${name}' is unknown; give the model inputs full shapes (a symbolic batch dimension is fine)`,
      );
    return s;
  };
  add(opts.loss, opts.seed ?? b.constant(lossInfo.dtype, 1, lossInfo.shape ? lossInfo.shape.map(() => 1) : []));

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (NON_DIFFERENTIABLE.has(node.opType)) continue;
    const dys = node.outputs.map((o) => (o ? total(o) : undefined));
    if (dys.every((d) => d === undefined)) continue;
    const where = `node '${node.name}' (${node.opType})`;
    const ctx: GradContext = {
      b,
      node,
      where,
      opset: opts.opset,
      x: (i) => node.inputs[i] ?? '',
      y: (i) => node.outputs[i],
      dy: (i) => dys[i],
      needs: (i) => {
        const n = node.inputs[i];
        if (!n || !fromParams.has(n)) return false;
        const dt = info.get(n)?.dtype;
        return dt === undefined || isFloat(dt);
      },
      shape: shapeOf,
      staticShape: (name, why) => {
        const s = shapeOf(name);
        if (s.some((d) => typeof d !== 'number')) {
          throw new AutodiffError(
            `${where}: ${why} needs the static shape of '${name}', but it is [${s.map((d) => (d === null ? '?' : d)).join(', ')}]; pin the input sizes with the model option inputShapes, e.g. { "x": [null, 3, 224, 224] } (only the batch dimension may stay symbolic here)`,
          );
        }
        return s as number[];
      },
      dtype: (name) => info.get(name)?.dtype ?? 'float32',
      value: (name) => table.values.get(name),
      constInts: (i, why) => {
        const v = table.values.get(node.inputs[i]);
        if (!v || v.some((d) => typeof d !== 'number'))
          throw new AutodiffError(`${where}: ${why} (input ${i}, '${node.inputs[i]}') must be a constant`);
        return v as number[];
      },
      scalar: (v, like) => b.constant(ctx.dtype(like), v, []),
      constantLike: (values, dims, like) => b.constant(ctx.dtype(like), values, dims),
      unbroadcast: (grad, from, to) => unbroadcast(ctx, grad, from, to),
      setShape: (name, shape, dtype: DType) => {
        info.set(name, { name, dtype, shape });
      },
      scope: table,
      needsValue: (name) => fromParams.has(name) && isFloat(info.get(name)?.dtype ?? 'float32'),
      addGrad: (name, g) => {
        if (!fromParams.has(name)) return;
        if (!info.has(g) && info.has(name)) info.set(g, { ...info.get(name)!, name: g });
        add(name, g);
      },
      differentiateSubgraph: (sub, subTable, loss, wrt, prefix) =>
        differentiate(sub, subTable, { loss, wrt, opset: opts.opset, prefix }).grads,
      subgraphGrad: (sub, loss, wrt) => {
        const r = differentiate(sub, inferShapes(sub, opts.opset), {
          loss,
          wrt,
          opset: opts.opset,
          prefix: `${b.prefix}/${node.name}/bptt`,
        });
        b.nodes.push(...sub.nodes);
        for (const [k, v] of sub.initializers) graph.initializers.set(k, v);
        return r.grads;
      },
    };
    const grads = gradRule(node.opType)!(ctx);
    grads.forEach((g, i) => {
      if (g !== undefined && ctx.needs(i)) {
        const src = node.inputs[i];
        if (!info.has(g) && info.has(src)) info.set(g, { ...info.get(src)!, name: g });
        add(src, g);
      }
    });
  }

  const grads = new Map<string, string>();
  const unused: string[] = [];
  for (const p of opts.wrt) {
    const g = total(p);
    if (g) grads.set(p, g);
    else {
      unused.push(p);
      const pi = info.get(p);
      const shape = info.get(p)?.shape;
      const dims = shape && shape.every((d) => typeof d === 'number') ? b.ints(shape as number[]) : b.op('Shape', [p]);
      const zero = b.op(
        'ConstantOfShape',
        [dims],
        {
          value: {
            type: 'tensor',
            value: {
              dtype: pi?.dtype ?? 'float32',
              dims: [1],
              data: pi?.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1),
            },
          },
        },
        'zero_grad',
      );
      grads.set(p, zero);
    }
  }
  return { grads, unused };
}
