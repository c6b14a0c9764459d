import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/onnx/tensor.js';
import { SessionWorker } from '../../src/sessions/worker-host.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { SessionError } from '../../src/sessions/errors.js';
import { OrtBackend } from '../../src/sessions/ort-backend.js';
import type { ResolvedSessionConfig } from '../../src/sessions/types.js';
import { affineModel, affineReference, heavyModel } from './models.js';

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

const isCode = (code: string, re?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SessionError, `expected a SessionError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (re) assert.match(e.message, re);
  return true;
};

test('worker: ORT round trip; feeds copied by default, outputs arrive owning their buffers', async () => {
  const w = new SessionWorker();
  try {
    const names = await w.createSession('a', affineModel(), CPU);
    assert.deepEqual(names, { inputNames: ['x'], outputNames: ['y'] });
    const x = new Float32Array([1, 2, 3, 4]);
    const out = await w.run('a', { x: tensor('float32', [2, 2], x) });
    assert.deepEqual([...(out.y.data as Float32Array)], [...affineReference(x)]);
    assert.equal(x.length, 4, 'copied feeds stay usable');
    const y = out.y.data as Float32Array;
    assert.equal(y.byteOffset, 0);
    assert.equal(y.buffer.byteLength, y.byteLength);
  } finally {
    await w.terminate();
  }
});

test('worker: transferFeeds moves whole buffers and compacts partial views', async () => {
  const w = new SessionWorker({ transferFeeds: true });
  try {
    await w.createSession('a', affineModel(), CPU);
    const x = new Float32Array([1, 2, 3, 4]);
    const out = await w.run('a', { x: tensor('float32', [2, 2], x) });
    assert.equal(x.length, 0, 'transferred feed is detached');
    assert.deepEqual([...(out.y.data as Float32Array)], [...affineReference(new Float32Array([1, 2, 3, 4]))]);
    const big = new Float32Array(100).fill(1);
    const view = big.subarray(10, 12);
    await w.run('a', { x: tensor('float32', [1, 2], view) });
    assert.equal(big.length, 100, 'a view onto part of a buffer is copied, not transferred');
    const kept = new Float32Array([5, 6]);
    await w.run('a', { x: tensor('float32', [1, 2], kept) }, undefined, { transferFeeds: false });
    assert.equal(kept.length, 2, 'per-call transferFeeds: false copies');
  } finally {
    await w.terminate();
  }
});

test('worker: errors come back with the original message, a stable code and the worker error as cause', async () => {
  const w = new SessionWorker();
  try {
    await w.createSession('a', affineModel(), CPU);
    const local = await new OrtBackend().create(affineModel(), CPU);
    const bad = { x: tensor('int32', [1, 2]) };
    const inProcess = await local.run(bad).then(
      () => undefined,
      (e: unknown) => e as SessionError,
    );
    await local.release();
    await assert.rejects(w.run('a', bad), (e: unknown) => {
      isCode('ERR_SESSION_RUN')(e);
      const err = e as SessionError;
      assert.equal(err.message, inProcess?.message);
      assert.ok(err.cause instanceof Error);
      assert.match((err.cause as Error).stack ?? '', /in the session worker thread/);
      assert.match(err.stack ?? '', /worker\.test\.ts/, 'the stack shows the caller');
      return true;
    });
    await assert.rejects(
      w.run('nope', {}),
      isCode('ERR_SESSION_NOT_FOUND', /no session 'nope' in the worker \(created: a\)/),
    );
    await assert.rejects(w.createSession('a', affineModel(), CPU), isCode('ERR_SESSION_EXISTS'));
    await assert.rejects(w.createSession('b', new Uint8Array([1, 2, 3]), CPU), isCode('ERR_SESSION_CREATE'));
    await assert.rejects(
      w.createSession('c', affineModel(), { ...CPU, provider: 'cuda' }),
      isCode('ERR_PROVIDER_UNAVAILABLE', /cuda/),
    );
    assert.deepEqual(
      Object.keys(await w.run('a', { x: tensor('float32', [1, 2]) })),
      ['y'],
      'the worker survives errors',
    );
    await w.release('a');
    await assert.rejects(w.run('a', { x: tensor('float32', [1, 2]) }), isCode('ERR_SESSION_NOT_FOUND'));
  } finally {
    await w.terminate();
  }
});

test('worker: process.exit inside the worker rejects pending and later calls', async () => {
  const w = new SessionWorker({ backend: 'null' });
  await w.createSession('a', affineModel(), CPU);
  w.crashForTesting('exit');
  await assert.rejects(
    w.run('a', { x: tensor('float32', [1, 2]) }),
    isCode('ERR_WORKER_EXITED', /exited unexpectedly with code 7/),
  );
  await assert.rejects(w.run('a', { x: tensor('float32', [1, 2]) }), isCode('ERR_WORKER_EXITED'));
  assert.equal(w.closed, true);
  await w.terminate();
});

test('worker: an uncaught error in the worker rejects pending calls', async () => {
  const w = new SessionWorker({ backend: 'null' });
  await w.createSession('a', affineModel(), CPU);
  w.crashForTesting('throw');
  await assert.rejects(w.run('a', { x: tensor('float32', [1, 2]) }), (e: unknown) => {
    // The error event or the exit that follows it, whichever the pending call meets first.
    assert.ok(
      e instanceof SessionError && (e.code === 'ERR_WORKER_CRASHED' || e.code === 'ERR_WORKER_EXITED'),
      String(e),
    );
    return true;
  });
  await assert.rejects(w.available(), isCode('ERR_WORKER_CRASHED', /deliberate crash/));
});

test('worker: terminate during a run rejects pending calls without crashing; abort rejects one call', async () => {
  const w = new SessionWorker();
  await w.createSession('h', heavyModel(256, 30), CPU);
  const x = { x: tensor('float32', [256, 256], new Float32Array(256 * 256).fill(0.01)) };
  const ac = new AbortController();
  const aborted = w.run('h', x, undefined, { signal: ac.signal });
  ac.abort();
  await assert.rejects(aborted, isCode('ERR_ABORTED'));
  const pending = assert.rejects(w.run('h', x), isCode('ERR_WORKER_TERMINATED'));
  // Terminating while ONNX Runtime is inside a run must neither crash the process nor hang.
  await w.terminate();
  await pending;
  assert.equal(w.closed, true);
  await assert.rejects(w.run('h', x), isCode('ERR_WORKER_TERMINATED'));
  await w.terminate(); // twice is harmless
});

test("worker: the caller's event loop keeps ticking during a long run", async () => {
  const w = new SessionWorker();
  try {
    await w.createSession('h', heavyModel(512, 40), CPU);
    const x = { x: tensor('float32', [512, 512], new Float32Array(512 * 512).fill(0.01)) };
    await w.run('h', x); // warm up
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 1);
    const t0 = performance.now();
    const out = await w.run('h', x);
    const ms = performance.now() - t0;
    clearInterval(timer);
    assert.deepEqual(out.h39.dims, [512, 512]);
    assert.ok(ticks >= 2, `the interval ticked ${ticks} times during a ${ms.toFixed(0)} ms run`);
  } finally {
    await w.terminate();
  }
});

test('SessionManager: ort sessions run in a worker by default; null backend can be moved there', async () => {
  const m = new SessionManager({ device: 'cpu', intraOpThreads: 1 });
  assert.equal(m.inWorker, true);
  const s = await m.createSession('train', affineModel());
  const out = await s.run({ x: tensor('float32', [1, 2], [1, 1]) });
  assert.deepEqual([...(out.y.data as Float32Array)], [5.5, 6, 11]);
  const p = await m.platform();
  assert.equal(p.inWorker, true);
  assert.equal(p.versions.backend, 'onnxruntime-node');
  assert.ok((await m.available()).some((r) => r.provider === 'cpu' && r.available));
  await s.release();
  await m.close();

  const n = new SessionManager({}, { backend: 'null', inWorker: true, backendOptions: { fill: 1 } });
  const ns = await n.createSession('t', affineModel());
  assert.deepEqual([...((await ns.run({ x: tensor('float32', [1, 2]) })).y.data as Float32Array)], [1, 1, 1]);
  await n.close();
});
