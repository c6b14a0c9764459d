/**
 * The training artifacts built from one inference graph: the train-step graph (forward, loss,
 * backward, clipping, optimizer update; optionally K steps in one ONNX Loop), the eval graph
 * (loss and outputs, inference-mode layers), and the inference export (the original graph with the
 * trained weights as initializers). Parameters, optimizer state and running statistics are graph
 * inputs and their updated values graph outputs, so the host carries them between runs.
 */
import type { Graph, Model, ValueInfo } from '../onnx/ir.js';
import { cloneGraph, cloneModel } from '../onnx/clone.js';
import { emptyGraph } from '../onnx/ir.js';
import { GraphBuilder } from '../onnx/builder.js';
import { canonicalize } from '../onnx/opset.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { tensor, type DType, type Tensor } from '../onnx/tensor.js';
import { unsupportedNodes } from './engine.js';
import { supportedOps } from './registry.js';
import { runningStatistics, selectParameters, type TrainableSelection } from './trainable.js';
import { AutodiffError } from './rule.js';
import { buildLoss, validateLoss, type LossSpec } from './losses/index.js';
import { OPTIMIZERS, mulByScalar, type OptimizerSpec } from './optimizers/index.js';
import { wrapInLoop } from './loop.js';
import { IO_NAMES } from './io-names.js';
import { GYMNOS_VERSION } from '../util/version.js';
import { applyRecompute, RECOMPUTE_DISABLED_OPTIMIZERS, RECOMPUTE_METADATA, type RecomputeSpec } from './recompute.js';
import { valueBytes } from './liveness.js';
import {
  appendUpdate,
  exposeCarried,
  forwardBackward,
  liftToInput,
  makeModel,
  pruneUnusedInputs,
  type CarriedValue,
} from './train-graph.js';

export type { CarriedValue } from './train-graph.js';

/** Names of the inputs and outputs Gymnos adds to training graphs. */
export const IO = IO_NAMES;

export interface TrainingSpec {
  /** The model's data inputs (default: every graph input). */
  inputs?: string[];
  /** The output the loss is computed on (default: the first graph output). */
  output?: string;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  /**
   * The loss and optimizer specs are already resolved (the parsed experiment's): build from them
   * without validating again. Otherwise they are resolved here (defaults filled, every issue
   * reported at once).
   */
  resolved?: boolean;
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
  /**
   * Also build the gradient-accumulation pair: an accumulate graph (forward and backward of one
   * micro-batch, gradients added into carried accumulators) and an apply graph (the optimizer
   * update from the accumulated mean). Default false.
   */
  accumulation?: boolean;
  /** Name given to a batch dimension the model leaves unnamed (default 'N'). */
  batchDim?: string;
  /**
   * Activation recomputation (see recompute.ts): 'none' (default) keeps every activation the
   * backward pass reads; 'auto' recomputes cheap ones; a list recomputes the outputs of the forward
   * nodes whose names match.
   */
  recompute?: RecomputeSpec;
}

/** The gradient-accumulation pair of graphs. */
export interface AccumulationArtifacts {
  /**
   * Inputs: data, label, `gymnos.step` (the micro-batch counter, for dropout masks), seed, the
   * parameters, running statistics and accumulators. Outputs: loss, prediction, `.next` of the
   * running statistics and accumulators (in `carried` order).
   */
  accumulateStep: Model;
  /**
   * Inputs: parameters, optimizer state, accumulators, `gymnos.lr`, `gymnos.step` (the optimizer
   * step), `gymnos.acc_count` (float32: micro-batches accumulated). Outputs: grad norm (with norm
   * clipping), `.next` of parameters and optimizer state.
   */
  applyStep: Model;
  /** Accumulators: one per trainable parameter, zeros at the start of each accumulation. */
  accumulators: CarriedValue[];
  /** Carried by the accumulate graph (running statistics, accumulators). */
  accumulateCarried: CarriedValue[];
  /** Carried by the apply graph (parameters, optimizer state). */
  applyCarried: CarriedValue[];
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
  /** Present when `spec.accumulation` was set. */
  accumulation?: AccumulationArtifacts;
  /**
   * Output of the train step holding each trainable parameter's raw gradient (before clipping),
   * fetched only on request (single-step graphs; empty for K-step Loop graphs).
   */
  gradOutputs: Map<string, string>;
}

/** Name of the accumulation count input of the apply graph. */
export const ACC_COUNT = 'gymnos.acc_count';

/** Gives inputs a named batch dimension where the model left the first dimension open. */
function nameBatchDims(g: Graph, inputs: string[], batchDim: string): void {
  for (const v of g.inputs) {
    if (!inputs.includes(v.name)) continue;
    if (!v.shape)
      throw new AutodiffError(
        `model input '${v.name}' has no shape; re-export with input shapes (a dynamic batch dimension is fine)`,
      );
    if (v.shape.length > 0 && (v.shape[0] === null || v.shape[0] === -1)) v.shape[0] = batchDim;
  }
}

/** Builds every training artifact from an inference model (which is canonicalized in a copy). */
export function buildTrainingArtifacts(model: Model, given: TrainingSpec): TrainingArtifacts {
  const spec: TrainingSpec = given.resolved
    ? given
    : {
        ...given,
        loss: validateLoss(given.loss, 'training.loss'),
        optimizer: OPTIMIZERS.resolve(given.optimizer, 'training.optimizer'),
        resolved: true,
      };
  const base = canonicalize(cloneModel(model));
  const opset = base.opset.get('')!;
  const g0 = base.graph;
  const dataNames = spec.inputs ?? g0.inputs.map((v) => v.name);
  for (const n of dataNames)
    if (!g0.inputs.some((v) => v.name === n)) {
      throw new AutodiffError(
        `training.inputs: '${n}' is not an input of the model; inputs are: ${g0.inputs.map((v) => v.name).join(', ')}`,
      );
    }
  const prediction = spec.output ?? g0.outputs[0]?.name;
  if (
    !prediction ||
    (!g0.outputs.some((o) => o.name === prediction) && !g0.nodes.some((n) => n.outputs.includes(prediction)))
  ) {
    throw new AutodiffError(
      `training.output: '${spec.output}' is not a value of the model; outputs are: ${g0.outputs.map((v) => v.name).join(', ')}`,
    );
  }
  nameBatchDims(g0, dataNames, spec.batchDim ?? 'N');
  const split = selectParameters(g0, spec.trainable);
  if (split.trainable.length === 0) {
    throw new AutodiffError(
      `the model has no trainable float parameters${split.frozen.length ? ` (all ${split.frozen.length} are frozen)` : ''}; nothing to train`,
    );
  }
  const running = [...runningStatistics(g0)].filter((n) => g0.initializers.has(n));
  const blocked = unsupportedNodes(g0, prediction, split.trainable);
  if (blocked.length) {
    const list = blocked.map((n) => `'${n.name}' (${n.domain ? `${n.domain}.` : ''}${n.opType})`).join(', ');
    throw new AutodiffError(
      `cannot differentiate node${blocked.length > 1 ? 's' : ''} ${list}: no gradient rule for ${[...new Set(blocked.map((n) => n.opType))].join(', ')}. Supported ops: ${supportedOps().join(', ')}`,
    );
  }

  // ---- train step: forward, loss, backward, clipping, optimizer ----
  const fb = forwardBackward(g0, opset, split, running, prediction, spec.loss);
  const { g, b, carried, predInfo } = fb;
  const recomputed = recompute(g, spec, fb.backwardStart, opset);
  g.inputs.push({ name: IO.lr, dtype: 'float32', shape: [] });
  const gradNorm = appendUpdate(g, b, spec, split.trainable, fb.grads, carried);
  // outputs: loss, prediction, grad norm, then every carried value in order
  g.outputs.push({ name: IO.loss, dtype: predInfo.dtype, shape: [] });
  b.emit('Identity', [fb.loss], [IO.loss]);
  g.outputs.push({ name: prediction, dtype: predInfo.dtype, shape: predInfo.shape });
  if (gradNorm) {
    b.emit('Identity', [gradNorm], [IO.gradNorm]);
    g.outputs.push({ name: IO.gradNorm, dtype: predInfo.dtype, shape: [] });
  }
  exposeCarried(g, b, carried);
  const stepsPerRun = spec.stepsPerRun ?? 1;
  const gradOutputs = new Map<string, string>();
  if (stepsPerRun === 1) {
    // the gradients are graph values already: declaring them outputs copies nothing unless fetched
    split.trainable.forEach((p, i) => {
      const name = fb.grads[i];
      const c = carried.find((x) => x.input === p)!;
      if (g.outputs.some((o) => o.name === name) || g.inputs.some((v) => v.name === name)) return;
      gradOutputs.set(p, name);
      g.outputs.push({ name, dtype: c.init.dtype, shape: [...c.init.dims] });
    });
  }
  const dataInputs = g0.inputs.filter((v) => dataNames.includes(v.name));
  pruneUnusedInputs(g, [...dataNames, IO.label, IO.lr, IO.step, IO.seed, ...carried.map((c) => c.input)]);

  let trainGraph = g;
  if (stepsPerRun > 1) trainGraph = wrapInLoop(g, { steps: stepsPerRun, dataInputs: [...dataNames, IO.label], opset });
  const trainStep = makeModel(base, trainGraph, 'Gymnos train step');
  if (recomputed) trainStep.metadata[RECOMPUTE_METADATA] = RECOMPUTE_DISABLED_OPTIMIZERS;

  // ---- eval step: inference-mode forward + loss ----
  const e = cloneGraph(g0);
  e.outputs = [];
  for (const c of carried) if (c.kind !== 'optimizer') liftToInput(e, c.input);
  const eb = new GraphBuilder(e, 'eval');
  const et = inferShapes(e, opset);
  const ep = et.info.get(prediction)!;
  const evalLoss = buildLoss(eb, spec.loss, prediction, ep.shape!, ep.dtype, IO.label);
  e.inputs.push({ ...evalLoss.labelInput, name: IO.label });
  eb.emit('Identity', [evalLoss.loss], [IO.loss]);
  e.outputs.push({ name: IO.loss, dtype: ep.dtype, shape: [] }, { name: prediction, dtype: ep.dtype, shape: ep.shape });
  const evalStep = makeModel(base, e, 'Gymnos eval step');

  const art: TrainingArtifacts = {
    base,
    trainStep,
    evalStep,
    dataInputs,
    label: fb.label,
    prediction,
    carried,
    trainable: split.trainable,
    frozen: split.frozen,
    stepsPerRun,
    hasGradNorm: gradNorm !== undefined,
    gradOutputs,
  };
  if (spec.accumulation) {
    if (stepsPerRun > 1)
      throw new AutodiffError(
        'training.stepsPerRun > 1 and gradient accumulation cannot be combined; use one or the other',
      );
    art.accumulation = buildAccumulation(base, spec, split.trainable, running, prediction, fb.predInfo.dtype, carried);
  }
  return art;
}

/** Applies `spec.recompute` to a forward-backward graph; returns whether any node was copied. */
function recompute(g: Graph, spec: TrainingSpec, backwardStart: number, opset: number): boolean {
  if (!spec.recompute || spec.recompute === 'none') return false;
  // sizes at batch 8 tell activations from per-channel statistics (only ratios matter)
  return applyRecompute(g, spec.recompute, backwardStart, valueBytes(g, opset, 8)).copies > 0;
}

/** The accumulate and apply graphs (see AccumulationArtifacts). */
function buildAccumulation(
  base: Model,
  spec: TrainingSpec,
  trainable: string[],
  running: string[],
  prediction: string,
  dtype: DType,
  trainCarried: CarriedValue[],
): AccumulationArtifacts {
  const opset = base.opset.get('')!;
  const split = { trainable, frozen: [], constants: [] };
  // accumulate: forward + backward of one micro-batch, gradients added into the accumulators
  const fb = forwardBackward(base.graph, opset, split, running, prediction, spec.loss);
  const { g, b } = fb;
  const recomputed = recompute(g, spec, fb.backwardStart, opset);
  const accumulators: CarriedValue[] = trainable.map((p, i) => {
    const init = trainCarried.find((c) => c.input === p)!.init;
    const input = `gymnos.acc/${p}`;
    g.inputs.push({ name: input, dtype: init.dtype, shape: [...init.dims] });
    return {
      input,
      output: b.op('Add', [input, fb.grads[i]], {}, 'accumulate'),
      kind: 'accumulator',
      init: tensor(init.dtype, [...init.dims]),
    };
  });
  const accumulateCarried = [...fb.carried.filter((c) => c.kind === 'running'), ...accumulators];
  g.outputs.push({ name: IO.loss, dtype, shape: [] });
  b.emit('Identity', [fb.loss], [IO.loss]);
  g.outputs.push({ name: prediction, dtype, shape: fb.predInfo.shape });
  exposeCarried(g, b, accumulateCarried);
  pruneUnusedInputs(g, [
    IO.label,
    IO.step,
    IO.seed,
    ...fb.carried.map((c) => c.input),
    ...accumulators.map((c) => c.input),
  ]);
  const accumulateStep = makeModel(base, g, 'Gymnos gradient accumulation step');
  if (recomputed) accumulateStep.metadata[RECOMPUTE_METADATA] = RECOMPUTE_DISABLED_OPTIMIZERS;

  // apply: mean of the accumulated gradients, clipping, optimizer
  const a = emptyGraph('apply');
  const ab = new GraphBuilder(a, 'apply');
  const applyCarried: CarriedValue[] = trainable.map((p) => {
    const init = trainCarried.find((c) => c.input === p)!.init;
    a.inputs.push({ name: p, dtype: init.dtype, shape: [...init.dims] });
    return { input: p, output: '', kind: 'param', init };
  });
  for (const acc of accumulators) a.inputs.push({ name: acc.input, dtype: acc.init.dtype, shape: [...acc.init.dims] });
  a.inputs.push(
    { name: IO.lr, dtype: 'float32', shape: [] },
    { name: IO.step, dtype: 'int64', shape: [] },
    { name: ACC_COUNT, dtype: 'float32', shape: [] },
  );
  const inv = ab.op('Reciprocal', [ACC_COUNT]);
  const grads = accumulators.map((acc) =>
    mulByScalar(
      ab,
      acc.input,
      acc.init.dtype === 'float32' ? inv : ab.op('CastLike', [inv, acc.input]),
      acc.init.dims,
      'mean_grad',
    ),
  );
  const gradNorm = appendUpdate(a, ab, spec, trainable, grads, applyCarried);
  if (gradNorm) {
    ab.emit('Identity', [gradNorm], [IO.gradNorm]);
    a.outputs.push({ name: IO.gradNorm, dtype, shape: [] });
  }
  exposeCarried(a, ab, applyCarried);
  const applyStep = makeModel(base, a, 'Gymnos gradient accumulation apply step');
  return { accumulateStep, applyStep, accumulators, accumulateCarried, applyCarried };
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
  m.producerVersion = GYMNOS_VERSION;
  return m;
}

/** Initial values of every carried tensor, keyed by input name. */
export function initialState(art: TrainingArtifacts): Map<string, Tensor> {
  return new Map(art.carried.map((c) => [c.input, c.init]));
}
