/**
 * The Conv input gradient as a Conv with flipped, channel-exchanged weights (stride 1) and the
 * weight gradient as one Conv over the batch as channels (2-D, group 1) are pinned against the
 * formulations they replaced (ConvTranspose; im2col + MatMul): on random shapes (1-D and 2-D; pads below,
 * at and past the kernel's reach; dilations; groups; depthwise with and without a multiplier;
 * strides 2, which fall back) both graphs run in ONNX Runtime on the same data and give the same
 * dX and dW. The float64 checks of every case live in conv.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { encodeModel } from '../../src/onnx/io.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { withRuleOverride } from '../../src/autodiff/registry.js';
import { convGradWith } from '../../src/autodiff/rules/conv.js';
import { defaultWeightGradForm } from '../../src/autodiff/rules/conv-weight.js';
import { Rng } from '../../src/util/rng.js';
import { OPSET } from './helpers.js';

interface Shape {
  x: number[];
  w: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

function randomShape(rng: Rng, i: number): Shape {
  const rank = i % 4 === 3 ? 1 : 2;
  const kind = i % 4; // 0: group 1, 1: grouped, 2: depthwise (multiplier 1 or 2), 3: 1-D group 1
  const cg = 1 + rng.int(3);
  const group = kind === 1 ? 2 + rng.int(2) : kind === 2 ? 2 + rng.int(3) : 1;
  const cin = kind === 2 ? group : cg * group;
  const cout = kind === 2 ? group * (1 + rng.int(2)) : group * (1 + rng.int(3));
  const kernel = Array.from({ length: rank }, () => 1 + rng.int(3));
  const dilations = kernel.map(() => 1 + rng.int(2));
  const strides = kernel.map(() => (i % 5 === 4 ? 2 : 1));
  // pads up to the kernel's reach; every 7th case one past it (the rule then falls back to ConvTranspose)
  const pads = [...kernel, ...kernel].map((k, j) => rng.int((k - 1) * dilations[j % rank] + 1));
  if (i % 7 === 6) pads[0] = (kernel[0] - 1) * dilations[0] + 1;
  const spatial = kernel.map((k, j) => (k - 1) * dilations[j] + 1 + rng.int(5));
  return {
    x: [1 + rng.int(3), cin, ...spatial],
    w: [cout, kind === 2 ? 1 : cg, ...kernel],
    strides,
    pads,
    dilations,
    group,
  };
}

function gradGraph(s: Shape): { graph: Graph; outputs: string[] } {
  const g = emptyGraph('conv');
  const b = new GraphBuilder(g, 'fw');
  g.inputs.push({ name: 'X', dtype: 'float32', shape: s.x }, { name: 'W', dtype: 'float32', shape: s.w });
  const y = b.op('Conv', ['X', 'W'], { strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.group });
  // a loss that weights every output position differently (so a misplaced gradient shows)
  const loss = b.op('ReduceSum', [b.op('Mul', [y, b.op('Sin', [y])])], { keepdims: 0 });
  g.outputs = [{ name: loss, dtype: 'float32', shape: [] }];
  const { grads } = differentiate(g, inferShapes(g, OPSET), { loss, wrt: ['X', 'W'], opset: OPSET });
  const outputs = ['X', 'W'].map((p) => grads.get(p)!);
  g.outputs = outputs.map((name) => ({ name, dtype: 'float32' as const }));
  return { graph: g, outputs };
}

async function run(graph: Graph, outputs: string[], feeds: Record<string, ort.Tensor>): Promise<Float32Array[]> {
  const model = {
    irVersion: 8,
    opset: new Map([['', OPSET]]),
    producerName: 'gymnos-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph,
  };
  const session = await ort.InferenceSession.create(encodeModel(model), {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  try {
    const out = await session.run(feeds);
    return outputs.map((o) => out[o].data as Float32Array);
  } finally {
    await session.release();
  }
}

test('Conv dX and dW: the flipped-weight and batch-as-channels Convs equal ConvTranspose and im2col on 40 random shapes', async () => {
  const rng = new Rng(2026);
  let flippedUsed = 0;
  let batchConvUsed = 0;
  for (let i = 0; i < 40; i++) {
    const s = randomShape(rng, i);
    const what = `case ${i}: X [${s.x}], W [${s.w}], strides [${s.strides}], pads [${s.pads}], dilations [${s.dilations}], group ${s.group}`;
    const rand = (dims: number[]) =>
      new ort.Tensor(
        'float32',
        Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.uniform(-1, 1)),
        dims,
      );
    const feeds = { X: rand(s.x), W: rand(s.w) };
    const next = withRuleOverride('Conv', convGradWith('flipped', 'batch-conv'), () => gradGraph(s));
    const old = withRuleOverride('Conv', convGradWith('transpose', 'im2col'), () => gradGraph(s));
    if (!next.graph.nodes.some((n) => n.opType === 'ConvTranspose')) flippedUsed++;
    if (s.x.length === 4 && s.group === 1 && s.w[2] * s.w[3] > 1) batchConvUsed++;
    assert.ok(
      !old.graph.nodes.some((n) => n.opType === 'Conv' && n.name.startsWith('grad/')),
      `${what}: the old formulation has no backward Conv`,
    );
    const [a, b] = await Promise.all([run(next.graph, next.outputs, feeds), run(old.graph, old.outputs, feeds)]);
    for (const k of [0, 1]) {
      assert.equal(a[k].length, b[k].length, `${what}: ${k ? 'dW' : 'dX'} sizes differ`);
      for (let j = 0; j < a[k].length; j++) {
        assert.ok(
          Math.abs(a[k][j] - b[k][j]) <= 1e-4 * Math.max(1, Math.abs(b[k][j])),
          `${what}: ${k ? 'dW' : 'dX'}[${j}] ${a[k][j]} vs ${b[k][j]}`,
        );
      }
    }
  }
  // the draw must exercise the new path, not only the fallback
  assert.ok(flippedUsed >= 15, `only ${flippedUsed} of 40 cases used the flipped-weight Conv`);
  assert.ok(
    batchConvUsed >= 6,
    `only ${batchConvUsed} of 40 cases were 2-D group-1 with a kernel > 1x1 (the batch-as-channels dW)`,
  );
});

test('Conv dX: strides other than 1 and pads past the kernel reach keep ConvTranspose; dW picks its form by platform', () => {
  const strided = gradGraph({
    x: [1, 2, 6, 6],
    w: [3, 2, 3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    dilations: [1, 1],
    group: 1,
  });
  assert.ok(strided.graph.nodes.some((n) => n.opType === 'ConvTranspose'));
  const farPad = gradGraph({
    x: [1, 2, 6, 6],
    w: [3, 2, 3, 3],
    strides: [1, 1],
    pads: [3, 1, 1, 1],
    dilations: [1, 1],
    group: 1,
  });
  assert.ok(farPad.graph.nodes.some((n) => n.opType === 'ConvTranspose'));
  const plain = withRuleOverride('Conv', convGradWith('flipped', 'batch-conv'), () =>
    gradGraph({ x: [1, 2, 6, 6], w: [3, 2, 3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 }),
  );
  assert.ok(!plain.graph.nodes.some((n) => n.opType === 'ConvTranspose'));
  assert.equal(
    plain.graph.nodes.filter((n) => n.opType === 'Conv').length,
    3,
    'the forward Conv, the dX Conv and the dW Conv',
  );
  assert.equal(defaultWeightGradForm(), process.arch === 'x64' ? 'batch-conv' : 'im2col');
  process.env.GYMNOS_NCHWC = '0';
  try {
    assert.equal(defaultWeightGradForm(), 'im2col');
  } finally {
    delete process.env.GYMNOS_NCHWC;
  }
});
