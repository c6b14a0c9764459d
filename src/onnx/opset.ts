/**
 * Opset handling in one place. Gymnos accepts `ai.onnx` exports at opset 9 and later (`convert/`
 * brings opsets 9-12 to the opset-13 forms) and works on
 * one canonical form, opset 18, in which every Reduce* op takes `axes` as an input (ReduceSum did
 * since 13; the others switched at 18) and Squeeze/Unsqueeze/Split take theirs as inputs (since 13).
 * Every graph Gymnos emits (training, eval, inference export) is opset 18.
 */
import { type Graph, type Model, topologicalSort } from './ir.js';
import { tensor, type Tensor } from './tensor.js';
import { upgradeToOpset13 } from './convert/index.js';
import { GymnosError } from '../util/errors.js';
import { hoistBranchInitializers, inlineConstantIfs } from './control-flow.js';
import { unrollStaticLoops } from './unroll-loop.js';
import { unrollShapedLoops } from './unroll-shaped.js';

/** The ai.onnx opset of every graph Gymnos emits. */
export const CANONICAL_OPSET = 18;
/** The oldest ai.onnx opset accepted as input. */
export const MIN_OPSET = 9;
/** IR version written with the canonical opset. */
export const CANONICAL_IR_VERSION = 8;

const REDUCE_ATTR_UNTIL_18 = [
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
];

/** A model that cannot be converted: names the file or node and what would fix it. */
export class OpsetError extends GymnosError {
  readonly code = 'ERR_OPSET';
  constructor(message: string) {
    super(message);
    this.name = 'OpsetError';
  }
}

/** The model's ai.onnx opset, checked against the supported range. */
export function modelOpset(model: Model, source = 'model'): number {
  const v = model.opset.get('') ?? model.opset.get('ai.onnx');
  if (v === undefined)
    throw new OpsetError(
      `${source}: the model imports no ai.onnx opset; re-export it with opset ${MIN_OPSET} or later`,
    );
  if (v < MIN_OPSET) {
    throw new OpsetError(
      `${source}: the model uses opset ${v}, but Gymnos needs opset ${MIN_OPSET} or later; re-export it (torch.onnx.export(..., opset_version=17) or tf2onnx --opset 17)`,
    );
  }
  for (const [domain] of model.opset) {
    if (domain !== '' && domain !== 'ai.onnx') {
      const used = model.graph.nodes.find((n) => n.domain === domain);
      if (used)
        throw new OpsetError(
          `${source}: node '${used.name}' (${used.opType}) is in domain '${domain}'; Gymnos trains standard ai.onnx ops only`,
        );
    }
  }
  return v;
}

/** Turns `Constant` nodes into initializers (recursively inside subgraphs too). */
export function foldConstants(g: Graph): void {
  const kept = [];
  for (const n of g.nodes) {
    if (n.opType === 'Constant' && n.domain === '') {
      g.initializers.set(n.outputs[0], constantValue(n.attrs, n.name));
      continue;
    }
    for (const a of Object.values(n.attrs)) {
      if (a.type === 'graph') foldConstants(a.value);
      if (a.type === 'graphs') a.value.forEach(foldConstants);
    }
    kept.push(n);
  }
  g.nodes = kept;
}

function constantValue(attrs: Graph['nodes'][number]['attrs'], name: string): Tensor {
  const [key, a] = Object.entries(attrs)[0] ?? [];
  if (!a) throw new OpsetError(`Constant node '${name}' has no value`);
  switch (a.type) {
    case 'tensor':
      return a.value;
    case 'int':
      return tensor('int64', [], [a.value]);
    case 'ints':
      return tensor('int64', [a.value.length], a.value);
    case 'float':
      return tensor('float32', [], [a.value]);
    case 'floats':
      return tensor('float32', [a.value.length], a.value);
    case 'string':
      return tensor('string', [], [a.value]);
    case 'strings':
      return tensor('string', [a.value.length], a.value);
    default:
      throw new OpsetError(
        `Constant node '${name}' has attribute '${key}' of type ${a.type}, which is not a constant value`,
      );
  }
}

/** Rewrites nodes from `from` to the canonical opset, in place. */
function upgradeGraph(g: Graph, from: number): void {
  let counter = 0;
  for (const n of g.nodes) {
    if (n.domain !== '') continue;
    if (from < 18 && REDUCE_ATTR_UNTIL_18.includes(n.opType) && n.attrs.axes) {
      const a = n.attrs.axes;
      if (a.type !== 'ints') throw new OpsetError(`node '${n.name}' (${n.opType}): axes should be ints`);
      const name = `${n.name}/axes_${counter++}`;
      g.initializers.set(name, tensor('int64', [a.value.length], a.value));
      n.inputs = [n.inputs[0], name];
      delete n.attrs.axes;
    }
    for (const a of Object.values(n.attrs)) {
      if (a.type === 'graph') upgradeGraph(a.value, from);
      if (a.type === 'graphs') a.value.forEach((s) => upgradeGraph(s, from));
    }
  }
}

/**
 * Brings a model to the canonical form in place: checks its opset, folds constants, inlines If
 * nodes with constant conditions, unrolls Loops with a static trip count (unroll-loop.ts), and
 * Scans and Loops whose length is static once shapes are inferred (unroll-shaped.ts), and
 * hoists branch weights (control-flow.ts), converts
 * attribute/input forms to opset 18, and sorts nodes topologically.
 */
export function canonicalize(model: Model, source = 'model'): Model {
  const from = modelOpset(model, source);
  foldConstants(model.graph);
  inlineConstantIfs(model.graph);
  unrollStaticLoops(model.graph);
  hoistBranchInitializers(model.graph);
  if (from < 13) upgradeToOpset13(model.graph, from);
  if (from < CANONICAL_OPSET) upgradeGraph(model.graph, from);
  model.opset = new Map([['', Math.max(from, CANONICAL_OPSET)]]);
  model.irVersion = Math.max(model.irVersion, CANONICAL_IR_VERSION);
  unrollShapedLoops(model.graph, model.opset.get('')!);
  const g = model.graph;
  g.nodes = topologicalSort(g.nodes, [...g.inputs.map((v) => v.name), ...g.initializers.keys()]);
  return model;
}
