import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Attr } from '../../../src/onnx/ir.js';
import { checkOp, f32, i64, randT, refOp, toNums } from './helpers.js';

test('Shape (start/end, negative, clamped) and Size', async () => {
  const x = randT([2, 3, 4, 5], 1);
  await checkOp({ op: 'Shape', inputs: [x], outputs: ['int64'] });
  for (const [s, e] of [
    [1, 3],
    [-2, undefined],
    [0, -1],
    [-10, 10],
    [3, 1],
  ] as Array<[number, number | undefined]>) {
    const attrs: Record<string, Attr> = e === undefined ? { start: A.int(s) } : { start: A.int(s), end: A.int(e) };
    await checkOp({ op: 'Shape', attrs, inputs: [x], outputs: ['int64'] });
  }
  await checkOp({ op: 'Size', inputs: [x], outputs: ['int64'] });
});

test('Reshape: 0 copies, -1 infers, allowzero', async () => {
  const x = randT([2, 3, 4], 2);
  for (const s of [[6, 4], [0, -1], [-1], [2, 0, 2, 2], [4, 0, -1]]) {
    await checkOp({ op: 'Reshape', inputs: [x, i64([s.length], s)] });
  }
  await checkOp({ op: 'Reshape', attrs: { allowzero: A.int(1) }, inputs: [f32([0, 3], []), i64([2], [3, 0])] });
});

test('Transpose with default and explicit perms', async () => {
  const x = randT([2, 3, 4], 3);
  await checkOp({ op: 'Transpose', inputs: [x] });
  for (const p of [
    [0, 2, 1],
    [2, 0, 1],
    [1, 0, 2],
  ])
    await checkOp({ op: 'Transpose', attrs: { perm: A.ints(p) }, inputs: [x] });
  await checkOp({ op: 'Transpose', attrs: { perm: A.ints([3, 1, 0, 2]) }, inputs: [randT([2, 1, 3, 2], 4)] });
});

test('Squeeze / Unsqueeze with axes inputs (and opset 11 attributes)', async () => {
  const x = randT([1, 3, 1, 2], 4);
  await checkOp({ op: 'Squeeze', inputs: [x] });
  await checkOp({ op: 'Squeeze', inputs: [x, i64([1], [-2])] });
  await checkOp({ op: 'Squeeze', inputs: [x, i64([2], [0, 2])] });
  await checkOp({ op: 'Squeeze', attrs: { axes: A.ints([0]) }, inputs: [x], opset: 11 });
  const y = randT([3, 2], 5);
  for (const ax of [[0], [-1], [0, 3], [1, -1], [2]])
    await checkOp({ op: 'Unsqueeze', inputs: [y, i64([ax.length], ax)] });
  await checkOp({ op: 'Unsqueeze', attrs: { axes: A.ints([1]) }, inputs: [y], opset: 11 });
});

test('Flatten at every axis, negative included', async () => {
  const x = randT([2, 3, 4], 6);
  for (const axis of [0, 1, 2, 3, -1, -3]) await checkOp({ op: 'Flatten', attrs: { axis: A.int(axis) }, inputs: [x] });
});

test('Concat along each axis, negative axis, empty input', async () => {
  const a = randT([2, 3, 4], 1);
  await checkOp({ op: 'Concat', attrs: { axis: A.int(0) }, inputs: [a, randT([1, 3, 4], 2)] });
  await checkOp({ op: 'Concat', attrs: { axis: A.int(1) }, inputs: [a, randT([2, 2, 4], 3), randT([2, 1, 4], 4)] });
  await checkOp({ op: 'Concat', attrs: { axis: A.int(-1) }, inputs: [a, randT([2, 3, 1], 5)] });
  await checkOp({ op: 'Concat', attrs: { axis: A.int(1) }, inputs: [a, f32([2, 0, 4], [])] });
  await checkOp({
    op: 'Concat',
    attrs: { axis: A.int(0) },
    inputs: [i64([2], [1, 2]), i64([1], [3])],
    outputs: ['int64'],
  });
});

test('Split: equal, split input, num_outputs with a short last chunk, opset 11 attribute', async () => {
  const x = randT([2, 7, 3], 7);
  await checkOp({ op: 'Split', attrs: { axis: A.int(0) }, inputs: [x], outputs: ['float32', 'float32'], opset: 13 });
  await checkOp({
    op: 'Split',
    attrs: { axis: A.int(1) },
    inputs: [x, i64([3], [2, 4, 1])],
    outputs: ['float32', 'float32', 'float32'],
  });
  await checkOp({
    op: 'Split',
    attrs: { axis: A.int(-2), num_outputs: A.int(3) },
    inputs: [x],
    outputs: ['float32', 'float32', 'float32'],
  });
  await checkOp({
    op: 'Split',
    attrs: { axis: A.int(1), num_outputs: A.int(2) },
    inputs: [x],
    outputs: ['float32', 'float32'],
  });
  await checkOp({
    op: 'Split',
    attrs: { axis: A.int(1), split: A.ints([3, 4]) },
    inputs: [x],
    outputs: ['float32', 'float32'],
    opset: 11,
  });
  const r = refOp({
    op: 'Split',
    attrs: { axis: A.int(0), num_outputs: A.int(3) },
    inputs: [f32([7], [0, 1, 2, 3, 4, 5, 6])],
    outputs: ['float32', 'float32', 'float32'],
  });
  assert.deepEqual([r.out0, r.out1, r.out2].map(toNums), [[0, 1, 2], [3, 4, 5], [6]]);
});

test('Slice: starts/ends/axes/steps inputs, negative steps, clamping, omitted inputs', async () => {
  const x = randT([4, 5, 6], 8);
  const big = 2 ** 40;
  const cases: Array<[number[], number[], number[] | null, number[] | null]> = [
    [[1], [3], [0], null],
    [[0, 1], [4, -1], null, null],
    [[-1], [-big], [2], [-1]],
    [[4], [0], [1], [-2]],
    [[big], [-big], [0], [-1]],
    [
      [1, 5],
      [big, 1],
      [0, -1],
      [2, -3],
    ],
    [[-3], [big], [-1], [2]],
    [[2], [2], [1], null],
    [[5], [0], [2], [1]],
    [[-100], [100], [1], [3]],
  ];
  for (const [s, e, ax, st] of cases) {
    const inputs = [
      x,
      i64([s.length], s),
      i64([e.length], e),
      ax ? i64([ax.length], ax) : null,
      st ? i64([st.length], st) : null,
    ];
    await checkOp({ op: 'Slice', inputs });
  }
  const r = refOp({
    op: 'Slice',
    inputs: [f32([5], [0, 1, 2, 3, 4]), i64([1], [-1]), i64([1], [-big]), i64([1], [0]), i64([1], [-2])],
  });
  assert.deepEqual(toNums(r.out0), [4, 2, 0]);
});

test('Expand broadcasts in both directions', async () => {
  await checkOp({ op: 'Expand', inputs: [randT([3, 1], 1), i64([3], [2, 1, 4])] });
  await checkOp({ op: 'Expand', inputs: [randT([2, 3], 1), i64([1], [3])] });
  await checkOp({ op: 'Expand', inputs: [randT([1, 3], 1), i64([2], [2, 1])] });
});

test('Tile', async () => {
  await checkOp({ op: 'Tile', inputs: [randT([2, 3], 1), i64([2], [2, 3])] });
  await checkOp({ op: 'Tile', inputs: [randT([2, 1, 3], 1), i64([3], [1, 4, 1])] });
});

test('Pad: constant (value, negative pads, axes input), reflect, edge, wrap', async () => {
  const x = randT([2, 3, 4], 9);
  for (const mode of ['constant', 'reflect', 'edge']) {
    await checkOp({ op: 'Pad', attrs: { mode: A.string(mode) }, inputs: [x, i64([6], [0, 1, 2, 1, 2, 3])] });
    await checkOp({ op: 'Pad', attrs: { mode: A.string(mode) }, inputs: [x, i64([6], [1, 0, -1, 0, 2, -2])] });
    await checkOp({
      op: 'Pad',
      attrs: { mode: A.string(mode) },
      inputs: [x, i64([4], [1, 2, 2, 0]), null, i64([2], [-1, 1])],
    });
  }
  await checkOp({ op: 'Pad', inputs: [x, i64([6], [1, 1, 1, 1, 1, 1]), f32([], [2.5])] });
  await checkOp({ op: 'Pad', attrs: { mode: A.string('wrap') }, inputs: [x, i64([6], [0, 2, 3, 0, 1, 2])], opset: 19 });
  const r = refOp({ op: 'Pad', attrs: { mode: A.string('reflect') }, inputs: [f32([3], [1, 2, 3]), i64([2], [2, 2])] });
  assert.deepEqual(toNums(r.out0), [3, 2, 1, 2, 3, 2, 1]);
});

test('DepthToSpace (DCR, CRD) and SpaceToDepth', async () => {
  const x = randT([2, 8, 2, 3], 10);
  await checkOp({ op: 'DepthToSpace', attrs: { blocksize: A.int(2) }, inputs: [x] });
  await checkOp({ op: 'DepthToSpace', attrs: { blocksize: A.int(2), mode: A.string('CRD') }, inputs: [x] });
  await checkOp({ op: 'SpaceToDepth', attrs: { blocksize: A.int(2) }, inputs: [randT([2, 3, 4, 6], 11)] });
  const r = refOp({ op: 'DepthToSpace', attrs: { blocksize: A.int(2) }, inputs: [f32([1, 4, 1, 1], [1, 2, 3, 4])] });
  assert.deepEqual(toNums(r.out0), [1, 2, 3, 4]);
});
