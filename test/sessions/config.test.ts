import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSessionConfig, defaultIntraOpThreads, physicalCores } from '../../src/sessions/config.js';
import { parseDevice } from '../../src/sessions/providers.js';
import { SessionError } from '../../src/sessions/errors.js';
import { SessionManager } from '../../src/sessions/session-manager.js';

function rejects(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SessionError, `expected a SessionError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_SESSION_CONFIG');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('defaults fill every field', () => {
  const c = validateSessionConfig({});
  assert.deepEqual(c, {
    device: { kind: 'device', provider: 'cpu', deviceId: 0 },
    intraOpThreads: defaultIntraOpThreads(),
    interOpThreads: 1,
    graphOptimization: 'all',
    executionMode: 'sequential',
    enableProfiling: false,
    profileFilePrefix: 'gymnos-ort-profile',
    memoryPattern: false,
    allowSpinning: false,
    cpuMemArena: true,
  });
  assert.deepEqual(validateSessionConfig(undefined), c);
});

test('default intra-op threads: the physical cores, 1 to 8', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 8, 16, 64].map((n) => defaultIntraOpThreads(n)),
    [1, 2, 3, 4, 8, 8, 8],
  );
});

/** A fake /sys/devices/system/cpu with `siblings[i]` as cpu i's thread_siblings_list. */
function fakeTopology(siblings: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'gymnos-cpu-'));
  siblings.forEach((s, i) => {
    mkdirSync(join(root, `cpu${i}`, 'topology'), { recursive: true });
    writeFileSync(join(root, `cpu${i}`, 'topology', 'thread_siblings_list'), `${s}\n`);
  });
  mkdirSync(join(root, 'cpufreq')); // not a cpu
  return root;
}

test('physical cores: SMT siblings count once; no more than the logical CPUs; half of them without a topology', () => {
  const smt = fakeTopology(['0,4', '1,5', '2,6', '3,7', '0,4', '1,5', '2,6', '3,7']);
  const plain = fakeTopology(['0', '1']);
  try {
    assert.equal(physicalCores(8, smt), 4);
    assert.equal(physicalCores(2, smt), 2, 'an affinity mask of 2 CPUs caps it');
    assert.equal(physicalCores(2, plain), 2, 'a 2-vCPU VM with one thread per core: both');
    assert.equal(physicalCores(16, join(smt, 'missing')), 8);
    assert.equal(physicalCores(1, join(smt, 'missing')), 1);
  } finally {
    rmSync(smt, { recursive: true, force: true });
    rmSync(plain, { recursive: true, force: true });
  }
});

test('devices parse: cpu, cuda, cuda:N, webgpu, auto', () => {
  assert.deepEqual(parseDevice('cpu'), { kind: 'device', provider: 'cpu', deviceId: 0 });
  assert.deepEqual(parseDevice('cuda'), { kind: 'device', provider: 'cuda', deviceId: 0 });
  assert.deepEqual(parseDevice('cuda:3'), { kind: 'device', provider: 'cuda', deviceId: 3 });
  assert.deepEqual(parseDevice('webgpu'), { kind: 'device', provider: 'webgpu', deviceId: 0 });
  assert.deepEqual(parseDevice('auto'), { kind: 'auto' });
});

test('bad devices name the path and the choices', () => {
  rejects(
    () => validateSessionConfig({ device: 'gpu' }),
    "expected cpu, cuda, cuda:N, webgpu or auto for session.device but got \"gpu\" (for an NVIDIA GPU write 'cuda' or 'cuda:N')",
  );
  rejects(() => validateSessionConfig({ device: 'cuda:x' }), /for session\.device but got "cuda:x"/);
  rejects(() => validateSessionConfig({ device: 'CPU' }), /did you mean 'cpu'\?/);
  rejects(() => validateSessionConfig({ device: 3 }), /for session\.device but got 3$/);
  rejects(
    () => validateSessionConfig({ device: 'tpu' }, 'experiments[0].session'),
    /for experiments\[0\]\.session\.device but got "tpu"$/,
  );
});

test('threads must be positive integers', () => {
  rejects(
    () => validateSessionConfig({ intraOpThreads: 0 }),
    'expected an integer >= 1 for session.intraOpThreads but got 0',
  );
  rejects(
    () => validateSessionConfig({ interOpThreads: 1.5 }),
    'expected an integer >= 1 for session.interOpThreads but got 1.5',
  );
  rejects(
    () => validateSessionConfig({ intraOpThreads: '2' }),
    "expected an integer >= 1 for session.intraOpThreads but got '2'",
  );
  rejects(
    () => validateSessionConfig({ intraOpThreads: 1000 }),
    /^expected an integer of at most 256 for session.intraOpThreads but got 1000 \(this machine has \d+ logical CPUs/,
  );
  assert.equal(validateSessionConfig({ intraOpThreads: 4 }).intraOpThreads, 4);
});

test('enumerations and booleans list their choices', () => {
  rejects(
    () => validateSessionConfig({ graphOptimization: 'max' }),
    "expected one of 'disabled', 'basic', 'extended', 'all' for session.graphOptimization but got 'max'",
  );
  rejects(
    () => validateSessionConfig({ executionMode: 'async' }),
    "expected one of 'sequential', 'parallel' for session.executionMode but got 'async'",
  );
  rejects(
    () => validateSessionConfig({ enableProfiling: 'yes' }),
    "expected true or false for session.enableProfiling but got 'yes'",
  );
  rejects(
    () => validateSessionConfig({ memoryPattern: 1 }),
    'expected true or false for session.memoryPattern but got 1',
  );
  // every wrong field at once
  rejects(
    () => validateSessionConfig({ memoryPattern: 1, executionMode: 'async' }),
    /^2 problems:\n {2}- expected one of 'sequential', 'parallel' for session.executionMode but got 'async'\n {2}- expected true or false for session.memoryPattern but got 1$/,
  );
});

test('unknown keys and non-objects are errors', () => {
  rejects(
    () => validateSessionConfig({ intraOpNumThreads: 2 }),
    /^unknown key session\.intraOpNumThreads \(did you mean 'intraOpThreads'\?\); valid keys of session: device, intraOpThreads, /,
  );
  rejects(() => validateSessionConfig([]), 'expected an object for session but got []');
  rejects(() => validateSessionConfig('cpu'), "expected an object for session but got 'cpu'");
});

test('SessionManager validates before doing anything', () => {
  rejects(
    () => new SessionManager({ intraOpThreads: 0 }, { backend: 'null' }),
    'expected an integer >= 1 for session.intraOpThreads but got 0',
  );
  rejects(
    () => new SessionManager({}, { backend: 'tensorflow' }),
    "backend: expected one of 'ort', 'null' but got \"tensorflow\"",
  );
  rejects(
    () => new SessionManager({}, { backend: 'null', inWorker: true, backendOptions: { outputs: { y: () => null } } }),
    /backendOptions cannot be sent to the session worker/,
  );
});
