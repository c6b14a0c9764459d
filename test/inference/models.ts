/** Small hand-built models for the inference tests, with their arithmetic written out in TS. */
import { GraphBuilder } from '../../src/onnx/builder.js';
import { emptyGraph, type Model } from '../../src/onnx/ir.js';

function model(graph: ReturnType<typeof emptyGraph>): Model {
  return {
    irVersion: 8,
    opset: new Map([['', 17]]),
    producerName: 'test',
    producerVersion: '0',
    domain: '',
    modelVersion: 1,
    docString: '',
    metadata: {},
    graph,
  };
}

/** x [N, ...in] -> Flatten -> Gemm(W, b) -> logits [N, out], and ArgMax -> class [N] (int64). */
export function linearModel(inShape: number[], W: Float32Array, b: Float32Array): Model {
  const features = inShape.reduce((p, q) => p * q, 1);
  const out = b.length;
  const g = emptyGraph('linear');
  const gb = new GraphBuilder(g, 'lin');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', ...inShape] });
  const flat = gb.op('Flatten', ['x'], { axis: 1 });
  const w = gb.initializer({ dtype: 'float32', dims: [features, out], data: W }, 'W');
  const bias = gb.initializer({ dtype: 'float32', dims: [out], data: b }, 'b');
  gb.emit('Gemm', [flat, w, bias], ['logits']);
  gb.emit('ArgMax', ['logits'], ['class'], { axis: 1, keepdims: 0 });
  g.outputs.push(
    { name: 'logits', dtype: 'float32', shape: ['N', out] },
    { name: 'class', dtype: 'int64', shape: ['N'] },
  );
  return model(g);
}

/** What linearModel computes, in plain loops: logits and the arg max of each row. */
export function linearReference(
  x: ArrayLike<number>,
  n: number,
  W: Float32Array,
  b: Float32Array,
): { logits: number[][]; classes: number[] } {
  const out = b.length;
  const f = W.length / out;
  const logits = Array.from({ length: n }, (_, i) =>
    Array.from({ length: out }, (_, j) => {
      let s = b[j];
      for (let k = 0; k < f; k++) s += x[i * f + k] * W[k * out + j];
      return s;
    }),
  );
  return { logits, classes: logits.map((r) => r.indexOf(Math.max(...r))) };
}

/** uint8 images [N, H, W, C] -> Cast to float32: shows the pixels a model is fed. */
export function pixelModel(h: number, w: number, c: number): Model {
  const g = emptyGraph('pixels');
  g.inputs.push({ name: 'image', dtype: 'uint8', shape: ['N', h, w, c] });
  new GraphBuilder(g, 'px').emit('Cast', ['image'], ['pixels'], { to: 1 });
  g.outputs.push({ name: 'pixels', dtype: 'float32', shape: ['N', h, w, c] });
  return model(g);
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}
