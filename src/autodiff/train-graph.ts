/**
 * Building blocks of the training graphs, shared by the single-step, K-step and accumulation
 * artifacts: the forward/loss/backward part, the clipping + optimizer update, and graph plumbing.
 */
import type { Graph, Model, ValueInfo } from '../onnx/ir.js';
import { cloneGraph } from '../onnx/clone.js';
import { GraphBuilder } from '../onnx/builder.js';
import { CANONICAL_OPSET } from '../onnx/opset.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import type { Tensor } from '../onnx/tensor.js';
import { differentiate } from './engine.js';
import { AutodiffError } from './rule.js';
import { buildLoss, type LossSpec } from './losses/index.js';
import {
  optimizerOf,
  buildUpdates,
  clipGradNorm,
  clipGradValue,
  type OptimizerSpec,
  type ParamUpdate,
} from './optimizers/index.js';
import { matchesPattern, type ParameterSplit } from './trainable.js';
import { rewriteForTraining } from './training-mode.js';
import { IO_NAMES as IO } from './io-names.js';
import { GYMNOS_VERSION } from '../util/version.js';

/** A value carried from one run to the next: its graph input, its updated output, its start value. */
export interface CarriedValue {
  input: string;
  output: string;
  kind: 'param' | 'optimizer' | 'running' | 'accumulator';
  init: Tensor;
}

/** What the update part needs to know about the training spec. */
export interface UpdateSpec {
  optimizer: OptimizerSpec;
  clipGradNorm?: number;
  clipGradValue?: number;
  paramGroups?: Array<{ params: string[]; lrScale?: number; weightDecay?: number }>;
}

export function makeModel(base: Model, graph: Graph, doc: string): Model {
  return {
    irVersion: base.irVersion,
    opset: new Map([['', Math.max(CANONICAL_OPSET, base.opset.get('') ?? 0)]]),
    producerName: 'gymnos',
    producerVersion: GYMNOS_VERSION,
    domain: '',
    modelVersion: 1,
    docString: doc,
    metadata: {},
    graph,
  };
}

/** Moves an initializer to the graph inputs and returns its value. */
export function liftToInput(g: Graph, name: string): Tensor | undefined {
  const t = g.initializers.get(name);
  if (!t) return undefined;
  g.initializers.delete(name);
  g.inputs.push({ name, dtype: t.dtype, shape: [...t.dims] });
  return t;
}

/**
 * Renames a node output everywhere it is used. Returns false when the value is not produced by a
 * node (a graph input or initializer), or is already a graph output, so it cannot be renamed.
 */
export function renameValue(g: Graph, from: string, to: string): boolean {
  const producer = g.nodes.find((n) => n.outputs.includes(from));
  if (!producer || g.outputs.some((o) => o.name === from)) return false;
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    n.outputs = n.outputs.map((o) => (o === from ? to : o));
  }
  return true;
}

/** Drops graph inputs no node reads, except those listed (ONNX Runtime rejects feeds for unknown inputs). */
export function pruneUnusedInputs(g: Graph, keep: string[]): void {
  const used = new Set<string>();
  for (const n of g.nodes) n.inputs.forEach((i) => used.add(i));
  for (const o of g.outputs) used.add(o.name);
  g.inputs = g.inputs.filter((v) => used.has(v.name) || keep.includes(v.name));
}

/** Exposes every carried value's update as the graph output `<input>.next` (renamed in place, no copy). */
export function exposeCarried(g: Graph, b: GraphBuilder, carried: CarriedValue[]): void {
  for (const c of carried) {
    if (!c.output) throw new AutodiffError(`internal: no updated value for '${c.input}'`);
    const out = `${c.input}.next`;
    if (!renameValue(g, c.output, out)) b.emit('Identity', [c.output], [out]);
    c.output = out;
    g.outputs.push({ name: out, dtype: c.init.dtype, shape: [...c.init.dims] });
  }
}

export interface ForwardBackward {
  g: Graph;
  b: GraphBuilder;
  /** Parameters and running statistics, lifted to inputs; running ones have their updates. */
  carried: CarriedValue[];
  label: ValueInfo;
  loss: string;
  predInfo: ValueInfo;
  /** Gradient value per trainable parameter, in `split.trainable` order. */
  grads: string[];
  /** Index in `g.nodes` of the first backward node (before it: forward, loss, training-mode updates). */
  backwardStart: number;
}

/**
 * A copy of the canonical graph with trainable parameters and running statistics as inputs,
 * training-mode layers, the loss, and the backward pass. `stepInput` feeds the dropout masks.
 */
export function forwardBackward(
  g0: Graph,
  opset: number,
  split: ParameterSplit,
  running: string[],
  prediction: string,
  loss: LossSpec,
): ForwardBackward {
  const g = cloneGraph(g0);
  g.outputs = [];
  const carried: CarriedValue[] = [];
  for (const p of split.trainable) carried.push({ input: p, output: '', kind: 'param', init: liftToInput(g, p)! });
  for (const r of running) carried.push({ input: r, output: '', kind: 'running', init: liftToInput(g, r)! });
  g.inputs.push({ name: IO.step, dtype: 'int64', shape: [] }, { name: IO.seed, dtype: 'int64', shape: [] });
  let table = inferShapes(g, opset);
  const rewrite = rewriteForTraining(g, table, { dropoutSeedInput: IO.seed, stepInput: IO.step });
  for (const s of rewrite.stateOutputs) {
    const c = carried.find((x) => x.input === s.input);
    if (c) c.output = s.output;
  }
  table = inferShapes(g, opset);
  const predInfo = table.info.get(prediction);
  if (!predInfo?.shape) throw new AutodiffError(`the shape of output '${prediction}' could not be inferred`);
  const b = new GraphBuilder(g, 'train');
  const lossBuild = buildLoss(b, loss, prediction, predInfo.shape, predInfo.dtype, IO.label);
  const label: ValueInfo = { ...lossBuild.labelInput, name: IO.label };
  g.inputs.push(label);
  const lossName = b.op('Identity', [lossBuild.loss], {}, 'loss');
  table = inferShapes(g, opset);
  const backwardStart = g.nodes.length;
  const { grads } = differentiate(g, table, { loss: lossName, wrt: split.trainable, opset, prefix: 'grad' });
  return {
    g,
    b,
    carried,
    label,
    loss: lossName,
    predInfo: { ...predInfo, name: prediction },
    grads: split.trainable.map((p) => grads.get(p)!),
    backwardStart,
  };
}

/**
 * Clipping and the optimizer update of every trainable parameter: sets the parameters' updated
 * values in `carried`, adds optimizer state as carried inputs, and returns the gradient norm (when
 * norm clipping is on). Reads `gymnos.lr` and `gymnos.step`.
 */
export function appendUpdate(
  g: Graph,
  b: GraphBuilder,
  spec: UpdateSpec,
  trainable: string[],
  grads: string[],
  carried: CarriedValue[],
): string | undefined {
  const optimizer = optimizerOf(spec.optimizer, 'training.optimizer');
  // each trainable tensor's carried value (parameter, initial value), looked up once
  const params = trainable.map((p) => carried.find((c) => c.input === p)!);
  let gradList = grads;
  if (spec.clipGradValue !== undefined) {
    gradList = clipGradValue(
      b,
      gradList.map((name, i) => ({ name, dtype: params[i].init.dtype })),
      spec.clipGradValue,
    );
  }
  let gradNorm: string | undefined;
  if (spec.clipGradNorm !== undefined) {
    const clipped = clipGradNorm(
      b,
      gradList.map((name, i) => ({ name, dtype: params[i].init.dtype, shape: params[i].init.dims })),
      spec.clipGradNorm,
    );
    gradList = clipped.grads;
    gradNorm = clipped.totalNorm;
  }
  (spec.paramGroups ?? []).forEach((grp, gi) =>
    grp.params.forEach((pat, pi) => {
      if (!trainable.some((p) => matchesPattern(p, pat))) {
        throw new AutodiffError(
          `training.paramGroups[${gi}].params[${pi}]: pattern '${pat}' matches no trainable parameter; trainable: ${trainable.join(', ')}`,
        );
      }
    }),
  );
  const updates: ParamUpdate[] = trainable.map((p, i) => {
    const c = params[i];
    const group = (spec.paramGroups ?? []).find((grp) => grp.params.some((pat) => matchesPattern(p, pat)));
    return {
      param: p,
      grad: gradList[i],
      shape: c.init.dims,
      dtype: c.init.dtype,
      lrScale: group?.lrScale,
      weightDecay: group?.weightDecay,
    };
  });
  const builds = buildUpdates(b, optimizer, updates, { lr: IO.lr, step: IO.step, prefix: (p) => `opt/${p}` });
  params.forEach((c, i) => {
    const ob = builds[i];
    c.output = ob.newParam;
    for (const s of ob.state) {
      g.inputs.push({ name: s.name, dtype: s.init.dtype, shape: [...s.init.dims] });
      carried.push({ input: s.name, output: s.next, kind: 'optimizer', init: s.init });
    }
  });
  return gradNorm;
}
