/**
 * The NCHWc lowering of training-graph Convs (src/autodiff/rules/conv-nchwc.ts, applied to CPU
 * sessions by src/sessions/nchwc.ts): the contrib ops it emits exist in the installed
 * onnxruntime-node, and lowered gradient graphs compute what the standard ONNX graphs compute on
 * random shapes (group 1 with blocked channels, the stem case with fewer input channels than a
 * block, depthwise; strides, pads, dilations, bias), forward and backward Convs alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { attrInts, emptyGraph, type Graph } from '../../src/onnx/ir.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { tensor } from '../../src/onnx/tensor.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { NCHWC_DOMAIN, NCHWC_OPS } from '../../src/autodiff/rules/conv-nchwc.js';
import { lowerForCpu, nchwcBlockSize } from '../../src/sessions/nchwc.js';
import { Rng } from '../../src/util/rng.js';
import { OPSET } from './helpers.js';

const x86 = process.arch === 'x64';
const model = (graph: Graph) =>
  encodeModel({
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

test(
  'the NCHWc contrib ops the lowering emits exist in the installed onnxruntime-node (x64)',
  { skip: x86 ? false : 'MLAS has NCHWc kernels on x64 only' },
  async () => {
    const block = await nchwcBlockSize(ort);
    assert.ok(block === 8 || block === 16, `block size ${block}`);
    // one model using every op of NCHWC_OPS, checked against a plain Conv
    const g = emptyGraph('ops');
    const b = new GraphBuilder(g, 't');
    g.inputs.push({ name: 'X', dtype: 'float32', shape: [1, block, 3, 3] });
    g.initializers.set(
      'W',
      tensor(
        'float32',
        [block, block, 1, 1],
        Float32Array.from({ length: block * block }, (_, i) => (i % (block + 1) === 0 ? 2 : 0)),
      ),
    );
    const xr = b.fresh('xr');
    b.emit('ReorderInput', ['X'], [xr], { channels_last: 0 }, NCHWC_DOMAIN);
    const yr = b.fresh('yr');
    b.emit('Conv', [xr, 'W'], [yr], {}, NCHWC_DOMAIN);
    b.emit('ReorderOutput', [yr], ['Y'], { channels_last: 0, channels: block }, NCHWC_DOMAIN);
    g.outputs.push({ name: 'Y', dtype: 'float32', shape: [1, block, 3, 3] });
    assert.deepEqual([...new Set(g.nodes.map((n) => n.opType))].sort(), [...NCHWC_OPS].sort());
    const m = decodeModel(model(g));
    m.opset.set(NCHWC_DOMAIN, 1);
    const s = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'disabled' });
    const x = Float32Array.from({ length: block * 9 }, (_, i) => i);
    const y = (await s.run({ X: new ort.Tensor('float32', x, [1, block, 3, 3]) })).Y.data as Float32Array;
    await s.release();
    assert.deepEqual(
      [...y],
      [...x].map((v) => 2 * v),
    ); // the identity kernel times 2
  },
);

interface Case {
  x: number[];
  w: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
  bias: boolean;
}

function gradModel(c: Case): { bytes: Uint8Array; outputs: string[] } {
  const g = emptyGraph('conv');
  const b = new GraphBuilder(g, 'fw');
  g.inputs.push(
    { name: 'X', dtype: 'float32', shape: ['N', ...c.x.slice(1)] },
    { name: 'W', dtype: 'float32', shape: c.w },
  );
  if (c.bias) g.inputs.push({ name: 'B', dtype: 'float32', shape: [c.w[0]] });
  const y = b.op('Conv', c.bias ? ['X', 'W', 'B'] : ['X', 'W'], {
    strides: c.strides,
    pads: c.pads,
    dilations: c.dilations,
    group: c.group,
  });
  const loss = b.op('ReduceSum', [b.op('Mul', [y, b.op('Sin', [y])])], { keepdims: 0 });
  g.outputs = [{ name: loss, dtype: 'float32', shape: [] }];
  const wrt = c.bias ? ['X', 'W', 'B'] : ['X', 'W'];
  const { grads } = differentiate(g, inferShapes(g, OPSET), { loss, wrt, opset: OPSET });
  const outputs = [loss, ...wrt.map((p) => grads.get(p)!)];
  g.outputs = outputs.map((name) => ({ name, dtype: 'float32' as const }));
  return { bytes: model(g), outputs };
}

test(
  'lowered Conv gradient graphs equal the standard ONNX ones on 24 random shapes',
  { skip: x86 ? false : 'MLAS has NCHWc kernels on x64 only' },
  async () => {
    const block = await nchwcBlockSize(ort);
    const rng = new Rng(7);
    let lowered = 0;
    let blockedKernels = 0;
    for (let i = 0; i < 24; i++) {
      const kind = i % 3; // 0: group 1, blocked channels; 1: stem (C < block); 2: depthwise
      const k = 1 + rng.int(3);
      const cin = kind === 1 ? 1 + rng.int(block - 1) : block * (1 + rng.int(2));
      const cout = kind === 2 ? cin : block * (1 + rng.int(2));
      const dil = 1 + rng.int(2);
      const st = 1 + rng.int(2);
      const reach = (k - 1) * dil;
      const c: Case = {
        x: [1 + rng.int(3), cin, reach + 2 + rng.int(5), reach + 2 + rng.int(5)],
        w: [cout, kind === 2 ? 1 : cin, k, k],
        strides: [st, st],
        pads: [0, 1, 2, 3].map(() => rng.int(reach + 1)),
        dilations: [dil, dil],
        group: kind === 2 ? cin : 1,
        bias: rng.int(2) === 1,
      };
      const what = `case ${i}: X [${c.x}], W [${c.w}], strides ${st}, pads [${c.pads}], dilation ${dil}, group ${c.group}`;
      const { bytes, outputs } = gradModel(c);
      const low = lowerForCpu(bytes, block);
      const lowNodes = decodeModel(low).graph.nodes;
      const nchwcConvs = lowNodes.filter((n) => n.domain === NCHWC_DOMAIN && n.opType === 'Conv').length;
      if (nchwcConvs) lowered++;
      // the weight gradient's kernel (dY^T) built from dY by ReorderInput + one block-keeping Transpose
      // (inside the If that pads a ragged batch)
      const withBranches = lowNodes.flatMap((n) =>
        n.opType === 'If'
          ? [n, ...['then_branch', 'else_branch'].flatMap((k) => (n.attrs[k] as { value: Graph }).value.nodes)]
          : [n],
      );
      if (withBranches.some((n) => n.opType === 'Transpose' && attrInts(n, 'perm', []).join() === '2,0,3,4,1,5'))
        blockedKernels++;
      const feeds: Record<string, ort.Tensor> = {};
      const rand = (dims: number[]) =>
        new ort.Tensor(
          'float32',
          Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.uniform(-1, 1)),
          dims,
        );
      feeds.X = rand(c.x);
      feeds.W = rand(c.w);
      if (c.bias) feeds.B = rand([c.w[0]]);
      const run = async (m: Uint8Array) => {
        const s = await ort.InferenceSession.create(m, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
        try {
          const o = await s.run(feeds);
          return outputs.map((n) => o[n].data as Float32Array);
        } finally {
          await s.release();
        }
      };
      const [want, got] = [await run(bytes), await run(low)];
      outputs.forEach((name, j) => {
        for (let e = 0; e < want[j].length; e++)
          assert.ok(
            Math.abs(got[j][e] - want[j][e]) <= 1e-4 * Math.max(1, Math.abs(want[j][e])),
            `${what}: ${name}[${e}] ${got[j][e]} vs ${want[j][e]} (${nchwcConvs} NCHWc Convs)`,
          );
      });
    }
    assert.ok(lowered >= 20, `only ${lowered} of 24 cases were lowered`);
    assert.ok(
      blockedKernels >= 3,
      `only ${blockedKernels} of 24 cases built the weight gradient's kernel from dY by ReorderInput`,
    );
  },
);

test('lowerForCpu leaves models without input-weight Convs byte-identical, and GYMNOS_NCHWC=0 turns it off', async () => {
  const g = emptyGraph('const');
  g.inputs.push({ name: 'X', dtype: 'float32', shape: [1, 8, 4, 4] });
  g.initializers.set('W', tensor('float32', [8, 8, 3, 3], new Float32Array(576).fill(0.1)));
  g.nodes.push({ name: 'c', opType: 'Conv', domain: '', inputs: ['X', 'W'], outputs: ['Y'], attrs: {} });
  g.outputs.push({ name: 'Y', dtype: 'float32' });
  const constant = model(g);
  assert.equal(lowerForCpu(constant, 8), constant);
  const trainable = gradModel({
    x: [2, 8, 5, 5],
    w: [8, 8, 3, 3],
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    dilations: [1, 1],
    group: 1,
    bias: false,
  }).bytes;
  assert.notEqual(lowerForCpu(trainable, 8), trainable);
  assert.equal(lowerForCpu(trainable, 0), trainable, 'block 0: no NCHWc kernels in this runtime');
  process.env.GYMNOS_NCHWC = '0';
  try {
    assert.equal(lowerForCpu(trainable, 8), trainable);
  } finally {
    delete process.env.GYMNOS_NCHWC;
  }
});

test('lowerForCpu says when it cannot lower a model that holds Convs (one warning naming the cause) and returns it unchanged', async () => {
  const broken = new TextEncoder().encode('\xff\xff Conv but not an ONNX model');
  const warnings: Array<{ message: string; name: string }> = [];
  const onWarning = (w: Error) => warnings.push({ message: w.message, name: w.name });
  process.on('warning', onWarning);
  try {
    assert.equal(lowerForCpu(broken, 8), broken);
    assert.equal(lowerForCpu(broken, 8), broken);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(warnings.length, 1, 'the same cause is reported once');
  assert.equal(warnings[0].name, 'GymnosPerformanceWarning');
  assert.match(warnings[0].message, /NCHWc lowering skipped.*generic kernels/);
});
