import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/onnx/tensor.js';
import { OrtBackend, loadOrt, toOrtTensor, fromOrtTensor, toSessionOptions } from '../../src/sessions/ort-backend.js';
import { diagnoseCuda } from '../../src/sessions/providers.js';
import { SessionError } from '../../src/sessions/errors.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import type { ResolvedSessionConfig } from '../../src/sessions/types.js';
import { affineModel, affineReference } from './models.js';

const CPU: ResolvedSessionConfig = {
  provider: 'cpu',
  deviceId: 0,
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
  executionMode: 'sequential',
  enableProfiling: false,
  profileFilePrefix: 'p',
  memoryPattern: true,
  allowSpinning: false,
};

test('ort backend: MatMul+Add round trip matches a plain TS reference', async () => {
  const s = await new OrtBackend().create(affineModel(), CPU);
  assert.deepEqual(s.inputNames, ['x']);
  assert.deepEqual(s.outputNames, ['y']);
  const x = new Float32Array([1, 2, -3, 0.5, 0, 1]);
  const out = await s.run({ x: tensor('float32', [3, 2], x) });
  assert.deepEqual(out.y.dims, [3, 3]);
  assert.equal(out.y.dtype, 'float32');
  assert.deepEqual([...(out.y.data as Float32Array)], [...affineReference(x)]);
  assert.deepEqual(Object.keys(await s.run({ x: tensor('float32', [1, 2]) }, ['y'])), ['y']);
  await s.release();
  await s.release(); // twice is harmless
  await assert.rejects(
    s.run({ x: tensor('float32', [1, 2]) }),
    (e: unknown) => e instanceof SessionError && e.code === 'ERR_SESSION_NOT_FOUND',
  );
});

test('ort backend: tensors share typed arrays with ort.Tensor (no copy)', async () => {
  const ort = await loadOrt();
  const data = new Float32Array(4);
  const t = toOrtTensor(ort, 'x', tensor('float32', [2, 2], data));
  assert.equal(t.data, data);
  const back = fromOrtTensor('x', t);
  assert.equal(back.data, data);
  assert.deepEqual(back.dims, [2, 2]);
  assert.throws(() => toOrtTensor(ort, 'h', tensor('bfloat16', [1])), /no bfloat16 tensors/);
});

test('ort backend: config maps to SessionOptions', () => {
  const o = toSessionOptions({
    ...CPU,
    provider: 'cuda',
    deviceId: 2,
    intraOpThreads: 3,
    executionMode: 'parallel',
    graphOptimization: 'basic',
  });
  assert.deepEqual(o.executionProviders, [{ name: 'cuda', deviceId: 2 }]);
  assert.equal(o.intraOpNumThreads, 3);
  assert.equal(o.executionMode, 'parallel');
  assert.equal(o.graphOptimizationLevel, 'basic');
  assert.deepEqual(o.extra, { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
});

test('ort backend: bad feeds and bad models give coded errors', async () => {
  const b = new OrtBackend();
  await assert.rejects(
    b.create(new Uint8Array([8, 1, 2]), CPU),
    (e: unknown) => e instanceof SessionError && e.code === 'ERR_SESSION_CREATE',
  );
  const s = await b.create(affineModel(), CPU);
  await assert.rejects(
    s.run({ x: tensor('int32', [1, 2]) }),
    (e: unknown) => e instanceof SessionError && e.code === 'ERR_SESSION_RUN' && /type|int32/i.test(e.message),
  );
  await s.release();
});

test('ort backend: available() lists cpu as loading, and every provider with a reason when not', async () => {
  const reports = await new OrtBackend().available();
  assert.deepEqual(
    reports.map((r) => r.provider),
    ['cpu', 'cuda', 'webgpu'],
  );
  assert.deepEqual(reports[0], { provider: 'cpu', available: true });
  for (const r of reports)
    if (!r.available) assert.ok(r.reason && r.reason.length > 20, `${r.provider} needs a reason`);
});

const cudaMissing = diagnoseCuda().missingProviderFiles.length > 0;

test(
  'cuda without its libraries: a clear error naming them, not a crash',
  { skip: !cudaMissing && 'the CUDA provider files are installed here' },
  async () => {
    const m = new SessionManager({ device: 'cuda:1' }, { backend: 'ort', inWorker: false });
    await assert.rejects(m.createSession('s', affineModel()), (e: unknown) => {
      assert.ok(e instanceof SessionError);
      assert.equal(e.code, 'ERR_PROVIDER_UNAVAILABLE');
      assert.match(e.message, /^session\.device 'cuda:1' cannot be used/);
      assert.match(e.message, /libonnxruntime_providers_cuda\.so/);
      assert.match(e.message, /libonnxruntime_providers_shared\.so/);
      assert.match(e.message, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
      assert.match(e.message, /docker image/);
      return true;
    });
    await m.close();
  },
);

test(
  "device 'auto' falls back to cpu when cuda does not load",
  { skip: !cudaMissing && 'the CUDA provider files are installed here' },
  async () => {
    const m = new SessionManager({ device: 'auto' }, { inWorker: false });
    const c = await m.resolve();
    assert.equal(c.provider, 'cpu');
    const p = await m.platform();
    assert.equal(p.device, 'cpu');
    assert.equal(p.versions['onnxruntime-node'], (await loadOrt()).env.versions.node);
    await m.close();
  },
);
