import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { A, emptyGraph, type Attr, type Dim } from '../../src/onnx/ir.js';
import { encodeModel } from '../../src/onnx/io.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { relError } from '../../src/autodiff/gradcheck.js';
import { Rng } from '../../src/util/rng.js';
import type { Tensor } from '../../src/onnx/tensor.js';
import { checkGradient, randTensor, OPSET, toOrt } from './helpers.js';

const rng = new Rng(11);
const r = (dims: number[]) => randTensor(rng, dims);
const s = (v: string): Attr => A.string(v);
type Plain = Record<string, Attr | number[] | number>;
/** Plain numbers become int / ints attributes. */
const attrsOf = (a: Plain = {}): Record<string, Attr> =>
  Object.fromEntries(
    Object.entries(a).map(([k, v]) => [k, typeof v === 'number' ? A.int(v) : Array.isArray(v) ? A.ints(v) : v]),
  );

interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  bias?: boolean;
  attrs?: Plain;
}

const convCases: ConvCase[] = [
  { name: '2-D, pads 1, bias', x: [2, 3, 5, 5], w: [4, 3, 3, 3], bias: true, attrs: { pads: [1, 1, 1, 1] } },
  {
    name: '2-D, stride 2, odd size, asymmetric pads',
    x: [2, 2, 7, 6],
    w: [3, 2, 3, 3],
    bias: true,
    attrs: { strides: [2, 2], pads: [1, 0, 0, 1] },
  },
  { name: '2-D, stride 3 leaving a remainder, no bias', x: [1, 2, 8, 7], w: [2, 2, 2, 2], attrs: { strides: [3, 3] } },
  {
    name: '2-D, dilations [2, 1], strides [1, 2]',
    x: [2, 2, 7, 7],
    w: [3, 2, 3, 2],
    bias: true,
    attrs: { dilations: [2, 1], strides: [1, 2], pads: [2, 1, 1, 0] },
  },
  { name: '2-D, group 2', x: [1, 4, 6, 6], w: [6, 2, 3, 3], bias: true, attrs: { group: 2, pads: [1, 1, 1, 1] } },
  {
    name: '2-D, depthwise (group = C), stride 2',
    x: [2, 3, 5, 5],
    w: [3, 1, 3, 3],
    bias: true,
    attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  { name: '2-D, depthwise with multiplier 2', x: [1, 2, 5, 4], w: [4, 1, 2, 3], attrs: { group: 2 } },
  {
    name: '2-D, auto_pad SAME_UPPER, stride 2, odd total pad',
    x: [1, 2, 7, 7],
    w: [2, 2, 4, 4],
    bias: true,
    attrs: { auto_pad: s('SAME_UPPER'), strides: [2, 2] },
  },
  {
    name: '2-D, auto_pad SAME_LOWER, stride 2, odd total pad',
    x: [1, 2, 7, 7],
    w: [2, 2, 4, 4],
    attrs: { auto_pad: s('SAME_LOWER'), strides: [2, 2] },
  },
  { name: '2-D, auto_pad VALID', x: [2, 2, 6, 5], w: [3, 2, 3, 3], attrs: { auto_pad: s('VALID') } },
  { name: '2-D, 1x1 kernel', x: [2, 3, 4, 4], w: [5, 3, 1, 1], bias: true },
  {
    name: '1-D, stride 2, pads, dilation 2',
    x: [2, 3, 11],
    w: [4, 3, 3],
    bias: true,
    attrs: { strides: [2], pads: [2, 1], dilations: [2] },
  },
  {
    name: '3-D, stride 2, pads 1',
    x: [1, 2, 5, 4, 4],
    w: [3, 2, 3, 2, 3],
    bias: true,
    attrs: { strides: [2, 2, 1], pads: [1, 0, 1, 1, 1, 0] },
  },
];

for (const cc of convCases) {
  test(`Conv gradient (X, W${cc.bias ? ', B' : ''}): ${cc.name}`, async () => {
    const inputs: Tensor[] = [r(cc.x), r(cc.w)];
    if (cc.bias) inputs.push(r([cc.w[0]]));
    await checkGradient({ op: 'Conv', inputs, attrs: attrsOf(cc.attrs) }, { maxElements: 16 });
  });
}

const convTCases: ConvCase[] = [
  {
    name: 'stride 2, pads 1, output_padding 1, bias',
    x: [2, 3, 4, 4],
    w: [3, 2, 3, 3],
    bias: true,
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
  },
  {
    name: 'group 2, dilations 2, asymmetric pads',
    x: [1, 4, 3, 3],
    w: [4, 3, 2, 2],
    bias: true,
    attrs: { group: 2, dilations: [2, 2], pads: [1, 0, 0, 1] },
  },
  { name: 'depthwise, stride [2, 1]', x: [2, 3, 3, 4], w: [3, 1, 3, 3], attrs: { group: 3, strides: [2, 1] } },
  {
    name: 'output_shape (odd total padding)',
    x: [1, 2, 3, 3],
    w: [2, 3, 3, 3],
    bias: true,
    attrs: { strides: [2, 2], output_shape: [6, 6] },
  },
  {
    name: 'auto_pad SAME_UPPER, stride 2',
    x: [1, 2, 3, 3],
    w: [2, 3, 3, 3],
    attrs: { strides: [2, 2], auto_pad: s('SAME_UPPER') },
  },
  {
    name: 'auto_pad SAME_LOWER, stride 2',
    x: [1, 2, 3, 3],
    w: [2, 3, 3, 3],
    attrs: { strides: [2, 2], auto_pad: s('SAME_LOWER') },
  },
  {
    name: '1-D, stride 3, output_padding 2',
    x: [2, 2, 4],
    w: [2, 3, 3],
    bias: true,
    attrs: { strides: [3], output_padding: [2], pads: [1, 0] },
  },
];

for (const cc of convTCases) {
  test(`ConvTranspose gradient (X, W${cc.bias ? ', B' : ''}): ${cc.name}`, async () => {
    const inputs: Tensor[] = [r(cc.x), r(cc.w)];
    if (cc.bias) inputs.push(r([cc.w[1] * ((cc.attrs?.group as number) ?? 1)]));
    await checkGradient({ op: 'ConvTranspose', inputs, attrs: attrsOf(cc.attrs) }, { maxElements: 16 });
  });
}

/** Conv -> Relu -> Conv graph whose input has shape `xShape` (symbolic dims allowed). */
function twoConvGraph(xShape: Dim[]) {
  const g = emptyGraph('two-conv');
  const b = new GraphBuilder(g, 'fw');
  g.inputs.push({ name: 'X', dtype: 'float32', shape: xShape });
  for (const [name, dims] of [
    ['W1', [4, 2, 3, 3]],
    ['B1', [4]],
    ['W2', [3, 4, 3, 3]],
  ] as const)
    g.inputs.push({ name, dtype: 'float32', shape: [...dims] });
  const h = b.op('Relu', [b.op('Conv', ['X', 'W1', 'B1'], { pads: [1, 1, 1, 1] })]);
  const y = b.op('Conv', [h, 'W2'], { strides: [2, 2] });
  g.outputs = [{ name: y, dtype: 'float32' }];
  return { g, b, y };
}

test('Conv gradients with a symbolic batch dimension run in ORT and match the static-shape gradients', async () => {
  const feeds = { X: r([3, 2, 7, 7]), W1: r([4, 2, 3, 3]), B1: r([4]), W2: r([3, 4, 3, 3]) };
  const params = ['W1', 'B1', 'W2'];
  // the static graph's params are inputs here; build the check with them fed as initializers
  const st = twoConvGraph([3, 2, 7, 7]);
  st.g.inputs = st.g.inputs.filter((v) => v.name === 'X');
  for (const p of params) st.g.initializers.set(p, feeds[p as keyof typeof feeds]);
  const checked = await checkGradient(
    { graph: st.g, feeds: { X: feeds.X }, params, output: st.y },
    { maxElements: 16 },
  );
  // the same graph with X: ['N', 2, 7, 7]
  const dyn = twoConvGraph(['N', 2, 7, 7]);
  // the same loss weights R as the check (an initializer of the checked graph)
  const rName = [...checked.gradGraph.initializers.keys()].find((k) => k.includes('loss_weights'))!;
  const rw = dyn.b.op('Mul', [dyn.y, dyn.b.initializer(checked.gradGraph.initializers.get(rName)!, 'R')]);
  const loss = dyn.b.op('ReduceSum', [rw], { keepdims: 0 });
  const table = inferShapes(dyn.g, OPSET);
  const { grads } = differentiate(dyn.g, table, { loss, wrt: params, opset: OPSET });
  dyn.g.outputs = params.map((p) => ({ name: grads.get(p)!, dtype: 'float32' as const }));
  const model = {
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: dyn.g,
  };
  const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
  await session.release();
  for (const p of params) {
    const got = out[grads.get(p)!].data as Float32Array;
    const want = checked.analytic.get(p)!;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, relError(got[i], want[i]));
    assert.ok(worst < 2e-3, `${p}: symbolic-batch gradient differs by ${worst}`);
  }
});

test('Conv gradient with symbolic spatial sizes fails naming the node and the fix', () => {
  const { g, b, y } = twoConvGraph(['N', 2, 'H', 'W']);
  const loss = b.op('ReduceSum', [y], { keepdims: 0 });
  const table = inferShapes(g, OPSET);
  assert.throws(
    () => differentiate(g, table, { loss, wrt: ['W1', 'W2'], opset: OPSET }),
    /node '.*' \(Conv\): the Conv gradient .* needs the static shape of .*only the batch dimension may stay symbolic/,
  );
});
