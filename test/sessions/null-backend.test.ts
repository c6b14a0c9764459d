import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyGraph } from '../../src/onnx/ir.js';
import { tensor } from '../../src/onnx/tensor.js';
import { NullBackend } from '../../src/sessions/null-backend.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { SessionError } from '../../src/sessions/errors.js';
import { backendEntries, backendEntry } from '../../src/sessions/registry.js';
import type { ResolvedSessionConfig } from '../../src/sessions/types.js';
import { affineModel, encode } from './models.js';

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

test('registry lists ort first and null last', () => {
  assert.deepEqual(
    backendEntries().map((e) => e.name),
    ['ort', 'null'],
  );
  assert.equal(backendEntry().name, 'ort');
  assert.equal(backendEntry('null').create().name, 'null');
});

test('null backend: names from the model, zeros with symbolic dims bound from feeds', async () => {
  const s = await new NullBackend().create(affineModel(), CPU);
  assert.deepEqual(s.inputNames, ['x']);
  assert.deepEqual(s.outputNames, ['y']);
  const out = await s.run({ x: tensor('float32', [5, 2]) });
  assert.deepEqual(out.y.dims, [5, 3]);
  assert.equal(out.y.dtype, 'float32');
  assert.ok((out.y.data as Float32Array).every((v) => v === 0));
});

test('null backend: fill value and per-output functions', async () => {
  const filled = await new NullBackend({ fill: 2.5 }).create(affineModel(), CPU);
  assert.deepEqual([...((await filled.run({ x: tensor('float32', [1, 2]) })).y.data as Float32Array)], [2.5, 2.5, 2.5]);
  const seen: number[] = [];
  const fn = await new NullBackend({
    outputs: {
      y: (feeds, ctx) => {
        seen.push(ctx.call);
        return tensor('float32', ctx.info.shape as number[], new Float32Array(3).fill(feeds.x.dims[0]));
      },
    },
  }).create(affineModel(), CPU);
  await fn.run({ x: tensor('float32', [1, 2]) });
  const out = await fn.run({ x: tensor('float32', [1, 2]) });
  assert.deepEqual([...(out.y.data as Float32Array)], [1, 1, 1]);
  assert.deepEqual(seen, [0, 1]);
});

test('null backend: checks feeds like a real session', async () => {
  const s = await new NullBackend().create(affineModel(), CPU);
  const code = (re: RegExp) => (e: unknown) =>
    e instanceof SessionError && e.code === 'ERR_SESSION_RUN' && re.test(e.message);
  await assert.rejects(s.run({}), code(/missing feed 'x'; the model's inputs are x/));
  await assert.rejects(
    s.run({ x: tensor('float32', [1, 2]), z: tensor('float32', [1]) }),
    code(/feed 'z' is not an input/),
  );
  await assert.rejects(s.run({ x: tensor('float64', [1, 2]) }), code(/expected element type float32 but got float64/));
  await assert.rejects(s.run({ x: tensor('float32', [1, 3]) }), code(/expected dims \[N, 2\] but got \[1, 3\]/));
  await assert.rejects(s.run({ x: tensor('float32', [1, 2]) }, ['nope']), code(/output 'nope' is not an output/));
});

test('null backend: undeclared output shapes come from shape inference', async () => {
  const g = emptyGraph('t');
  g.inputs.push({ name: 'a', dtype: 'float32', shape: ['B', 4] });
  g.nodes.push({ name: 'r', opType: 'Relu', domain: '', inputs: ['a'], outputs: ['r'], attrs: {} });
  g.outputs.push({ name: 'r', dtype: 'float32' });
  const s = await new NullBackend().create(encode(g), CPU);
  assert.deepEqual((await s.run({ a: tensor('float32', [3, 4]) })).r.dims, [3, 4]);
});

test('null backend: a corrupt model fails at create with ERR_SESSION_CREATE', async () => {
  await assert.rejects(
    new NullBackend().create(new Uint8Array([1, 2, 3]), CPU),
    (e: unknown) =>
      e instanceof SessionError && e.code === 'ERR_SESSION_CREATE' && /not a valid ONNX model/.test(e.message),
  );
});

test('SessionManager with the null backend runs in-process by default', async () => {
  const m = new SessionManager({ device: 'cpu' }, { backend: 'null' });
  assert.equal(m.inWorker, false);
  const s = await m.createSession('train', affineModel());
  assert.equal(m.session('train'), s);
  await assert.rejects(
    m.createSession('train', affineModel()),
    (e: unknown) => e instanceof SessionError && e.code === 'ERR_SESSION_EXISTS',
  );
  assert.deepEqual((await s.run({ x: tensor('float32', [2, 2]) })).y.dims, [2, 3]);
  const p = await m.platform();
  assert.equal(p.backend, 'null');
  assert.equal(p.device, 'cpu');
  assert.equal(p.cpu.cores > 0, true);
  assert.deepEqual(await m.available(), [{ provider: 'cpu', available: true }]);
  await m.close();
  assert.throws(
    () => m.session('train'),
    (e: unknown) => e instanceof SessionError && e.code === 'ERR_SESSION_NOT_FOUND',
  );
});
