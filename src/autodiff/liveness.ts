/**
 * Memory accounting of a training graph at a concrete batch size: the byte size of every value,
 * which forward values the backward pass keeps alive, and the theoretical floor of a step.
 */
import type { Graph, Model } from '../onnx/ir.js';
import { cloneGraph } from '../onnx/clone.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { dtypeSize } from '../onnx/tensor.js';
import { IO_NAMES } from './io-names.js';
import type { CarriedValue } from './train-graph.js';

/** Byte size of every value whose shape is known once symbolic dimensions are `batch`. */
export function valueBytes(g: Graph, opset: number, batch: number): Map<string, number> {
  const c = cloneGraph(g);
  for (const v of c.inputs) if (v.shape) v.shape = v.shape.map((d) => (typeof d === 'number' ? d : batch));
  const table = inferShapes(c, opset);
  const out = new Map<string, number>();
  for (const [name, v] of table.info) {
    if (!v.shape || v.shape.some((d) => typeof d !== 'number')) continue;
    out.set(name, (v.shape as number[]).reduce((a, b) => a * b, 1) * dtypeSize(v.dtype));
  }
  return out;
}

/** Indices of the nodes the loss depends on (the forward pass and the loss). */
export function forwardNodeSet(g: Graph, loss: string): Set<number> {
  const need = new Set([loss]);
  const fwd = new Set<number>();
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k];
    if (!n.outputs.some((o) => need.has(o))) continue;
    fwd.add(k);
    for (const i of n.inputs) if (i) need.add(i);
  }
  return fwd;
}

/**
 * Forward values (node outputs and data inputs, not parameters or constants) that a node outside
 * the forward pass reads: what the backward pass keeps alive from the forward pass.
 */
export function savedForBackward(g: Graph, loss: string, carried: Set<string>): string[] {
  const fwd = forwardNodeSet(g, loss);
  const produced = new Set<string>();
  for (const k of fwd) for (const o of g.nodes[k].outputs) produced.add(o);
  for (const v of g.inputs) if (!carried.has(v.name)) produced.add(v.name);
  const saved = new Set<string>();
  g.nodes.forEach((n, k) => {
    if (fwd.has(k)) return;
    for (const i of n.inputs) if (i && produced.has(i) && !g.initializers.has(i)) saved.add(i);
  });
  return [...saved];
}

export interface MemoryFloor {
  /** Bytes: parameters + optimizer state + running statistics + saved activations. */
  total: number;
  parts: { parameters: number; optimizerState: number; runningStatistics: number; savedActivations: number };
  /** Names of the saved activations. */
  saved: string[];
}

/**
 * The least memory one training step needs at `batch`: the carried tensors once and the forward
 * values the backward pass reads. Gradients, updated outputs and backward temporaries are not
 * counted (a framework can update in place and free each gradient after its update), nor the
 * runtime's own code and data.
 */
export function trainingMemoryFloor(art: { trainStep: Model; carried: CarriedValue[] }, batch: number): MemoryFloor {
  const g = art.trainStep.graph;
  const bytes = valueBytes(g, art.trainStep.opset.get('') ?? 18, batch);
  const carried = new Set(art.carried.map((c) => c.input));
  const lossProducer = g.nodes.find((n) => n.outputs.includes(IO_NAMES.loss));
  const loss = lossProducer?.inputs[0] ?? IO_NAMES.loss;
  const saved = savedForBackward(g, loss, carried);
  const sum = (kind: string) =>
    art.carried.filter((c) => c.kind === kind).reduce((s, c) => s + c.init.data.length * dtypeSize(c.init.dtype), 0);
  const parts = {
    parameters: sum('param'),
    optimizerState: sum('optimizer'),
    runningStatistics: sum('running'),
    savedActivations: saved.reduce((s, v) => s + (bytes.get(v) ?? 0), 0),
  };
  return {
    total: parts.parameters + parts.optimizerState + parts.runningStatistics + parts.savedActivations,
    parts,
    saved,
  };
}
