import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../../../src/onnx/ir.js';
import { tensor } from '../../../src/onnx/tensor.js';
import { bool, checkOp, f32, i32, i64, randT, refOp, toNums } from './helpers.js';

test('Gather: axes, negative indices, scalar and 2-D indices', async () => {
  const x = randT([3, 4, 5], 1);
  await checkOp({ op: 'Gather', inputs: [x, i64([2], [2, -1])] });
  await checkOp({ op: 'Gather', attrs: { axis: A.int(1) }, inputs: [x, i64([2, 2], [0, 3, -2, 1])] });
  await checkOp({ op: 'Gather', attrs: { axis: A.int(-1) }, inputs: [x, i64([], [4])] });
  await checkOp({ op: 'Gather', attrs: { axis: A.int(2) }, inputs: [x, i32([3], [0, 0, 1])] });
  await checkOp({ op: 'Gather', inputs: [i64([3], [7, 8, 9]), i64([2], [2, 0])], outputs: ['int64'] });
});

test('GatherElements along each axis', async () => {
  const x = randT([3, 4], 2);
  await checkOp({ op: 'GatherElements', inputs: [x, i64([2, 4], [0, 1, 2, -1, 2, 2, 0, 1])] });
  await checkOp({ op: 'GatherElements', attrs: { axis: A.int(1) }, inputs: [x, i64([3, 2], [0, 3, -1, 1, 2, 2])] });
  await checkOp({
    op: 'GatherElements',
    attrs: { axis: A.int(-1) },
    inputs: [randT([2, 3, 4], 3), i64([2, 3, 1], [0, 1, 2, 3, 0, 1])],
  });
});

test('GatherND with and without batch_dims', async () => {
  const x = randT([2, 3, 4], 4);
  await checkOp({ op: 'GatherND', inputs: [x, i64([2, 2], [0, 1, 1, 2])] });
  await checkOp({ op: 'GatherND', inputs: [x, i64([2, 3], [0, 1, 3, 1, 2, -1])] });
  await checkOp({ op: 'GatherND', inputs: [x, i64([2, 1, 1], [1, 0])] });
  await checkOp({ op: 'GatherND', attrs: { batch_dims: A.int(1) }, inputs: [x, i64([2, 1], [2, 0])] });
  await checkOp({
    op: 'GatherND',
    attrs: { batch_dims: A.int(1) },
    inputs: [x, i64([2, 2, 2], [0, 1, 2, 3, 1, 1, 0, 0])],
  });
});

test('ScatterElements: reductions none/add/mul/max/min, repeated indices', async () => {
  const x = randT([3, 4], 5);
  const idx = i64([2, 4], [0, 1, 2, 0, 0, 1, 2, 0]);
  const upd = randT([2, 4], 6);
  for (const reduction of ['none', 'add', 'mul', 'max', 'min']) {
    await checkOp({
      op: 'ScatterElements',
      attrs: { reduction: A.string(reduction) },
      inputs: [x, reduction === 'none' ? i64([2, 4], [0, 1, 2, 0, 1, 2, 0, 1]) : idx, upd],
    });
  }
  await checkOp({
    op: 'ScatterElements',
    attrs: { axis: A.int(1), reduction: A.string('add') },
    inputs: [x, i64([3, 2], [0, 0, -1, 1, 3, 3]), randT([3, 2], 7)],
  });
  const r = refOp({
    op: 'ScatterElements',
    attrs: { reduction: A.string('add') },
    inputs: [f32([3], [0, 0, 0]), i64([4], [0, 2, 0, 0]), f32([4], [1, 2, 3, 4])],
  });
  assert.deepEqual(toNums(r.out0), [8, 0, 2]);
});

test('ScatterND: reductions none/add/mul, slice updates', async () => {
  const x = randT([4, 3], 8);
  await checkOp({ op: 'ScatterND', inputs: [x, i64([2, 1], [3, 1]), randT([2, 3], 9)] });
  await checkOp({ op: 'ScatterND', inputs: [x, i64([2, 2], [0, 1, -1, 2]), randT([2], 10)] });
  for (const reduction of ['add', 'mul']) {
    await checkOp({
      op: 'ScatterND',
      attrs: { reduction: A.string(reduction) },
      inputs: [x, i64([3, 1], [1, 1, 0]), randT([3, 3], 11)],
    });
  }
  for (const reduction of ['max', 'min']) {
    await checkOp({
      op: 'ScatterND',
      attrs: { reduction: A.string(reduction) },
      inputs: [x, i64([3, 1], [1, 1, 0]), randT([3, 3], 11)],
    });
  }
});

test('Constant (every value_* form), ConstantOfShape, Range, EyeLike', async () => {
  await checkOp({ op: 'Constant', attrs: { value: A.tensor(f32([2], [1.5, -2])) }, inputs: [] });
  await checkOp({ op: 'Constant', attrs: { value_float: A.float(0.25) }, inputs: [] });
  await checkOp({ op: 'Constant', attrs: { value_floats: A.floats([1, 2, 3]) }, inputs: [] });
  await checkOp({ op: 'Constant', attrs: { value_int: A.int(7) }, inputs: [], outputs: ['int64'] });
  await checkOp({ op: 'Constant', attrs: { value_ints: A.ints([7, -1]) }, inputs: [], outputs: ['int64'] });
  await checkOp({ op: 'ConstantOfShape', inputs: [i64([2], [2, 3])] });
  await checkOp({
    op: 'ConstantOfShape',
    attrs: { value: A.tensor(i64([1], [4])) },
    inputs: [i64([1], [3])],
    outputs: ['int64'],
  });
  await checkOp({ op: 'ConstantOfShape', attrs: { value: A.tensor(f32([1], [0.5])) }, inputs: [i64([0], [])] });
  await checkOp({ op: 'Range', inputs: [f32([], [0.5]), f32([], [3]), f32([], [0.7])] });
  await checkOp({ op: 'Range', inputs: [i64([], [10]), i64([], [1]), i64([], [-3])], outputs: ['int64'] });
  await checkOp({ op: 'Range', inputs: [i64([], [1]), i64([], [1]), i64([], [2])], outputs: ['int64'] });
  for (const k of [0, 1, -2, 5]) await checkOp({ op: 'EyeLike', attrs: { k: A.int(k) }, inputs: [randT([3, 4], 1)] });
  await checkOp({ op: 'EyeLike', attrs: { dtype: A.int(7) }, inputs: [randT([3, 3], 1)], outputs: ['int64'] });
});

test('OneHot: axis, negative indices, out of range', async () => {
  const ind = i64([2, 3], [0, 2, -1, 4, 1, -4]);
  for (const axis of [-1, 0, 1]) {
    await checkOp({ op: 'OneHot', attrs: { axis: A.int(axis) }, inputs: [ind, i64([], [4]), f32([2], [-1, 3])] });
  }
  await checkOp({ op: 'OneHot', inputs: [f32([3], [0, 1, 2]), i64([1], [3]), i64([2], [0, 1])], outputs: ['int64'] });
});

test('NonZero, TopK, Trilu', async () => {
  await checkOp({ op: 'NonZero', inputs: [f32([2, 3], [0, 1, 0, 2, 0, 3])], outputs: ['int64'] });
  await checkOp({ op: 'NonZero', inputs: [bool([4], [0, 1, 1, 0])], outputs: ['int64'] });
  const x = f32([2, 5], [3, 1, 3, 2, 5, 0, 0, 1, -1, 0]);
  for (const largest of [0, 1]) {
    for (const axis of [-1, 1]) {
      await checkOp({
        op: 'TopK',
        attrs: { axis: A.int(axis), largest: A.int(largest) },
        inputs: [x, i64([1], [3])],
        outputs: ['float32', 'int64'],
      });
    }
  }
  await checkOp({
    op: 'TopK',
    attrs: { axis: A.int(0) },
    inputs: [randT([4, 3], 2), i64([1], [2])],
    outputs: ['float32', 'int64'],
  });
  const y = randT([2, 3, 4], 3);
  for (const upper of [0, 1]) {
    for (const k of [null, 0, 1, -1, 3, -5]) {
      await checkOp({ op: 'Trilu', attrs: { upper: A.int(upper) }, inputs: k === null ? [y] : [y, i64([], [k])] });
    }
  }
  const t = refOp({ op: 'Trilu', inputs: [f32([2, 2], [1, 2, 3, 4])] });
  assert.deepEqual(toNums(t.out0), [1, 2, 0, 4]);
  void tensor;
});
