import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../../src/onnx/ir.js';
import { tensor } from '../../../src/onnx/tensor.js';
import { erf, roundHalfEven } from '../../../src/onnx/reference/unary.js';
import { bool, checkOp, f32, i32, i64, rand, randT, refOp, toNums } from './helpers.js';

const UNARY: Array<[string, number, number]> = [
  ['Neg', -3, 3],
  ['Abs', -3, 3],
  ['Sqrt', 0.01, 4],
  ['Exp', -3, 3],
  ['Log', 0.01, 4],
  ['Reciprocal', 0.2, 3],
  ['Sin', -3, 3],
  ['Cos', -3, 3],
  ['Tan', -1.2, 1.2],
  ['Asin', -0.99, 0.99],
  ['Acos', -0.99, 0.99],
  ['Atan', -3, 3],
  ['Sinh', -3, 3],
  ['Cosh', -3, 3],
  ['Asinh', -3, 3],
  ['Acosh', 1.01, 4],
  ['Atanh', -0.95, 0.95],
  ['Tanh', -3, 3],
  ['Erf', -3, 3],
  ['Sigmoid', -8, 8],
  ['Relu', -3, 3],
  ['Softplus', -8, 8],
  ['Softsign', -3, 3],
  ['HardSwish', -5, 5],
  ['Floor', -3, 3],
  ['Ceil', -3, 3],
  ['Round', -3, 3],
  ['Sign', -3, 3],
  ['Mish', -3, 3],
];

test('unary float ops match ORT', async () => {
  for (const [op, lo, hi] of UNARY) await checkOp({ op, inputs: [randT([2, 3, 5], 7, lo, hi)] });
});

test('Round ties go to even, Sign of zero is zero (ORT and by hand)', async () => {
  const x = f32([8], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0, 2.4999]);
  const r = await checkOp({ op: 'Round', inputs: [x] });
  assert.deepEqual(
    toNums(r.out0).map((v) => v + 0),
    [0, 2, 2, 0, -2, -2, 0, 2],
  );
  assert.equal(roundHalfEven(3.5), 4);
  await checkOp({ op: 'Sign', inputs: [f32([3], [0, -2, 3])] });
});

test('activations with attributes match ORT', async () => {
  const x = randT([3, 4, 5], 3, -4, 4);
  await checkOp({ op: 'LeakyRelu', inputs: [x] });
  await checkOp({ op: 'LeakyRelu', attrs: { alpha: A.float(0.3) }, inputs: [x] });
  await checkOp({ op: 'Elu', inputs: [x] });
  await checkOp({ op: 'Elu', attrs: { alpha: A.float(0.7) }, inputs: [x] });
  await checkOp({ op: 'Selu', inputs: [x] });
  await checkOp({ op: 'Celu', attrs: { alpha: A.float(1.3) }, inputs: [x] });
  await checkOp({ op: 'ThresholdedRelu', attrs: { alpha: A.float(0.5) }, inputs: [x] });
  await checkOp({ op: 'HardSigmoid', inputs: [x] });
  await checkOp({ op: 'HardSigmoid', attrs: { alpha: A.float(0.3), beta: A.float(0.4) }, inputs: [x] });
  await checkOp({ op: 'Gelu', inputs: [x], opset: 20 });
  await checkOp({ op: 'Gelu', attrs: { approximate: A.string('tanh') }, inputs: [x], opset: 20 });
});

test('erf is accurate to float64 precision (hand values)', () => {
  const known: Array<[number, number]> = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [3, 0.9999779095030014],
    [-1.5, -0.9661051464753108],
    [5, 0.9999999999984626],
  ];
  for (const [x, e] of known)
    assert.ok(Math.abs(erf(x) - e) <= 2e-16 * Math.max(1, Math.abs(e)) * 4, `erf(${x}) = ${erf(x)}, expected ${e}`);
});

test('binary arithmetic broadcasts multidirectionally like ORT', async () => {
  const shapes: Array<[number[], number[]]> = [
    [
      [2, 3, 4],
      [2, 3, 4],
    ],
    [[2, 3, 4], [4]],
    [
      [2, 1, 4],
      [3, 1],
    ],
    [[1], [2, 3]],
    [[], [2, 3]],
    [
      [3, 1, 5],
      [1, 4, 1],
    ],
  ];
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const [a, b] of shapes) await checkOp({ op, inputs: [randT(a, 1), randT(b, 2, 0.5, 2)] });
  }
  await checkOp({ op: 'Pow', inputs: [randT([2, 3], 1, 0.1, 3), randT([3], 2, -2, 2)] });
  await checkOp({ op: 'Pow', inputs: [randT([2, 3], 1, -3, 3), f32([], [2])] });
});

test('integer arithmetic: truncating Div, Mod with and without fmod', async () => {
  const a = i64([6], [7, -7, 7, -7, 9, 0]),
    b = i64([6], [2, 2, -2, -2, 4, 3]);
  const div = await checkOp({ op: 'Div', inputs: [a, b], outputs: ['int64'] });
  assert.deepEqual(toNums(div.out0), [3, -3, -3, 3, 2, 0]);
  const m0 = await checkOp({ op: 'Mod', inputs: [a, b], outputs: ['int64'] });
  assert.deepEqual(toNums(m0.out0), [1, 1, -1, -1, 1, 0]);
  const m1 = await checkOp({ op: 'Mod', attrs: { fmod: A.int(1) }, inputs: [a, b], outputs: ['int64'] });
  assert.deepEqual(toNums(m1.out0), [1, -1, 1, -1, 1, 0]);
  await checkOp({ op: 'Mod', attrs: { fmod: A.int(1) }, inputs: [randT([2, 4], 3, -5, 5), randT([4], 4, 0.5, 2)] });
  await checkOp({ op: 'Add', inputs: [i32([3], [1, 2, 2147483647]), i32([1], [1])], outputs: ['int32'] });
  await checkOp({ op: 'Mul', inputs: [i64([2, 2], [1, -2, 3, 4]), i64([2], [5, 6])], outputs: ['int64'] });
});

test('comparison and logic ops produce bool like ORT', async () => {
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]),
    b = f32([3], [2, 2, 7]);
  for (const op of ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual']) {
    await checkOp({ op, inputs: [a, b], outputs: ['bool'] });
    await checkOp({ op, inputs: [i64([2, 2], [1, 5, 3, 3]), i64([2, 1], [3, 4])], outputs: ['bool'] });
  }
  const p = bool([2, 2], [1, 0, 1, 0]),
    q = bool([2], [1, 1]);
  for (const op of ['And', 'Or', 'Xor']) await checkOp({ op, inputs: [p, q], outputs: ['bool'] });
  await checkOp({ op: 'Not', inputs: [p], outputs: ['bool'] });
  await checkOp({ op: 'Equal', inputs: [p, q], outputs: ['bool'] });
});

test('bitwise ops and BitShift on unsigned types', async () => {
  const a = i32([4], [5, -3, 12, 0]),
    b = i32([4], [3, 6, 10, 7]);
  for (const op of ['BitwiseAnd', 'BitwiseOr', 'BitwiseXor']) await checkOp({ op, inputs: [a, b], outputs: ['int32'] });
  await checkOp({ op: 'BitwiseNot', inputs: [a], outputs: ['int32'] });
  const u8 = tensor('uint8', [4], [1, 200, 255, 7]),
    s8 = tensor('uint8', [4], [1, 1, 4, 2]);
  const left = await checkOp({
    op: 'BitShift',
    attrs: { direction: A.string('LEFT') },
    inputs: [u8, s8],
    outputs: ['uint8'],
  });
  assert.deepEqual(toNums(left.out0), [2, 144, 240, 28]);
  await checkOp({ op: 'BitShift', attrs: { direction: A.string('RIGHT') }, inputs: [u8, s8], outputs: ['uint8'] });
  const u64 = tensor('uint64', [3], new BigUint64Array([1n, 2n ** 63n, 12345n]));
  await checkOp({
    op: 'BitShift',
    attrs: { direction: A.string('RIGHT') },
    inputs: [u64, tensor('uint64', [1], new BigUint64Array([3n]))],
    outputs: ['uint64'],
  });
  await checkOp({
    op: 'BitShift',
    attrs: { direction: A.string('LEFT') },
    inputs: [tensor('uint32', [2], [3, 0x80000001]), tensor('uint32', [2], [1, 1])],
    outputs: ['uint32'],
  });
});

test('variadic Min, Max, Sum, Mean broadcast across all inputs', async () => {
  const xs = [randT([2, 3, 4], 1), randT([3, 1], 2), randT([4], 3)];
  for (const op of ['Min', 'Max', 'Sum', 'Mean']) {
    await checkOp({ op, inputs: xs });
    await checkOp({ op, inputs: [xs[0]] });
    await checkOp({ op, inputs: [xs[1], xs[2]] });
  }
  await checkOp({ op: 'Max', inputs: [i64([3], [1, 7, -2]), i64([1], [0])], outputs: ['int64'] });
});

test('Where, Clip, PRelu', async () => {
  const c = bool([2, 1, 3], [1, 0, 1, 0, 0, 1]);
  await checkOp({ op: 'Where', inputs: [c, randT([4, 3], 1), randT([2, 4, 1], 2)] });
  await checkOp({ op: 'Where', inputs: [c, i64([3], [1, 2, 3]), i64([1], [-1])], outputs: ['int64'] });
  const x = randT([2, 3, 4], 5, -3, 3);
  await checkOp({ op: 'Clip', inputs: [x, f32([], [-0.5]), f32([], [1])] });
  await checkOp({ op: 'Clip', inputs: [x, null, f32([], [1])] });
  await checkOp({ op: 'Clip', inputs: [x, f32([], [-0.5])] });
  await checkOp({ op: 'Clip', inputs: [x] });
  await checkOp({ op: 'Clip', inputs: [x, f32([], [1]), f32([], [-0.5])] }); // min > max gives max
  await checkOp({ op: 'Clip', inputs: [i64([4], [-5, 0, 3, 9]), i64([], [-1]), i64([], [4])], outputs: ['int64'] });
  await checkOp({ op: 'PRelu', inputs: [randT([2, 3, 4, 4], 6), randT([3, 1, 1], 7)] });
  await checkOp({ op: 'PRelu', inputs: [randT([2, 3], 6), f32([1], [0.25])] });
});

test('Cast and CastLike follow ORT conversions; float results stay float64', async () => {
  const x = f32([6], [-2.7, -0.5, 0.5, 1.9, 3, 250.6]);
  await checkOp({ op: 'Cast', attrs: { to: A.int(7) }, inputs: [x], outputs: ['int64'] });
  await checkOp({ op: 'Cast', attrs: { to: A.int(6) }, inputs: [x], outputs: ['int32'] });
  await checkOp({ op: 'Cast', attrs: { to: A.int(9) }, inputs: [x], outputs: ['bool'] });
  await checkOp({ op: 'Cast', attrs: { to: A.int(1) }, inputs: [i64([3], [-3, 0, 5])] });
  await checkOp({ op: 'Cast', attrs: { to: A.int(1) }, inputs: [bool([3], [1, 0, 1])] });
  await checkOp({ op: 'Cast', attrs: { to: A.int(7) }, inputs: [bool([3], [1, 0, 1])], outputs: ['int64'] });
  await checkOp({ op: 'Cast', attrs: { to: A.int(6) }, inputs: [i64([3], [-3, 0, 2 ** 33 + 5])], outputs: ['int32'] });
  await checkOp({ op: 'CastLike', inputs: [x, i64([1], [0])], outputs: ['int64'] });
  await checkOp({ op: 'Identity', inputs: [x] });
  // float64 precision survives a Cast to float32.
  const r = refOp({ op: 'Cast', attrs: { to: A.int(1) }, inputs: [tensor('float64', [1], [1 + 1e-12])] });
  assert.equal(r.out0.dtype, 'float32');
  assert.equal(r.out0.data[0], 1 + 1e-12);
});

test('float64 inputs stay float64 throughout', () => {
  const x = tensor('float64', [3], [1e-10, 1, 2]);
  const r = refOp({ op: 'Add', inputs: [x, tensor('float64', [1], [1])], outputs: ['float64'] });
  assert.equal(r.out0.data[0], 1 + 1e-10);
  assert.ok(r.out0.data instanceof Float64Array);
  void rand;
});

test('IsNaN and IsInf', async () => {
  const x = f32([4], [NaN, Infinity, -Infinity, 1]);
  await checkOp({ op: 'IsNaN', inputs: [x], outputs: ['bool'] });
  await checkOp({ op: 'IsInf', inputs: [x], outputs: ['bool'] });
  await checkOp({ op: 'IsInf', attrs: { detect_negative: A.int(0) }, inputs: [x], outputs: ['bool'] });
});
