/**
 * WebGPU adapters and quiet probing (src/sessions/adapters.ts, `gymnosd doctor`). Everywhere: the
 * device-select list parser. With a WebGPU adapter (required in CI): `gymnosd doctor` run as its
 * own process lists the adapter and keeps Dawn's and the Vulkan driver's warnings off its stderr
 * (they are written by native code to file descriptor 2, so only a separate process shows whether
 * they leak), and shows them with --verbose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseDeviceSelectList } from '../../src/sessions/adapters.js';
import { webgpuUnavailableMessage } from '../../src/sessions/providers.js';
import { assertWebgpu, webgpuGate } from './webgpu-gate.js';

const gate = await webgpuGate();
const root = new URL('../..', import.meta.url).pathname;

test('the device-select list: name, ids, software for CPU devices, the PCI address dropped', () => {
  const text = [
    'selectable devices:',
    '  GPU 0: 10005:0 "llvmpipe (LLVM 15.0.6, 256 bits)" CPU',
    '  GPU 1: 10de:2684 "NVIDIA GeForce RTX 4090" discrete GPU 0000:01:00.0',
    '  GPU 2: 8086:a780 "Intel(R) Graphics (RPL-S)" integrated GPU 0000:00:02.0',
    'unrelated line',
  ].join('\n');
  assert.deepEqual(parseDeviceSelectList(text), [
    { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', backend: 'vulkan', kind: 'software', type: 'CPU', id: '10005:0' },
    { name: 'NVIDIA GeForce RTX 4090', backend: 'vulkan', kind: 'hardware', type: 'discrete GPU', id: '10de:2684' },
    { name: 'Intel(R) Graphics (RPL-S)', backend: 'vulkan', kind: 'hardware', type: 'integrated GPU', id: '8086:a780' },
  ]);
  assert.deepEqual(parseDeviceSelectList('no devices here'), []);
});

const doctor = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/bin.ts'), 'doctor', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  });

test(
  'gymnosd doctor lists the WebGPU adapter and keeps Dawn/Vulkan warnings off stderr unless --verbose',
  { skip: gate.skip },
  () => {
    assertWebgpu(gate);
    const quiet = doctor('--json');
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.doesNotMatch(
      quiet.stderr,
      /Warning:|artificially reduced|vulkan|lavapipe|dawn/i,
      'nothing from the native code on stderr',
    );
    const report = JSON.parse(quiet.stdout) as {
      executionProviders: Array<{ provider: string; available: boolean; log?: string }>;
      webgpuAdapters: { via: string; adapters: Array<{ name: string; backend: string; kind: string }> };
    };
    assert.ok(report.executionProviders.find((p) => p.provider === 'webgpu')?.available);
    assert.equal(
      report.executionProviders.find((p) => p.provider === 'webgpu')?.log,
      undefined,
      'the probe log only with --verbose',
    );
    assert.equal(report.webgpuAdapters.via, 'mesa-device-select');
    assert.ok(report.webgpuAdapters.adapters.length >= 1);
    for (const a of report.webgpuAdapters.adapters) assert.equal(a.backend, 'vulkan');
    const verbose = doctor('--verbose');
    assert.equal(verbose.status, 0, verbose.stderr);
    assert.match(
      verbose.stdout,
      /webgpu adapters \(Vulkan devices\):\n {2}\S.* backend vulkan, (software|hardware) \(/,
    );
    // lavapipe's limits make Dawn warn (measured with Mesa 25 and ONNX Runtime 1.30); hardware drivers may print
    // nothing
    if (report.webgpuAdapters.adapters.every((a) => a.kind === 'software' && /llvmpipe/.test(a.name))) {
      assert.match(verbose.stdout, /webgpu {2}loads\n {10}\| Warning: .*artificially reduced/);
    }
  },
);

test('no WebGPU adapter: the error names the software driver to install and the other devices', () => {
  const m = webgpuUnavailableMessage('Failed to get a WebGPU adapter');
  assert.match(m, /^session\.device 'webgpu' cannot be used: no WebGPU adapter was found\. /);
  assert.match(m, /apt-get install -t bookworm-backports mesa-vulkan-drivers/);
  assert.match(m, /XDG_RUNTIME_DIR/);
  assert.match(
    m,
    /Or set session\.device to 'cpu', 'cuda' or 'auto'\. ONNX Runtime said: Failed to get a WebGPU adapter$/,
  );
});
