/**
 * The depthwise weight-gradient forms of conv-depthwise.ts ('group-conv', 'stacked') are pinned
 * against im2col (the form they replace) on random depthwise shapes: 1-D and 2-D, strides 1-3,
 * pads below, at and past the kernel's reach (asymmetric), dilations 1-2, multiplier 1-2, odd
 * sizes, a symbolic batch of 1-3 images; each graph runs in ONNX Runtime plain and as CPU
 * sessions lower it (src/sessions/nchwc.ts), on the same data. Each form also passes the float64
 * gradient check on the depthwise cases of conv.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { A, emptyGraph, type Attr, type Graph } from '../../src/onnx/ir.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { withRuleOverride } from '../../src/autodiff/registry.js';
import { convGradWith } from '../../src/autodiff/rules/conv.js';
import {
  defaultDepthwiseForm,
  nchwcLowersStacked,
  withDepthwiseForm,
  type DepthwiseForm,
} from '../../src/autodiff/rules/conv-depthwise.js';
import { nchwcExpected } from '../../src/autodiff/rules/conv-nchwc.js';
import { lowerForCpu, nchwcBlockSize } from '../../src/sessions/nchwc.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradient, OPSET, randTensor } from './helpers.js';

interface Shape {
  batch: number;
  c: number;
  m: number;
  spatial: number[];
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

function randomShape(rng: Rng, i: number): Shape {
  const rank = i % 5 === 4 ? 1 : 2;
  // every third case has 8 channels (NCHWc-eligible when the lowering takes the Conv)
  const c = i % 3 === 0 ? 8 : 1 + rng.int(4);
  const kernel = Array.from({ length: rank }, () => 2 + rng.int(2));
  const dilations = kernel.map(() => 1 + rng.int(2));
  const strides = kernel.map(() => 1 + rng.int(i % 6 === 5 ? 3 : 2));
  const pads = [...kernel, ...kernel].map((k, j) => rng.int((k - 1) * dilations[j % rank] + 1));
  if (i % 7 === 6) pads[rank] = (kernel[0] - 1) * dilations[0] + 1;
  const spatial = kernel.map((k, j) => (k - 1) * dilations[j] + 1 + rng.int(6));
  return { batch: 1 + rng.int(3), c, m: 1 + rng.int(2), spatial, kernel, strides, pads, dilations };
}

/** dW of Conv(X, W) under the loss sum(Y * sin(Y)), the batch symbolic. */
function gradGraph(s: Shape): { graph: Graph; output: string } {
  const g = emptyGraph('dw');
  const b = new GraphBuilder(g, 'fw');
  g.inputs.push(
    { name: 'X', dtype: 'float32', shape: ['N', s.c, ...s.spatial] },
    { name: 'W', dtype: 'float32', shape: [s.c * s.m, 1, ...s.kernel] },
  );
  const y = b.op('Conv', ['X', 'W'], { strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.c });
  const loss = b.op('ReduceSum', [b.op('Mul', [y, b.op('Sin', [y])])], { keepdims: 0 });
  g.outputs = [{ name: loss, dtype: 'float32', shape: [] }];
  const { grads } = differentiate(g, inferShapes(g, OPSET), { loss, wrt: ['W'], opset: OPSET });
  const output = grads.get('W')!;
  g.outputs = [{ name: output, dtype: 'float32' }];
  return { graph: g, output };
}

async function run(graph: Graph, output: string, feeds: Record<string, ort.Tensor>, block: number) {
  const bytes = encodeModel({
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph,
  });
  const out: Float32Array[] = [];
  for (const model of block ? [bytes, lowerForCpu(bytes, block)] : [bytes]) {
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
    try {
      out.push((await session.run(feeds))[output].data as Float32Array);
    } finally {
      await session.release();
    }
  }
  return out;
}

const FORMS: DepthwiseForm[] = ['group-conv', 'stacked'];

test('depthwise dW: the group-conv and stacked forms equal im2col on 30 random shapes (plain and NCHWc-lowered sessions)', async () => {
  const rng = new Rng(4111);
  const block = await nchwcBlockSize(ort);
  const seen = { strided: 0, dilated: 0, multiplier: 0, oneD: 0 };
  for (let i = 0; i < 30; i++) {
    const s = randomShape(rng, i);
    const what = `case ${i}: X [${s.batch}, ${s.c}, ${s.spatial}], kernel [${s.kernel}], multiplier ${s.m}, strides [${s.strides}], pads [${s.pads}], dilations [${s.dilations}]`;
    if (s.strides.some((v) => v > 1)) seen.strided++;
    if (s.dilations.some((v) => v > 1)) seen.dilated++;
    if (s.m > 1) seen.multiplier++;
    if (s.kernel.length === 1) seen.oneD++;
    const rand = (dims: number[]) =>
      new ort.Tensor(
        'float32',
        Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.uniform(-1, 1)),
        dims,
      );
    const feeds = { X: rand([s.batch, s.c, ...s.spatial]), W: rand([s.c * s.m, 1, ...s.kernel]) };
    const old = withRuleOverride('Conv', convGradWith('flipped', 'im2col'), () => gradGraph(s));
    const [want] = await run(old.graph, old.output, feeds, 0);
    for (const form of FORMS) {
      const next = withRuleOverride('Conv', convGradWith('flipped', 'batch-conv'), () =>
        withDepthwiseForm(form, () => gradGraph(s)),
      );
      assert.ok(
        !next.graph.nodes.some((n) => n.opType === 'Concat'),
        `${what}: the ${form} form still builds an im2col Concat`,
      );
      for (const [k, got] of (await run(next.graph, next.output, feeds, block)).entries()) {
        assert.equal(got.length, want.length, `${what}: ${form} dW size`);
        for (let j = 0; j < want.length; j++)
          assert.ok(
            Math.abs(got[j] - want[j]) <= 1e-4 * Math.max(1, Math.abs(want[j])),
            `${what}: ${form}${k ? ' (lowered)' : ''} dW[${j}] ${got[j]} vs im2col ${want[j]}`,
          );
      }
    }
  }
  // the draw must cover the attributes the forms treat specially
  assert.ok(seen.strided >= 8 && seen.dilated >= 8 && seen.multiplier >= 8 && seen.oneD >= 4, JSON.stringify(seen));
});

test('depthwise dW: the default form is stacked where the lowering takes it, else group-conv when strided, else im2col', async () => {
  const base = { batch: 2, m: 1, spatial: [6, 6], kernel: [3, 3], pads: [1, 1, 1, 1], dilations: [1, 1] };
  const stacked = nchwcExpected() && nchwcLowersStacked();
  assert.equal(defaultDepthwiseForm({ strides: [2, 1] }, 3, 1), 'group-conv');
  assert.equal(defaultDepthwiseForm({ strides: [1, 1] }, 3, 1), 'im2col');
  assert.equal(defaultDepthwiseForm({ strides: [1, 1] }, 16, 2), 'im2col');
  assert.equal(defaultDepthwiseForm({ strides: [1, 1] }, 16, 1), stacked ? 'stacked' : 'im2col');
  const rule = convGradWith('flipped', 'batch-conv');
  const strided = withRuleOverride('Conv', rule, () => gradGraph({ ...base, c: 3, strides: [2, 2] })).graph;
  const plain = withRuleOverride('Conv', rule, () => gradGraph({ ...base, c: 3, strides: [1, 1] })).graph;
  const grouped = (g: Graph) => g.nodes.some((n) => n.opType === 'Conv' && n.name.startsWith('grad/') && n.attrs.group);
  assert.ok(grouped(strided) && !strided.nodes.some((n) => n.opType === 'Concat'));
  assert.ok(plain.nodes.some((n) => n.opType === 'Concat'));
  // the probe tells what the lowering does to the stacked form's Conv on 16 channels
  const g = withRuleOverride('Conv', rule, () =>
    withDepthwiseForm('stacked', () => gradGraph({ ...base, c: 16, strides: [1, 1] })),
  ).graph;
  const block = await nchwcBlockSize(ort);
  if (block) {
    const model = decodeModel(
      lowerForCpu(
        encodeModel({
          irVersion: 8,
          opset: new Map([['', OPSET]]),
          producerName: 'gymnos-test',
          producerVersion: '',
          domain: '',
          modelVersion: 0,
          docString: '',
          metadata: {},
          graph: g,
        }),
        block,
      ),
    );
    const plainConvs = model.graph.nodes.filter((n) => n.opType === 'Conv' && n.domain === '').length;
    assert.equal(plainConvs === 0, nchwcLowersStacked(), `${plainConvs} Convs left unlowered`);
  }
});

const rng = new Rng(23);
const ints = (v: number[]): Attr => A.ints(v);
const cases: Array<{ name: string; x: number[]; w: number[]; attrs: Record<string, Attr> }> = [
  {
    name: 'stride 2, pads 1',
    x: [2, 3, 5, 5],
    w: [3, 1, 3, 3],
    attrs: { group: A.int(3), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) },
  },
  { name: 'multiplier 2, odd sizes', x: [1, 2, 5, 4], w: [4, 1, 2, 3], attrs: { group: A.int(2) } },
  {
    name: 'stride [2, 1], dilations 2, asymmetric pads',
    x: [2, 2, 7, 6],
    w: [2, 1, 3, 2],
    attrs: { group: A.int(2), strides: ints([2, 1]), dilations: ints([2, 2]), pads: ints([1, 0, 0, 2]) },
  },
  {
    name: '1-D, stride 3',
    x: [2, 3, 9],
    w: [6, 1, 3],
    attrs: { group: A.int(3), strides: ints([3]), pads: ints([2, 1]) },
  },
];

for (const form of FORMS)
  for (const cc of cases)
    test(`depthwise dW (${form}) passes the float64 gradient check: ${cc.name}`, async () => {
      const rule = convGradWith('flipped', 'batch-conv');
      const inputs = [randTensor(rng, cc.x), randTensor(rng, cc.w)];
      await withRuleOverride('Conv', rule, () =>
        withDepthwiseForm(form, () => checkGradient({ op: 'Conv', inputs, attrs: cc.attrs }, { maxElements: 16 })),
      );
    });
