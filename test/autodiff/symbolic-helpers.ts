/**
 * Gradient checks for graphs whose inputs keep a symbolic batch dimension `N`: the backward graph
 * is generated once from symbolic shapes, then evaluated for two batch sizes with the float64
 * reference (against finite differences) and in ONNX Runtime (float32, against the reference).
 */
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { emptyGraph, type Dim } from '../../src/onnx/ir.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/io.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { evaluateGraph } from '../../src/onnx/reference/interpreter.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { relError } from '../../src/autodiff/gradcheck.js';
import { sizeOf, tensor, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { OPSET, toOrt } from './helpers.js';

const f64 = (t: { data: ArrayLike<number> | unknown }) => Float64Array.from(t.data as ArrayLike<number>);

/** Checks d(sum(y * R))/d(inputs) for `build` over inputs of the given (symbolic) shapes. */
export async function checkSymbolic(
  label: string,
  shapes: Dim[][],
  build: (b: GraphBuilder, inputs: string[]) => string,
  opts: { batches?: number[]; wrt?: number[] } = {},
): Promise<void> {
  const batches = opts.batches ?? [2, 3];
  const g = emptyGraph(label);
  const all = shapes.map((_, i) => `a${i}`);
  const names = (opts.wrt ?? all.map((_, i) => i)).map((i) => all[i]);
  shapes.forEach((s, i) => g.inputs.push({ name: all[i], dtype: 'float32', shape: s }));
  const b = new GraphBuilder(g, 'sym');
  const y = build(b, all);
  const yInfo = inferShapes(g, OPSET).info.get(y)!;
  assert.ok(yInfo.shape, `${label}: output shape unknown`);
  g.inputs.push({ name: 'R', dtype: 'float32', shape: yInfo.shape });
  const loss = b.op('ReduceSum', [b.op('Mul', [y, 'R'])], { keepdims: 0 });
  const forwardCount = g.nodes.length;
  const { grads } = differentiate(g, inferShapes(g, OPSET), { loss, wrt: names, opset: OPSET });
  const gradNames = names.map((n) => grads.get(n)!);
  g.outputs = [
    { name: loss, dtype: 'float32', shape: [] },
    ...gradNames.map((n, i) => ({ name: n, dtype: 'float32' as const, shape: shapes[all.indexOf(names[i])] })),
  ];
  const model = {
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
  const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  const fwd = { ...g, nodes: g.nodes.slice(0, forwardCount), outputs: [g.outputs[0]] };
  try {
    for (const n of batches) {
      const rng = new Rng(100 + n);
      const rand = (dims: number[]): Tensor =>
        tensor(
          'float64',
          dims,
          Float64Array.from({ length: sizeOf(dims) }, () => rng.uniform(-1, 1)),
        );
      const feeds: Record<string, Tensor> = {};
      shapes.forEach((s, i) => {
        feeds[all[i]] = rand(s.map((d) => (typeof d === 'number' ? d : n)));
      });
      const yShape = evaluateGraph(fwd, { ...feeds, R: tensor('float64', [], [0]) }, { opset: OPSET, outputs: [y] })[y]
        .dims;
      feeds.R = rand(yShape);
      const ref = evaluateGraph(g, feeds, { opset: OPSET, outputs: gradNames });
      const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrt(t)])));
      names.forEach((p, i) => {
        const a = f64(ref[gradNames[i]]);
        const base = f64(feeds[p]);
        let worst = 0;
        for (let k = 0; k < base.length; k++) {
          const at = (v: number) => {
            const d = base.slice();
            d[k] = v;
            return f64(
              evaluateGraph(
                fwd,
                { ...feeds, [p]: tensor('float64', feeds[p].dims, d) },
                { opset: OPSET, outputs: [loss] },
              )[loss],
            )[0];
          };
          const num = (at(base[k] + 1e-6) - at(base[k] - 1e-6)) / 2e-6;
          worst = Math.max(worst, relError(a[k], num));
        }
        assert.ok(worst < 1e-6, `${label} (N=${n}): float64 gradient of ${p} off by ${worst}`);
        const o = out[gradNames[i]].data as Float32Array;
        assert.deepEqual([...out[gradNames[i]].dims], feeds[p].dims, `${label} (N=${n}): ORT gradient shape`);
        let ow = 0;
        for (let k = 0; k < a.length; k++) ow = Math.max(ow, relError(o[k], a[k]));
        assert.ok(ow < 2e-3, `${label} (N=${n}): ORT gradient of ${p} differs from float64 by ${ow}`);
      });
    }
  } finally {
    await session.release();
  }
}
