/** Deep copies of graphs and models, so transformations never alias the caller's IR. */
import type { Attr, Graph, Model } from './ir.js';
import { cloneTensor } from './tensor.js';

function cloneAttr(a: Attr): Attr {
  switch (a.type) {
    case 'tensor':
      return { type: 'tensor', value: cloneTensor(a.value) };
    case 'graph':
      return { type: 'graph', value: cloneGraph(a.value) };
    case 'graphs':
      return { type: 'graphs', value: a.value.map((g) => cloneGraph(g)) };
    case 'tensors':
      return { type: 'tensors', value: a.value.map(cloneTensor) };
    case 'ints':
    case 'floats':
    case 'strings':
      return { type: a.type, value: [...a.value] } as Attr;
    default:
      return { ...a };
  }
}

/** Deep copy of a graph. Initializer tensors are shared unless `copyWeights` is set. */
export function cloneGraph(g: Graph, copyWeights = false): Graph {
  return {
    name: g.name,
    docString: g.docString,
    nodes: g.nodes.map((n) => ({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, a]) => [k, cloneAttr(a)])),
    })),
    inputs: g.inputs.map((v) => ({ ...v, shape: v.shape ? [...v.shape] : undefined })),
    outputs: g.outputs.map((v) => ({ ...v, shape: v.shape ? [...v.shape] : undefined })),
    initializers: new Map([...g.initializers].map(([k, t]) => [k, copyWeights ? cloneTensor(t) : t])),
    valueInfo: new Map([...g.valueInfo].map(([k, v]) => [k, { ...v, shape: v.shape ? [...v.shape] : undefined }])),
  };
}

/** Deep copy of a model. */
export function cloneModel(m: Model, copyWeights = false): Model {
  return { ...m, opset: new Map(m.opset), metadata: { ...m.metadata }, graph: cloneGraph(m.graph, copyWeights) };
}
