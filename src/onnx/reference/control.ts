/**
 * Control flow: If and Loop. Subgraphs run through the interpreter (`ctx.runSubgraph`) and see
 * the values of the scope the node runs in.
 */
import type { Graph, Node } from '../ir.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import type { RefTensor } from './tensor-util.js';
import { allocLike, makeTensor, scalarOf, sizeOf } from './tensor-util.js';

function graphAttr(node: Node, name: string): Graph {
  const a = node.attrs[name];
  if (a === undefined || a.type !== 'graph') throw new Error(`node needs graph attribute '${name}'`);
  return a.value;
}

const ifKernel: Kernel = (node, inputs, ctx) => {
  const cond = scalarOf(need(inputs, 0, 'cond'), 'cond') !== 0;
  const g = graphAttr(node, cond ? 'then_branch' : 'else_branch');
  const outs = ctx.runSubgraph(g, []);
  if (outs.length !== node.outputs.length)
    throw new Error(`branch '${g.name}' has ${outs.length} outputs, the node ${node.outputs.length}`);
  return outs;
};

/** Stacks per-iteration tensors along a new leading axis. */
function stack(parts: RefTensor[], template: Graph['outputs'][number]): RefTensor {
  if (parts.length === 0) {
    const dims =
      template.shape && template.shape.every((d): d is number => typeof d === 'number') ? template.shape : [];
    return makeTensor(template.dtype, [0, ...dims]);
  }
  const dims = parts[0].dims,
    each = sizeOf(dims);
  for (const p of parts) {
    if (p.dims.length !== dims.length || p.dims.some((d, i) => d !== dims[i])) {
      throw new Error(`scan output '${template.name}' changes shape across iterations ([${dims}] then [${p.dims}])`);
    }
  }
  const out = allocLike(parts[0].data, each * parts.length);
  parts.forEach((p, i) => (out as Float64Array).set(p.data as Float64Array, i * each));
  return makeTensor(parts[0].dtype, [parts.length, ...dims], out);
}

const MAX_ITERATIONS = 10_000_000;

const loop: Kernel = (node, inputs, ctx) => {
  const body = graphAttr(node, 'body');
  const M = inputs[0] !== undefined ? scalarOf(inputs[0], 'M') : Infinity;
  let cond = inputs[1] !== undefined ? scalarOf(inputs[1], 'cond') !== 0 : true;
  let carried = inputs.slice(2).map((t, i) => {
    if (t === undefined) throw new Error(`loop-carried input ${i} is missing`);
    return t;
  });
  const nCarried = carried.length;
  const nScan = body.outputs.length - 1 - nCarried;
  if (nScan < 0)
    throw new Error(`body has ${body.outputs.length} outputs but the loop carries ${nCarried} values (plus cond)`);
  if (node.outputs.length > nCarried + nScan)
    throw new Error(`node has ${node.outputs.length} outputs, the body gives ${nCarried + nScan}`);
  const scans: RefTensor[][] = Array.from({ length: nScan }, () => []);
  let i = 0;
  while (i < M && cond) {
    if (i >= MAX_ITERATIONS) throw new Error(`loop ran past ${MAX_ITERATIONS} iterations`);
    const iter = makeTensor('int64', [], BigInt64Array.of(BigInt(i)));
    const c = makeTensor('bool', [], Uint8Array.of(cond ? 1 : 0));
    const outs = ctx.runSubgraph(body, [iter, c, ...carried]);
    cond = scalarOf(outs[0], 'body cond output') !== 0;
    carried = outs.slice(1, 1 + nCarried);
    for (let k = 0; k < nScan; k++) scans[k].push(outs[1 + nCarried + k]);
    i++;
  }
  return [...carried, ...scans.map((parts, k) => stack(parts, body.outputs[1 + nCarried + k]))];
};

export const kernels: Record<string, Kernel> = {
  If: ifKernel,
  Loop: loop,
};
