/**
 * What `gymnosd check` reports: a model's interface, parameters and ops, and whether Gymnos can
 * train it, naming every node it cannot differentiate.
 */
import type { Dim, Model, Node } from '../onnx/ir.js';
import { loadModel } from '../onnx/io.js';
import { canonicalize } from '../onnx/opset.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { sizeOf } from '../onnx/tensor.js';
import { unsupportedNodes } from '../autodiff/engine.js';
import { MAX_UNROLL } from '../onnx/unroll-loop.js';
import { supportedOps } from '../autodiff/registry.js';
import { runningStatistics, selectParameters, type TrainableSelection } from '../autodiff/trainable.js';
import { applyInputShapes, type InputShapes } from './input-shapes.js';
import {
  controlFlowWithWeights,
  inspectSubgraphs,
  probabilityOutputs,
  tiedInitializers,
  type SubgraphFinding,
  type TiedInitializer,
} from './inspect-graph.js';

export interface ValueSummary {
  name: string;
  dtype: string;
  shape: Dim[] | null;
}
export interface ParamSummary {
  name: string;
  dims: number[];
  count: number;
  trainable: boolean;
}

export interface ModelReport {
  source: string;
  opset: number;
  producer: string;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  parameters: ParamSummary[];
  trainableCount: number;
  frozenCount: number;
  runningStatistics: string[];
  ops: Record<string, number>;
  /** Unsupported nodes; `where` says which subgraph (If branch, Loop/Scan body) holds a nested one. */
  unsupported: Array<{ node: string; op: string; domain: string; where?: string }>;
  /** Float initializers inside subgraphs (If branches, Loop/Scan bodies). */
  subgraphParameters: SubgraphFinding['parameters'];
  /** Initializers the exporter merged and the graph reads through Identity nodes (tied in training). */
  tied: TiedInitializer[];
  /** Problems other than unsupported ops (shape inference failures, no parameters, ...). */
  problems: string[];
  /** Things that do not stop training but are probably not what the user wants. */
  warnings: string[];
  trainable: boolean;
}

/** Loads, canonicalizes and inspects an ONNX file. Load and opset errors are thrown (user errors). */
export function checkModelFile(
  path: string,
  selection: TrainableSelection = {},
  inputShapes?: InputShapes,
): ModelReport {
  const model = loadModel(path);
  if (inputShapes) applyInputShapes(canonicalize(model, path), inputShapes, '--input-shape');
  return inspectModel(model, path, selection);
}

/** Inspects an in-memory model (canonicalized in place). */
export function inspectModel(model: Model, source: string, selection: TrainableSelection = {}): ModelReport {
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ');
  canonicalize(model, source);
  const g = model.graph;
  const opset = model.opset.get('') ?? 0;
  const problems: string[] = [];
  const split = selectParameters(g, selection);
  const running = runningStatistics(g);
  const parameters: ParamSummary[] = [
    ...split.trainable.map((n) => [n, true] as const),
    ...split.frozen.map((n) => [n, false] as const),
  ].map(([name, trainable]) => {
    const t = g.initializers.get(name)!;
    return { name, dims: t.dims, count: sizeOf(t.dims), trainable };
  });
  const sub = inspectSubgraphs(g);
  if (parameters.length === 0) {
    problems.push(
      sub.parameters.length
        ? `the top-level graph has no float parameters; ${sub.parameters.length} weight tensor(s) live inside subgraphs (${[...new Set(sub.parameters.map((p) => p.where))].join('; ')}), which Gymnos does not train`
        : 'the graph has no float parameters (float initializers feeding weight inputs) to train',
    );
  }
  try {
    inferShapes(g, opset);
  } catch (e) {
    problems.push(`shape inference failed: ${(e as Error).message}`);
  }
  const ops: Record<string, number> = {};
  for (const n of g.nodes) {
    const key = n.domain ? `${n.domain}.${n.opType}` : n.opType;
    ops[key] = (ops[key] ?? 0) + 1;
  }
  // every node that lies between a trainable parameter and an output must be differentiable
  const bad = new Map<string, Node>();
  for (const out of g.outputs) {
    for (const n of unsupportedNodes(g, out.name, split.trainable)) bad.set(n.name, n);
  }
  // nodes off the gradient path still have to run; non-standard domains cannot
  for (const n of g.nodes) if (n.domain !== '' && !bad.has(n.name)) bad.set(n.name, n);
  // control flow holding weights, and every unsupported node inside any subgraph
  for (const n of controlFlowWithWeights(g)) if (!bad.has(n.name)) bad.set(n.name, n);
  const unsupported: ModelReport['unsupported'] = [...bad.values()].map((n) => ({
    node: n.name,
    op: n.opType,
    domain: n.domain,
  }));
  const nested = sub.unsupported.filter((u) => !unsupported.some((x) => x.node === u.node));
  unsupported.push(...nested);
  const tied = tiedInitializers(g);
  const warnings = probabilityOutputs(g).map(
    (p) =>
      `output '${p.output}' is the result of ${p.op} node '${p.node}': a logits loss (softmax_cross_entropy, binary_cross_entropy_with_logits) applied to it squashes twice and trains badly; train on its input '${p.logits}' instead (model option output: "${p.logits}")`,
  );
  if (tied.length)
    warnings.push(
      `${tied.length} initializer(s) are shared through Identity nodes (the exporter merged identical tensors), so training ties them: ${tied.map((t) => `'${t.initializer}' also read as ${t.readers.map((r) => `'${r}'`).join(', ')}`).join('; ')}; set the model option untieInitializers: true to train each separately`,
    );
  for (const u of unsupported) {
    const n =
      !u.where && (u.op === 'Loop' || u.op === 'Scan') && !u.domain
        ? g.nodes.find((m) => m.name === u.node)
        : undefined;
    if (!n) continue;
    const length = n.opType === 'Loop' ? `its trip count '${n.inputs[0]}'` : 'the length of its scan axis';
    warnings.push(
      `${n.opType} node '${n.name}' stays a loop: ${length} is not known before training (Gymnos unrolls a ${n.opType} whose length is static, up to ${MAX_UNROLL}, and trains the unrolled graph); if it comes from a symbolic input axis, pin that axis with the model option inputShapes (gymnosd check --input-shape name=dims)`,
    );
  }
  const describe = (v: { name: string; dtype: string; shape?: Dim[] }): ValueSummary => ({
    name: v.name,
    dtype: v.dtype,
    shape: v.shape ?? null,
  });
  return {
    source,
    opset,
    producer,
    inputs: g.inputs.map(describe),
    outputs: g.outputs.map(describe),
    parameters,
    trainableCount: split.trainable.reduce((a, n) => a + sizeOf(g.initializers.get(n)!.dims), 0),
    frozenCount: split.frozen.reduce((a, n) => a + sizeOf(g.initializers.get(n)!.dims), 0),
    runningStatistics: [...running],
    ops,
    unsupported,
    subgraphParameters: sub.parameters,
    tied,
    problems,
    warnings,
    trainable: unsupported.length === 0 && problems.length === 0,
  };
}

/** Human-readable rendering of a report. */
export function formatReport(r: ModelReport): string {
  const shape = (s: Dim[] | null) => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]` : '(unknown rank)');
  const lines = [
    `model: ${r.source}${r.producer ? ` (from ${r.producer})` : ''}, opset ${r.opset}`,
    'inputs:',
    ...r.inputs.map((v) => `  ${v.name}: ${v.dtype} ${shape(v.shape)}`),
    'outputs:',
    ...r.outputs.map((v) => `  ${v.name}: ${v.dtype} ${shape(v.shape)}`),
    `parameters: ${r.parameters.length} tensors, ${r.trainableCount.toLocaleString('en-US')} trainable values, ${r.frozenCount.toLocaleString('en-US')} frozen`,
    ...r.parameters.map((p) => `  ${p.trainable ? 'train ' : 'frozen'} ${p.name} [${p.dims.join(', ')}] (${p.count})`),
  ];
  if (r.subgraphParameters.length) {
    lines.push(
      `weights inside subgraphs: ${r.subgraphParameters.length} tensors`,
      ...r.subgraphParameters.map((p) => `  ${p.name} [${p.dims.join(', ')}] (${p.count}) inside ${p.where}`),
    );
  }
  if (r.tied.length)
    lines.push('tied initializers:', ...r.tied.map((t) => `  ${t.initializer} -> ${t.readers.join(', ')}`));
  if (r.runningStatistics.length) lines.push(`running statistics: ${r.runningStatistics.join(', ')}`);
  lines.push(
    'ops:',
    ...Object.entries(r.ops)
      .sort()
      .map(([op, n]) => `  ${op} x${n}`),
  );
  if (r.unsupported.length) {
    lines.push(
      `unsupported (${r.unsupported.length}):`,
      ...r.unsupported.map(
        (u) => `  node '${u.node}': ${u.domain ? `${u.domain}.` : ''}${u.op}${u.where ? ` (inside ${u.where})` : ''}`,
      ),
    );
    lines.push(`supported ops: ${supportedOps().join(', ')}`);
  }
  for (const p of r.problems) lines.push(`problem: ${p}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(
    r.trainable
      ? 'verdict: Gymnos can train this model'
      : 'verdict: Gymnos cannot train this model as it is (see above)',
  );
  return lines.join('\n');
}
