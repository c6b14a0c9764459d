/**
 * The reference Resize against ONNX Runtime's (the independent oracle): every coordinate mode
 * and nearest rounding exporters use, scales and sizes, up and down, 1-D to 3-D spatial.
 */
import { test } from 'node:test';
import { A, type Attr } from '../../../src/onnx/ir.js';
import { checkOp, f32, i64, randT } from './helpers.js';

interface Case {
  x: number[];
  scales?: number[];
  sizes?: number[];
  attrs: Record<string, Attr>;
}
const s = (v: string) => A.string(v);
export const RESIZE_CASES: Case[] = [
  {
    x: [2, 3, 4, 5],
    scales: [1, 1, 2, 2],
    attrs: { mode: s('nearest'), coordinate_transformation_mode: s('asymmetric'), nearest_mode: s('floor') },
  },
  { x: [1, 2, 4, 4], scales: [1, 1, 2, 3], attrs: { mode: s('nearest') } },
  { x: [1, 2, 6, 6], scales: [1, 1, 0.5, 0.5], attrs: { mode: s('nearest'), nearest_mode: s('round_prefer_ceil') } },
  {
    x: [1, 2, 5, 3],
    sizes: [1, 2, 7, 8],
    attrs: { mode: s('nearest'), coordinate_transformation_mode: s('tf_half_pixel_for_nn'), nearest_mode: s('ceil') },
  },
  {
    x: [2, 2, 4, 5],
    scales: [1, 1, 2, 2],
    attrs: { mode: s('linear'), coordinate_transformation_mode: s('half_pixel') },
  },
  {
    x: [1, 2, 4, 5],
    sizes: [1, 2, 8, 8],
    attrs: { mode: s('linear'), coordinate_transformation_mode: s('align_corners') },
  },
  {
    x: [1, 2, 5, 4],
    sizes: [1, 2, 7, 1],
    attrs: { mode: s('linear'), coordinate_transformation_mode: s('pytorch_half_pixel') },
  },
  {
    x: [1, 2, 4, 4],
    scales: [1, 1, 1.5, 2.5],
    attrs: { mode: s('linear'), coordinate_transformation_mode: s('asymmetric') },
  },
  {
    x: [1, 2, 8, 6],
    scales: [1, 1, 0.5, 0.5],
    attrs: { mode: s('linear'), coordinate_transformation_mode: s('half_pixel') },
  },
  { x: [2, 3, 6], scales: [1, 1, 2], attrs: { mode: s('linear') } },
  {
    x: [1, 2, 3, 4, 2],
    scales: [1, 1, 2, 1, 2],
    attrs: { mode: s('nearest'), coordinate_transformation_mode: s('asymmetric'), nearest_mode: s('floor') },
  },
];

test('Resize matches ONNX Runtime (nearest and linear, every coordinate mode, scales and sizes)', async () => {
  for (const [i, c] of RESIZE_CASES.entries()) {
    const inputs = [
      randT(c.x, 300 + i),
      null,
      c.scales ? f32([c.scales.length], c.scales) : null,
      c.sizes ? i64([c.sizes.length], c.sizes) : null,
    ];
    await checkOp({ op: 'Resize', attrs: c.attrs, inputs, constInputs: [2, 3] });
  }
});

test('Resize with the opset 18 axes attribute matches ONNX Runtime', async () => {
  await checkOp({
    op: 'Resize',
    attrs: { mode: s('linear'), axes: A.ints([2, 3]) },
    inputs: [randT([1, 2, 3, 4], 9), null, f32([2], [2, 1.5])],
    constInputs: [2],
  });
});
