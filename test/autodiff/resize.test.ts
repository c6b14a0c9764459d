/**
 * Resize (and Upsample) gradients: float64 analytic vs finite differences of the reference
 * interpreter, then the same backward graph in ONNX Runtime. The reference Resize itself is
 * checked against ONNX Runtime in test/onnx/reference/resize.test.ts, and the whole rule against
 * PyTorch by the unet-resize fixture (test/models/exports-vision.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, emptyGraph, type Attr } from '../../src/onnx/ir.js';
import { canonicalize } from '../../src/onnx/opset.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, randTensor } from './helpers.js';

const rng = new Rng(11);
const s = (v: string) => A.string(v);
const cases: Array<[string, number[], { scales?: number[]; sizes?: number[] }, Record<string, Attr>]> = [
  [
    'nearest x2, asymmetric floor (torch scale_factor)',
    [2, 2, 3, 4],
    { scales: [1, 1, 2, 2] },
    { mode: s('nearest'), coordinate_transformation_mode: s('asymmetric'), nearest_mode: s('floor') },
  ],
  ['nearest x[2, 3], half_pixel round_prefer_floor', [1, 2, 3, 3], { scales: [1, 1, 2, 3] }, { mode: s('nearest') }],
  [
    'nearest down x0.5, round_prefer_ceil',
    [1, 2, 6, 4],
    { scales: [1, 1, 0.5, 0.5] },
    { mode: s('nearest'), nearest_mode: s('round_prefer_ceil') },
  ],
  [
    'nearest sizes 5x3 -> 7x8, tf_half_pixel_for_nn ceil',
    [1, 1, 5, 3],
    { sizes: [1, 1, 7, 8] },
    { mode: s('nearest'), coordinate_transformation_mode: s('tf_half_pixel_for_nn'), nearest_mode: s('ceil') },
  ],
  [
    'linear x2, half_pixel (bilinear, align_corners=False)',
    [2, 2, 3, 4],
    { scales: [1, 1, 2, 2] },
    { mode: s('linear'), coordinate_transformation_mode: s('half_pixel') },
  ],
  [
    'linear sizes, align_corners',
    [1, 2, 3, 4],
    { sizes: [1, 2, 7, 6] },
    { mode: s('linear'), coordinate_transformation_mode: s('align_corners') },
  ],
  [
    'linear pytorch_half_pixel to width 1',
    [1, 2, 4, 3],
    { sizes: [1, 2, 6, 1] },
    { mode: s('linear'), coordinate_transformation_mode: s('pytorch_half_pixel') },
  ],
  [
    'linear down x0.5, asymmetric',
    [1, 2, 6, 6],
    { scales: [1, 1, 0.5, 0.5] },
    { mode: s('linear'), coordinate_transformation_mode: s('asymmetric') },
  ],
  ['1-D linear x2', [2, 3, 5], { scales: [1, 1, 2] }, { mode: s('linear') }],
  [
    '3-D nearest on depth and width',
    [1, 2, 2, 3, 2],
    { scales: [1, 1, 2, 1, 2] },
    { mode: s('nearest'), coordinate_transformation_mode: s('asymmetric'), nearest_mode: s('floor') },
  ],
];
for (const [name, x, { scales, sizes }, attrs] of cases) {
  test(`Resize gradient: ${name}`, async () => {
    const inputs = [
      randTensor(rng, x),
      '' as const,
      scales ? { const: tensor('float32', [scales.length], scales) } : ('' as const),
      sizes ? { const: tensor('int64', [sizes.length], sizes) } : ('' as const),
    ];
    await checkGradient({ op: 'Resize', inputs, attrs, wrt: [0] }, { maxElements: 30 });
  });
}

test('Upsample (opset 9, bilinear) is trained as the Resize it converts to', async () => {
  const g = emptyGraph('up');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [1, 2, 3, 3] });
  g.initializers.set('s', tensor('float32', [4], [1, 1, 2, 2]));
  g.nodes.push({
    name: 'up',
    opType: 'Upsample',
    domain: '',
    inputs: ['x', 's'],
    outputs: ['y'],
    attrs: { mode: s('linear') },
  });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [1, 2, 6, 6] });
  const m = canonicalize({
    irVersion: 4,
    opset: new Map([['', 9]]),
    producerName: 't',
    producerVersion: '',
    domain: '',
    modelVersion: 1,
    docString: '',
    metadata: {},
    graph: g,
  });
  assert.equal(m.graph.nodes.find((n) => n.outputs[0] === 'y')?.opType, 'Resize');
  await checkGradient(
    { graph: m.graph, feeds: { x: randTensor(rng, [1, 2, 3, 3]) }, params: ['x'], output: 'y' },
    { maxElements: 18 },
  );
});

test('Resize gradient refuses cubic mode and a computed scale, naming the node', async () => {
  await assert.rejects(
    checkGradient({
      op: 'Resize',
      inputs: [randTensor(rng, [1, 1, 2, 2]), '', { const: tensor('float32', [4], [1, 1, 2, 2]) }],
      attrs: { mode: s('cubic') },
      wrt: [0],
    }),
    /Resize_under_test.*mode 'cubic' is not supported/,
  );
  // scales fed at run time: the output sizes are unknown, and the rule says which node needs them constant
  const g = emptyGraph('computed');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [1, 1, 2, 2] }, { name: 'scales', dtype: 'float32', shape: [4] });
  g.nodes.push({
    name: 'up',
    opType: 'Resize',
    domain: '',
    inputs: ['x', '', 'scales'],
    outputs: ['y'],
    attrs: { mode: s('nearest') },
  });
  const b = new GraphBuilder(g, 'l');
  const loss = b.op('ReduceSum', ['y'], { keepdims: 0 });
  assert.throws(
    () => differentiate(g, inferShapes(g, 18), { loss, wrt: ['x'], opset: 18 }),
    /node 'up' \(Resize\).*constant scales or sizes/,
  );
});
