import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Attr } from '../../../src/onnx/ir.js';
import { checkOp, f32, i64, randT, refOp, toNums } from './helpers.js';

const POOL_CASES: Array<{ x: number[]; attrs: Record<string, Attr> }> = [
  { x: [2, 3, 5, 5], attrs: { kernel_shape: A.ints([2, 2]) } },
  { x: [2, 3, 5, 5], attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) } },
  { x: [2, 3, 5, 5], attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), ceil_mode: A.int(1) } },
  { x: [2, 3, 6, 7], attrs: { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) } },
  {
    x: [2, 3, 6, 7],
    attrs: { kernel_shape: A.ints([3, 2]), strides: A.ints([2, 3]), pads: A.ints([1, 0, 1, 1]), ceil_mode: A.int(1) },
  },
  // ceil_mode where the last window would start inside the end padding (dropped)
  {
    x: [1, 2, 5, 5],
    attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]), ceil_mode: A.int(1) },
  },
  {
    x: [1, 2, 6, 6],
    attrs: { kernel_shape: A.ints([3, 3]), strides: A.ints([3, 3]), pads: A.ints([0, 0, 2, 2]), ceil_mode: A.int(1) },
  },
  {
    x: [2, 3, 5, 6],
    attrs: { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), auto_pad: A.string('SAME_UPPER') },
  },
  {
    x: [2, 3, 5, 6],
    attrs: { kernel_shape: A.ints([2, 3]), strides: A.ints([2, 2]), auto_pad: A.string('SAME_LOWER') },
  },
  { x: [2, 3, 5, 6], attrs: { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 1]), auto_pad: A.string('VALID') } },
  { x: [2, 3, 9], attrs: { kernel_shape: A.ints([3]), strides: A.ints([2]), pads: A.ints([1, 1]) } },
  {
    x: [1, 2, 4, 5, 4],
    attrs: { kernel_shape: A.ints([2, 2, 2]), strides: A.ints([2, 2, 1]), pads: A.ints([0, 1, 0, 1, 0, 1]) },
  },
];

test('MaxPool values and Indices match ORT (pads, strides, ceil_mode, auto_pad, 1-D, 3-D)', async () => {
  for (const [i, c] of POOL_CASES.entries()) {
    const x = randT(c.x, 100 + i);
    await checkOp({ op: 'MaxPool', attrs: c.attrs, inputs: [x] });
    await checkOp({ op: 'MaxPool', attrs: c.attrs, inputs: [x], outputs: ['float32', 'int64'] });
  }
});

test('MaxPool dilations and storage_order=1 Indices match ORT', async () => {
  const x = randT([2, 3, 7, 6], 5);
  await checkOp({
    op: 'MaxPool',
    attrs: { kernel_shape: A.ints([2, 2]), dilations: A.ints([2, 2]) },
    inputs: [x],
    outputs: ['float32', 'int64'],
  });
  await checkOp({
    op: 'MaxPool',
    attrs: {
      kernel_shape: A.ints([3, 2]),
      dilations: A.ints([2, 1]),
      strides: A.ints([2, 2]),
      pads: A.ints([1, 1, 1, 0]),
    },
    inputs: [x],
    outputs: ['float32', 'int64'],
  });
  await checkOp({
    op: 'MaxPool',
    attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), storage_order: A.int(1) },
    inputs: [x],
    outputs: ['float32', 'int64'],
  });
  await checkOp({
    op: 'MaxPool',
    attrs: { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]), storage_order: A.int(1) },
    inputs: [x],
    outputs: ['float32', 'int64'],
  });
});

test('MaxPool Indices by hand: flat over N*C*H*W, first maximum wins ties', () => {
  const x = f32([1, 2, 2, 2], [1, 5, 5, 2, 7, 7, 7, 7]);
  const r = refOp({
    op: 'MaxPool',
    attrs: { kernel_shape: A.ints([2, 2]) },
    inputs: [x],
    outputs: ['float32', 'int64'],
  });
  assert.deepEqual(toNums(r.out0), [5, 7]);
  assert.deepEqual(toNums(r.out1), [1, 4]);
  const c = refOp({
    op: 'MaxPool',
    attrs: { kernel_shape: A.ints([1, 2]), storage_order: A.int(1) },
    inputs: [f32([1, 1, 2, 2], [1, 2, 4, 3])],
    outputs: ['float32', 'int64'],
  });
  assert.deepEqual(toNums(c.out1), [2, 1]);
});

test('AveragePool: count_include_pad 0/1 with pads and ceil_mode match ORT', async () => {
  for (const [i, c] of POOL_CASES.entries()) {
    const x = randT(c.x, 200 + i);
    for (const cip of [0, 1])
      await checkOp({ op: 'AveragePool', attrs: { ...c.attrs, count_include_pad: A.int(cip) }, inputs: [x] });
  }
});

test('AveragePool with dilations (opset 19) and LpPool', async () => {
  const x = randT([2, 3, 7, 6], 6);
  await checkOp({
    op: 'AveragePool',
    attrs: { kernel_shape: A.ints([2, 2]), dilations: A.ints([2, 2]), pads: A.ints([1, 1, 0, 0]) },
    inputs: [x],
    opset: 19,
  });
  for (const p of [1, 2, 3])
    await checkOp({
      op: 'LpPool',
      attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 1]), p: A.int(p) },
      inputs: [x],
    });
});

test('AveragePool by hand: count_include_pad and the ceil_mode overhang', () => {
  const x = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const a = refOp({
    op: 'AveragePool',
    attrs: { kernel_shape: A.ints([2, 2]), pads: A.ints([1, 1, 0, 0]), strides: A.ints([2, 2]) },
    inputs: [x],
  });
  assert.deepEqual(toNums(a.out0), [1, 2.5, 5.5, 7]);
  const b = refOp({
    op: 'AveragePool',
    attrs: {
      kernel_shape: A.ints([2, 2]),
      pads: A.ints([1, 1, 0, 0]),
      strides: A.ints([2, 2]),
      count_include_pad: A.int(1),
    },
    inputs: [x],
  });
  assert.deepEqual(toNums(b.out0), [0.25, 5 / 4, 11 / 4, 7]);
});

test('GlobalAveragePool, GlobalMaxPool (2-D and 1-D)', async () => {
  for (const dims of [
    [2, 3, 4, 5],
    [2, 3, 7],
  ]) {
    await checkOp({ op: 'GlobalAveragePool', inputs: [randT(dims, 1)] });
    await checkOp({ op: 'GlobalMaxPool', inputs: [randT(dims, 2)] });
  }
});

test('MaxUnpool inverts MaxPool with its Indices, with and without output_shape', async () => {
  const x = randT([2, 3, 4, 4], 7);
  const attrs = { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) };
  const p = refOp({ op: 'MaxPool', attrs, inputs: [x], outputs: ['float32', 'int64'] });
  const vals = f32(p.out0.dims, toNums(p.out0)),
    idx = i64(p.out1.dims, toNums(p.out1));
  await checkOp({ op: 'MaxUnpool', attrs, inputs: [vals, idx] });
  await checkOp({ op: 'MaxUnpool', attrs, inputs: [vals, idx, i64([4], [2, 3, 5, 5])] });
  const y = randT([2, 3, 5, 5], 8);
  const q = refOp({
    op: 'MaxPool',
    attrs: { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) },
    inputs: [y],
    outputs: ['float32', 'int64'],
  });
  await checkOp({
    op: 'MaxUnpool',
    attrs: { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) },
    inputs: [f32(q.out0.dims, toNums(q.out0)), i64(q.out1.dims, toNums(q.out1)), i64([4], [2, 3, 5, 5])],
  });
});
