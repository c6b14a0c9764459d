import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { A, emptyGraph, type Attr } from '../../src/onnx/ir.js';
import { encodeModel } from '../../src/onnx/io.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { evaluateGraph } from '../../src/onnx/reference/interpreter.js';
import { Rng } from '../../src/util/rng.js';
import { tensor } from '../../src/onnx/tensor.js';
import { checkGradient, randTensor, OPSET, toOrt } from './helpers.js';

const rng = new Rng(5);
const r = (dims: number[]) => randTensor(rng, dims);
type Plain = Record<string, Attr | number[] | number | string>;
const attrsOf = (a: Plain = {}): Record<string, Attr> =>
  Object.fromEntries(
    Object.entries(a).map(([k, v]) => [
      k,
      typeof v === 'number' ? A.int(v) : typeof v === 'string' ? A.string(v) : Array.isArray(v) ? A.ints(v) : v,
    ]),
  );

const maxCases: Array<[string, number[], Plain]> = [
  ['2x2 stride 2 (mask form)', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['2x2 stride 2, odd size (floor crops the tail)', [1, 2, 7, 5], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['2x2 stride 2, ceil_mode', [1, 2, 7, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }],
  ['2x2 stride 2, pads [1, 0, 0, 1]', [1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 0, 0, 1] }],
  [
    '2x2 stride 2, auto_pad SAME_UPPER',
    [1, 2, 5, 5],
    { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' },
  ],
  [
    '2x2 stride 2, auto_pad SAME_LOWER',
    [1, 2, 5, 5],
    { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_LOWER' },
  ],
  ['3x2 stride [3, 2]', [2, 2, 9, 6], { kernel_shape: [3, 2], strides: [3, 2] }],
  ['wide map (chunked MatMul upsampling)', [1, 2, 4, 80], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['1-D kernel 3 stride 3', [2, 3, 10], { kernel_shape: [3], strides: [3] }],
  ['3-D 2x2x2 stride 2', [1, 2, 4, 4, 6], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }],
  [
    '3x3 stride 2 pads 1 (overlapping: Indices + ScatterElements)',
    [2, 2, 7, 7],
    { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  ],
  [
    '3x3 stride 2 ceil_mode, auto_pad VALID',
    [1, 2, 8, 8],
    { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, auto_pad: 'VALID' },
  ],
  ['2x2 stride 1 dilations 2', [1, 2, 6, 6], { kernel_shape: [2, 2], dilations: [2, 2] }],
  ['2x2 stride 2 dilations [2, 1]', [1, 2, 8, 6], { kernel_shape: [2, 2], strides: [2, 2], dilations: [2, 1] }],
  ['1-D kernel 3 stride 1 pads 1', [2, 2, 9], { kernel_shape: [3], pads: [1, 1] }],
];
for (const [name, x, attrs] of maxCases) {
  test(`MaxPool gradient: ${name}`, async () => {
    await checkGradient({ op: 'MaxPool', inputs: [r(x)], attrs: attrsOf(attrs) }, { maxElements: 24 });
  });
}

test('MaxPool gradient when the forward node also outputs Indices (reused, storage_order 0)', async () => {
  await checkGradient(
    { op: 'MaxPool', inputs: [r([1, 2, 6, 6])], attrs: attrsOf({ kernel_shape: [3, 3], strides: [1, 1] }), outputs: 2 },
    { maxElements: 24 },
  );
  await checkGradient(
    {
      op: 'MaxPool',
      inputs: [r([1, 2, 6, 6])],
      attrs: attrsOf({ kernel_shape: [3, 3], strides: [2, 2], storage_order: 1 }),
      outputs: 2,
    },
    { maxElements: 24 },
  );
});

const avgCases: Array<[string, number[], Plain]> = [
  ['2x2 stride 2 (MatMul upsampling)', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
  ['2x2 stride 2, odd size', [1, 2, 7, 5], { kernel_shape: [2, 2], strides: [2, 2] }],
  [
    '3x3 stride 2 pads 1, count_include_pad 0',
    [2, 2, 7, 6],
    { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  ],
  [
    '3x3 stride 2 pads 1, count_include_pad 1',
    [2, 2, 7, 6],
    { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 },
  ],
  [
    '3x3 stride 2 asymmetric pads, ceil_mode, count_include_pad 0',
    [1, 2, 8, 7],
    { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1 },
  ],
  [
    '3x3 stride 2 asymmetric pads, ceil_mode, count_include_pad 1',
    [1, 2, 8, 7],
    { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1, count_include_pad: 1 },
  ],
  [
    '2x2 stride 2 ceil_mode (partial last window)',
    [1, 2, 5, 5],
    { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 },
  ],
  ['3x3 stride 1', [1, 2, 5, 5], { kernel_shape: [3, 3] }],
  ['auto_pad SAME_UPPER stride 2', [1, 2, 5, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
  ['1-D kernel 4 stride 3 pads 2', [2, 2, 11], { kernel_shape: [4], strides: [3], pads: [2, 1] }],
  ['3-D 2x2x2 stride 2', [1, 2, 4, 4, 4], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }],
];
for (const [name, x, attrs] of avgCases) {
  test(`AveragePool gradient: ${name}`, async () => {
    await checkGradient({ op: 'AveragePool', inputs: [r(x)], attrs: attrsOf(attrs) }, { maxElements: 24 });
  });
}

test('GlobalAveragePool and GlobalMaxPool gradients (2-D and 1-D)', async () => {
  await checkGradient({ op: 'GlobalAveragePool', inputs: [r([2, 3, 4, 5])] }, { maxElements: 24 });
  await checkGradient({ op: 'GlobalAveragePool', inputs: [r([2, 3, 7])] }, { maxElements: 24 });
  await checkGradient({ op: 'GlobalMaxPool', inputs: [r([2, 3, 4, 5])] }, { maxElements: 24 });
  await checkGradient({ op: 'GlobalMaxPool', inputs: [r([2, 3, 7])] }, { maxElements: 24 });
});

/** Runs the backward graph of `op(X)` with loss sum(Y * R) in ORT and in the reference; returns both dX. */
async function backward(op: string, attrs: Plain, x: number[], xShape: number[], rValues: number[]) {
  const g = emptyGraph('ties');
  const b = new GraphBuilder(g, 't');
  g.inputs.push({ name: 'X', dtype: 'float32', shape: xShape });
  const y = b.op(op, ['X'], attrsOf(attrs));
  const table0 = inferShapes(g, OPSET);
  const yShape = table0.info.get(y)!.shape as number[];
  const rr = b.initializer(tensor('float32', yShape, rValues), 'R');
  const loss = b.op('ReduceSum', [b.op('Mul', [y, rr])], { keepdims: 0 });
  const { grads } = differentiate(g, inferShapes(g, OPSET), { loss, wrt: ['X'], opset: OPSET });
  const dx = grads.get('X')!;
  g.outputs = [{ name: dx, dtype: 'float32' }];
  const X = tensor('float32', xShape, x);
  const ref = Array.from(evaluateGraph(g, { X }, { opset: OPSET, outputs: [dx] })[dx].data as Float64Array);
  const model = {
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
  const s = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  const got = Array.from((await s.run({ X: toOrt(X) }))[dx].data as Float32Array);
  await s.release();
  return { ref, got };
}

test('MaxPool (kernel == stride) splits the gradient equally between tied maxima, e.g. all-zero windows after ReLU', async () => {
  // windows: [0 0; 0 0] -> 4-way tie; [1 1; 0 -1] -> 2-way tie; [0.5 -1; -2 -3] -> single max
  const x = [0, 0, 1, 1, 0.5, -1, 0, 0, 0, -1, -2, -3];
  const { ref, got } = await backward('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }, x, [1, 1, 2, 6], [8, 2, 4]);
  const want = [2, 2, 1, 1, 4, 0, 2, 2, 0, 0, 0, 0];
  assert.deepEqual(ref, want);
  assert.deepEqual(got, want);
});

test("MaxPool with overlapping windows gives a tied window's gradient to its first maximum (as ORT)", async () => {
  const x = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const { ref, got } = await backward(
    'MaxPool',
    { kernel_shape: [2, 2], strides: [1, 1] },
    x,
    [1, 1, 3, 3],
    [1, 2, 4, 8],
  );
  const want = [1, 2, 0, 4, 8, 0, 0, 0, 0];
  assert.deepEqual(ref, want);
  assert.deepEqual(got, want);
});

test('GlobalMaxPool splits the gradient between tied maxima', async () => {
  const { ref, got } = await backward('GlobalMaxPool', {}, [1, 3, 3, 0, -1, -1, -1, -1], [1, 2, 2, 2], [6, 4]);
  const want = [0, 3, 3, 0, 1, 1, 1, 1];
  assert.deepEqual(ref, want);
  assert.deepEqual(got, want);
});

test('pooling gradients with a symbolic batch run in ORT; symbolic spatial sizes fail clearly', async () => {
  for (const [op, attrs] of [
    ['MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }],
    ['MaxPool', { kernel_shape: [3, 3], strides: [2, 2] }],
    ['AveragePool', { kernel_shape: [2, 2], strides: [2, 2] }],
    ['AveragePool', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }],
    ['GlobalAveragePool', {}],
    ['GlobalMaxPool', {}],
  ] as Array<[string, Plain]>) {
    const g = emptyGraph('sym');
    const b = new GraphBuilder(g, 't');
    g.inputs.push({ name: 'X', dtype: 'float32', shape: ['N', 3, 6, 6] });
    const loss = b.op('ReduceSum', [b.op(op, ['X'], attrsOf(attrs))], { keepdims: 0 });
    const { grads } = differentiate(g, inferShapes(g, OPSET), { loss, wrt: ['X'], opset: OPSET });
    g.outputs = [{ name: grads.get('X')!, dtype: 'float32' }];
    const model = {
      irVersion: 8,
      opset: new Map([['', OPSET]]),
      producerName: '',
      producerVersion: '',
      domain: '',
      modelVersion: 0,
      docString: '',
      metadata: {},
      graph: g,
    };
    const s = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
    const X = r([5, 3, 6, 6]);
    const got = (await s.run({ X: toOrt(X) }))[grads.get('X')!];
    await s.release();
    const ref = evaluateGraph(g, { X }, { opset: OPSET, outputs: [grads.get('X')!] })[grads.get('X')!];
    assert.deepEqual(got.dims, [5, 3, 6, 6], op);
    const rd = ref.data as Float64Array;
    (got.data as Float32Array).forEach((v, i) =>
      assert.ok(Math.abs(v - rd[i]) < 1e-5, `${op}: element ${i}: ${v} vs ${rd[i]}`),
    );

    if (op === 'GlobalMaxPool') continue; // needs no static sizes
    const gd = emptyGraph('dyn');
    const bd = new GraphBuilder(gd, 't');
    gd.inputs.push({ name: 'X', dtype: 'float32', shape: ['N', 3, 'H', 'W'] });
    const ld = bd.op('ReduceSum', [bd.op(op, ['X'], attrsOf(attrs))], { keepdims: 0 });
    assert.throws(
      () => differentiate(gd, inferShapes(gd, OPSET), { loss: ld, wrt: ['X'], opset: OPSET }),
      /needs the static shape of 'X'.*only the batch dimension may stay symbolic|must be static/,
      op,
    );
  }
});
