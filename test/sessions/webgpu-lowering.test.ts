/**
 * The WebGPU lowering (src/sessions/webgpu-lowering.ts). On the CPU, everywhere: the padded
 * graph computes the same Conv as the original (zero channels add nothing), for channel counts
 * known statically and only at run time; the rewritten Sum, LogSoftmax and ConstantOfShape compute
 * what the originals do. On WebGPU (when an adapter is present, required in CI):
 * the Convs ONNX Runtime 1.30 gets wrong (input channels 6, 9, 18) match the CPU through Gymnos's
 * backend, which applies the padding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyGraph, type Dim, type Node } from '../../src/onnx/ir.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { tensor, type Tensor } from '../../src/onnx/tensor.js';
import { OrtBackend } from '../../src/sessions/ort-backend.js';
import { lowerForWebgpu, needsChannelPadding } from '../../src/sessions/webgpu-lowering.js';
import type { ResolvedSessionConfig } from '../../src/sessions/types.js';
import { Rng } from '../../src/util/rng.js';
import { assertWebgpu, decideGate, webgpuGate } from './webgpu-gate.js';

const gate = await webgpuGate();

/** y = Conv(x, w) with the given declared input shapes (a string dim is symbolic). */
function convModel(xShape: Dim[], wShape: Dim[], attrs: Record<string, number[] | number> = {}): Uint8Array {
  const g = emptyGraph('conv');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: xShape }, { name: 'w', dtype: 'float32', shape: wShape });
  g.nodes.push({
    name: 'conv',
    opType: 'Conv',
    domain: '',
    inputs: ['x', 'w'],
    outputs: ['y'],
    attrs: Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [
        k,
        typeof v === 'number' ? { type: 'int' as const, value: v } : { type: 'ints' as const, value: v },
      ]),
    ),
  });
  g.outputs.push({ name: 'y', dtype: 'float32' });
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  });
}

const random = (dims: number[], seed: number): Tensor => {
  const rng = new Rng(seed);
  return tensor(
    'float32',
    dims,
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)),
  );
};

const config = (provider: 'cpu' | 'webgpu'): ResolvedSessionConfig => ({
  provider,
  deviceId: 0,
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
  executionMode: 'sequential',
  enableProfiling: false,
  profileFilePrefix: 'p',
  memoryPattern: false,
  allowSpinning: false,
});

async function run(
  model: Uint8Array,
  provider: 'cpu' | 'webgpu',
  feeds: Record<string, Tensor>,
): Promise<Float32Array> {
  const s = await new OrtBackend().create(model, config(provider));
  try {
    return (await s.run(feeds)).y.data as Float32Array;
  } finally {
    await s.release();
  }
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0,
    m = 0;
  a.forEach((v, i) => {
    d = Math.max(d, Math.abs(v - b[i]));
    m = Math.max(m, Math.abs(v));
  });
  return d / m;
}

test('which Convs get padded: input channels > 3 and not a multiple of 4, or unknown', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 8, 9, 12, 18].filter((c) => needsChannelPadding(c)),
    [5, 6, 9, 18],
  );
  assert.equal(needsChannelPadding(undefined), true);
  const padded = decodeModel(lowerForWebgpu(convModel([1, 6, 7, 7], [4, 6, 3, 3])));
  assert.deepEqual(
    padded.graph.nodes.map((n) => n.opType),
    ['Pad', 'Pad', 'Conv'],
  );
  const untouched = [
    convModel([1, 8, 7, 7], [4, 8, 3, 3]),
    convModel([1, 6, 7, 7], [4, 6, 1, 1]),
    convModel([1, 6, 7, 7], [6, 1, 3, 3], { group: 6 }),
  ];
  for (const m of untouched) assert.equal(lowerForWebgpu(m), m, 'returned unchanged');
});

test('the padded Conv computes the same values as the original, on the CPU', async () => {
  const cases: Array<[Dim[], Dim[], number[], number[], Record<string, number[]>]> = [
    [[2, 6, 7, 7], [5, 6, 3, 3], [2, 6, 7, 7], [5, 6, 3, 3], { pads: [1, 1, 1, 1] }],
    [[1, 9, 9, 9], [4, 9, 3, 3], [1, 9, 9, 9], [4, 9, 3, 3], { strides: [2, 2] }],
    // the weight-gradient form: channels = the batch, symbolic
    [[3, 'N', 10, 10], [4, 'N', 8, 8], [3, 6, 10, 10], [4, 6, 8, 8], {}],
    [[3, 'N', 10, 10], [4, 'N', 8, 8], [3, 8, 10, 10], [4, 8, 8, 8], {}],
  ];
  for (const [xs, ws, xd, wd, attrs] of cases) {
    const model = convModel(xs, ws, attrs);
    const lowered = lowerForWebgpu(model);
    assert.notEqual(lowered, model, `${JSON.stringify(xs)} is padded`);
    const feeds = { x: random(xd, 1), w: random(wd, 2) };
    const d = maxRelDiff(await run(model, 'cpu', feeds), await run(lowered, 'cpu', feeds));
    assert.ok(d < 1e-6, `${JSON.stringify(xd)}: padded differs by ${d}`);
  }
});

test(
  'webgpu Convs with 6, 9 and 18 input channels (and a batch of 6 as channels) match the cpu',
  { skip: gate.skip },
  async () => {
    assertWebgpu(gate);
    for (const [xd, wd] of [
      [
        [1, 6, 10, 10],
        [4, 6, 3, 3],
      ],
      [
        [2, 9, 8, 8],
        [8, 9, 3, 3],
      ],
      [
        [1, 18, 6, 6],
        [4, 18, 3, 3],
      ],
    ]) {
      const feeds = { x: random(xd, 3), w: random(wd, 4) };
      const model = convModel(xd, wd, { pads: [1, 1, 1, 1] });
      const d = maxRelDiff(await run(model, 'cpu', feeds), await run(model, 'webgpu', feeds));
      assert.ok(d < 1e-5, `Conv ${JSON.stringify(xd)} * ${JSON.stringify(wd)}: webgpu differs from cpu by ${d}`);
    }
    const feeds = { x: random([3, 6, 10, 10], 5), w: random([4, 6, 8, 8], 6) };
    const model = convModel([3, 'N', 10, 10], [4, 'N', 8, 8]);
    const d = maxRelDiff(await run(model, 'cpu', feeds), await run(model, 'webgpu', feeds));
    assert.ok(d < 1e-5, `weight-gradient Conv with a batch of 6: webgpu differs from cpu by ${d}`);
  },
);

test('the WebGPU gate: skipped with the reason outside CI, a failing test naming the driver in CI', () => {
  const missing = { provider: 'webgpu' as const, available: false, reason: 'no WebGPU adapter was found' };
  const local = decideGate({}, missing);
  assert.match(String(local.skip), /no WebGPU adapter here .*bookworm-backports mesa-vulkan-drivers/);
  for (const env of [{ CI: 'true' }, { GYMNOS_REQUIRE_WEBGPU: '1' }]) {
    const ci = decideGate(env, missing);
    assert.equal(ci.skip, false, 'never skipped where required');
    assert.throws(
      () => assertWebgpu(ci),
      /required here .* no WebGPU adapter was found\. To fix it, install Mesa's Vulkan driver from Debian bookworm-backports/,
    );
  }
  const present = decideGate({ CI: 'true' }, { provider: 'webgpu', available: true });
  assert.equal(present.skip, false);
  assert.doesNotThrow(() => assertWebgpu(present));
});

/** A one-node model over float inputs named a, b, c with the given shapes. */
function opModel(
  opType: string,
  inputs: Array<[string, Dim[]]>,
  attrs: Node['attrs'] = {},
  extra: Array<[string, Tensor]> = [],
): Uint8Array {
  const g = emptyGraph('op');
  for (const [name, shape] of inputs) g.inputs.push({ name, dtype: 'float32', shape });
  for (const [name, t] of extra) g.initializers.set(name, t);
  g.nodes.push({
    name: 'n',
    opType,
    domain: '',
    inputs: [...inputs.map(([n]) => n), ...extra.map(([n]) => n)],
    outputs: ['y'],
    attrs,
  });
  g.outputs.push({ name: 'y', dtype: 'float32' });
  return encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  });
}

test('Sum, LogSoftmax and float ConstantOfShape are rewritten to ops with WebGPU kernels, computing the same values', async () => {
  const big = random([3, 7], 8);
  (big.data as Float32Array).forEach((v, i, a) => {
    a[i] = v * 80;
  }); // large logits: the max shift matters
  const cases: Array<[string, Uint8Array, Record<string, Tensor>]> = [
    [
      'Sum of three with broadcasting',
      opModel('Sum', [
        ['a', [2, 3, 4]],
        ['b', [3, 1]],
        ['c', [2, 3, 4]],
      ]),
      { a: random([2, 3, 4], 1), b: random([3, 1], 2), c: random([2, 3, 4], 3) },
    ],
    ['Sum of one', opModel('Sum', [['a', [5]]]), { a: random([5], 4) }],
    ['LogSoftmax, last axis', opModel('LogSoftmax', [['a', [3, 7]]]), { a: big }],
    [
      'LogSoftmax, axis 1 of 3',
      opModel('LogSoftmax', [['a', [2, 5, 3]]], { axis: { type: 'int', value: 1 } }),
      { a: random([2, 5, 3], 5) },
    ],
  ];
  for (const [what, model, feeds] of cases) {
    const lowered = lowerForWebgpu(model);
    const ops = decodeModel(lowered).graph.nodes.map((n) => n.opType);
    assert.ok(!ops.includes('Sum') && !ops.includes('LogSoftmax'), `${what}: rewritten (${ops.join(', ')})`);
    const d = maxRelDiff(await run(model, 'cpu', feeds), await run(lowered, 'cpu', feeds));
    assert.ok(d < 1e-6, `${what}: lowered differs by ${d}`);
  }
  // ConstantOfShape 2.5 over a runtime shape
  const g = emptyGraph('cos');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 3] });
  g.nodes.push({ name: 's', opType: 'Shape', domain: '', inputs: ['x'], outputs: ['s'], attrs: {} });
  g.nodes.push({
    name: 'c',
    opType: 'ConstantOfShape',
    domain: '',
    inputs: ['s'],
    outputs: ['y'],
    attrs: { value: { type: 'tensor', value: tensor('float32', [1], [2.5]) } },
  });
  g.outputs.push({ name: 'y', dtype: 'float32' });
  const model = encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  });
  const lowered = lowerForWebgpu(model);
  assert.deepEqual(
    decodeModel(lowered).graph.nodes.map((n) => n.opType),
    ['Shape', 'Expand'],
  );
  const s = await new OrtBackend().create(lowered, config('cpu'));
  const y = (await s.run({ x: random([4, 3], 1) })).y;
  await s.release();
  assert.deepEqual(y.dims, [4, 3]);
  assert.deepEqual(Array.from(y.data as Float32Array), Array(12).fill(2.5));
});
