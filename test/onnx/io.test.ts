import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/io.js';
import { canonicalize, foldConstants } from '../../src/onnx/opset.js';
import { inferShapes } from '../../src/onnx/shapes/infer.js';
import { topologicalSort, emptyGraph, A, type Model } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { buildCnn, buildMlp } from '../../src/models/zoo/small.js';

function tmp() {
  return mkdtempSync(join(tmpdir(), 'gymnos-io-'));
}

test('encode/decode round-trips a model exactly (weights, attributes, shapes, metadata)', () => {
  const m = buildCnn({ input: [1, 8, 8], channels: [4], classes: 3, batchNorm: true, dropout: 0.1, seed: 1 });
  m.metadata = { author: 'test', note: 'ünïcode' };
  const back = decodeModel(encodeModel(m));
  assert.equal(back.graph.nodes.length, m.graph.nodes.length);
  // float attributes are float32 on the wire
  const f32 = (n: Model['graph']['nodes'][number]) =>
    JSON.stringify(n.attrs, (_, v) => (typeof v === 'number' ? Math.fround(v) : v));
  assert.deepEqual(
    back.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs, f32(n)]),
    m.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs, f32(n)]),
  );
  assert.deepEqual([...back.graph.initializers.keys()], [...m.graph.initializers.keys()]);
  for (const [k, t] of m.graph.initializers) assert.deepEqual(back.graph.initializers.get(k)!.data, t.data);
  assert.deepEqual(back.graph.inputs, m.graph.inputs);
  assert.deepEqual(back.metadata, m.metadata);
  assert.equal(back.opset.get(''), 18);
  assert.deepEqual(encodeModel(decodeModel(encodeModel(back))), encodeModel(back));
});

test('external-data weights are written beside the model and read back; ORT loads the file too', async () => {
  const dir = tmp();
  try {
    const m = buildMlp({ inputs: 16, hidden: [32], classes: 4, seed: 2 });
    const path = join(dir, 'model.onnx');
    saveModel(m, path, { externalThreshold: 64 });
    assert.ok(existsSync(join(dir, 'model.onnx.data')));
    assert.ok(readFileSync(path).byteLength < 1024, 'weights should not be inline');
    const back = loadModel(path);
    for (const [k, t] of m.graph.initializers) assert.deepEqual(back.graph.initializers.get(k)!.data, t.data, k);
    const s = await ort.InferenceSession.create(path);
    const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(32).fill(0.5), [2, 16]) });
    assert.deepEqual(out.logits.dims, [2, 4]);
    await s.release();
    // no temp files left behind
    assert.deepEqual(readdirSync(dir).sort(), ['model.onnx', 'model.onnx.data']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing external-data file and a path escaping the model folder are clear errors', () => {
  const dir = tmp();
  try {
    const m = buildMlp({ inputs: 4, hidden: [8], classes: 2 });
    const path = join(dir, 'm.onnx');
    saveModel(m, path, { externalThreshold: 16 });
    rmSync(join(dir, 'm.onnx.data'));
    assert.throws(() => loadModel(path), /external data file .*m\.onnx\.data.* is missing/);
    assert.throws(() => decodeModel(readFileSync(path)), /load the model from its file path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncated, corrupt, empty and non-ONNX files give errors naming the file', () => {
  const dir = tmp();
  try {
    const bytes = encodeModel(buildMlp({ inputs: 4, hidden: [8], classes: 2 }));
    const cases: Array<[string, Uint8Array]> = [
      ['empty.onnx', new Uint8Array()],
      ['truncated.onnx', bytes.subarray(0, Math.floor(bytes.length / 2))],
      ['text.onnx', Buffer.from('hello, this is not a model')],
      ['garbage.onnx', Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 255)],
    ];
    for (const [name, data] of cases) {
      const p = join(dir, name);
      writeFileSync(p, data);
      assert.throws(
        () => loadModel(p),
        (e: Error & { code?: string }) => e.code === 'ERR_ONNX_FORMAT' && e.message.includes(name),
        name,
      );
    }
    assert.throws(() => loadModel(join(dir, 'nope.onnx')), /cannot read the model file \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tinyModel(opset: number, build: (g: ReturnType<typeof emptyGraph>) => void): Model {
  const g = emptyGraph('t');
  build(g);
  return {
    irVersion: 8,
    opset: new Map([['', opset]]),
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  };
}

test('opset below 9 is refused with the remedy; foreign domains are named', () => {
  const m = tinyModel(8, (g) => {
    g.inputs.push({ name: 'x', dtype: 'float32', shape: [1] });
    g.nodes.push({ name: 'n', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} });
  });
  assert.throws(
    () => canonicalize(m, 'old.onnx'),
    /old\.onnx: the model uses opset 8, but Gymnos needs opset 9 or later; re-export/,
  );
  const ms = tinyModel(17, (g) => {
    g.nodes.push({
      name: 'fused',
      opType: 'FusedGemm',
      domain: 'com.microsoft',
      inputs: [],
      outputs: ['y'],
      attrs: {},
    });
  });
  ms.opset.set('com.microsoft', 1);
  assert.throws(() => canonicalize(ms), /node 'fused' \(FusedGemm\) is in domain 'com.microsoft'/);
});

test('opset 13-17 Reduce* axes attributes become opset-18 inputs, and ORT agrees', async () => {
  const m = tinyModel(13, (g) => {
    g.inputs.push({ name: 'x', dtype: 'float32', shape: [2, 3, 4] });
    g.nodes.push({
      name: 'r',
      opType: 'ReduceMean',
      domain: '',
      inputs: ['x'],
      outputs: ['y'],
      attrs: { axes: A.ints([1, -1]), keepdims: A.int(0) },
    });
    g.outputs.push({ name: 'y', dtype: 'float32' });
  });
  const x = new Float32Array(24).map((_, i) => i * 0.5);
  const before = await (
    await ort.InferenceSession.create(encodeModel(m))
  ).run({ x: new ort.Tensor('float32', x, [2, 3, 4]) });
  canonicalize(m);
  assert.equal(m.opset.get(''), 18);
  assert.equal(m.graph.nodes[0].inputs.length, 2);
  assert.equal(m.graph.nodes[0].attrs.axes, undefined);
  const after = await (
    await ort.InferenceSession.create(encodeModel(m))
  ).run({ x: new ort.Tensor('float32', x, [2, 3, 4]) });
  assert.deepEqual(after.y.data, before.y.data);
});

test('Constant nodes fold into initializers; topological order is restored; cycles and dangling inputs are named', () => {
  const g = emptyGraph('c');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [2] });
  g.nodes.push({ name: 'add', opType: 'Add', domain: '', inputs: ['x', 'k'], outputs: ['y'], attrs: {} });
  g.nodes.push({
    name: 'k_node',
    opType: 'Constant',
    domain: '',
    inputs: [],
    outputs: ['k'],
    attrs: { value: A.tensor(tensor('float32', [2], [1, 2])) },
  });
  foldConstants(g);
  assert.equal(g.nodes.length, 1);
  assert.deepEqual(Array.from(g.initializers.get('k')!.data as Float32Array), [1, 2]);
  const a = { name: 'a', opType: 'Relu', domain: '', inputs: ['b_out'], outputs: ['a_out'], attrs: {} };
  const b = { name: 'b', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['b_out'], attrs: {} };
  assert.deepEqual(
    topologicalSort([a, b], ['x']).map((n) => n.name),
    ['b', 'a'],
  );
  const c1 = { name: 'c1', opType: 'Relu', domain: '', inputs: ['c2_out'], outputs: ['c1_out'], attrs: {} };
  const c2 = { name: 'c2', opType: 'Relu', domain: '', inputs: ['c1_out'], outputs: ['c2_out'], attrs: {} };
  assert.throws(() => topologicalSort([c1, c2], []), /cycle/);
  assert.throws(
    () => topologicalSort([a], ['x']),
    /node 'a' \(Relu\) reads 'b_out', which no node, input or initializer defines/,
  );
});

test('shape inference carries a symbolic batch through a CNN, and resolves Shape->Gather->Concat->Reshape', () => {
  const m = buildCnn({ input: [1, 8, 8], channels: [4, 8], classes: 10, batchNorm: true, hidden: 16 });
  const t = inferShapes(m.graph, 18, { strict: true });
  assert.deepEqual(t.info.get('logits')!.shape, ['N', 10]);
  const g = emptyGraph('pt');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: ['batch', 3, 4, 5] });
  const i64 = (v: number[]) => tensor('int64', [v.length], v);
  g.initializers.set('zero', tensor('int64', [], [0]));
  g.initializers.set('minus1', i64([-1]));
  g.nodes.push(
    { name: 's', opType: 'Shape', domain: '', inputs: ['x'], outputs: ['shape'], attrs: {} },
    { name: 'g', opType: 'Gather', domain: '', inputs: ['shape', 'zero'], outputs: ['n'], attrs: { axis: A.int(0) } },
    { name: 'u', opType: 'Unsqueeze', domain: '', inputs: ['n', 'zero1'], outputs: ['n1'], attrs: {} },
    {
      name: 'c',
      opType: 'Concat',
      domain: '',
      inputs: ['n1', 'minus1'],
      outputs: ['target'],
      attrs: { axis: A.int(0) },
    },
    { name: 'r', opType: 'Reshape', domain: '', inputs: ['x', 'target'], outputs: ['flat'], attrs: {} },
  );
  g.initializers.set('zero1', i64([0]));
  const ti = inferShapes(g, 18, { strict: true });
  assert.deepEqual(ti.info.get('flat')!.shape, ['batch', 60]);
  // conv arithmetic: stride 2, pads, dilation, ceil-mode pooling
  const cg = emptyGraph('conv');
  cg.inputs.push({ name: 'x', dtype: 'float32', shape: ['N', 3, 11, 10] });
  cg.initializers.set('w', tensor('float32', [6, 3, 3, 3]));
  cg.nodes.push({
    name: 'c',
    opType: 'Conv',
    domain: '',
    inputs: ['x', 'w'],
    outputs: ['y'],
    attrs: { strides: A.ints([2, 2]), pads: A.ints([1, 0, 1, 0]), dilations: A.ints([1, 2]) },
  });
  cg.nodes.push({
    name: 'p',
    opType: 'MaxPool',
    domain: '',
    inputs: ['y'],
    outputs: ['z'],
    attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), ceil_mode: A.int(1) },
  });
  const tc = inferShapes(cg, 18, { strict: true });
  assert.deepEqual(tc.info.get('y')!.shape, ['N', 6, 6, 3]);
  assert.deepEqual(tc.info.get('z')!.shape, ['N', 6, 3, 2]);
});
