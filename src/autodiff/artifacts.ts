/**
 * The training artifacts built from one inference graph: the train-step graph (forward, loss,
 * backward, clipping, optimizer update; optionally K steps in one ONNX Loop), the eval graph
 * (loss and outputs, inference-mode layers), and the inference export (the original graph with the
 * trained weights as initializers). Parameters, optimizer state and running statistics are graph
 * inputs and their updated values graph outputs, so the host carries them between runs.
 */
import type { Dim, Graph, Model, ValueInfo } from '../onnx/ir.js';
import { cloneGraph, cloneModel } from '../onnx/clone.js';
import { GraphBuilder } from '../onnx/builder.js';
import { canonicalize, CANONICAL_OPSET } from '../onnx/opset.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { isFloat, tensor, type DType, type Tensor } from '../onnx/tensor.js';
import { differentiate, unsupportedNodes } from './engine.js';
import { supportedOps } from './registry.js';
import { runningStatistics, selectParameters, type TrainableSelection } from './trainable.js';
import { AutodiffError } from './rule.js';
import { buildLoss, type LossSpec } from './losses/index.js';
import { resolveOptimizer, clipGradNorm, clipGradValue, type OptimizerSpec } from './optimizers/index.js';
import { matchesPattern } from './trainable.js';
import { rewriteForTraining } from './training-mode.js';
import { wrapInLoop } from './loop.js';
import { IO_NAMES } from './io-names.js';

/** Names of the inputs and outputs Gymnos adds to training graphs. */
export const IO = IO_NAMES;

export interface TrainingSpec {
  /** The model's data inputs (default: every graph input). */
  inputs?: string[];
  /** The output the loss is computed on (default: the first graph output). */
  output?: string;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  trainable?: TrainableSelection;
  /** Global-norm gradient clipping threshold. */
  clipGradNorm?: number;
  /** Element-wise gradient clipping threshold. */
  clipGradValue?: number;
  /**
   * Parameter groups: the first group whose patterns match a parameter sets its learning-rate
   * multiplier and weight decay (discriminative learning rates, no decay on biases, ...).
   */
  paramGroups?: Array<{ params: string[]; lrScale?: number; weightDecay?: number }>;
  /** Training steps per `run()`, in one ONNX Loop (default 1: no Loop). */
  stepsPerRun?: number;
  /** Name given to a batch dimension the model leaves unnamed (default 'N'). */
  batchDim?: string;
}

/** A value carried from one run to the next: its graph input, its updated output, its start value. */
export interface CarriedValue {
  input: string;
  output: string;
  kind: 'param' | 'optimizer' | 'running';
  init: Tensor;
}

export interface TrainingArtifacts {
  /** The canonical (opset 18) inference model the artifacts came from. */
  base: Model;
  trainStep: Model;
  evalStep: Model;
  /** Data inputs of the model (fed each step). */
  dataInputs: ValueInfo[];
  /** The label input (fed each step). */
  label: ValueInfo;
  /** The prediction output of the model. */
  prediction: string;
  carried: CarriedValue[];
  trainable: string[];
  frozen: string[];
  stepsPerRun: number;
  /** Whether the train step outputs the global gradient norm. */
  hasGradNorm: boolean;
}

function makeModel(base: Model, graph: Graph, doc: string): Model {
  return {
    irVersion: base.irVersion, opset: new Map([['', Math.max(CANONICAL_OPSET, base.opset.get('') ?? 0)]]),
    producerName: 'gymnos', producerVersion: '0.1.0', domain: '', modelVersion: 1, docString: doc, metadata: {}, graph,
  };
}

/** Gives inputs a named batch dimension where the model left the first dimension open. */
function nameBatchDims(g: Graph, inputs: string[], batchDim: string): void {
  for (const v of g.inputs) {
    if (!inputs.includes(v.name)) continue;
    if (!v.shape) throw new AutodiffError(`model input '${v.name}' has no shape; re-export with input shapes (a dynamic batch dimension is fine)`);
    if (v.shape.length > 0 && (v.shape[0] === null || v.shape[0] === -1)) v.shape[0] = batchDim;
  }
}

/** Builds every training artifact from an inference model (which is canonicalized in a copy). */
export function buildTrainingArtifacts(model: Model, spec: TrainingSpec): TrainingArtifacts {
  const base = canonicalize(cloneModel(model));
  const opset = base.opset.get('')!;
  const g0 = base.graph;
  const dataNames = spec.inputs ?? g0.inputs.map((v) => v.name);
  for (const n of dataNames) if (!g0.inputs.some((v) => v.name === n)) {
    throw new AutodiffError(`training.inputs: '${n}' is not an input of the model; inputs are: ${g0.inputs.map((v) => v.name).join(', ')}`);
  }
  const prediction = spec.output ?? g0.outputs[0]?.name;
  if (!prediction || !g0.outputs.some((o) => o.name === prediction) && !g0.nodes.some((n) => n.outputs.includes(prediction))) {
    throw new AutodiffError(`training.output: '${spec.output}' is not a value of the model; outputs are: ${g0.outputs.map((v) => v.name).join(', ')}`);
  }
  nameBatchDims(g0, dataNames, spec.batchDim ?? 'N');
  const split = selectParameters(g0, spec.trainable);
  if (split.trainable.length === 0) {
    throw new AutodiffError(`the model has no trainable float parameters${split.frozen.length ? ` (all ${split.frozen.length} are frozen)` : ''}; nothing to train`);
  }
  const running = [...runningStatistics(g0)].filter((n) => g0.initializers.has(n));
  const blocked = unsupportedNodes(g0, prediction, split.trainable);
  if (blocked.length) {
    const list = blocked.map((n) => `'${n.name}' (${n.domain ? `${n.domain}.` : ''}${n.opType})`).join(', ');
    throw new AutodiffError(`cannot differentiate node${blocked.length > 1 ? 's' : ''} ${list}: no gradient rule for ${[...new Set(blocked.map((n) => n.opType))].join(', ')}. Supported ops: ${supportedOps().join(', ')}`);
  }

  // ---- train step ----
  const g = cloneGraph(g0);
  g.outputs = [];
  const carried: CarriedValue[] = [];
  const liftToInput = (name: string) => {
    const t = g.initializers.get(name)!;
    g.initializers.delete(name);
    g.inputs.push({ name, dtype: t.dtype, shape: [...t.dims] });
    return t;
  };
  for (const p of split.trainable) carried.push({ input: p, output: '', kind: 'param', init: liftToInput(p) });
  for (const r of running) carried.push({ input: r, output: '', kind: 'running', init: liftToInput(r) });
  g.inputs.push({ name: IO.lr, dtype: 'float32', shape: [] }, { name: IO.step, dtype: 'int64', shape: [] }, { name: IO.seed, dtype: 'int64', shape: [] });

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
  const lossBuild = buildLoss(b, spec.loss, prediction, predInfo.shape, predInfo.dtype, IO.label);
  const label: ValueInfo = { ...lossBuild.labelInput, name: IO.label };
  g.inputs.push(label);
  const lossName = b.op('Identity', [lossBuild.loss], {}, 'loss');
  table = inferShapes(g, opset);
  const { grads } = differentiate(g, table, { loss: lossName, wrt: split.trainable, opset, prefix: 'grad' });
  const optimizer = resolveOptimizer(spec.optimizer, 'training.optimizer');
  const dtypeOf = (p: string) => carried.find((c) => c.input === p)!.init.dtype;
  let gradList = split.trainable.map((p) => grads.get(p)!);
  if (spec.clipGradValue !== undefined) {
    gradList = clipGradValue(b, gradList.map((name, i) => ({ name, dtype: dtypeOf(split.trainable[i]) })), spec.clipGradValue);
  }
  let gradNorm: string | undefined;
  if (spec.clipGradNorm !== undefined) {
    const clipped = clipGradNorm(b, gradList.map((name, i) => ({ name, dtype: dtypeOf(split.trainable[i]) })), spec.clipGradNorm);
    gradList = clipped.grads;
    gradNorm = clipped.totalNorm;
  }
  (spec.paramGroups ?? []).forEach((grp, gi) => grp.params.forEach((pat, pi) => {
    if (!split.trainable.some((p) => matchesPattern(p, pat))) {
      throw new AutodiffError(`training.paramGroups[${gi}].params[${pi}]: pattern '${pat}' matches no trainable parameter; trainable: ${split.trainable.join(', ')}`);
    }
  }));
  split.trainable.forEach((p, i) => {
    const init = carried.find((c) => c.input === p)!.init;
    const group = (spec.paramGroups ?? []).find((grp) => grp.params.some((pat) => matchesPattern(p, pat)));
    const ob = optimizer.build(b, { param: p, grad: gradList[i], shape: init.dims, dtype: init.dtype, lrScale: group?.lrScale, weightDecay: group?.weightDecay },
      { lr: IO.lr, step: IO.step, prefix: `opt/${p}` });
    carried.find((c) => c.input === p)!.output = ob.newParam;
    for (const s of ob.state) {
      g.inputs.push({ name: s.name, dtype: s.init.dtype, shape: [...s.init.dims] });
      carried.push({ input: s.name, output: s.next, kind: 'optimizer', init: s.init });
    }
  });
  for (const c of carried) if (!c.output) throw new AutodiffError(`internal: no updated value for '${c.input}'`);
  // outputs: loss, prediction, grad norm, then every carried value in order
  g.outputs.push({ name: IO.loss, dtype: predInfo.dtype, shape: [] });
  b.emit('Identity', [lossName], [IO.loss]);
  g.outputs.push({ name: prediction, dtype: predInfo.dtype, shape: predInfo.shape });
  if (gradNorm) { b.emit('Identity', [gradNorm], [IO.gradNorm]); g.outputs.push({ name: IO.gradNorm, dtype: predInfo.dtype, shape: [] }); }
  carried.forEach((c) => {
    const out = `${c.input}.next`;
    // rename the value in place rather than copying it through an Identity (a full-size copy)
    if (!renameValue(g, c.output, out)) b.emit('Identity', [c.output], [out]);
    c.output = out;
    g.outputs.push({ name: out, dtype: c.init.dtype, shape: [...c.init.dims] });
  });
  const dataInputs = g0.inputs.filter((v) => dataNames.includes(v.name));
  pruneUnusedInputs(g, [...dataNames, IO.label, IO.lr, IO.step, IO.seed, ...carried.map((c) => c.input)]);

  const stepsPerRun = spec.stepsPerRun ?? 1;
  let trainGraph = g;
  if (stepsPerRun > 1) trainGraph = wrapInLoop(g, { steps: stepsPerRun, dataInputs: [...dataNames, IO.label], opset });
  const trainStep = makeModel(base, trainGraph, 'Gymnos train step');

  // ---- eval step: inference-mode forward + loss ----
  const e = cloneGraph(g0);
  e.outputs = [];
  for (const c of carried) if (c.kind !== 'optimizer') liftToInputIn(e, c.input);
  const eb = new GraphBuilder(e, 'eval');
  const et = inferShapes(e, opset);
  const ep = et.info.get(prediction)!;
  const evalLoss = buildLoss(eb, spec.loss, prediction, ep.shape!, ep.dtype, IO.label);
  e.inputs.push({ ...evalLoss.labelInput, name: IO.label });
  eb.emit('Identity', [evalLoss.loss], [IO.loss]);
  e.outputs.push({ name: IO.loss, dtype: ep.dtype, shape: [] }, { name: prediction, dtype: ep.dtype, shape: ep.shape });
  const evalStep = makeModel(base, e, 'Gymnos eval step');

  return {
    base, trainStep, evalStep, dataInputs, label, prediction, carried,
    trainable: split.trainable, frozen: split.frozen, stepsPerRun, hasGradNorm: gradNorm !== undefined,
  };
}

/**
 * Renames a node output everywhere it is used. Returns false when the value is not produced by a
 * node (a graph input or initializer), or is already a graph output, so it cannot be renamed.
 */
function renameValue(g: Graph, from: string, to: string): boolean {
  const producer = g.nodes.find((n) => n.outputs.includes(from));
  if (!producer || g.outputs.some((o) => o.name === from)) return false;
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    n.outputs = n.outputs.map((o) => (o === from ? to : o));
  }
  return true;
}

function liftToInputIn(g: Graph, name: string): void {
  const t = g.initializers.get(name);
  if (!t) return;
  g.initializers.delete(name);
  g.inputs.push({ name, dtype: t.dtype, shape: [...t.dims] });
}

/** Drops graph inputs no node reads, except those listed (ONNX Runtime rejects feeds for unknown inputs). */
function pruneUnusedInputs(g: Graph, keep: string[]): void {
  const used = new Set<string>();
  for (const n of g.nodes) n.inputs.forEach((i) => used.add(i));
  for (const o of g.outputs) used.add(o.name);
  g.inputs = g.inputs.filter((v) => used.has(v.name) || keep.includes(v.name));
}

/**
 * The inference export: the original model with trained values (parameters and running
 * statistics) written into its initializers.
 */
export function exportInference(art: TrainingArtifacts, values: Map<string, Tensor>): Model {
  const m = cloneModel(art.base);
  for (const c of art.carried) {
    if (c.kind === 'optimizer') continue;
    const v = values.get(c.input);
    if (!v) throw new AutodiffError(`no trained value for '${c.input}'`);
    m.graph.initializers.set(c.input, v);
  }
  m.producerName = 'gymnos';
  return m;
}

/** Initial values of every carried tensor, keyed by input name. */
export function initialState(art: TrainingArtifacts): Map<string, Tensor> {
  return new Map(art.carried.map((c) => [c.input, c.init]));
}

export type { Dim, DType };
void isFloat; void tensor;
