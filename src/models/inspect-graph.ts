/**
 * Findings of `gymnosd check` beyond the top-level op list: nodes and weights inside subgraphs
 * (If/Loop/Scan bodies), initializers PyTorch's exporter merged (tied through Identity nodes), and
 * probability outputs (Softmax/Sigmoid) that a logits loss would treat as logits.
 */
import type { Graph, Node } from '../onnx/ir.js';
import { isFloat, sizeOf } from '../onnx/tensor.js';
import { gradRule, NON_DIFFERENTIABLE } from '../autodiff/registry.js';

export interface SubgraphFinding {
  /** Unsupported nodes inside subgraphs, with where they sit. */
  unsupported: Array<{ node: string; op: string; domain: string; where: string }>;
  /** Float initializers inside subgraphs (weights of If branches, Loop/Scan bodies). */
  parameters: Array<{ name: string; dims: number[]; count: number; where: string }>;
}

function subgraphsOf(n: Node): Array<[string, Graph]> {
  const out: Array<[string, Graph]> = [];
  for (const [k, a] of Object.entries(n.attrs)) {
    if (a.type === 'graph') out.push([k, a.value]);
    else if (a.type === 'graphs') a.value.forEach((g, i) => out.push([`${k}[${i}]`, g]));
  }
  return out;
}

const supported = (n: Node) =>
  n.domain === '' && (gradRule(n.opType) !== undefined || NON_DIFFERENTIABLE.has(n.opType));

/** Walks every subgraph of `g` (recursively) for unsupported nodes and float weights. */
export function inspectSubgraphs(g: Graph): SubgraphFinding {
  const found: SubgraphFinding = { unsupported: [], parameters: [] };
  const walk = (graph: Graph, path: string) => {
    for (const n of graph.nodes) {
      for (const [attr, sub] of subgraphsOf(n)) {
        const where = `${path}${path ? ' > ' : ''}${n.opType} '${n.name}' ${attr}`;
        for (const [name, t] of sub.initializers) {
          if (isFloat(t.dtype) && sizeOf(t.dims) > 1)
            found.parameters.push({ name, dims: [...t.dims], count: sizeOf(t.dims), where });
        }
        for (const inner of sub.nodes) {
          if (!supported(inner))
            found.unsupported.push({ node: inner.name, op: inner.opType, domain: inner.domain, where });
        }
        walk(sub, where);
      }
    }
  };
  walk(g, '');
  return found;
}

/** Control-flow nodes (no gradient rule of their own) whose subgraphs hold weights. */
export function controlFlowWithWeights(g: Graph): Node[] {
  return g.nodes.filter(
    (n) => subgraphsOf(n).length > 0 && !supported(n) && inspectSubgraphs({ ...g, nodes: [n] }).parameters.length > 0,
  );
}

/**
 * An initializer read through Identity nodes by several values: PyTorch's exporter merged identical tensors into one.
 */
export interface TiedInitializer {
  initializer: string;
  readers: string[];
}

export function tiedInitializers(g: Graph): TiedInitializer[] {
  const byInit = new Map<string, string[]>();
  for (const n of g.nodes) {
    if (n.opType !== 'Identity' || n.domain !== '') continue;
    const t = g.initializers.get(n.inputs[0]);
    if (!t || !isFloat(t.dtype)) continue;
    byInit.set(n.inputs[0], [...(byInit.get(n.inputs[0]) ?? []), n.outputs[0]]);
  }
  return [...byInit].map(([initializer, readers]) => ({ initializer, readers }));
}

/** Outputs computed by Softmax or Sigmoid: under a logits loss they would be squashed twice. */
export function probabilityOutputs(g: Graph): Array<{ output: string; node: string; op: string; logits: string }> {
  const out: Array<{ output: string; node: string; op: string; logits: string }> = [];
  for (const o of g.outputs) {
    let producer = g.nodes.find((n) => n.outputs.includes(o.name));
    // look through a trailing Identity/Reshape/Flatten/Squeeze
    while (producer && ['Identity', 'Reshape', 'Flatten', 'Squeeze'].includes(producer.opType)) {
      const src = producer.inputs[0];
      producer = g.nodes.find((n) => n.outputs.includes(src));
    }
    if (producer && (producer.opType === 'Softmax' || producer.opType === 'Sigmoid')) {
      out.push({ output: o.name, node: producer.name, op: producer.opType, logits: producer.inputs[0] });
    }
  }
  return out;
}
