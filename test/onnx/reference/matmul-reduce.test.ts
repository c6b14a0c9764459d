import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../../src/onnx/ir.js';
import { checkOp, f32, i64, randT, refOp, toNums } from './helpers.js';

test('MatMul: 2-D, batched, broadcast batch dims and 1-D operands match ORT', async () => {
  const cases: Array<[number[], number[]]> = [
    [
      [3, 4],
      [4, 5],
    ],
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    [[4], [4, 5]],
    [[2, 3, 4], [4]],
    [[4], [4]],
    [
      [1, 3, 4],
      [2, 4, 6],
    ],
    [
      [0, 4],
      [4, 3],
    ],
  ];
  for (const [a, b] of cases) await checkOp({ op: 'MatMul', inputs: [randT(a, 1), randT(b, 2)] });
  const r = refOp({ op: 'MatMul', inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2, 1], [5, 6])] });
  assert.deepEqual(toNums(r.out0), [17, 39]);
});

test('Gemm: transposes, alpha/beta, C broadcasting and no C', async () => {
  for (const tA of [0, 1]) {
    for (const tB of [0, 1]) {
      const a = randT(tA ? [4, 3] : [3, 4], 1),
        b = randT(tB ? [5, 4] : [4, 5], 2);
      for (const c of [randT([3, 5], 3), randT([5], 4), randT([3, 1], 5), f32([], [0.5])]) {
        await checkOp({
          op: 'Gemm',
          attrs: { transA: A.int(tA), transB: A.int(tB), alpha: A.float(0.7), beta: A.float(1.3) },
          inputs: [a, b, c],
        });
      }
      await checkOp({ op: 'Gemm', attrs: { transA: A.int(tA), transB: A.int(tB) }, inputs: [a, b] });
    }
  }
});

const REDUCE = [
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceSumSquare',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSumExp',
  'ReduceLogSum',
];

test('Reduce* with axes input (opset 18): subsets, negative axes, keepdims', async () => {
  const x = randT([2, 3, 4], 11, 0.2, 1.5);
  for (const op of REDUCE) {
    for (const axes of [[1], [-1], [0, 2], [0, 1, 2], [-3, 1]]) {
      for (const keepdims of [0, 1]) {
        await checkOp({ op, attrs: { keepdims: A.int(keepdims) }, inputs: [x, i64([axes.length], axes)] });
      }
    }
    await checkOp({ op, inputs: [x] });
    await checkOp({ op, attrs: { keepdims: A.int(0) }, inputs: [x] });
  }
});

test('Reduce* noop_with_empty_axes skips the reduction but (as ORT) keeps the elementwise part', async () => {
  const x = randT([2, 3], 4, 0.1, 2);
  for (const op of REDUCE) {
    await checkOp({ op, attrs: { noop_with_empty_axes: A.int(1) }, inputs: [x, i64([0], [])] });
    await checkOp({ op, attrs: { noop_with_empty_axes: A.int(1) }, inputs: [x] });
  }
  const r = refOp({ op: 'ReduceSumSquare', attrs: { noop_with_empty_axes: A.int(1) }, inputs: [f32([2], [-1, 3])] });
  assert.deepEqual(toNums(r.out0), [1, 9]);
});

test('NaN handling follows ORT: ReduceMax/ReduceMin skip NaN, Relu and Max propagate it', async () => {
  await checkOp({ op: 'ReduceMax', inputs: [f32([3], [1, NaN, 0])] });
  await checkOp({ op: 'ReduceMin', inputs: [f32([3], [1, NaN, 0])] });
  await checkOp({ op: 'Relu', inputs: [f32([3], [NaN, -0, -1])] });
  await checkOp({ op: 'Max', inputs: [f32([3], [NaN, 1, 2]), f32([3], [1, NaN, 0])] });
  // (MaxPool is left out: ORT's plain kernel and its Indices kernel treat NaN differently.)
});

test('Reduce* with the axes attribute (opset 13 form)', async () => {
  const x = randT([2, 3, 4], 12, 0.2, 1.5);
  for (const op of REDUCE.filter((o) => o !== 'ReduceSum')) {
    await checkOp({ op, attrs: { axes: A.ints([-1, 0]), keepdims: A.int(0) }, inputs: [x], opset: 13 });
  }
  await checkOp({ op: 'ReduceSum', attrs: { keepdims: A.int(0) }, inputs: [x, i64([1], [1])], opset: 13 });
  const r = refOp({ op: 'ReduceMean', attrs: { axes: A.ints([1]) }, inputs: [f32([2, 2], [1, 2, 3, 5])], opset: 13 });
  assert.deepEqual(r.out0.dims, [2, 1]);
  assert.deepEqual(toNums(r.out0), [1.5, 4]);
});

test('Reduce on integers and ReduceLogSumExp stability (hand values)', async () => {
  await checkOp({ op: 'ReduceSum', inputs: [i64([2, 3], [1, 2, 3, 4, 5, 6]), i64([1], [1])], outputs: ['int64'] });
  await checkOp({ op: 'ReduceMax', inputs: [i64([2, 3], [1, 9, 3, 4, 5, 6]), i64([1], [0])], outputs: ['int64'] });
  const r = refOp({
    op: 'ReduceLogSumExp',
    attrs: { keepdims: A.int(0) },
    inputs: [f32([2], [1000, 1000]), i64([1], [0])],
  });
  assert.ok(Math.abs(Number(r.out0.data[0]) - (1000 + Math.log(2))) < 1e-12);
});

test('ArgMax / ArgMin: axis, keepdims, select_last_index with ties', async () => {
  const x = f32([2, 4], [1, 3, 3, 0, 2, 2, -1, 2]);
  for (const op of ['ArgMax', 'ArgMin']) {
    for (const axis of [0, 1, -1]) {
      for (const keepdims of [0, 1]) {
        for (const last of [0, 1]) {
          await checkOp({
            op,
            attrs: { axis: A.int(axis), keepdims: A.int(keepdims), select_last_index: A.int(last) },
            inputs: [x],
            outputs: ['int64'],
          });
        }
      }
    }
  }
  const r = refOp({
    op: 'ArgMax',
    attrs: { axis: A.int(1), select_last_index: A.int(1) },
    inputs: [x],
    outputs: ['int64'],
  });
  assert.deepEqual(toNums(r.out0), [2, 3]);
  await checkOp({ op: 'ArgMax', attrs: { axis: A.int(1) }, inputs: [randT([2, 5, 3], 4)], outputs: ['int64'] });
});

test('Softmax / LogSoftmax / Hardmax along any axis (opset 13 semantics)', async () => {
  const x = randT([2, 3, 4], 9, -5, 5);
  for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
    for (const axis of [0, 1, 2, -1, -2]) await checkOp({ op, attrs: { axis: A.int(axis) }, inputs: [x] });
    await checkOp({ op, inputs: [x] });
  }
  const big = refOp({ op: 'Softmax', inputs: [f32([3], [1000, 1000, -1000])] });
  assert.deepEqual(toNums(big.out0), [0.5, 0.5, 0]);
});

test('Softmax opset 11 coerces to 2-D at axis', async () => {
  const x = randT([2, 3, 4], 10, -2, 2);
  await checkOp({ op: 'Softmax', attrs: { axis: A.int(1) }, inputs: [x], opset: 11 });
  await checkOp({ op: 'LogSoftmax', inputs: [x], opset: 11 });
});

test('CumSum: axis, exclusive, reverse', async () => {
  const x = randT([2, 3, 4], 3);
  for (const axis of [0, 1, -1]) {
    for (const exclusive of [0, 1]) {
      for (const reverse of [0, 1]) {
        await checkOp({
          op: 'CumSum',
          attrs: { exclusive: A.int(exclusive), reverse: A.int(reverse) },
          inputs: [x, i64([], [axis])],
        });
      }
    }
  }
  const r = refOp({
    op: 'CumSum',
    attrs: { exclusive: A.int(1), reverse: A.int(1) },
    inputs: [f32([4], [1, 2, 3, 4]), i64([], [0])],
  });
  assert.deepEqual(toNums(r.out0), [9, 7, 4, 0]);
});
