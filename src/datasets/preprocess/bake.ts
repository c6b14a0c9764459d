/**
 * Baking preprocessing into an inference model: the model's input keeps its name but becomes the
 * raw input (e.g. uint8 NHWC images), the fitted steps run first as standard ONNX nodes, and
 * output steps (label names) append outputs. The result takes what the dataset held, raw.
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { cloneModel } from '../../onnx/clone.js';
import type { Dim, Graph, Model } from '../../onnx/ir.js';
import { DatasetError } from '../errors.js';
import type { Fitted, PreprocessorKind, RawInput } from './preprocessor.js';
import { preprocessorKind } from './registry.js';

function renameUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((v) => (v === from ? to : v));
    for (const a of Object.values(n.attrs)) {
      if (a.type === 'graph') renameUsesUnlessShadowed(a.value, from, to);
      if (a.type === 'graphs') a.value.forEach((s) => renameUsesUnlessShadowed(s, from, to));
    }
  }
}

function renameUsesUnlessShadowed(g: Graph, from: string, to: string): void {
  if (g.inputs.some((v) => v.name === from) || g.initializers.has(from)) return;
  renameUses(g, from, to);
  g.outputs.forEach((o) => {
    if (o.name === from)
      throw new DatasetError(
        `a subgraph returns the input '${from}' directly; bake preprocessing before such a rewrite`,
      );
  });
}

/** Model metadata key listing the preprocessing steps baked into an exported model. */
export const BAKED_PREPROCESSING_KEY = 'gymnos.preprocessing';

/**
 * Returns a copy of `model` whose input `inputName` takes raw data and is preprocessed in-graph
 * by `fitted` (in order). Steps with only an output side (label_encoding) add outputs computed
 * from the model's first output.
 */
export function bakePreprocessing(model: Model, fitted: Fitted[], inputName: string): Model {
  const m = cloneModel(model);
  const g = m.graph;
  const input = g.inputs.find((v) => v.name === inputName);
  if (!input)
    throw new DatasetError(
      `bakePreprocessing: the model has no input '${inputName}'; its inputs are ${g.inputs.map((v) => v.name).join(', ')}`,
    );
  if (g.outputs.some((o) => o.name === inputName))
    throw new DatasetError(`bakePreprocessing: input '${inputName}' is also a graph output; nothing to prepend to`);
  const steps = fitted.map((f, i) => ({
    f,
    kind: preprocessorKind(f.type, `preprocessors[${i}]`) as PreprocessorKind<unknown, Fitted>,
  }));
  const b = new GraphBuilder(g, 'preprocess', []);
  // Work out the raw input by walking the steps backwards from what the model takes.
  let raw: RawInput = { dtype: input.dtype, sampleShape: (input.shape ?? []).slice(1) };
  for (const { f, kind } of [...steps].reverse()) if (kind.rawInput) raw = kind.rawInput(f, raw);
  let x = inputName;
  const internal = b.fresh('raw_input');
  for (const { f, kind } of steps) if (kind.bakeInput) x = kind.bakeInput(f, b, x === inputName ? internal : x);
  if (x !== inputName) {
    // Rename: the public input keeps its name, the original consumers read the processed value.
    renameUses(g, inputName, x);
    for (const n of b.nodes) n.inputs = n.inputs.map((v) => (v === internal ? inputName : v));
    g.valueInfo.delete(inputName);
    const batch: Dim = input.shape?.[0] ?? 'N';
    input.dtype = raw.dtype;
    input.shape = [batch, ...raw.sampleShape];
  }
  g.nodes = [...b.nodes, ...g.nodes];
  // tells readers of the file (gymnosd evaluate) that this model takes raw, unprocessed inputs
  if (fitted.length) m.metadata[BAKED_PREPROCESSING_KEY] = JSON.stringify(fitted.map((f) => f.type));
  const outputSteps = steps.filter((s) => s.kind.bakeOutput);
  if (outputSteps.length) {
    const scores = g.outputs[0]?.name;
    if (!scores) throw new DatasetError('bakePreprocessing: label_encoding needs a model output with class scores');
    const ob = new GraphBuilder(g, 'postprocess');
    for (const { f, kind } of outputSteps) {
      for (const o of kind.bakeOutput!(f, ob, scores)) {
        if (g.outputs.some((v) => v.name === o.name))
          throw new DatasetError(
            `bakePreprocessing: the model already has an output named '${o.name}'; choose another label_encoding output name`,
          );
        g.outputs.push(o);
      }
    }
  }
  return m;
}
