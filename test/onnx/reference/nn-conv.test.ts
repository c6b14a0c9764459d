import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, type Attr } from '../../../src/onnx/ir.js';
import { checkOp, f32, randT, refOp, toNums } from './helpers.js';

interface ConvCase {
  x: number[];
  w: number[];
  bias?: boolean;
  attrs: Record<string, Attr>;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 3, 5, 5], w: [4, 3, 3, 3], bias: true, attrs: {} },
  { x: [2, 3, 5, 5], w: [4, 3, 3, 3], attrs: { pads: A.ints([1, 1, 1, 1]) } },
  { x: [2, 3, 7, 6], w: [4, 3, 3, 2], bias: true, attrs: { strides: A.ints([2, 2]), pads: A.ints([1, 0, 2, 1]) } },
  { x: [1, 2, 7, 7], w: [3, 2, 3, 3], attrs: { dilations: A.ints([2, 2]), pads: A.ints([2, 1, 2, 1]) } },
  { x: [2, 4, 5, 5], w: [6, 2, 3, 3], bias: true, attrs: { group: A.int(2), pads: A.ints([1, 1, 1, 1]) } },
  { x: [2, 3, 5, 5], w: [3, 1, 3, 3], attrs: { group: A.int(3), strides: A.ints([2, 1]) } },
  { x: [2, 3, 6, 5], w: [2, 3, 3, 3], attrs: { auto_pad: A.string('SAME_UPPER'), strides: A.ints([2, 2]) } },
  { x: [2, 3, 6, 5], w: [2, 3, 2, 2], attrs: { auto_pad: A.string('SAME_LOWER'), strides: A.ints([1, 1]) } },
  { x: [2, 3, 6, 5], w: [2, 3, 4, 2], attrs: { auto_pad: A.string('SAME_LOWER'), strides: A.ints([3, 2]) } },
  { x: [2, 3, 6, 5], w: [2, 3, 3, 3], attrs: { auto_pad: A.string('VALID'), strides: A.ints([2, 1]) } },
  {
    x: [2, 3, 5, 5],
    w: [2, 3, 3, 3],
    attrs: {
      kernel_shape: A.ints([3, 3]),
      strides: A.ints([3, 3]),
      dilations: A.ints([1, 2]),
      pads: A.ints([0, 1, 1, 0]),
    },
  },
  {
    x: [2, 3, 9],
    w: [4, 3, 3],
    bias: true,
    attrs: { strides: A.ints([2]), pads: A.ints([1, 2]), dilations: A.ints([2]) },
  },
  {
    x: [1, 2, 4, 5, 4],
    w: [3, 2, 2, 3, 2],
    bias: true,
    attrs: { strides: A.ints([1, 2, 1]), pads: A.ints([1, 0, 1, 0, 1, 1]) },
  },
];

test('Conv: strided, dilated, grouped, padded, auto_pad, 1-D and 3-D match ORT', async () => {
  for (const [i, c] of CONV_CASES.entries()) {
    const inputs = [randT(c.x, 10 + i), randT(c.w, 20 + i), ...(c.bias ? [randT([c.w[0]], 30 + i)] : [])];
    await checkOp({ op: 'Conv', attrs: c.attrs, inputs });
  }
});

test('Conv by hand: 1x1x3x3 input, 2x2 kernel of ones, pad 1 on the top-left only', () => {
  const x = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = f32([1, 1, 2, 2], [1, 1, 1, 1]);
  const r = refOp({ op: 'Conv', attrs: { pads: A.ints([1, 1, 0, 0]), strides: A.ints([2, 2]) }, inputs: [x, w] });
  assert.deepEqual(r.out0.dims, [1, 1, 2, 2]);
  assert.deepEqual(toNums(r.out0), [1, 2 + 3, 4 + 7, 5 + 6 + 8 + 9]);
});

const CT_CASES: ConvCase[] = [
  { x: [2, 3, 4, 4], w: [3, 2, 3, 3], bias: true, attrs: {} },
  { x: [2, 3, 4, 5], w: [3, 2, 3, 3], attrs: { strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) } },
  {
    x: [2, 3, 4, 5],
    w: [3, 2, 3, 3],
    attrs: { strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]), output_padding: A.ints([1, 1]) },
  },
  {
    x: [2, 3, 4, 4],
    w: [3, 2, 3, 2],
    attrs: { strides: A.ints([3, 2]), output_padding: A.ints([2, 1]), pads: A.ints([0, 1, 1, 0]) },
  },
  {
    x: [1, 2, 3, 4],
    w: [2, 3, 3, 3],
    attrs: { dilations: A.ints([2, 1]), strides: A.ints([1, 2]), pads: A.ints([1, 0, 2, 1]) },
  },
  { x: [2, 4, 3, 3], w: [4, 2, 3, 3], bias: true, attrs: { group: A.int(2), strides: A.ints([2, 2]) } },
  {
    x: [2, 3, 3, 3],
    w: [3, 1, 2, 2],
    attrs: { group: A.int(3), strides: A.ints([2, 2]), output_padding: A.ints([1, 0]) },
  },
  { x: [2, 3, 4, 5], w: [3, 2, 3, 3], attrs: { strides: A.ints([2, 2]), output_shape: A.ints([8, 10]) } },
  { x: [2, 3, 4, 5], w: [3, 2, 3, 3], attrs: { strides: A.ints([2, 2]), output_shape: A.ints([9, 9]) } },
  // explicit pads are ignored once output_shape is given; the odd unit of padding goes to the begin
  {
    x: [2, 3, 4, 5],
    w: [3, 2, 3, 3],
    attrs: { strides: A.ints([2, 2]), output_shape: A.ints([8, 10]), pads: A.ints([0, 0, 1, 1]) },
  },
  { x: [2, 3, 4, 5], w: [3, 2, 3, 3], attrs: { strides: A.ints([2, 2]), output_shape: A.ints([7, 10]) } },
  { x: [2, 3, 4, 5], w: [3, 2, 4, 3], attrs: { strides: A.ints([2, 2]), auto_pad: A.string('SAME_UPPER') } },
  { x: [2, 3, 4, 5], w: [3, 2, 4, 3], attrs: { strides: A.ints([2, 2]), auto_pad: A.string('SAME_LOWER') } },
  {
    x: [2, 3, 4, 5],
    w: [3, 2, 3, 3],
    attrs: { strides: A.ints([2, 2]), auto_pad: A.string('SAME_UPPER'), output_shape: A.ints([8, 9]) },
  },
  { x: [2, 3, 4, 5], w: [3, 2, 3, 3], attrs: { strides: A.ints([2, 2]), auto_pad: A.string('VALID') } },
  {
    x: [2, 3, 5],
    w: [3, 2, 3],
    bias: true,
    attrs: { strides: A.ints([3]), pads: A.ints([1, 0]), output_padding: A.ints([2]) },
  },
  { x: [1, 2, 2, 3, 2], w: [2, 2, 2, 2, 3], attrs: { strides: A.ints([2, 1, 2]), pads: A.ints([0, 1, 1, 1, 0, 0]) } },
];

test('ConvTranspose: strides, pads, output_padding, output_shape, groups, auto_pad, 1-D and 3-D match ORT', async () => {
  for (const [i, c] of CT_CASES.entries()) {
    const M = c.w[1] * (c.attrs.group ? (c.attrs.group.value as number) : 1);
    const inputs = [randT(c.x, 40 + i), randT(c.w, 50 + i), ...(c.bias ? [randT([M], 60 + i)] : [])];
    await checkOp({ op: 'ConvTranspose', attrs: c.attrs, inputs });
  }
});

test('ConvTranspose output_padding only adds zero-fed rows at the end (by hand)', () => {
  const x = f32([1, 1, 2, 1], [1, 2]);
  const w = f32([1, 1, 1, 1], [3]);
  const r = refOp({
    op: 'ConvTranspose',
    attrs: { strides: A.ints([2, 1]), output_padding: A.ints([1, 0]) },
    inputs: [x, w],
  });
  assert.deepEqual(r.out0.dims, [1, 1, 4, 1]);
  assert.deepEqual(toNums(r.out0), [3, 0, 6, 0]);
});

test('ConvTranspose is the adjoint of Conv: <Conv(x, w), y> = <x, ConvTranspose(y, w)>', () => {
  const attrs = { strides: A.ints([2, 3]), pads: A.ints([1, 0, 0, 2]), dilations: A.ints([1, 2]), group: A.int(2) };
  const x = randT([2, 4, 7, 8], 1),
    w = randT([6, 2, 3, 2], 2);
  const y = refOp({ op: 'Conv', attrs, inputs: [x, w] }).out0;
  const g = randT(y.dims, 3);
  const xt = refOp({ op: 'ConvTranspose', attrs: { ...attrs, output_padding: A.ints([1, 1]) }, inputs: [g, w] }).out0;
  assert.deepEqual(xt.dims, x.dims);
  let lhs = 0,
    rhs = 0;
  for (let i = 0; i < y.data.length; i++) lhs += Number(y.data[i]) * Number(g.data[i]);
  for (let i = 0; i < x.data.length; i++) rhs += Number(x.data[i]) * Number(xt.data[i]);
  assert.ok(Math.abs(lhs - rhs) < 1e-10 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
});
