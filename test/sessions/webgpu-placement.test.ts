/**
 * Placement reports (src/sessions/placement.ts): read from ONNX Runtime's profile. Everywhere: the
 * parser on a hand-written profile, and a real CPU profile whose node count is the graph's. With a
 * WebGPU adapter (required in CI): the train step of an MLP with dropout, checked against what is
 * known about ONNX Runtime 1.30's WebGPU kernels, and a training run writing placement.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyGraph } from '../../src/onnx/ir.js';
import { encodeModel, loadModel, saveModel } from '../../src/onnx/io.js';
import { tensor } from '../../src/onnx/tensor.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import {
  formatPlacement,
  placementFromProfile,
  profilingSession,
  readPlacement,
  type PlacementReport,
} from '../../src/sessions/placement.js';
import { checkTraining } from '../../src/trainer/check-training.js';
import { buildMlp } from '../../src/models/zoo/small.js';
import { parseExperiment } from '../../src/experiment/index.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { captureCli } from '../cli/capture.js';
import { assertWebgpu, webgpuGate } from './webgpu-gate.js';

const gate = await webgpuGate();
const dir = mkdtempSync(join(tmpdir(), 'gymnos-placement-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ev = (node: string, op: string, provider: string, out: Record<string, number[]>) => ({
  cat: 'Node',
  name: `${node}_kernel_time`,
  args: { provider, op_name: op, output_type_shape: [out] },
});

test('the profile parser: providers, copies, loop nodes counted once, shape values apart from tensors', () => {
  const events = [
    { cat: 'Session', name: 'session_initialization', args: {} },
    ev('mm', 'MatMul', 'WebGpuExecutionProvider', { float: [64, 10] }),
    ev('body/add', 'Add', 'WebGpuExecutionProvider', { float: [64, 10] }),
    ev('body/add', 'Add', 'WebGpuExecutionProvider', { float: [64, 10] }), // second Loop iteration
    ev('count', 'Size', 'CPUExecutionProvider', { int64: [] }),
    ev('hash', 'BitwiseXor', 'CPUExecutionProvider', { int64: [64, 10] }),
    ev('hash2', 'BitwiseXor', 'CPUExecutionProvider', { int64: [64, 10] }),
    ev('copy', 'MemcpyFromHost', 'WebGpuExecutionProvider', { bool: [64, 10] }),
    ev('back', 'MemcpyToHost', 'WebGpuExecutionProvider', { float: [] }),
    { cat: 'Node', name: 'mm_fence_before', args: { provider: 'WebGpuExecutionProvider', op_name: 'MatMul' } },
  ];
  const r = placementFromProfile(events, 'webgpu');
  assert.equal(r.nodes, 5);
  assert.deepEqual(r.byProvider, { WebGpuExecutionProvider: 2, CPUExecutionProvider: 3 });
  assert.deepEqual(r.copies, { toDevice: 1, toHost: 1 });
  assert.equal(r.fallbackTensors, 2);
  assert.deepEqual(r.fallbackByOp, { 'BitwiseXor(int64)': 2, 'Size(int64)': 1 });
  assert.match(
    formatPlacement(r),
    /^placement of the train step on webgpu: 2 of 5 nodes on WebGpuExecutionProvider, 3 on other providers \(2 computing tensors, 1 shape or scalar values\); 1 copies to the device and 1 to the host per run\n {2}fallback by op \(output types\): BitwiseXor\(int64\) x2, Size\(int64\) x1$/,
  );
  assert.throws(() => placementFromProfile({}, 'webgpu'), /expected a JSON array/);
});

test('a real CPU profile: every node of the graph, all on the CPU provider', async () => {
  const g = emptyGraph('g');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [2, 3] });
  g.initializers.set('w', tensor('float32', [3, 3], new Float32Array(9).fill(0.5)));
  g.nodes.push({ name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['a'], attrs: {} });
  g.nodes.push({ name: 'relu', opType: 'Relu', domain: '', inputs: ['a'], outputs: ['b'], attrs: {} });
  g.nodes.push({ name: 'neg', opType: 'Neg', domain: '', inputs: ['b'], outputs: ['y'], attrs: {} });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [2, 3] });
  const model = encodeModel({
    irVersion: 8,
    opset: new Map([['', 18]]),
    producerName: 't',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: g,
  });
  const p = profilingSession({ device: 'cpu', intraOpThreads: 1, graphOptimization: 'disabled' });
  const m = new SessionManager(p.config, { inWorker: false });
  try {
    const s = await m.createSession('s', model);
    await s.run({ x: tensor('float32', [2, 3], new Float32Array(6).fill(1)) });
    await s.release();
    const r = readPlacement(p.dir, 'cpu');
    assert.equal(r.nodes, g.nodes.length);
    assert.deepEqual(r.byProvider, { CPUExecutionProvider: 3 });
    assert.equal(r.fallback.length, 0);
  } finally {
    await m.close();
    p.cleanup();
  }
});

/** Fallback nodes of `r` by op type (ignoring output types). */
const fallbackOps = (r: PlacementReport) => new Set(r.fallback.map((f) => f.opType));

test(
  'webgpu placement of an MLP train step: matmuls, loss and gradient sums on the GPU; the dropout hash (int64) on the CPU',
  { skip: gate.skip },
  async () => {
    assertWebgpu(gate);
    const model = buildMlp({ inputs: 12, hidden: [16], classes: 4, dropout: 0.3, seed: 1 });
    const c = await checkTraining(model, { step: true, batch: 8, device: 'webgpu', placement: true });
    const r = c.placement!;
    assert.equal(r.requested, 'webgpu');
    assert.ok(c.step?.ok, 'the step itself passed');
    assert.ok((r.byProvider.WebGpuExecutionProvider ?? 0) > 0);
    const floatTensors = r.fallback.filter((f) => f.outputTypes.includes('float') && f.elements > 8);
    assert.deepEqual(
      floatTensors.map((f) => `${f.opType} ${f.node}`),
      [],
      'no float tensor is computed on the CPU',
    );
    const off = fallbackOps(r);
    for (const op of ['Gemm', 'MatMul', 'Relu', 'LogSoftmax', 'Sum'])
      assert.ok(!off.has(op), `${op} is not a fallback (${[...off].join(', ')})`);
    // ONNX Runtime 1.30's WebGPU provider has no int64 or bitwise kernels: the dropout mask's hash stays on the CPU
    assert.ok(off.has('BitwiseXor') && off.has('BitwiseAnd'), 'the dropout hash is reported as running on the CPU');
    assert.ok(r.copies.toDevice > 0, 'copies to the device are counted');
  },
);

test('a webgpu training run writes placement.json; a cpu run does not', { skip: gate.skip }, async () => {
  assertWebgpu(gate);
  const cfg = (device: string) =>
    parseExperiment({
      experiment: { name: `placement-${device}` },
      dataset: { type: 'digits' },
      model: { type: 'mlp', hidden: [8] },
      training: { epochs: 1, batchSize: 512, seed: 1, optimizer: { type: 'sgd', lr: 0.1 } },
      session: { device, intraOpThreads: 1 },
    });
  await new Trainer(cfg('webgpu'), { output: join(dir, 'webgpu') }).fit();
  const file = join(dir, 'webgpu', 'placement.json');
  assert.ok(existsSync(file), 'placement.json written');
  const r = JSON.parse(readFileSync(file, 'utf8')) as PlacementReport;
  assert.equal(r.requested, 'webgpu');
  assert.ok(r.byProvider.WebGpuExecutionProvider > 0);
  assert.ok(Array.isArray(r.fallback));
  assert.ok(loadModel(join(dir, 'webgpu', 'model.onnx')).graph.nodes.length > 0, 'the run completed');
  await new Trainer(cfg('cpu'), { output: join(dir, 'cpu') }).fit();
  assert.ok(!existsSync(join(dir, 'cpu', 'placement.json')), 'no placement.json on the cpu');
});

test('gymnosd check --device webgpu runs the step there and prints its placement', { skip: gate.skip }, async () => {
  assertWebgpu(gate);
  const file = join(dir, 'mlp.onnx');
  saveModel(buildMlp({ inputs: 6, hidden: [8], classes: 3, seed: 2 }), file);
  const text = await captureCli(['check', file, '--device', 'webgpu']);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /one step on random inputs: loss \d/);
  assert.match(
    text.out,
    /placement of the train step on webgpu: \d+ of \d+ nodes on WebGpuExecutionProvider, \d+ on other providers/,
  );
  const json = await captureCli(['check', file, '--device', 'webgpu', '--json']);
  const r = (JSON.parse(json.out) as { training: { placement: PlacementReport } }).training.placement;
  assert.equal(r.requested, 'webgpu');
  assert.equal(
    r.nodes,
    Object.values(r.byProvider).reduce((a, b) => a + b, 0),
  );
  const plain = await captureCli(['check', file, '--json']);
  assert.equal(
    (JSON.parse(plain.out) as { training: { placement?: unknown } }).training.placement,
    undefined,
    'no placement on the cpu',
  );
});
