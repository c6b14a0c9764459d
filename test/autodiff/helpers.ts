/**
 * Test helpers for gradient rules: build a one-node (or small) graph, run the float64 gradient
 * check, then run the same backward graph in ONNX Runtime (float32) and compare.
 */
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import type { Attr, Graph, Node } from '../../src/onnx/ir.js';
import { emptyGraph } from '../../src/onnx/ir.js';
import { encodeModel } from '../../src/onnx/io.js';
import { gradCheck, relError, type GradCheckResult } from '../../src/autodiff/gradcheck.js';
import { tensor, sizeOf, type Tensor, type DType } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';

export const OPSET = 18;

/** Random float32 tensor with values in [lo, hi). */
export function randTensor(rng: Rng, dims: number[], lo = -1, hi = 1): Tensor {
  return tensor(
    'float32',
    dims,
    Float32Array.from({ length: sizeOf(dims) }, () => rng.uniform(lo, hi)),
  );
}

export interface OpCase {
  op: string;
  /** Input specs in order: a tensor value, or a constant initializer ({ const: tensor }), or '' for absent. */
  inputs: Array<Tensor | { const: Tensor } | ''>;
  attrs?: Record<string, Attr>;
  /** Number of outputs the node has (default 1). */
  outputs?: number;
  /** Which output the loss uses (default 0). */
  lossOutput?: number;
  /** Indices of inputs to check gradients for (default: all non-const float tensor inputs). */
  wrt?: number[];
}

/** Builds a graph holding one node of `c.op`; inputs are graph inputs x0, x1, ... or initializers. */
export function singleOpGraph(c: OpCase): {
  graph: Graph;
  feeds: Record<string, Tensor>;
  params: string[];
  output: string;
} {
  const graph = emptyGraph('single');
  const feeds: Record<string, Tensor> = {};
  const names: string[] = [];
  c.inputs.forEach((inp, i) => {
    if (inp === '') {
      names.push('');
      return;
    }
    const name = `x${i}`;
    names.push(name);
    if ('const' in inp) graph.initializers.set(name, inp.const);
    else {
      graph.inputs.push({ name, dtype: inp.dtype, shape: [...inp.dims] });
      feeds[name] = inp;
    }
  });
  const outs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `y${i}`);
  const node: Node = {
    name: `${c.op}_under_test`,
    opType: c.op,
    domain: '',
    inputs: names,
    outputs: outs,
    attrs: c.attrs ?? {},
  };
  graph.nodes.push(node);
  const output = outs[c.lossOutput ?? 0];
  graph.outputs = [{ name: output, dtype: 'float32' }];
  const wrt =
    c.wrt ??
    c.inputs
      .map((inp, i) =>
        inp !== '' && !('const' in inp) && (inp.dtype === 'float32' || inp.dtype === 'float64') ? i : -1,
      )
      .filter((i) => i >= 0);
  return { graph, feeds, params: wrt.map((i) => names[i]), output };
}

/** Runs the gradient graph of a gradCheck result in ONNX Runtime and returns the float32 gradients. */
export async function runGradGraphInOrt(r: GradCheckResult, opset = OPSET): Promise<Map<string, Float32Array>> {
  const model = {
    irVersion: opset >= 19 ? 9 : 8,
    opset: new Map([['', opset]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: r.gradGraph,
  };
  const session = await ort.InferenceSession.create(encodeModel(model), {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const inp of session.inputNames) {
      const t = r.gradFeeds[inp];
      assert.ok(t, `no feed for ${inp}`);
      feeds[inp] = toOrt(t);
    }
    const out = await session.run(feeds);
    const m = new Map<string, Float32Array>();
    r.params.forEach((p, i) => m.set(p.name, out[r.gradOutputs[i]].data as Float32Array));
    return m;
  } finally {
    await session.release();
  }
}

/** Converts a host tensor to an ORT tensor (float64 host data is narrowed to float32 for float inputs). */
export function toOrt(t: Tensor): ort.Tensor {
  if (t.dtype === 'float64') return new ort.Tensor('float32', Float32Array.from(t.data as Float64Array), t.dims);
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
}

export interface CheckOptions {
  seed?: number;
  tol?: number;
  ortTol?: number;
  maxElements?: number;
  skipOrt?: boolean;
  opset?: number;
}

/**
 * The full check for one case: float64 analytic vs finite differences (tol, default 1e-6) and ORT
 * float32 vs float64 analytic (ortTol, default 2e-3). Returns the result for further assertions.
 */
export async function checkGradient(
  c: OpCase | { graph: Graph; feeds: Record<string, Tensor>; params: string[]; output: string },
  opts: CheckOptions = {},
): Promise<GradCheckResult> {
  const g = 'op' in c ? singleOpGraph(c) : c;
  const r = gradCheck({
    graph: g.graph,
    opset: opts.opset ?? OPSET,
    feeds: g.feeds,
    params: g.params,
    output: g.output,
    seed: opts.seed ?? 7,
    maxElements: opts.maxElements ?? 12,
  });
  const label = 'op' in c ? c.op : g.graph.name;
  assert.ok(
    r.worstRelError < (opts.tol ?? 1e-6),
    `${label}: float64 gradient check failed: ${JSON.stringify(r.params)}`,
  );
  if (!opts.skipOrt) {
    const got = await runGradGraphInOrt(r, opts.opset ?? OPSET);
    for (const [name, a] of r.analytic) {
      const f = got.get(name)!;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, relError(f[i], a[i]));
      assert.ok(
        worst < (opts.ortTol ?? 2e-3),
        `${label}: ORT float32 gradient of ${name} differs from float64 by ${worst}`,
      );
    }
  }
  return r;
}

export type { DType };
