/**
 * What `gymnosd models show` prints: the layers (nodes that read parameters) with their output
 * shapes and parameter counts, the totals, and the forward FLOPs per sample. A multiply-add counts
 * as 2 FLOPs (Conv, ConvTranspose, Gemm, MatMul); every other node counts one FLOP per output
 * element, a floor for normalizations and activations.
 */
import type { Dim, Model } from '../onnx/ir.js';
import { attrInt, attrInts } from '../onnx/ir.js';
import { cloneModel } from '../onnx/clone.js';
import { canonicalize } from '../onnx/opset.js';
import { inferShapes } from '../onnx/shapes/infer.js';
import { sizeOf } from '../onnx/tensor.js';
import { runningStatistics, selectParameters } from '../autodiff/trainable.js';

export interface LayerSummary {
  name: string;
  op: string;
  output: Dim[] | null;
  params: number;
  flops: number;
}

export interface ModelSummary {
  inputs: Array<{ name: string; dtype: string; shape: Dim[] | null }>;
  outputs: Array<{ name: string; dtype: string; shape: Dim[] | null }>;
  layers: LayerSummary[];
  /** Trainable values (running statistics and constants excluded). */
  parameters: number;
  /** Forward FLOPs for one sample. */
  flops: number;
  ops: Record<string, number>;
}

/** A layer's name: its first parameter's without '.weight'/'.bias' (PyTorch's naming), else the node's. */
function layerName(param: string, node: string): string {
  const m = /^(.*)\.(weight|bias)$/.exec(param);
  return m ? m[1] : node || param;
}

const numeric = (s: Dim[] | undefined) => (s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined);

/** Summarizes a model at batch size 1. */
export function summarizeModel(model: Model): ModelSummary {
  const m = canonicalize(cloneModel(model));
  const g = m.graph;
  const batchSymbol = g.inputs.map((v) => v.shape?.[0]).find((d) => typeof d === 'string') as string | undefined;
  const declared = g.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape ?? null }));
  for (const v of g.inputs) if (v.shape) v.shape = v.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : d));
  const table = inferShapes(g, m.opset.get('')!);
  const shapeOf = (v: string) => numeric(table.info.get(v)?.shape);
  const params = new Set(selectParameters(g).trainable);
  const running = runningStatistics(g);
  const layers: LayerSummary[] = [];
  const ops: Record<string, number> = {};
  let total = 0;
  for (const n of g.nodes) {
    ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    const out = shapeOf(n.outputs[0]);
    const outSize = out ? sizeOf(out) : 0;
    let flops = outSize;
    const a = shapeOf(n.inputs[0]);
    const w = shapeOf(n.inputs[1]);
    if (n.opType === 'Conv' && w) flops = 2 * outSize * sizeOf(w.slice(1));
    else if (n.opType === 'ConvTranspose' && a && w) flops = 2 * sizeOf(a) * sizeOf(w.slice(1));
    else if (n.opType === 'Gemm' && a) flops = 2 * outSize * a[attrInt(n, 'transA', 0) ? 0 : 1];
    else if (n.opType === 'MatMul' && a) flops = 2 * outSize * a[a.length - 1];
    else if (n.opType === 'MaxPool' || n.opType === 'AveragePool')
      flops = outSize * sizeOf(attrInts(n, 'kernel_shape', [1]));
    total += flops;
    const own = n.inputs.filter((i) => params.has(i) && !running.has(i));
    if (own.length) {
      layers.push({
        name: layerName(own[0], n.name),
        op: n.opType,
        output: table.info.get(n.outputs[0])?.shape ?? null,
        params: own.reduce((s, p) => s + sizeOf(g.initializers.get(p)!.dims), 0),
        flops,
      });
    } else if (layers.length && n.opType !== 'Identity') {
      layers[layers.length - 1].flops += flops;
    }
  }
  return {
    inputs: declared,
    // shapes were inferred at batch 1: show the inputs' symbolic batch on the outputs again
    outputs: g.outputs.map((v) => ({
      name: v.name,
      dtype: v.dtype,
      shape: v.shape ?? rebatch(table.info.get(v.name)?.shape, batchSymbol),
    })),
    layers,
    parameters: [...params].reduce((s, p) => s + sizeOf(g.initializers.get(p)!.dims), 0),
    flops: total,
    ops,
  };
}

function rebatch(shape: Dim[] | undefined, batch: string | undefined): Dim[] | null {
  if (!shape) return null;
  return batch && shape[0] === 1 ? [batch, ...shape.slice(1)] : shape;
}

/** Human-readable FLOPs: 1.23 MFLOPs, 4.56 GFLOPs. */
export function formatFlops(f: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'GFLOPs'],
    [1e6, 'MFLOPs'],
    [1e3, 'kFLOPs'],
  ];
  for (const [d, u] of units) if (f >= d) return `${(f / d).toFixed(2)} ${u}`;
  return `${f} FLOPs`;
}

/** The table `gymnosd models show` prints. */
export function formatSummary(name: string, s: ModelSummary): string {
  const shape = (d: Dim[] | null) => (d ? `[${d.map((x) => x ?? '?').join(', ')}]` : '?');
  const width = Math.max(5, ...s.layers.map((l) => l.name.length));
  const lines = [
    `model: ${name}`,
    ...s.inputs.map((v) => `input  ${v.name}: ${v.dtype} ${shape(v.shape)}`),
    ...s.outputs.map((v) => `output ${v.name}: ${v.dtype} ${shape(v.shape)}`),
    '',
    `${'layer'.padEnd(width)}  ${'op'.padEnd(20)} ${'output'.padEnd(18)} ${'params'.padStart(10)} ${'FLOPs'.padStart(14)}`,
    ...s.layers.map(
      (l) =>
        `${l.name.padEnd(width)}  ${l.op.padEnd(20)} ${shape(l.output).padEnd(18)} ${l.params.toLocaleString('en-US').padStart(10)} ${l.flops.toLocaleString('en-US').padStart(14)}`,
    ),
    '',
    `parameters: ${s.parameters.toLocaleString('en-US')}`,
    `forward FLOPs per sample: ${s.flops.toLocaleString('en-US')} (${formatFlops(s.flops)})`,
  ];
  return lines.join('\n');
}
