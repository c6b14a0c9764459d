import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Graph, type Node } from '../../../src/onnx/ir.js';
import { tensor } from '../../../src/onnx/tensor.js';
import { evaluateGraph, refToTensor, supportedReferenceOps } from '../../../src/onnx/reference/interpreter.js';
import { assertClose, f32, i64, randT, runOrt, toNums } from './helpers.js';

const node = (opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({
  name: `n_${outputs[0]}`,
  opType,
  domain: '',
  inputs,
  outputs,
  attrs,
});

/** A small CNN: Conv -> Relu -> MaxPool -> Flatten -> Gemm -> LogSoftmax -> loss. */
function cnn(): Graph {
  return {
    name: 'cnn',
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 5, 5] }],
    outputs: [
      { name: 'logp', dtype: 'float32' },
      { name: 'loss', dtype: 'float32' },
    ],
    initializers: new Map([
      ['w', randT([4, 3, 3, 3], 2)],
      ['b', randT([4], 3)],
      ['fc', randT([4 * 2 * 2, 5], 4)],
      ['fcb', randT([5], 5)],
      ['onehot', f32([2, 5], [1, 0, 0, 0, 0, 0, 0, 1, 0, 0])],
    ]),
    valueInfo: new Map(),
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], { pads: A.ints([1, 1, 1, 1]) }),
      node('Relu', ['c'], ['r']),
      node('MaxPool', ['r'], ['p'], { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) }),
      node('Flatten', ['p'], ['f']),
      node('Gemm', ['f', 'fc', 'fcb'], ['z']),
      node('LogSoftmax', ['z'], ['logp']),
      node('Mul', ['logp', 'onehot'], ['picked']),
      node('ReduceSum', ['picked'], ['s'], { keepdims: A.int(0) }),
      node('Neg', ['s'], ['loss']),
    ],
  };
}

test('a small CNN graph agrees with ORT end to end', async () => {
  const g = cnn();
  const feeds = { x: randT([2, 3, 5, 5], 1) };
  const ref = evaluateGraph(g, feeds);
  const ort = await runOrt(g, feeds);
  for (const k of ['logp', 'loss']) {
    assert.deepEqual(ref[k].dims, ort[k].dims);
    assertClose(ref[k].data, ort[k].data, k, 2e-5);
  }
});

test('opts.outputs returns intermediate values and only runs the nodes they need', () => {
  const g = cnn();
  g.nodes.push(node('NoSuchOp', ['loss'], ['unused']));
  const r = evaluateGraph(g, { x: randT([2, 3, 5, 5], 1) }, { outputs: ['p', 'f', 'x'] });
  assert.deepEqual(Object.keys(r).sort(), ['f', 'p', 'x']);
  assert.deepEqual(r.p.dims, [2, 4, 2, 2]);
  assert.deepEqual(r.f.dims, [2, 16]);
  assert.throws(
    () => evaluateGraph(g, { x: randT([2, 3, 5, 5], 1) }, { outputs: ['unused'] }),
    /NoSuchOp.*n_unused|n_unused.*NoSuchOp/,
  );
  assert.throws(() => evaluateGraph(g, { x: randT([2, 3, 5, 5], 1) }, { outputs: ['nope'] }), /'nope'/);
});

test('feeds override initializers; missing inputs are named', () => {
  const g = cnn();
  const x = randT([2, 3, 5, 5], 1);
  const base = evaluateGraph(g, { x });
  const zeroW = evaluateGraph(g, { x, w: f32([4, 3, 3, 3], new Array(108).fill(0)) }, { outputs: ['c'] });
  assert.ok(toNums(zeroW.c).every((v, i) => v === Number(g.initializers.get('b')!.data[Math.floor(i / 25) % 4])));
  assert.notDeepEqual(toNums(base.loss), [0]);
  assert.throws(() => evaluateGraph(g, {}), /inputs not fed: x/);
});

test('errors name the op and the node', () => {
  const g: Graph = {
    name: 'bad',
    inputs: [{ name: 'a', dtype: 'float32' }],
    outputs: [{ name: 'b', dtype: 'float32' }],
    nodes: [node('Reshape', ['a', 'shape'], ['b'])],
    initializers: new Map([['shape', i64([1], [7])]]),
    valueInfo: new Map(),
  };
  assert.throws(() => evaluateGraph(g, { a: randT([2, 3], 1) }), /node 'n_b' \(Reshape\): cannot reshape \[2,3\]/);
  const h: Graph = { ...g, nodes: [{ ...node('Frobnicate', ['a'], ['b']), name: 'frob1' }] };
  assert.throws(() => evaluateGraph(h, { a: randT([2], 1) }), /node 'frob1': op Frobnicate is not supported/);
  const d: Graph = { ...g, nodes: [{ ...node('Relu', ['a'], ['b']), domain: 'com.microsoft' }] };
  assert.throws(() => evaluateGraph(d, { a: randT([2], 1) }), /com\.microsoft::Relu/);
});

test('float16, float64 and int32 tensors are promoted; refToTensor converts back', () => {
  const g: Graph = {
    name: 'types',
    inputs: [
      { name: 'a', dtype: 'float64' },
      { name: 'n', dtype: 'int32' },
    ],
    outputs: [
      { name: 'c', dtype: 'float64' },
      { name: 'm', dtype: 'int32' },
    ],
    nodes: [
      node('Cast', ['h'], ['hc'], { to: A.int(11) }),
      node('Add', ['a', 'hc'], ['c']),
      node('Add', ['n', 'n'], ['m']),
    ],
    initializers: new Map([['h', tensor('float16', [2], new Uint16Array([0x3c00, 0xc100]))]]),
    valueInfo: new Map(),
  };
  const r = evaluateGraph(g, { a: tensor('float64', [2], [0.5, 1e-12]), n: tensor('int32', [1], [21]) });
  assert.deepEqual(toNums(r.c), [1.5, -2.5 + 1e-12]);
  assert.ok(r.m.data instanceof BigInt64Array);
  assert.equal(r.m.dtype, 'int32');
  const t = refToTensor(r.m);
  assert.ok(t.data instanceof Int32Array);
  assert.deepEqual(Array.from(t.data as Int32Array), [42]);
  assert.ok(refToTensor(r.c, 'float32').data instanceof Float32Array);
});

test('supportedReferenceOps covers the required op list', () => {
  const required =
    `Add Sub Mul Div Pow Neg Abs Sqrt Exp Log Reciprocal Sin Cos Tanh Erf Sigmoid Relu LeakyRelu Elu Softplus
    HardSigmoid HardSwish Gelu Min Max Sum Mean Clip Where Cast CastLike Identity Floor Ceil Round Sign Equal Less LessOrEqual
    Greater GreaterOrEqual Not And Or Xor Mod BitwiseXor BitShift PRelu MatMul Gemm ReduceSum ReduceMean ReduceMax ReduceMin
    ReduceProd ReduceSumSquare ReduceL1 ReduceL2 ReduceLogSumExp ArgMax ArgMin Softmax LogSoftmax Shape Size Reshape Transpose
    Squeeze Unsqueeze Flatten Concat Split Slice Expand Tile Pad ConstantOfShape Range Constant Gather GatherElements GatherND
    ScatterElements ScatterND OneHot NonZero TopK Trilu CumSum EyeLike DepthToSpace SpaceToDepth Conv ConvTranspose MaxPool
    AveragePool GlobalAveragePool GlobalMaxPool MaxUnpool BatchNormalization LayerNormalization InstanceNormalization Dropout
    Loop If`.split(/\s+/);
  const have = new Set(supportedReferenceOps());
  assert.deepEqual(
    required.filter((op) => !have.has(op)),
    [],
  );
});

test('per-call overhead stays low on gradient-check sized graphs', () => {
  const g = cnn();
  const x = randT([2, 3, 5, 5], 1);
  evaluateGraph(g, { x });
  const t0 = performance.now();
  const runs = 200;
  for (let i = 0; i < runs; i++) evaluateGraph(g, { x });
  const ms = (performance.now() - t0) / runs;
  assert.ok(ms < 20, `one evaluation of the small CNN took ${ms.toFixed(2)} ms`);
});
